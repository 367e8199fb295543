/**
 * `npm run bench -- db [--engines java,ferretdb] [--sizes 1000,10000,100000] [--samples 200]`
 *
 * The database under Cermin's own work, per candidate engine: first the conformance checks
 * (src/db/conformance.ts: what Cermin relies on, done), then the reads and writes of four
 * moments, through CoachingService on Cermin's models, as the collections grow to each size:
 * - journal view: a participant opens their journal (their work, entries and kept copies);
 * - autosave: one entry saved from its current revision (a version, the entry, maybe the work);
 * - finalize: a participant submits (journal read, guarded update of the work record);
 * - roster view: a coach's page of one course of 40 (every work and entry of the activity, and
 *   the course's works).
 * Sizes count the documents of the three coaching collections (entries, their versions, work
 * records): a BPSDM pilot of 5,000 participants × 14 entries with a few versions each is past
 * 100,000. The data is that shape: classes of 40, 14 entries each with 4 versions (71 documents
 * a participant).
 *
 * After the largest size an embedded engine is stopped and started again on its data, and the
 * journal view measured again (the Java engine rebuilds its non-unique indexes when it opens).
 *
 * Engines: the embedded ones this machine can start (`mongod`, `java`, `ferretdb`), each on a temp
 * folder; default: the one `npm start` picks. With MONGODB_URI set, that server alone (in a
 * database of the bench's own, dropped at the end). Each
 * engine's run is its own baseline: the figures compare sizes within one engine and one run.
 *
 * Prints the tables, then one JSON line: {"bench":"db","engines":[{engine, checks, sizes:[…]}]}.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import mongoose from 'mongoose';
import { CoachingService } from '../src/coaching/service';
import { Activity, Entry, EntryVersion, Work, type ActivityDoc } from '../src/coaching/models';
import { entryId, versionId, workId } from '../src/coaching/ids';
import { settingsFromTemplate, wordCount } from '../src/coaching/domain';
import { loadTemplates } from '../src/coaching/templates';
import {
  concurrentCreation,
  concurrentIncrements,
  concurrentSets,
  conditionalClaim,
  indexedQueriesExact,
  percentile,
  restartableEngine,
  survivesKill,
  uniqueIndexRace,
  withDatabase,
  type CheckResult,
} from '../src/db/conformance';
import { ensureDeclaredIndexes } from '../src/db/model';
import { embeddedVersions, startEmbeddedDatabase, startEngine, type EngineName } from '../src/db/embedded';
import { fromRoot } from '../src/core/paths';
import { BenchError, parseFlags, progressFor, round, table, withDbName, type Progress } from './harness';

const USAGE = 'Usage: npm run bench -- db [--engines java,ferretdb,mongod] [--sizes 1000,10000,100000] [--samples 200]';
const CLASS_SIZE = 40;
const VERSIONS_PER_ENTRY = 4;
/** Per participant: 14 entries, their versions, one work record. */
const DOCS_PER_PARTICIPANT = 14 * (1 + VERSIONS_PER_ENTRY) + 1;
const TEXT =
  'Saya menerapkan nilai Akuntabel dengan mencatat setiap layanan yang saya berikan kepada masyarakat, lalu meninjau kembali di akhir pekan. ';

interface Timing {
  p50: number;
  p99: number;
}
interface SizeFigures {
  size: number;
  participants: number;
  fillS: number;
  journal: Timing;
  autosave: Timing;
  finalize: Timing;
  roster: Timing;
}
/** After the largest size: the engine stopped and started again on its data (it rebuilds its in-memory indexes). */
interface RestartFigures {
  size: number;
  startS: number;
  firstJournalMs: number;
  journal: Timing;
}
interface EngineFigures {
  engine: string;
  checks: CheckResult[];
  sizes: SizeFigures[];
  restart?: RestartFigures;
  error?: string;
}

function list(raw: string | undefined, fallback: string[]): string[] {
  return (raw ?? fallback.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

async function timeEach<T>(items: T[], work: (item: T) => Promise<unknown>): Promise<Timing> {
  const times: number[] = [];
  for (const item of items) {
    const start = performance.now();
    await work(item);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { p50: round(percentile(times, 50), 2), p99: round(percentile(times, 99), 2) };
}

/** The pilot's shape up to `participants`: one activity per class of 40, every document written directly (fast), as the service would have. */
async function fill(
  template: ReturnType<typeof loadTemplates>[number],
  from: number,
  to: number,
  activities: ActivityDoc[],
): Promise<void> {
  const keys = template.sections.flatMap((section) => section.prompts.map((prompt) => prompt.id));
  for (let p = from; p < to; p += 1) {
    const cls = Math.floor(p / CLASS_SIZE);
    if (!activities[cls]) {
      const settings = settingsFromTemplate(template, 'id', new Date());
      const doc = await Activity.create({
        _id: `act-${cls}`,
        courseKey: `course-${cls}`,
        platform: { issuer: 'https://lms.example', clientId: 'c', deploymentId: 'd', courseId: String(cls) },
        resourceLinkIds: [`rl-${cls}`],
        templateId: template.id,
        templateVersion: template.version,
        kind: template.kind,
        locale: 'id',
        ...settings,
        createdBy: 'coach',
        createdAt: new Date(),
        updatedAt: new Date(),
        revision: 1,
      });
      activities[cls] = doc.toObject() as ActivityDoc;
    }
    const activity = activities[cls];
    const userId = `user-${p}`;
    const base = { courseKey: activity.courseKey, activityId: activity._id, userId };
    const at = new Date();
    const entries = keys.map((key) => ({
      _id: entryId(activity._id, userId, key),
      ...base,
      key,
      text: TEXT,
      words: wordCount(TEXT),
      revision: VERSIONS_PER_ENTRY,
      visibility: 'coach',
      conflictCount: 0,
      updatedAt: at,
    }));
    const versions = keys.flatMap((key) =>
      Array.from({ length: VERSIONS_PER_ENTRY }, (_, r) => ({
        _id: versionId(activity._id, userId, key, r + 1),
        ...base,
        key,
        revision: r + 1,
        text: TEXT,
        source: 'autosave',
        savedAt: at,
      })),
    );
    await Promise.all([
      Entry.collection.insertMany(entries as never[], { ordered: false }),
      EntryVersion.collection.insertMany(versions as never[], { ordered: false }),
      Work.collection.insertOne({
        _id: workId(activity._id, userId),
        ...base,
        userName: `Peserta ${p}`,
        status: 'draft',
        history: [],
        updatedAt: at,
      } as never),
    ]);
  }
}

/** The same sample spread over every class, the newest included: a scan would show at the end. */
function spread(count: number, participants: number, seed: number): number[] {
  return Array.from({ length: count }, (_, i) =>
    Math.floor((((i * 7919 + seed * 104729) % count) / count) * participants),
  );
}

async function measureEngine(
  engineLabel: string,
  uri: string,
  sizes: number[],
  samples: number,
  progress: Progress,
  restart?: () => Promise<string>,
): Promise<{ sizes: SizeFigures[]; restart?: RestartFigures }> {
  await mongoose.connect(uri, { serverSelectionTimeoutMS: 15000 });
  try {
    await ensureDeclaredIndexes();
    const template = loadTemplates().find((t) => t.id === 'berakhlak');
    if (!template) throw new BenchError('the berakhlak template is missing');
    const keys = template.sections.flatMap((section) => section.prompts.map((prompt) => prompt.id));
    const service = new CoachingService({ templates: [template] });
    const activities: ActivityDoc[] = [];
    const revisions = new Map<string, number>();
    const submitted = new Set<number>();
    const out: SizeFigures[] = [];
    let participants = 0;
    for (const size of sizes) {
      const want = Math.max(participants + 1, Math.ceil(size / DOCS_PER_PARTICIPANT));
      const fillStart = performance.now();
      await fill(template, participants, want, activities);
      const fillS = round((performance.now() - fillStart) / 1000, 1);
      participants = want;
      progress(
        `${engineLabel}: ${participants * DOCS_PER_PARTICIPANT} documents (${participants} participants) in ${fillS} s`,
      );
      const activityOf = (p: number) => activities[Math.floor(p / CLASS_SIZE)];
      // Unmeasured, once: the first reads pay for the JIT and the connection pool, not the size.
      if (out.length === 0)
        await timeEach(spread(20, participants, 5), (p) => service.journal(activityOf(p), `user-${p}`));
      const journal = await timeEach(spread(samples, participants, 1), (p) =>
        service.journal(activityOf(p), `user-${p}`),
      );
      // Saves and submissions by participants still writing (a submitted journal is locked).
      const writing = Array.from({ length: participants }, (_, p) => p).filter((p) => !submitted.has(p));
      const autosave = await timeEach(
        spread(samples, writing.length, 2).map((i) => writing[i]),
        async (p) => {
          const key = keys[p % keys.length];
          const id = `${p}/${key}`;
          const base = revisions.get(id) ?? VERSIONS_PER_ENTRY;
          const result = await service.saveEntry(activityOf(p), { id: `user-${p}` }, key, {
            text: `${TEXT}${base + 1}`,
            baseRevision: base,
            source: 'autosave',
          });
          if (result.kind !== 'saved') throw new BenchError(`autosave: ${result.kind}`);
          revisions.set(id, base + 1);
        },
      );
      // Each participant submits once: at most half of those still writing, spread over the classes.
      const finalizers = [
        ...new Set(spread(Math.min(samples, Math.floor(writing.length / 2)), writing.length, 3).map((i) => writing[i])),
      ];
      const finalize = await timeEach(finalizers, async (p) => {
        if ((await service.submit(activityOf(p), { id: `user-${p}` })) === 'already')
          throw new BenchError('finalize: already submitted');
        submitted.add(p);
      });
      const classes = activities.length;
      const roster = await timeEach(spread(Math.min(samples, 100), classes, 4), (c) =>
        Promise.all([service.submissions(activities[c]), service.worksInCourse(activities[c].courseKey)]),
      );
      out.push({ size: participants * DOCS_PER_PARTICIPANT, participants, fillS, journal, autosave, finalize, roster });
    }
    let restarted: RestartFigures | undefined;
    if (restart) {
      await mongoose.disconnect();
      const t0 = performance.now();
      const again = await restart();
      const startS = round((performance.now() - t0) / 1000, 1);
      await mongoose.connect(again, { serverSelectionTimeoutMS: 15000 });
      const first = await timeEach([0], (p) => service.journal(activities[0], `user-${p}`));
      const journal = await timeEach(spread(samples, participants, 6), (p) =>
        service.journal(activities[Math.floor(p / CLASS_SIZE)], `user-${p}`),
      );
      restarted = { size: participants * DOCS_PER_PARTICIPANT, startS, firstJournalMs: first.p50, journal };
      progress(`${engineLabel}: restarted on ${restarted.size} documents in ${startS} s`);
    }
    await mongoose.connection.dropDatabase();
    return { sizes: out, restart: restarted };
  } finally {
    await mongoose.disconnect();
  }
}

async function checksOn(uri: string, engine: EngineName | undefined, tmp: string): Promise<CheckResult[]> {
  const checks = await withDatabase(uri, async (db) => {
    const results = [
      await concurrentSets(db, 5),
      await concurrentIncrements(db),
      await uniqueIndexRace(db),
      await conditionalClaim(db),
      await concurrentCreation(db),
      await indexedQueriesExact(db),
    ];
    await db.dropDatabase();
    return results;
  });
  if (engine) {
    const dataDir = fs.mkdtempSync(path.join(tmp, `durability-${engine}-`));
    const server = await restartableEngine(engine, {
      ...embeddedVersions(),
      dataDir,
      toolsDir: fromRoot('.tools'),
      mode: engine,
      dbName: 'durability',
      progress: () => undefined,
    });
    checks.push(await survivesKill(server));
  }
  return checks;
}

export async function main(argv: string[]): Promise<number> {
  let flags;
  try {
    flags = parseFlags(argv, ['engines', 'sizes', 'samples']);
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const { num, text } = flags;
  const progress = progressFor('db');
  const samples = num('samples', 200, 5);
  const sizes = list(text('sizes'), ['1000', '10000', '100000']).map(Number);
  if (sizes.some((s) => !Number.isInteger(s) || s < 100) || sizes.some((s, i) => i > 0 && s <= sizes[i - 1])) {
    console.error(`--sizes: growing whole numbers of at least 100\n${USAGE}`);
    return 2;
  }
  const external = process.env.MONGODB_URI;
  const engines = external ? ['MONGODB_URI'] : list(text('engines'), ['auto']);
  if (!external && engines.some((e) => !['auto', 'mongod', 'java', 'ferretdb'].includes(e))) {
    console.error(`--engines: auto, mongod, java, ferretdb\n${USAGE}`);
    return 2;
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cermin-bench-db-'));
  const results: EngineFigures[] = [];
  try {
    for (const requested of engines) {
      let stop = async () => undefined as void;
      let restart: (() => Promise<string>) | undefined;
      let label = requested;
      try {
        let uri: string;
        let kind: EngineName | undefined;
        if (external) {
          // A database of the bench's own on that server, dropped at the end: never the one named.
          uri = withDbName(external, `cermin_bench_db_${process.pid}`);
        } else {
          const options = {
            ...embeddedVersions(),
            dataDir: fs.mkdtempSync(path.join(tmp, `${requested}-`)),
            toolsDir: fromRoot('.tools'),
            mode: requested as 'auto' | EngineName,
            dbName: 'bench_db',
            progress,
          };
          const started = await startEmbeddedDatabase(options);
          uri = started.uri;
          kind = started.kind;
          label = started.kind;
          stop = started.stop;
          restart = async () => {
            await stop();
            const again = await startEngine(started.kind, options);
            stop = again.stop;
            return again.uri;
          };
        }
        progress(`${label}: conformance checks`);
        const checks = await checksOn(uri, kind, tmp);
        const figures = await measureEngine(label, uri, sizes, samples, progress, restart);
        results.push({ engine: label, checks, ...figures });
      } catch (err) {
        progress(`${label}: ${(err as Error).message}`);
        results.push({ engine: label, checks: [], sizes: [], error: (err as Error).message.split('\n')[0] });
      } finally {
        await stop();
      }
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }

  const lines: string[] = [];
  lines.push(
    `Database: conformance and Cermin's work at ${sizes.join(' / ')} documents; ${samples} samples per figure, sequential; ${os.cpus().length} CPUs, node ${process.version}`,
  );
  for (const r of results) {
    lines.push('', `== ${r.engine}${r.error ? ` — could not run: ${r.error}` : ''}`);
    if (r.checks.length)
      lines.push(
        table(
          ['check', 'ok', 'seen'],
          r.checks.map((c) => [c.name, c.ok ? 'yes' : 'NO', c.seen]),
        ),
      );
    if (r.sizes.length) {
      const cell = (t: Timing) => `${t.p50.toFixed(1)} / ${t.p99.toFixed(1)}`;
      lines.push(
        '',
        table(
          [
            'documents',
            'participants',
            'fill s',
            'journal p50/p99 ms',
            'autosave p50/p99 ms',
            'finalize p50/p99 ms',
            'roster (40) p50/p99 ms',
          ],
          r.sizes.map((s) => [
            String(s.size),
            String(s.participants),
            s.fillS.toFixed(1),
            cell(s.journal),
            cell(s.autosave),
            cell(s.finalize),
            cell(s.roster),
          ]),
        ),
      );
      const last = r.sizes[r.sizes.length - 1];
      if (r.restart)
        lines.push(
          `restarted on ${r.restart.size} documents: ready in ${r.restart.startS.toFixed(1)} s, first journal view ${r.restart.firstJournalMs.toFixed(1)} ms, then p50/p99 ${cell(r.restart.journal)} ms`,
        );
      lines.push(
        `journal view p99 at ${last.size} documents: ${last.journal.p99.toFixed(1)} ms (target < 100 ms): ${last.journal.p99 < 100 ? 'met' : 'NOT met'}`,
      );
    }
  }
  console.log(lines.join('\n'));
  console.log(
    JSON.stringify({
      bench: 'db',
      sizes,
      samples,
      engines: results.map((r) => ({
        engine: r.engine,
        error: r.error ?? null,
        checks_passed: r.checks.filter((c) => c.ok).length,
        checks: r.checks.map((c) => ({ name: c.name, ok: c.ok, seen: c.seen })),
        sizes: r.sizes,
        restart: r.restart ?? null,
      })),
    }),
  );
  return results.some((r) => r.error) ? 1 : 0;
}
