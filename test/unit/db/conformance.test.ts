/**
 * The database conformance suite: what Cermin relies on, done against the server the tests use
 * (the embedded default, or TEST_MONGODB_URI), plus kill -9 durability of the embedded engine the
 * tests run on (started again on its own folder, since the shared one serves every test file).
 * `npm run bench -- db` prints the same checks for each candidate engine.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  concurrentCreation,
  concurrentIncrements,
  concurrentSets,
  conditionalClaim,
  indexedQueriesExact,
  indexedReads,
  readsStayLevel,
  restartableEngine,
  survivesKill,
  uniqueIndexRace,
  withDatabase,
  type CheckResult,
} from '../../../src/db/conformance';
import { embeddedVersions, type EngineName } from '../../../src/db/embedded';
import { fromRoot } from '../../../src/core/paths';
import { testDatabaseUri } from '../../support/stack';

jest.setTimeout(240_000);

const uri = testDatabaseUri('conformance');
afterAll(async () => withDatabase(uri, (db) => db.dropDatabase()));

/** A failed check says what was seen, not just false. */
function expectKept(result: CheckResult): void {
  expect({ check: result.name, seen: result.seen, ok: result.ok }).toEqual({
    check: result.name,
    seen: result.seen,
    ok: true,
  });
}

test('concurrent $set of different fields of one document: all 14 kept, five times', async () => {
  expectKept(await withDatabase(uri, (db) => concurrentSets(db, 5)));
});

test('$inc is exact under 50 concurrent increments', async () => {
  expectKept(await withDatabase(uri, concurrentIncrements));
});

test('a unique index holds under a race: one insert, the others refused as duplicates', async () => {
  expectKept(await withDatabase(uri, uniqueIndexRace));
});

test('a conditional findOneAndUpdate is atomic: one of 20 claims wins', async () => {
  expectKept(await withDatabase(uri, conditionalClaim));
});

test('new collections made by racing writes, index builds and reads: no operation fails', async () => {
  expectKept(await withDatabase(uri, concurrentCreation));
});

test('queries through compound indexes (a prefix, arrays, moved documents) give what a scan gives', async () => {
  expectKept(await withDatabase(uri, indexedQueriesExact));
});

test('indexed reads do not grow with the collection: p99 at 100,000 documents within 2× of 1,000', async () => {
  const scaling = await withDatabase(uri, (db) => indexedReads(db, [1_000, 100_000]));
  expectKept(readsStayLevel(scaling));
});

test('acknowledged writes survive kill -9 of the embedded database and a restart', async () => {
  // The engine the run's database is (global setup), else the one `npm start` picks.
  const engine = (process.env.CERMIN_TEST_DB_ENGINE || process.env.EMBEDDED_DB || 'java') as EngineName;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cermin-durability-'));
  try {
    const server = await restartableEngine(engine, {
      ...embeddedVersions(),
      dataDir,
      toolsDir: fromRoot('.tools'),
      mode: engine,
      dbName: 'durability',
      progress: () => undefined,
    });
    expectKept(await survivesKill(server));
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
