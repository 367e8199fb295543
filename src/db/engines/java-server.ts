/**
 * The default embedded database: mongo-java-server with its H2 (MVStore) backend, in a JVM beside
 * Cermin. Chosen by test/unit/db/ and `npm run bench -- db`: it keeps MongoDB's single-document
 * atomicity (concurrent updates of one document are all kept), commits every write before it
 * answers (tools/embedded-db/ adds that, and the index use Cermin's queries need), and needs
 * only Java 17 and Maven, whose packages every Linux has. The first start fetches the library
 * with Maven and compiles tools/embedded-db/src into toolsDir; later starts reuse them until
 * those sources change.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fromRoot } from '../../core/paths';
import {
  EmbeddedDatabaseError,
  freePort,
  hasCommand,
  runWithProgress,
  startServer,
  stopChild,
  type Progress,
} from './process';
import type { EmbeddedDatabase } from './types';

const SOURCE_DIR = fromRoot('tools/embedded-db');

function sourceFiles(): string[] {
  const dir = path.join(SOURCE_DIR, 'src', 'cermin', 'db');
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.java'))
    .sort()
    .map((f) => path.join(dir, f));
}

/** Changes whenever the library version or Cermin's classes change, so an update rebuilds. */
function sourceStamp(): string {
  const hash = createHash('sha256');
  for (const file of [path.join(SOURCE_DIR, 'pom.xml'), ...sourceFiles()])
    hash.update(path.basename(file)).update(fs.readFileSync(file));
  return hash.digest('hex');
}

function buildDir(toolsDir: string): string {
  return path.resolve(toolsDir, 'embedded-db');
}

function missingTools(): string[] {
  const missing: string[] = [];
  if (!hasCommand('java', ['-version'])) missing.push('java');
  if (!hasCommand('javac', ['-version'])) missing.push('javac');
  if (!hasCommand('mvn', ['-v'])) missing.push('mvn');
  return missing;
}

/** Fetches the library and compiles Cermin's classes into toolsDir, once per source change. */
export async function ensureJavaServer(toolsDir: string, progress: Progress): Promise<string> {
  const dir = buildDir(toolsDir);
  const stamp = sourceStamp();
  const stampFile = path.join(dir, 'stamp');
  if (fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp) return dir;
  const missing = missingTools();
  if (missing.length > 0) {
    throw new EmbeddedDatabaseError(
      `Java 17 and Maven are needed for the embedded database (missing: ${missing.join(', ')}; Debian/Ubuntu: apt install openjdk-17-jdk-headless maven)`,
    );
  }
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  progress(
    'Mengunduh pustaka basis data lokal dengan Maven (sekali saja) / fetching the embedded database with Maven (first start only)…',
  );
  await runWithProgress(
    'mvn',
    [
      '-q',
      '-B',
      '-f',
      path.join(SOURCE_DIR, 'pom.xml'),
      'dependency:copy-dependencies',
      `-DoutputDirectory=${path.join(dir, 'lib')}`,
    ],
    {},
    progress,
    'Maven',
  );
  progress('Mengompilasi / compiling…');
  await runWithProgress(
    'javac',
    [
      '--release',
      '17',
      '-nowarn',
      '-d',
      path.join(dir, 'classes'),
      '-cp',
      path.join(dir, 'lib', '*'),
      ...sourceFiles(),
    ],
    {},
    progress,
    'javac',
  );
  fs.writeFileSync(stampFile, stamp);
  progress(`Basis data lokal siap / embedded database ready: ${dir}`);
  return dir;
}

/** Starts the server on a free loopback port; its one data file lives under dataDir. */
export async function startJavaServer(buildPath: string, dataDir: string, dbName: string): Promise<EmbeddedDatabase> {
  const storage = path.resolve(dataDir, 'embedded-db');
  fs.mkdirSync(storage, { recursive: true });
  const port = await freePort();
  const classpath = [path.join(buildPath, 'classes'), path.join(buildPath, 'lib', '*')].join(path.delimiter);
  const server = await startServer(
    'The embedded database (Java)',
    'java',
    [
      // The library logs each connection at INFO; warnings and errors still reach the log.
      '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
      '-cp',
      classpath,
      'cermin.db.Main',
      '127.0.0.1',
      String(port),
      path.join(storage, 'cermin.mv'),
      // Opening rebuilds the non-unique indexes from the documents: about 23 s for 355,000 (bench db).
    ],
    { port, timeoutMs: 300_000, ready: /^ready \d+$/m },
  );
  return {
    kind: 'java',
    uri: `mongodb://127.0.0.1:${port}/${dbName}`,
    pid: server.child.pid,
    stop: () => stopChild(server.child),
  };
}
