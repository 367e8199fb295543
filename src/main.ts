/**
 * Process entry: configuration → database → app → background work → listen; graceful shutdown.
 */
import http from 'node:http';
import { createApp } from './app';
import { loadTemplates, TemplateError } from './coaching/templates';
import { ConfigError, loadConfig, redactedConfig } from './config';
import { persistedDevKey } from './config/dev-key';
import { connectDatabase, type DatabaseHandle } from './db';
import { EmbeddedDatabaseError } from './db/embedded';
import { createLogger } from './core/log';
import { fromRoot } from './core/paths';
import { startSweeper } from './lti/sweeper';
import { startRetentionJob } from './privacy/retention';
import { issueSetupToken } from './admin/setup';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig({ devKey: persistedDevKey });
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  // One request's forgotten promise must not stop Cermin for everyone: log it and keep serving.
  // (Requests themselves answer 500 through the error handler; this is for promises nobody awaits.)
  process.on('unhandledRejection', (reason) => {
    log.error({ err: reason }, 'unhandled rejection (kept serving)');
  });
  log.info({ config: redactedConfig(config) }, 'starting Cermin');
  if (config.lti.keyGenerated)
    log.warn(
      'LTI_KEY is not set: using a key generated for this machine (data/.dev-lti-key). Set LTI_KEY in production.',
    );

  let templates;
  try {
    templates = loadTemplates(fromRoot(config.templatesDir));
  } catch (err) {
    if (err instanceof TemplateError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }

  let db: DatabaseHandle;
  try {
    db = await connectDatabase(config, log);
  } catch (err) {
    if (err instanceof EmbeddedDatabaseError) {
      console.error(err.message);
      process.exit(3);
    }
    throw err;
  }

  const cermin = await createApp({ config, dbUri: db.uri, log, templates });
  const stopSweeper = startSweeper(60_000, (err) => log.warn({ err }, 'expiry sweep failed'));
  // What is past its platform's retention goes hourly (AI text, audit records, counters, query vectors, …).
  const stopRetention = startRetentionJob(cermin.retentionJob, { everyMs: 3600_000, log });
  const server = http.createServer(cermin.app);
  server.keepAliveTimeout = 65_000; // longer than common proxies' idle timeout
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, resolve);
  });

  const platforms = await cermin.lti.registry.list();
  const lines = [`Cermin berjalan / is running: ${config.publicUrl}`];
  if (cermin.demo)
    lines.push(
      `LMS demo: ${config.publicUrl}/demo  (luncurkan sebagai peserta, coach, admin / launch as participant, coach, admin)`,
    );
  if (!platforms.some((p) => p.registeredVia !== 'demo')) {
    // No real platform yet: a one-time token opens the admin page (no default password anywhere).
    const token = await issueSetupToken();
    lines.push(`Admin (sekali pakai / one-time, 24 jam): ${config.publicUrl}/setup?token=${token}`);
  }
  lines.push(`Pendaftaran dinamis / dynamic registration URL for Moodle: ${cermin.lti.urls.registrationUrl}`);
  process.stdout.write(`\n${lines.join('\n')}\n\n`);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: finishing requests in flight');
    cermin.beginShutdown();
    stopSweeper();
    stopRetention();
    const force = setTimeout(() => {
      log.warn('grace period over: closing remaining connections');
      server.closeAllConnections();
    }, config.shutdownGraceMs);
    force.unref();
    // Connections whose last request finished after close() began would otherwise idle until the grace ends.
    const reaper = setInterval(() => server.closeIdleConnections(), 200);
    reaper.unref();
    server.close(() => {
      clearInterval(reaper);
      clearTimeout(force);
      cermin
        .close()
        .then(() => db.stop())
        .then(() => {
          log.info('stopped');
          process.exit(0);
        })
        .catch((err) => {
          log.error({ err }, 'error while stopping');
          process.exit(1);
        });
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err) => {
  console.error('Cermin could not start:', err);
  process.exit(1);
});
