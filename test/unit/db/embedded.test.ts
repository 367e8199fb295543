/**
 * The embedded chain keeps data with the engine that first held it: `auto` never moves a data
 * folder to another engine because the network came (mongod) or went.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { embeddedVersions, engineInUse, startEmbeddedDatabase } from '../../../src/db/embedded';
import { fromRoot } from '../../../src/core/paths';

const dirs: string[] = [];
function dataDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cermin-chain-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

test('the engine holding a data folder is read from its marker, or from the folder an older Cermin left', () => {
  const fresh = dataDir();
  expect(engineInUse(fresh)).toBeUndefined();
  const marked = dataDir();
  fs.writeFileSync(path.join(marked, 'embedded-engine'), 'java\n');
  expect(engineInUse(marked)).toBe('java');
  const older = dataDir();
  fs.mkdirSync(path.join(older, 'ferretdb'));
  expect(engineInUse(older)).toBe('ferretdb');
  const garbage = dataDir();
  fs.writeFileSync(path.join(garbage, 'embedded-engine'), 'sqlite\n');
  expect(engineInUse(garbage)).toBeUndefined();
});

test('auto starts the engine that holds the data, without trying the others first', async () => {
  const dir = dataDir();
  fs.writeFileSync(path.join(dir, 'embedded-engine'), 'java\n');
  const said: string[] = [];
  const db = await startEmbeddedDatabase({
    ...embeddedVersions(),
    dataDir: dir,
    toolsDir: fromRoot('.tools'),
    mode: 'auto',
    dbName: 'chain',
    progress: (m) => said.push(m),
  });
  try {
    expect(db.kind).toBe('java');
    expect(said.join('\n')).not.toContain('mongod');
    expect(fs.existsSync(path.join(dir, 'embedded-db', 'cermin.mv'))).toBe(true);
  } finally {
    await db.stop();
  }
}, 120_000);

test('a mongod that could not be had leaves no folder behind that would later claim the data', async () => {
  const dir = dataDir();
  const said: string[] = [];
  // An unreachable download (no such version) fails as an offline machine does.
  const attempt = startEmbeddedDatabase({
    ...embeddedVersions(),
    mongodVersion: '0.0.1',
    dataDir: dir,
    toolsDir: dataDir(),
    mode: 'mongod',
    dbName: 'chain',
    progress: (m) => said.push(m),
  });
  await expect(attempt).rejects.toThrow(/mongod/);
  expect(fs.existsSync(path.join(dir, 'mongod'))).toBe(false);
  expect(engineInUse(dir)).toBeUndefined();
}, 60_000);
