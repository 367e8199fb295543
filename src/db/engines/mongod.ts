/**
 * A real mongod through mongodb-memory-server-core: what production runs, so the embedded chain
 * tries it first. It downloads mongod on the first start, so it needs the internet then (offline
 * it fails in well under a second and the chain moves on).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Progress } from './process';
import type { EmbeddedDatabase } from './types';

export async function startMongod(opts: {
  dataDir: string;
  toolsDir: string;
  version: string;
  dbName: string;
  progress: Progress;
}): Promise<EmbeddedDatabase> {
  opts.progress(
    `Menyiapkan mongod ${opts.version} (unduhan sekali saja) / preparing mongod (first start downloads it)…`,
  );
  const { MongoMemoryServer } = await import('mongodb-memory-server-core');
  const dbPath = path.resolve(opts.dataDir, 'mongod');
  const existed = fs.existsSync(dbPath);
  fs.mkdirSync(dbPath, { recursive: true });
  // The library prints its own failure (a stack trace) to the console before throwing it; the
  // chain reports the thrown error in one line instead, so the console is quiet while it runs.
  const { warn, error } = console;
  // eslint-disable-next-line no-console -- silenced, not used: see above
  console.warn = () => undefined;
  console.error = () => undefined;
  let server;
  try {
    server = await MongoMemoryServer.create({
      instance: { dbPath, ip: '127.0.0.1', storageEngine: 'wiredTiger' },
      binary: { version: opts.version, downloadDir: path.resolve(opts.toolsDir, 'mongodb-binaries') },
    });
  } catch (err) {
    // An empty folder of its name would later read as "mongod holds this data" (embedded.ts).
    if (!existed && fs.readdirSync(dbPath).length === 0) fs.rmdirSync(dbPath);
    throw err;
  } finally {
    // eslint-disable-next-line no-console -- restored
    console.warn = warn;
    console.error = error;
  }
  return {
    kind: 'mongod',
    uri: server.getUri(opts.dbName),
    pid: server.instanceInfo?.instance.mongodProcess?.pid,
    stop: async () => {
      await server.stop({ doCleanup: false });
    },
  };
}
