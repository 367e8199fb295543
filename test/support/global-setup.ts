/**
 * One database server for the whole test run (each test file uses its own database in it),
 * started exactly as `npm start` starts the embedded one (EMBEDDED_DB picks an engine, as there).
 * MONGODB_URI_BASE reaches the workers through the environment. With TEST_MONGODB_URI set, tests
 * use that server instead (e.g. a MongoDB replica set).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { embeddedVersions, startEmbeddedDatabase, type EmbeddedDatabase, type EngineName } from '../../src/db/embedded';
import { fromRoot } from '../../src/core/paths';

declare global {
  var __CERMIN_TEST_DB__: { db: EmbeddedDatabase; dir: string } | undefined;
}

export default async function globalSetup(): Promise<void> {
  if (process.env.TEST_MONGODB_URI) {
    process.env.MONGODB_URI_BASE = process.env.TEST_MONGODB_URI.replace(/\/[^/?]*(\?.*)?$/, '');
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cermin-test-db-'));
  const db = await startEmbeddedDatabase({
    ...embeddedVersions(),
    dataDir: dir,
    toolsDir: fromRoot('.tools'),
    mode: (process.env.EMBEDDED_DB ?? 'auto') as 'auto' | EngineName,
    dbName: 'unused',
    progress: (m) => process.stdout.write(`${m}\n`),
  });
  globalThis.__CERMIN_TEST_DB__ = { db, dir };
  process.env.MONGODB_URI_BASE = db.uri.replace(/\/unused$/, '');
  // The engine the tests ran on, for test/unit/db/ to report and for anyone reading the output.
  process.env.CERMIN_TEST_DB_ENGINE = db.kind;
  process.env.CERMIN_TEST_DB_PID = String(db.pid ?? '');
}
