/**
 * Starts the whole of Cermin for a test file, as `npm start` does: real config loading, a real
 * database over the wire (its own database in the run's FerretDB), the composition root, a real
 * HTTP server on 127.0.0.1, and the demo LMS mounted at /demo.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import mongoose from 'mongoose';
import type { Logger } from 'pino';
import { createApp, type CerminApp } from '../../src/app';
import { loadConfig, type AppConfig } from '../../src/config';
import { freePort } from '../../src/db/embedded';
import { createLogger } from '../../src/core/log';
import type { DemoPlatform } from '../../sim/lms/platform';

export interface Stack {
  baseUrl: string;
  config: AppConfig;
  cermin: CerminApp;
  demo: DemoPlatform;
  demoBase: string;
  server: http.Server;
  close(): Promise<void>;
}

export function testDatabaseUri(name: string): string {
  const base = process.env.MONGODB_URI_BASE;
  if (!base)
    throw new Error('MONGODB_URI_BASE is not set: run the tests through jest (global setup starts the database)');
  return `${base}/${name}`;
}

/**
 * `crossSiteDemo`: the demo LMS answers as http://localhost:PORT while Cermin is
 * http://127.0.0.1:PORT — two sites, so the tool runs in a third-party iframe as it does in Moodle.
 */
export async function startStack(
  env: Record<string, string> = {},
  opts: { log?: Logger; crossSiteDemo?: boolean } = {},
): Promise<Stack> {
  const port = await freePort();
  const dbName = `cermin_test_${crypto.randomBytes(4).toString('hex')}`;
  const config = loadConfig({
    env: {
      NODE_ENV: 'test',
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      MONGODB_URI: testDatabaseUri(dbName),
      LTI_KEY: crypto.randomBytes(32).toString('hex'),
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      // Blind re-marking samples by (random) activity id: off unless a test asks, so drafts show predictably.
      REVIEW_BLIND_SHARE: '0',
      // The tests' platforms, fake AI providers and fake Moodles all listen on loopback: allowed
      // explicitly, as an operator would allow an internal Moodle (the SSRF tests narrow it).
      OUTBOUND_ALLOW: '127.0.0.1,localhost',
      ...(opts.crossSiteDemo ? { DEMO_PUBLIC_URL: `http://localhost:${port}` } : {}),
      ...env,
    },
  });
  await mongoose.connect(config.database.uri as string);
  const cermin = await createApp({
    config,
    dbUri: config.database.uri as string,
    log: opts.log ?? createLogger(config.logLevel),
  });
  const server = http.createServer(cermin.app);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  if (!cermin.demo) throw new Error('the test stack needs the demo platform');
  return {
    baseUrl: config.publicUrl,
    config,
    cermin,
    demo: cermin.demo,
    demoBase: `${config.demo.publicUrl ?? config.publicUrl}/demo`,
    server,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await mongoose.connection.db?.dropDatabase().catch(() => undefined);
      await cermin.close();
    },
  };
}

/** A second, separate platform (its own server, origin and issuer) registered in the same Cermin. */
export async function startSecondPlatform(
  stack: Stack,
  clientId = 'other-client',
  deploymentId = 'other-deployment',
): Promise<{ demo: DemoPlatform; base: string; close(): Promise<void> }> {
  const { createDemoPlatform } = await import('../../sim/lms/platform');
  const express = (await import('express')).default;
  const port = await freePort();
  const base = `http://127.0.0.1:${port}/lms`;
  const urls = stack.cermin.lti.urls;
  const demo = await createDemoPlatform({
    issuer: base,
    clientId,
    deploymentId,
    tool: { loginUrl: urls.loginUrl, launchUrl: urls.toolUrl, jwksUrl: urls.keysetUrl },
    participants: 5,
  });
  const app = express();
  app.use('/lms', demo.router);
  const server = app.listen(port, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  await stack.cermin.lti.registry.add({
    issuer: base,
    clientId,
    authUrl: demo.authUrl,
    tokenUrl: demo.tokenUrl,
    jwksUrl: demo.jwksUrl,
    deploymentIds: [deploymentId],
  });
  return {
    demo,
    base,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A Moodle-shaped platform on an origin Cermin has never seen (its own server and port), not
 * registered: what an LMS admin's first dynamic registration starts from. `clientBase` launches one
 * of its clients: `${base}/launch?user=…&link=11&client=<client id>`.
 */
export async function startUnregisteredPlatform(
  stack: Stack,
): Promise<{ demo: DemoPlatform; base: string; close(): Promise<void> }> {
  const { createDemoPlatform } = await import('../../sim/lms/platform');
  const express = (await import('express')).default;
  const port = await freePort();
  const base = `http://127.0.0.1:${port}/moodle`;
  const urls = stack.cermin.lti.urls;
  const demo = await createDemoPlatform({
    issuer: base,
    clientId: 'not-registered-yet',
    deploymentId: '1',
    tool: { loginUrl: urls.loginUrl, launchUrl: urls.toolUrl, jwksUrl: urls.keysetUrl },
    participants: 5,
  });
  const app = express();
  app.use('/moodle', demo.router);
  const server = app.listen(port, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return {
    demo,
    base,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function serverPort(server: http.Server): number {
  return (server.address() as AddressInfo).port;
}
