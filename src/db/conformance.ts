/**
 * What Cermin needs of a MongoDB-wire server, checked by doing it: the guarantees MongoDB gives
 * and the code relies on (single-document atomicity, exact `$inc`, unique indexes under a race,
 * conditional updates that only one writer wins, acknowledged writes that survive a crash,
 * indexed reads that do not grow with the collection). test/unit/db/ asserts them on the server the
 * tests use; `npm run bench -- db` prints them for each candidate engine.
 */
import { performance } from 'node:perf_hooks';
import mongoose from 'mongoose';
import { startEngine, type EmbeddedOptions, type EngineName } from './embedded';

type Db = NonNullable<mongoose.Connection['db']>;

export interface CheckResult {
  name: string;
  ok: boolean;
  /** What was seen, in a few words a table can hold. */
  seen: string;
}

/** The server behind a URI, a fresh collection per check (dropped with the database at the end). */
export async function withDatabase<T>(uri: string, work: (db: Db) => Promise<T>): Promise<T> {
  const conn = mongoose.createConnection(uri, { serverSelectionTimeoutMS: 10000, maxPoolSize: 64 });
  try {
    await conn.asPromise();
    const db = conn.db;
    if (!db) throw new Error('no database handle');
    return await work(db);
  } finally {
    await conn.close().catch(() => undefined);
  }
}

let collections = 0;
function freshName(what: string): string {
  collections += 1;
  return `conformance_${what}_${process.pid}_${collections}`;
}

/** 14 concurrent `$set`s of different fields of one document, `trials` times: how many are kept. */
export async function concurrentSets(db: Db, trials = 5): Promise<CheckResult> {
  const fields = 14;
  const kept: number[] = [];
  const coll = db.collection<{ _id: string } & Record<string, unknown>>(freshName('set'));
  for (let t = 0; t < trials; t += 1) {
    const _id = `doc-${t}`;
    await coll.insertOne({ _id, entries: {} });
    await Promise.all(
      Array.from({ length: fields }, (_, i) => coll.updateOne({ _id }, { $set: { [`entries.e${i}`]: `text ${i}` } })),
    );
    const doc = await coll.findOne({ _id });
    kept.push(Object.keys((doc?.entries as Record<string, unknown> | undefined) ?? {}).length);
  }
  return {
    name: `14 concurrent $set on one document kept (${trials} trials)`,
    ok: kept.every((k) => k === fields),
    seen: kept.join(', '),
  };
}

/** 50 concurrent `$inc` of one counter. */
export async function concurrentIncrements(db: Db): Promise<CheckResult> {
  const n = 50;
  const coll = db.collection<{ _id: string; n: number }>(freshName('inc'));
  await coll.insertOne({ _id: 'counter', n: 0 });
  await Promise.all(Array.from({ length: n }, () => coll.updateOne({ _id: 'counter' }, { $inc: { n: 1 } })));
  const value = (await coll.findOne({ _id: 'counter' }))?.n;
  return { name: `${n} concurrent $inc`, ok: value === n, seen: `${value} of ${n}` };
}

/** 20 concurrent inserts of one value under a unique index: one succeeds, the rest are refused as duplicates. */
export async function uniqueIndexRace(db: Db): Promise<CheckResult> {
  const n = 20;
  const coll = db.collection<{ _id: string; key: string }>(freshName('unique'));
  await coll.createIndex({ key: 1 }, { unique: true });
  const outcomes = await Promise.allSettled(
    Array.from({ length: n }, (_, i) => coll.insertOne({ _id: `i${i}`, key: 'same' })),
  );
  const inserted = outcomes.filter((o) => o.status === 'fulfilled').length;
  const duplicates = outcomes.filter(
    (o) => o.status === 'rejected' && (o.reason as { code?: number }).code === 11000,
  ).length;
  const stored = await coll.countDocuments({ key: 'same' });
  return {
    name: `unique index under ${n} racing inserts`,
    ok: inserted === 1 && duplicates === n - 1 && stored === 1,
    seen: `${inserted} inserted, ${duplicates} refused E11000, ${stored} stored`,
  };
}

/** 20 concurrent claims of one free document by a conditional findOneAndUpdate: exactly one wins. */
export async function conditionalClaim(db: Db): Promise<CheckResult> {
  const n = 20;
  const coll = db.collection<{ _id: string; state: string; by?: number }>(freshName('claim'));
  await coll.insertOne({ _id: 'job', state: 'free' });
  const results = await Promise.all(
    Array.from({ length: n }, (_, by) =>
      coll.findOneAndUpdate(
        { _id: 'job', state: 'free' },
        { $set: { state: 'taken', by } },
        { returnDocument: 'after', includeResultMetadata: false },
      ),
    ),
  );
  const winners = results.filter((r) => r !== null).map((r) => r?.by);
  const final = await coll.findOne({ _id: 'job' });
  return {
    name: `conditional findOneAndUpdate, ${n} racing claims`,
    ok: winners.length === 1 && final?.by === winners[0],
    seen: `${winners.length} won, stored by ${final?.by}`,
  };
}

/**
 * Collections come into being by racing writers, index builds and reads (Cermin's start: every
 * model's indexes while the first requests arrive): none of those operations may fail.
 */
export async function concurrentCreation(db: Db, rounds = 40): Promise<CheckResult> {
  const errors = new Map<string, number>();
  let operations = 0;
  for (let round = 0; round < rounds; round += 1) {
    const names = Array.from({ length: 6 }, (_, k) => freshName(`create${k}`));
    const ops = names.flatMap((name) => {
      const coll = db.collection<{ a: number; b: number }>(name);
      return [
        coll.createIndex({ a: 1, b: 1 }),
        coll.createIndex({ b: 1 }),
        coll.insertOne({ a: 1, b: 2 }),
        coll.updateOne({ a: 2 }, { $set: { b: 3 } }, { upsert: true }),
        coll.find({ a: 1 }).toArray(),
        coll.countDocuments({}),
      ];
    });
    operations += ops.length;
    for (const outcome of await Promise.allSettled(ops)) {
      if (outcome.status === 'rejected') {
        const message = String((outcome.reason as Error).message).slice(0, 80);
        errors.set(message, (errors.get(message) ?? 0) + 1);
      }
    }
  }
  const failed = [...errors.values()].reduce((a, b) => a + b, 0);
  return {
    name: `${operations} racing creates, index builds, writes and reads of new collections`,
    ok: failed === 0,
    seen: failed === 0 ? 'none failed' : `${failed} failed: ${[...errors].map(([m, n]) => `${n}× ${m}`).join('; ')}`,
  };
}

/**
 * Queries answered through compound indexes give what a scan gives: on a prefix of an index, when
 * another index covers more of the query, with empty and filled arrays in an indexed field, and
 * after updates and deletes move documents between keys.
 */
export async function indexedQueriesExact(db: Db): Promise<CheckResult> {
  interface Doc {
    _id: string;
    course: string;
    links: string[];
    selection?: string;
    status: string;
  }
  const coll = db.collection<Doc>(freshName('prefix'));
  await coll.createIndex({ course: 1, links: 1 });
  await coll.createIndex({ course: 1, selection: 1 });
  await coll.createIndex({ course: 1, status: 1, selection: 1 });
  const docs: Doc[] = Array.from({ length: 60 }, (_, i) => ({
    _id: `d${i}`,
    course: `c${i % 3}`,
    links: i % 4 === 0 ? [] : [`l${i % 5}`, `l${(i + 1) % 5}`],
    ...(i % 2 ? { selection: `s${i % 6}` } : {}),
    status: i % 7 === 0 ? 'submitted' : 'draft',
  }));
  await coll.insertMany(docs);
  await coll.updateMany({ _id: { $in: ['d3', 'd6', 'd9'] } }, { $set: { course: 'c1', links: [] } });
  await coll.deleteMany({ _id: { $in: ['d12', 'd15'] } });
  const stored = await coll.find({}).toArray();
  const queries: Array<Record<string, unknown>> = [
    { course: 'c1' },
    { course: 'c0', selection: 's3' },
    { course: 'c2', links: 'l1' },
    { course: 'c1', status: 'submitted' },
    { course: { $in: ['c0', 'c2'] }, status: 'draft' },
    { course: 'c1', links: [] },
    { course: 'c0', selection: null },
  ];
  const matches = (d: Doc, q: Record<string, unknown>) =>
    Object.entries(q).every(([k, v]) => {
      const value = (d as unknown as Record<string, unknown>)[k];
      if (v && typeof v === 'object' && '$in' in v) return (v.$in as unknown[]).includes(value);
      if (Array.isArray(v)) return Array.isArray(value) && value.length === v.length;
      if (v === null) return value === undefined;
      return Array.isArray(value) ? value.includes(v) : value === v;
    });
  const wrong: string[] = [];
  for (const q of queries) {
    const got = (await coll.find(q as never).toArray()).map((d) => d._id).sort();
    const want = stored
      .filter((d) => matches(d, q))
      .map((d) => d._id)
      .sort();
    if (got.join() !== want.join()) wrong.push(`${JSON.stringify(q)}: ${got.length} of ${want.length}`);
  }
  return {
    name: `${queries.length} queries through compound indexes give what a scan gives`,
    ok: wrong.length === 0,
    seen: wrong.length ? wrong.join('; ') : 'all exact',
  };
}

export interface RestartableServer {
  uri: string;
  /** kill -9 of the server process. */
  kill(): void;
  /** The server again on the same data. */
  restart(): Promise<RestartableServer>;
  stop(): Promise<void>;
}

/** An embedded engine of its own on a data folder, to be killed and started again. */
export async function restartableEngine(name: EngineName, opts: EmbeddedOptions): Promise<RestartableServer> {
  const db = await startEngine(name, opts);
  return {
    uri: db.uri,
    kill: () => {
      if (!db.pid) throw new Error(`${name}: no process id to kill`);
      process.kill(db.pid, 'SIGKILL');
    },
    restart: () => restartableEngine(name, opts),
    stop: () => db.stop(),
  };
}

/**
 * Acknowledged inserts and updates, then kill -9 of the server and a restart: every one is there,
 * and a query through a non-unique index finds them (an engine that rebuilds such indexes when it
 * opens its data must do so).
 */
export async function survivesKill(server: RestartableServer): Promise<CheckResult> {
  const n = 200;
  const name = freshName('durable');
  await withDatabase(server.uri, async (db) => {
    const coll = db.collection<{ _id: string; v: number; group: string }>(name);
    await coll.createIndex({ group: 1, v: 1 });
    await Promise.all(Array.from({ length: n }, (_, i) => coll.insertOne({ _id: `d${i}`, v: 0, group: `g${i % 4}` })));
    await Promise.all(Array.from({ length: n }, (_, i) => coll.updateOne({ _id: `d${i}` }, { $set: { v: i + 1 } })));
  });
  server.kill();
  const again = await server.restart();
  try {
    const { docs, updated, inGroup } = await withDatabase(again.uri, async (db) => {
      const coll = db.collection<{ _id: string; v: number; group: string }>(name);
      const all = await coll.find({}).toArray();
      return {
        docs: all.length,
        updated: all.filter((d) => d.v === Number(d._id.slice(1)) + 1).length,
        inGroup: await coll.countDocuments({ group: 'g1' }),
      };
    });
    return {
      name: `${n} acknowledged inserts + updates survive kill -9 and a restart`,
      ok: docs === n && updated === n && inGroup === n / 4,
      seen: `${docs} docs, ${updated} updates of ${n}, ${inGroup} of ${n / 4} through an index`,
    };
  } finally {
    await again.stop();
  }
}

/** A document as a journal entry is: a course, a person, about 0.6 kB of text. */
function entryDoc(i: number, courses: number): Record<string, unknown> {
  return {
    _id: `e${String(i).padStart(7, '0')}`,
    courseKey: `course-${i % courses}`,
    userId: `user-${Math.floor(i / courses)}`,
    entry: `e${i % 14}`,
    text: 'Refleksi nilai BerAKHLAK dalam pelayanan publik. '.repeat(11),
    updatedAt: new Date(1_700_000_000_000 + i),
  };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export interface ReadScaling {
  size: number;
  byId: { p50: number; p99: number };
  byIndex: { p50: number; p99: number };
}

async function filled(db: Db, size: number, courses: number): Promise<ReturnType<Db['collection']>> {
  const coll = db.collection(freshName('reads'));
  await coll.createIndex({ courseKey: 1, userId: 1 });
  for (let done = 0; done < size; done += 1000) {
    await coll.insertMany(
      Array.from({ length: Math.min(1000, size - done) }, (_, j) => entryDoc(done + j, courses)) as never[],
      { ordered: false },
    );
  }
  return coll;
}

/**
 * Indexed reads at each size: `findOne({_id})` and `find({courseKey, userId})` (an index of those
 * two), one collection per size, the queries taking turns across the collections (A B A B) so that
 * a busy machine slows every size alike and only the size tells them apart.
 */
export async function indexedReads(db: Db, sizes: number[], samples = 500): Promise<ReadScaling[]> {
  const courses = 50;
  const colls = [];
  for (const size of sizes) colls.push(await filled(db, size, courses));
  const times = sizes.map(() => ({ byId: [] as number[], byIndex: [] as number[] }));
  for (let i = 0; i < samples; i += 1) {
    for (let s = 0; s < sizes.length; s += 1) {
      // Spread over the whole collection, the latest included: a scan would show at its end.
      const d = entryDoc(Math.floor((((i * 7919) % samples) / samples) * sizes[s]), courses);
      let start = performance.now();
      await colls[s].findOne({ _id: d._id as never });
      times[s].byId.push(performance.now() - start);
      start = performance.now();
      await colls[s].find({ courseKey: d.courseKey, userId: d.userId }).toArray();
      times[s].byIndex.push(performance.now() - start);
    }
  }
  for (const coll of colls) await coll.drop().catch(() => undefined);
  const summary = (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
  };
  return sizes.map((size, s) => ({ size, byId: summary(times[s].byId), byIndex: summary(times[s].byIndex) }));
}

/** Readings within noise of each other count as level: 2× the small one, or a few ms on a busy machine. */
const NOISE_FLOOR_MS = 3;

export function readsStayLevel(scaling: ReadScaling[]): CheckResult {
  const first = scaling[0];
  const last = scaling[scaling.length - 1];
  const level = (a: number, b: number) => b <= Math.max(2 * a, NOISE_FLOOR_MS);
  const ms = (x: number) => x.toFixed(1);
  return {
    name: `indexed read p99 at ${last.size} within 2× of ${first.size}`,
    ok: level(first.byId.p99, last.byId.p99) && level(first.byIndex.p99, last.byIndex.p99),
    seen: `_id ${ms(first.byId.p99)} → ${ms(last.byId.p99)} ms; {courseKey,userId} ${ms(first.byIndex.p99)} → ${ms(last.byIndex.p99)} ms`,
  };
}
