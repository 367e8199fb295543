/**
 * The embedded local database for development, demos, tests and a pilot, so `npm start` needs no
 * MongoDB. `auto` tries, in order: a real mongod (mongodb-memory-server; needs the internet the
 * first time), then mongo-java-server (Java 17 and Maven). FerretDB only when chosen by name.
 * The engine that first held the data is remembered in dataDir and used again, so data is never
 * split between two engines because the network came or went. Production sets MONGODB_URI and
 * never comes here.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fromRoot } from '../core/paths';
import { ensureFerretdb, startFerretdb } from './engines/ferretdb';
import { ensureJavaServer, startJavaServer } from './engines/java-server';
import { startMongod } from './engines/mongod';
import { EmbeddedDatabaseError, type Progress } from './engines/process';
import type { EmbeddedDatabase, EngineName } from './engines/types';

export { EmbeddedDatabaseError, freePort } from './engines/process';
export type { EmbeddedDatabase, EngineName } from './engines/types';

export interface EmbeddedOptions {
  dataDir: string;
  toolsDir: string;
  ferretdbVersion: string;
  mongodVersion: string;
  mode: 'auto' | EngineName;
  /** Progress lines for a person watching the first start. */
  progress: Progress;
  /** Database name in the URI. */
  dbName: string;
}

/** The engine versions of config/default.json, for the tests and benches that start an engine without Cermin's config. */
export function embeddedVersions(): { ferretdbVersion: string; mongodVersion: string } {
  const { database } = JSON.parse(fs.readFileSync(fromRoot('config/default.json'), 'utf8')) as {
    database: { ferretdbVersion: string; mongodVersion: string };
  };
  return { ferretdbVersion: database.ferretdbVersion, mongodVersion: database.mongodVersion };
}

const ENGINES: readonly EngineName[] = ['mongod', 'java', 'ferretdb'];
const AUTO_ORDER: EngineName[] = ['mongod', 'java'];

/** Where the name of the engine that first held dataDir's data is kept. */
function markerFile(dataDir: string): string {
  return path.resolve(dataDir, 'embedded-engine');
}

/** Which engine holds the data in dataDir, if any has yet. */
export function engineInUse(dataDir: string): EngineName | undefined {
  try {
    const name = fs.readFileSync(markerFile(dataDir), 'utf8').trim();
    return ENGINES.find((e) => e === name);
  } catch {
    // Data written before the marker existed: each engine keeps its files in a folder of its name.
    return ENGINES.find((e) => e !== 'java' && fs.existsSync(path.resolve(dataDir, e)));
  }
}

export async function startEngine(name: EngineName, opts: EmbeddedOptions): Promise<EmbeddedDatabase> {
  switch (name) {
    case 'mongod':
      return startMongod({
        dataDir: opts.dataDir,
        toolsDir: opts.toolsDir,
        version: opts.mongodVersion,
        dbName: opts.dbName,
        progress: opts.progress,
      });
    case 'java':
      return startJavaServer(await ensureJavaServer(opts.toolsDir, opts.progress), opts.dataDir, opts.dbName);
    case 'ferretdb':
      opts.progress(
        'Peringatan / warning: FerretDB 1.x loses concurrent updates to one document (docs/database.md); for a demo only.',
      );
      return startFerretdb(
        await ensureFerretdb(opts.toolsDir, opts.ferretdbVersion, opts.progress),
        opts.dataDir,
        opts.dbName,
      );
  }
}

/** Starts the chosen engine, or the first of the `auto` order that works; one clear error when none does. */
export async function startEmbeddedDatabase(opts: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const remembered = engineInUse(opts.dataDir);
  const order = opts.mode !== 'auto' ? [opts.mode] : remembered ? [remembered] : AUTO_ORDER;
  if (opts.mode === 'auto' && remembered)
    opts.progress(`Basis data lokal / embedded database: ${remembered} (it holds the data in DATA_DIR)`);
  const failures: string[] = [];
  for (const name of order) {
    try {
      const db = await startEngine(name, opts);
      fs.mkdirSync(opts.dataDir, { recursive: true });
      fs.writeFileSync(markerFile(opts.dataDir), `${name}\n`);
      return db;
    } catch (err) {
      failures.push(`${name}: ${(err as Error).message}`);
      if (name !== order[order.length - 1])
        opts.progress(`${name} tidak tersedia, mencoba yang berikutnya / ${name} unavailable, trying the next…`);
    }
  }
  throw chainError(failures, opts.mode === 'auto' && remembered !== undefined ? remembered : undefined);
}

function chainError(failures: string[], remembered: EngineName | undefined): EmbeddedDatabaseError {
  return new EmbeddedDatabaseError(
    'Basis data lokal tidak bisa disiapkan / the embedded database could not be started.\n' +
      failures.map((f) => `  - ${f}`).join('\n') +
      (remembered
        ? `\nThe data in DATA_DIR was written by ${remembered}, so Cermin does not switch engines by itself (EMBEDDED_DB=<engine> to choose one).`
        : '') +
      '\nSet MONGODB_URI to a MongoDB server, e.g. MONGODB_URI=mongodb://127.0.0.1:27017/cermin npm start' +
      '\n(or install Java 17 and Maven, e.g. apt install openjdk-17-jdk-headless maven, for the embedded one).',
  );
}
