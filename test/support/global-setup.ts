/**
 * One FerretDB for the whole test run (each test file uses its own database in it), started
 * exactly as `npm start` starts it. MONGODB_URI_BASE reaches the workers through the environment.
 * With TEST_MONGODB_URI set, tests use that server instead (e.g. a real mongod).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureFerretdb, startFerretdb, type EmbeddedDatabase } from '../../src/db/embedded';
import { fromRoot } from '../../src/paths';

declare global {
  var __CERMIN_TEST_DB__: { db: EmbeddedDatabase; dir: string } | undefined;
}

export default async function globalSetup(): Promise<void> {
  if (process.env.TEST_MONGODB_URI) {
    process.env.MONGODB_URI_BASE = process.env.TEST_MONGODB_URI.replace(/\/[^/?]*(\?.*)?$/, '');
    return;
  }
  const binary = await ensureFerretdb(fromRoot('.tools'), 'v1.24.2', (m) => process.stdout.write(`${m}\n`));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cermin-test-db-'));
  const db = await startFerretdb(binary, dir, 'unused');
  globalThis.__CERMIN_TEST_DB__ = { db, dir };
  process.env.MONGODB_URI_BASE = db.uri.replace(/\/unused$/, '');
}
