/**
 * `npm run bench -- grades [--grades 1000] [--instances 2] [--rate 0.3] [--roster-requests 200]`
 *
 * Two figures of a large class: (1) 1,000 finalized grades delivered to a platform that fails 30 %
 * of its requests (5xx answers and timeouts): the time until every one is delivered, the attempts
 * it took, and what the platform received (each grade exactly once: none duplicated, none lost);
 * (2) the coach's roster page for 1,000 members (target p99 < 200 ms).
 *
 * - Setup as bench/autosave.ts: the embedded database for the run (temp dir) or the server of MONGODB_URI
 *   (database cermin_grades_<rand>, dropped at the end); the demo LMS (sim/lms/platform.ts, with
 *   --participants members) in this process, registered with `node dist/src/cli/platform.js add`.
 * - Cermin runs as --instances child processes (`node dist/src/main.js`, NODE_ENV=development,
 *   DEMO=false) on one database, the same LTI_KEY and PUBLIC_URL (as behind a load balancer),
 *   each with its own grade worker (GRADES_WORKER=true): the deliveries are shared out by the
 *   database leases, which is what this run puts under load. The worker settings are tuned for a
 *   bench (short poll, timeouts, leases and backoff) and printed with the results.
 * - The coach places one 'bebas' activity (max score 100) through the real Deep Linking flow and
 *   opens it once (so the activity learns its line item URL, as the first launch does). Then this
 *   process finalizes a grade for every participant (u-p-001 … u-p-1000) through Cermin's own
 *   ReviewService.finalize (decision record, GradeOutbox.enqueue, review), connected to the same
 *   database; the workers find the scores by polling. Each participant's submitted work record is
 *   written first (as submitting leaves it), so the roster reads a real class's records.
 * - Faults, on from before the first grade until all are delivered (reproducible with --seed):
 *   setFailureRate('ags', rate, 500/503, half of the failures timeouts held 1.5 s, longer than the
 *   1 s request timeout); the same on 'token', with the access tokens revoked every --revoke-every
 *   seconds so new ones are asked for (each revocation costs each instance a 401); and --late
 *   queued `respondLateMs` faults spread over the run: stored, answered after the tool gave up
 *   (the tool must resend with the same timestamp and take the 409 as "already there").
 * - Delivered: the bench waits until the outbox is empty (one short read every 250 ms, so as not
 *   to load the database the workers need); the time is that of the last delivery record marked
 *   sent, from the first finalize, provided every record says sent and nothing is left queued.
 *   Attempts: cermin_grade_delivery_attempts_total of every instance (and, as a check, the
 *   delivery histories). Received: the platform's `received` log for the line item: distinct
 *   users, duplicates (a user received more than once), lost (a grade never received), and the
 *   stored score checked against the one finalized.
 * - Roster: a fresh coach launch; the first roster view fetches the 1,000 members through NRPS
 *   (Cermin pages it, 200 a page; reported on its own, with the platform's share), then
 *   --roster-warmup unmeasured views and --roster-requests measured ones of each: the first page
 *   (sorted by name) and a search + status filter + sort variant, interleaved, one at a time (a
 *   coach clicking), the first page just after a grade was sent (its change mark moved by this
 *   process, outside the timing: the view reads the deliveries again) and after every part changed
 *   (the whole course read again, as a first view). Then, to show where a view's time goes, the route's database reads timed
 *   one at a time from this process, and the CPU of every process during each phase.
 * - A run leaves the --fault-delay-ms / attempt timeout to settle before counting, so a held
 *   answer or an attempt still under way cannot change the counts after they are taken.
 *
 * Output: tables, and as the last line of stdout one JSON object. Exit 0 when every grade reached
 * the platform exactly once and every delivery says sent; 1 otherwise (the report still printed,
 * with the records of the deliveries that went wrong) or on a failure; 2 on bad usage.
 */
import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Request, Response, NextFunction } from 'express';
import mongoose from 'mongoose';
import { Activity, Work, type ActivityDoc } from '../src/coaching/models';
import { ReviewService } from '../src/coaching/review/service';
import { workId } from '../src/coaching/ids';
import { Roster } from '../src/coaching/review/roster';
import { createDemoPlatform, type DemoPlatform, type FaultStats } from '../sim/lms/platform';
import { Delivery, Lease, OutboxItem, type DeliveryDoc } from '../src/grades/models';
import { GradeOutbox } from '../src/grades/outbox';
import { courseScope, markChanged } from '../src/db/change-marks';
import { launchThroughDemo, ltikOf } from '../sim/browser';
import {
  BenchError,
  type BenchRun,
  ClientBrowser,
  cpuProfileArgs,
  describePage,
  nextClientIp,
  parseFlags,
  percentile,
  round,
  runBench,
  seededRandom,
  sleep,
  table,
  withDbName,
  type Child,
  type CommonOptions,
  cpuSeconds,
  placeActivityVia,
  pool,
} from './harness';

const USAGE = `Usage: npm run bench -- grades [--grades 1000] [--participants N] [--instances 2] [--rate 0.3]
       [--timeout-share 0.5] [--fault-delay-ms 1500] [--late 20] [--revoke-every 3] [--seed 1]
       [--concurrency 4] [--poll-ms 200] [--request-timeout-ms 1000] [--attempt-timeout-ms 3000]
       [--lease-seconds 10] [--backoff-base-ms 100] [--backoff-max-ms 2000] [--finalize-concurrency 8]
       [--deliver-timeout 300] [--roster-requests 200] [--roster-warmup 20] [--timeout SECONDS]
       [--node-env development|test] [--profile DIR]`;

const CLIENT_ID = 'bench-grades';
const DEPLOYMENT_ID = 'bench-deployment';
const COACH_ID = 'u-coach-1';
const TEMPLATE_ID = 'bebas';
const MAX_SCORE = 100;
const TARGET_ROSTER_P99_MS = 200;
const AGS_STATUSES = [500, 503];

interface Options extends CommonOptions {
  grades: number;
  participants: number;
  instances: number;
  rate: number;
  timeoutShare: number;
  faultDelayMs: number;
  late: number;
  revokeEverySeconds: number;
  seed: number;
  worker: {
    concurrency: number;
    pollMs: number;
    requestTimeoutMs: number;
    attemptTimeoutMs: number;
    leaseSeconds: number;
    backoffBaseMs: number;
    backoffMaxMs: number;
  };
  finalizeConcurrency: number;
  deliverTimeoutSeconds: number;
  rosterRequests: number;
  rosterWarmup: number;
}

function parseOptions(argv: string[]): Options {
  const { num, nodeEnv, profileDir } = parseFlags(argv, [
    'grades',
    'participants',
    'instances',
    'rate',
    'timeout-share',
    'fault-delay-ms',
    'late',
    'revoke-every',
    'seed',
    'concurrency',
    'poll-ms',
    'request-timeout-ms',
    'attempt-timeout-ms',
    'lease-seconds',
    'backoff-base-ms',
    'backoff-max-ms',
    'finalize-concurrency',
    'deliver-timeout',
    'roster-requests',
    'roster-warmup',
  ]);
  const grades = num('grades', 1000, 1);
  const participants = num('participants', grades, 1);
  if (participants < grades) throw new BenchError(`--participants: at least --grades (${grades})`);
  const rate = num('rate', 0.3, 0, false);
  const timeoutShare = num('timeout-share', 0.5, 0, false);
  if (rate > 1 || timeoutShare > 1) throw new BenchError('--rate and --timeout-share: between 0 and 1');
  const instances = num('instances', 2, 1);
  if (instances > 4) throw new BenchError('--instances: at most 4 on a bench machine');
  const deliverTimeoutSeconds = num('deliver-timeout', 300, 10);
  const rosterRequests = num('roster-requests', 200, 1);
  return {
    grades,
    participants,
    instances,
    rate,
    timeoutShare,
    faultDelayMs: num('fault-delay-ms', 1500, 0),
    late: num('late', 20, 0),
    revokeEverySeconds: num('revoke-every', 3, 0, false),
    seed: num('seed', 1, 0),
    worker: {
      concurrency: num('concurrency', 4, 1),
      pollMs: num('poll-ms', 200, 10),
      requestTimeoutMs: num('request-timeout-ms', 1000, 100),
      attemptTimeoutMs: num('attempt-timeout-ms', 3000, 100),
      leaseSeconds: num('lease-seconds', 10, 1),
      backoffBaseMs: num('backoff-base-ms', 100, 1),
      backoffMaxMs: num('backoff-max-ms', 2000, 1),
    },
    finalizeConcurrency: num('finalize-concurrency', 8, 1),
    deliverTimeoutSeconds,
    rosterRequests,
    rosterWarmup: num('roster-warmup', 20, 0),
    // Setup (the database, registration, instances, Deep Linking) plus the delivery and the roster.
    timeoutSeconds: num('timeout', 240 + deliverTimeoutSeconds + Math.ceil(rosterRequests * 2), 10),
    nodeEnv,
    profileDir,
  };
}

/** The score the coach gives participant i (0-based): spread over 55–100 so a mix-up shows. */
const scoreOf = (i: number): number => 55 + ((i * 7) % 46);

// ---------- the coach's steps ----------

/** The coach opens the activity's link: its ltik, course key and activity id (from the page it lands on). */
async function coachLaunch(
  demo: DemoPlatform,
  linkId: string,
): Promise<{ ltik: string; courseKey: string; activityId: string }> {
  const browser = new ClientBrowser(nextClientIp());
  const page = await launchThroughDemo(browser, demo.issuer, COACH_ID, { link: linkId });
  const m = /\/lti\/app\/courses\/([^/]+)\/activities\/([^/]+)\/manage$/.exec(new URL(page.url).pathname);
  if (page.status !== 200 || !m)
    throw new BenchError(`coach launch on link ${linkId}: not the activity's manage page: ${describePage(page)}`);
  return { ltik: ltikOf(page), courseKey: decodeURIComponent(m[1]), activityId: decodeURIComponent(m[2]) };
}

// ---------- counting at the platform and in Cermin ----------

/** What the score endpoint answered, counted where the platform's server is (this process). */
class ScoreCounter {
  readonly answers = new Map<string, number>();
  /** Closed before an answer was sent: a dropped request, or a held answer the tool gave up on. */
  noAnswer = 0;
  nrpsMs: number[] = [];

  middleware = (req: Request, res: Response, next: NextFunction): void => {
    const start = performance.now();
    if (req.method === 'POST' && /\/lineitems\/[^/]+\/scores$/.test(req.path)) {
      let finished = false;
      res.once('finish', () => {
        finished = true;
        this.answers.set(String(res.statusCode), (this.answers.get(String(res.statusCode)) ?? 0) + 1);
      });
      res.once('close', () => {
        if (!finished) this.noAnswer += 1;
      });
    } else if (req.method === 'GET' && /\/memberships$/.test(req.path)) {
      res.once('finish', () => {
        this.nrpsMs.push(performance.now() - start);
      });
    }
    next();
  };

  total(): number {
    return [...this.answers.values()].reduce((a, b) => a + b, 0) + this.noAnswer;
  }

  describe(): string {
    const parts = [...this.answers].sort(([a], [b]) => Number(a) - Number(b)).map(([s, n]) => `${s}: ${n}`);
    return `${parts.join(', ')}${this.noAnswer ? `, no answer: ${this.noAnswer}` : ''}`;
  }
}

/** cermin_grade_delivery_attempts_total of one instance, by outcome. */
async function attemptMetrics(url: string): Promise<Record<string, number>> {
  const text = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(10_000) }).then((r) => r.text());
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^cermin_grade_delivery_attempts_total\{outcome="([a-z]+)"\} (\d+(?:\.\d+)?)$/gm))
    out[m[1]] = Number(m[2]);
  return out;
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
const sumOf = (r: Record<string, number>): number => sum(Object.values(r));

/** CPU seconds used so far by each process that shares this machine's two cores in the run. */
interface CpuSnapshot {
  at: number;
  cermin: Array<number | undefined>;
  db?: number;
  bench: number;
}

function cpuSnapshot(cermins: Child[], dbPid: number | undefined): CpuSnapshot {
  const own = process.cpuUsage();
  return {
    at: performance.now(),
    cermin: cermins.map((c) => cpuSeconds(c.proc.pid)),
    db: cpuSeconds(dbPid),
    bench: (own.user + own.system) / 1e6,
  };
}

/** "Cermin 12.3 s (41 %) …" between two snapshots: CPU seconds and the share of one core over the wall time. */
function cpuLine(a: CpuSnapshot, b: CpuSnapshot): string {
  const wall = (b.at - a.at) / 1000;
  const cell = (x: number | undefined, y: number | undefined) =>
    x === undefined || y === undefined ? '–' : `${(y - x).toFixed(1)} s (${Math.round((100 * (y - x)) / wall)} %)`;
  const cermins = a.cermin.map((x, i) => `cermin-${i + 1} ${cell(x, b.cermin[i])}`).join(', ');
  return `CPU over ${wall.toFixed(1)} s wall (${os.cpus().length} CPUs; % of one core): ${cermins}, database ${cell(a.db, b.db)}, bench process (platform + driver) ${cell(a.bench, b.bench)}`;
}

function faultCell(s: FaultStats): string {
  const statuses = Object.entries(s.statuses)
    .map(([k, v]) => `${k}×${v}`)
    .join(' ');
  return `${statuses || 'no status'}; timeouts ${s.timeouts}; late ${s.late}`;
}

/** A delivery record as one readable line (for the ones that went wrong). */
function describeDelivery(d: DeliveryDoc | undefined, userId: string, queued: number[]): string {
  if (!d) return `${userId}: no delivery record; outbox seconds [${queued.join(', ')}]`;
  const hist = d.history
    .map((h) => `${new Date(h.at).toISOString().slice(11, 23)} ${h.outcome}${h.detail ? ` (${h.detail})` : ''}`)
    .join(' | ');
  return (
    `${userId}: sentSecond ${d.sentSecond ?? '–'}, attempts ${d.attempts}, inDoubt ${Boolean(d.inDoubt)}, attemptSecond ${d.attemptSecond ?? '–'}, ` +
    `attemptStartedAt ${d.attemptStartedAt ? new Date(d.attemptStartedAt).toISOString() : '–'}, nextAttemptAt ${d.nextAttemptAt ? new Date(d.nextAttemptAt).toISOString() : '–'}, ` +
    `lastError ${d.lastError ?? '–'}, failed ${d.failed ? `${d.failed.reason} (second ${d.failed.second})` : '–'}; outbox seconds [${queued.join(', ')}]; history: ${hist || '(empty)'}`
  );
}

// ---------- the run ----------

export function main(argv: string[]): Promise<number> {
  const scripts = {
    cermin: path.join(__dirname, '..', 'src', 'main.js'),
    cli: path.join(__dirname, '..', 'src', 'cli', 'platform.js'),
  };
  return runBench({
    bench: 'grades',
    usage: USAGE,
    argv,
    parse: parseOptions,
    scripts: Object.values(scripts),
    profileNote: (dir) => `CPU profiles: ${dir}/cermin-<n>`,
    body: (run, opts) => measure(run, opts, scripts),
  });
}

async function measure(run: BenchRun, opts: Options, scripts: { cermin: string; cli: string }): Promise<number> {
  const { guard, progress } = run;
  let stopping = false;
  const timers: NodeJS.Timeout[] = [];
  run.onFailure = async () => {
    stopping = true;
    for (const t of timers) clearInterval(t);
  };

  const rand = crypto.randomBytes(4).toString('hex');
  const tmpDir = run.tempDir('cermin-bench-grades-');
  const { serverUri, dbKind, embedded } = await run.database(tmpDir);
  const dbPid = embedded?.pid;
  const dbUri = withDbName(serverUri, `cermin_grades_${rand}`);
  run.dropAtEnd([dbUri]);
  progress(`database: ${dbKind}`);

  // The platform's server (this process), counting the score answers; then the instances' ports.
  const driver = await run.platformServer();
  const counter = new ScoreCounter();
  driver.app.use('/p', counter.middleware);
  const ports: number[] = [];
  for (let i = 0; i < opts.instances; i++) ports.push(await run.freePort());
  const urls = ports.map((p) => `http://127.0.0.1:${p}`);
  const publicUrl = urls[0];

  const demo = await createDemoPlatform({
    issuer: `${driver.base}/p`,
    clientId: CLIENT_ID,
    deploymentId: DEPLOYMENT_ID,
    participants: opts.participants,
    tool: {
      loginUrl: `${publicUrl}/lti/login`,
      launchUrl: `${publicUrl}/lti/launch`,
      jwksUrl: `${publicUrl}/lti/keys`,
    },
  });
  driver.app.use('/p', demo.router);

  // One environment for every instance (same key, same public URL): only the port differs.
  const w = opts.worker;
  const baseEnv = {
    ...run.cerminEnv({ nodeEnv: opts.nodeEnv, port: ports[0], url: publicUrl, dbUri, tmpDir }),
    GRADES_WORKER: 'true',
    GRADES_POLL_MS: String(w.pollMs),
    GRADES_REQUEST_TIMEOUT_MS: String(w.requestTimeoutMs),
    GRADES_ATTEMPT_TIMEOUT_MS: String(w.attemptTimeoutMs),
    GRADES_LEASE_SECONDS: String(w.leaseSeconds),
    GRADES_CONCURRENCY: String(w.concurrency),
    GRADES_BACKOFF_BASE_MS: String(w.backoffBaseMs),
    GRADES_BACKOFF_MAX_MS: String(w.backoffMaxMs),
  };
  await run.registerPlatform(scripts.cli, demo, CLIENT_ID, DEPLOYMENT_ID, baseEnv);
  const instances: Child[] = [];
  for (let i = 0; i < opts.instances; i++) {
    const profile = cpuProfileArgs(opts.profileDir && path.join(opts.profileDir, `cermin-${i + 1}`));
    instances.push(await run.startCermin(scripts.cermin, { ...baseEnv, PORT: String(ports[i]) }, urls[i], profile));
  }

  // This process on the same database: the finalizing and the counting go through Cermin's own models.
  await guard(mongoose.connect(dbUri, { serverSelectionTimeoutMS: 10_000 }));
  run.cleanup('disconnect from the database', () => mongoose.disconnect());

  // The activity, and the coach's first launch on it (which brings its line item URL).
  const linkId = await guard(
    placeActivityVia(demo, publicUrl, COACH_ID, TEMPLATE_ID, {
      title: 'Refleksi akhir (bench grades)',
      maxScore: String(MAX_SCORE),
      'prompt.refleksi': 'Apa yang paling Anda pelajari selama Latsar?',
    }),
  );
  const first = await guard(coachLaunch(demo, linkId));
  const activity = await Activity.findById(first.activityId).lean<ActivityDoc>();
  if (!activity) throw new BenchError(`activity ${first.activityId} not found in the database`);
  const lineItem = demo.gradebook.lineItems.find((li) => li.resourceLinkId === linkId);
  if (!lineItem) throw new BenchError(`the platform has no line item for link ${linkId}`);
  progress(
    `activity ${activity._id} placed (link ${linkId}, line item ${lineItem.id}; known to Cermin: ${activity.lineItem?.id === lineItem.id ? 'yes' : `no (${activity.lineItem?.id ?? 'none'})`})`,
  );

  const participants = demo.users.filter((u) => u.kind === 'participant').slice(0, opts.grades);
  const expected = new Map(participants.map((u, i) => [u.id, scoreOf(i)]));
  const coach = demo.userByKind('coach');
  const reviews = new ReviewService({ outbox: new GradeOutbox() });

  // Each participant's submitted work, as submitting leaves it (written directly: 1,000 launches
  // would only lengthen the run). The roster reads these too, so its figures are a real class's.
  const submittedAt = new Date();
  await guard(
    Work.insertMany(
      participants.map((u) => ({
        _id: workId(activity._id, u.id),
        courseKey: activity.courseKey,
        activityId: activity._id,
        userId: u.id,
        userName: u.name,
        status: 'submitted',
        submittedAt,
        incompleteAtSubmit: false,
        history: [{ at: submittedAt, action: 'submitted', by: u.id, complete: true }],
        entryStats: { refleksi: { words: 180, visibility: 'coach' } },
        updatedAt: submittedAt,
      })),
    ),
  );

  // Faults on, from before the first grade.
  const random = seededRandom(opts.seed);
  const rateSpec = {
    rate: opts.rate,
    statuses: AGS_STATUSES,
    timeoutShare: opts.timeoutShare,
    delayMs: opts.faultDelayMs,
    random,
  };
  demo.setFailureRate('ags', rateSpec);
  demo.setFailureRate('token', rateSpec);
  const tokensBefore = demo.tokenRequests;
  let revocations = 0;
  let lateInjected = 0;
  if (opts.revokeEverySeconds > 0)
    timers.push(
      setInterval(() => {
        demo.revokeAccessTokens();
        revocations++;
      }, opts.revokeEverySeconds * 1000),
    );
  if (opts.late > 0) {
    // Spread over the first part of the run: one queued late answer at a time.
    timers.push(
      setInterval(() => {
        if (lateInjected < opts.late) {
          demo.inject('ags', { respondLateMs: opts.faultDelayMs });
          lateInjected++;
        }
      }, 1000),
    );
  }

  // The coach finalizes every participant's grade (as the review form does, release now).
  progress(
    `finalizing ${participants.length} grades (concurrency ${opts.finalizeConcurrency}); faults on: ags and token ${Math.round(opts.rate * 100)} % (${AGS_STATUSES.join('/')}, ${Math.round(opts.timeoutShare * 100)} % of them timeouts of ${opts.faultDelayMs} ms)`,
  );
  const cpu0 = cpuSnapshot(instances, dbPid);
  const t0 = performance.now();
  const wall0 = Date.now();
  await guard(
    pool(participants, opts.finalizeConcurrency, async (u, i) => {
      if (stopping) throw new BenchError('stopped');
      const score = expected.get(u.id) as number;
      const result = await reviews.finalize(
        activity,
        { id: coach.id, name: coach.name },
        { id: u.id, name: u.name },
        {
          levels: {},
          computedScore: score,
          score,
          comment: `Refleksi ${i + 1}: jujur dan konkret.`,
          release: 'now',
          expectedRevision: 0,
        },
      );
      if (result.kind !== 'finalized') throw new BenchError(`finalizing ${u.id}: ${result.kind}`);
    }),
  );
  const finalizedS = (performance.now() - t0) / 1000;
  progress(`${participants.length} grades finalized in ${finalizedS.toFixed(1)} s; waiting for the delivery`);

  // Wait until the outbox is empty (or nothing moves for too long). Light on the database, which
  // the workers need: one short read every 250 ms, and the counts only for the progress line.
  const filter = { activityId: activity._id };
  let lastProgress = { at: performance.now(), sent: -1, left: -1 };
  const distinctReceived = () =>
    new Set(demo.gradebook.received.filter((s) => s.lineItemId === lineItem.id).map((s) => s.userId)).size;
  let counting = false;
  const ticker = setInterval(() => {
    if (counting) return;
    counting = true;
    Promise.all([
      OutboxItem.countDocuments(filter),
      Delivery.countDocuments({ ...filter, sentAt: mongoose.trusted({ $exists: true }) }),
      Delivery.countDocuments({ ...filter, failed: mongoose.trusted({ $exists: true }) }),
    ])
      .then(
        ([left, sent, failedCount]) => {
          if (sent !== lastProgress.sent || left !== lastProgress.left)
            lastProgress = { at: performance.now(), sent, left };
          progress(
            `  ${((performance.now() - t0) / 1000).toFixed(0)} s: outbox ${left}, sent ${sent}, failed ${failedCount}, received ${distinctReceived()}, score POSTs ${counter.total()} (${counter.describe()})`,
          );
        },
        (err: unknown) => progress(`  progress count failed: ${(err as Error).message}`),
      )
      .finally(() => {
        counting = false;
      });
  }, 5000);
  try {
    while (!stopping) {
      if (!(await guard(OutboxItem.exists(filter)))) break; // nothing left to send: what is not sent now never will be
      if (performance.now() - t0 > opts.deliverTimeoutSeconds * 1000) {
        progress(`delivery not finished after ${opts.deliverTimeoutSeconds} s (--deliver-timeout)`);
        break;
      }
      if (performance.now() - lastProgress.at > 60_000) {
        progress(`no delivery progress for 60 s: ${lastProgress.left} still queued, ${lastProgress.sent} sent`);
        break;
      }
      await sleep(250);
    }
  } finally {
    clearInterval(ticker);
    for (const t of timers) clearInterval(t);
  }
  const waitedS = (performance.now() - t0) / 1000;
  const cpu1 = cpuSnapshot(instances, dbPid);
  const faults = { ags: demo.faultStats('ags'), token: demo.faultStats('token') };
  demo.clearFaults();
  const tokenRequests = demo.tokenRequests - tokensBefore;

  // Let anything still under way (a held answer, an attempt ending) settle before counting.
  await sleep(Math.max(opts.faultDelayMs, w.attemptTimeoutMs) + 500);
  const perInstance = await guard(Promise.all(urls.map(attemptMetrics)));
  const attempts = perInstance.reduce((t, m) => t + sumOf(m), 0);
  const deliveries = await Delivery.find(filter).lean<DeliveryDoc[]>();
  const byUser = new Map(deliveries.map((d) => [d.userId, d]));
  const queued = await OutboxItem.find(filter, { userId: 1, second: 1 }).lean<
    Array<{ userId: string; second: number }>
  >();
  const queuedBy = new Map<string, number[]>();
  for (const q of queued) queuedBy.set(q.userId, [...(queuedBy.get(q.userId) ?? []), q.second]);
  const leasesLeft = await Lease.countDocuments({});
  const historyAttempts = deliveries.reduce((t, d) => t + d.history.length, 0);
  const historyTruncated = deliveries.some((d) => d.history.length >= 20);
  const alreadyThere = deliveries.filter((d) =>
    d.history.some((h) => h.outcome === 'sent' && h.detail === 'already-at-platform'),
  ).length;
  const attemptsPer = deliveries.map((d) => d.history.length).sort((a, b) => a - b);
  const retryReasons = new Map<string, number>();
  for (const d of deliveries) {
    for (const h of d.history)
      if (h.outcome !== 'sent')
        retryReasons.set(
          `${h.outcome}: ${h.detail ?? '–'}`,
          (retryReasons.get(`${h.outcome}: ${h.detail ?? '–'}`) ?? 0) + 1,
        );
  }
  // How long a delivery waited after a failed attempt before its next one ended (backoff + the next attempt itself).
  const retryGaps: number[] = [];
  for (const d of deliveries) {
    for (let i = 1; i < d.history.length; i++) {
      if (d.history[i - 1].outcome === 'retry')
        retryGaps.push(new Date(d.history[i].at).getTime() - new Date(d.history[i - 1].at).getTime());
    }
  }
  retryGaps.sort((a, b) => a - b);
  const slowest = deliveries.reduce<DeliveryDoc | undefined>(
    (a, d) => (!a || d.history.length > a.history.length ? d : a),
    undefined,
  );

  // What the platform received.
  const received = demo.gradebook.received.filter((s) => s.lineItemId === lineItem.id);
  const receivedCount = new Map<string, number>();
  for (const s of received) receivedCount.set(s.userId, (receivedCount.get(s.userId) ?? 0) + 1);
  const duplicates = [...receivedCount].filter(([, n]) => n > 1).map(([u]) => u);
  const lost = [...expected.keys()].filter((u) => !receivedCount.has(u));
  const unexpected = [...receivedCount.keys()].filter((u) => !expected.has(u));
  const wrongScore = [...expected]
    .filter(([u, score]) => {
      const stored = demo.gradebook.scores.find((s) => s.lineItemId === lineItem.id && s.userId === u);
      return stored && stored.scoreGiven !== score;
    })
    .map(([u]) => u);
  const notSent = [...expected.keys()].filter((u) => !byUser.get(u)?.sentAt || (queuedBy.get(u)?.length ?? 0) > 0);
  const failedDeliveries = deliveries.filter((d) => d.failed).map((d) => d.userId);
  const columns = demo.gradebook.lineItems.length;
  const receivedTimes = received.map((s) => Date.parse(s.receivedAt)).sort((a, b) => a - b);
  // Delivered: when the last delivery record was marked sent (the worker's clock; the outbox item goes right after).
  const lastSentAt = Math.max(...deliveries.map((d) => (d.sentAt ? new Date(d.sentAt).getTime() : 0)));
  const deliveredS =
    notSent.length === 0 && deliveries.length === participants.length ? (lastSentAt - wall0) / 1000 : undefined;
  const platformAllS =
    lost.length === 0 && receivedTimes.length ? (receivedTimes[receivedTimes.length - 1] - wall0) / 1000 : undefined;

  // ---------- the roster ----------
  progress('roster: a fresh coach launch; the first view fetches the members through NRPS');
  const coachView = await guard(coachLaunch(demo, linkId));
  const rosterUrl = (q: Record<string, string> = {}) =>
    `${publicUrl}/lti/app/courses/${encodeURIComponent(coachView.courseKey)}/roster?${new URLSearchParams({ ...q, ltik: coachView.ltik })}`;
  const variants = {
    first: { label: 'first page (sort: name)', url: rosterUrl() },
    search: {
      label: 'search "budi" + status sent + sort updated',
      url: rosterUrl({ q: 'budi', activity: activity._id, status: 'sent', sort: 'updated' }),
    },
    cold: { label: 'first page, just after a grade was sent', url: rosterUrl() },
    coldAll: { label: 'first page, everything changed (as a first view)', url: rosterUrl() },
  };
  const getRoster = async (url: string, what: string): Promise<{ ms: number; body: string }> => {
    const start = performance.now();
    const res = await fetch(url, {
      headers: { Accept: 'text/html', 'X-Forwarded-For': '10.200.0.1' },
      signal: AbortSignal.timeout(30_000),
    });
    const body = await res.text();
    const ms = performance.now() - start;
    if (res.status !== 200)
      throw new BenchError(`roster (${what}) answered ${res.status}: ${body.replace(/\s+/g, ' ').slice(0, 300)}`);
    return { ms, body };
  };
  const nrpsBefore = counter.nrpsMs.length;
  const firstView = await guard(getRoster(variants.first.url, 'first view'));
  const nrpsMs = counter.nrpsMs.slice(nrpsBefore);
  if (nrpsMs.length === 0)
    throw new BenchError('the first roster view did not ask the platform for its members (NRPS)');
  const members = /(\d+) (?:peserta|participants)\b/.exec(firstView.body)?.[1];
  const rows = (firstView.body.match(/<th scope="row">/g) ?? []).length;
  const sentCells = (firstView.body.match(/class="st-sent"/g) ?? []).length;
  progress(
    `first view: ${firstView.ms.toFixed(0)} ms (${nrpsMs.length} NRPS pages, answered in ${sum(nrpsMs).toFixed(0)} ms in all), ${members ?? '?'} members listed, ${rows} rows on the page, ${sentCells} "sent"`,
  );
  if (members !== String(opts.participants))
    throw new BenchError(`the roster lists ${members ?? 'no count of'} members, expected ${opts.participants}`);
  for (let i = 0; i < opts.rosterWarmup; i++) {
    await guard(getRoster(variants.first.url, 'warm-up'));
    await guard(getRoster(variants.search.url, 'warm-up'));
  }
  const times = { first: [] as number[], search: [] as number[], cold: [] as number[], coldAll: [] as number[] };
  const cpu2 = cpuSnapshot(instances, dbPid);
  let searchRows = 0;
  progress(`roster: ${opts.rosterRequests} views of each variant, interleaved, one at a time`);
  for (let i = 0; i < opts.rosterRequests && !stopping; i++) {
    times.first.push((await guard(getRoster(variants.first.url, variants.first.label))).ms);
    const s = await guard(getRoster(variants.search.url, variants.search.label));
    times.search.push(s.ms);
    if (i === 0) searchRows = (s.body.match(/<th scope="row">/g) ?? []).length;
    // As if a grade had just been sent (the most frequent change): the view reads the deliveries again.
    await guard(markChanged(courseScope(coachView.courseKey, 'grades')));
    times.cold.push((await guard(getRoster(variants.first.url, variants.cold.label))).ms);
    // As if every part had changed: the view reads the whole course, as the first view after a restart.
    await guard(
      Promise.all(
        (['roster', 'activities', 'work', 'reviews', 'grades'] as const).map((source) =>
          markChanged(courseScope(coachView.courseKey, source)),
        ),
      ),
    );
    times.coldAll.push((await guard(getRoster(variants.first.url, variants.coldAll.label))).ms);
  }
  const cpu3 = cpuSnapshot(instances, dbPid);

  // Where a view's time goes: the route's database reads, one at a time from this process.
  const outbox = new GradeOutbox();
  const reads: Array<[string, () => Promise<unknown>]> = [
    ['course roster (1 doc, all members)', () => Roster.findById(coachView.courseKey).lean()],
    ['reviews of the course (no drafts)', () => reviews.reviewsForCourse(coachView.courseKey)],
    ['grade deliveries (outbox + records)', () => outbox.viewsForCourse(coachView.courseKey)],
    [
      'works of the course',
      () => Work.find({ courseKey: coachView.courseKey }, { activityId: 1, userId: 1, status: 1 }).lean(),
    ],
    ['activities of the course', () => Activity.find({ courseKey: coachView.courseKey }).lean()],
  ];
  const readMs: Array<[string, number]> = [];
  for (const [what, read] of reads) {
    const xs: number[] = [];
    for (let i = 0; i < 20; i++) {
      const start = performance.now();
      await guard(read());
      xs.push(performance.now() - start);
    }
    readMs.push([
      what,
      percentile(
        xs.sort((a, b) => a - b),
        50,
      ),
    ]);
  }
  const peakRss = instances.map((c) => c.peakRssMiB());
  await run.stopChildren();

  // ---------- report ----------
  const stat = (xs: number[]) => {
    const sorted = xs.slice().sort((a, b) => a - b);
    return {
      n: sorted.length,
      p50: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      p99: percentile(sorted, 99),
      max: sorted[sorted.length - 1],
      mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
    };
  };
  const roster = {
    first: stat(times.first),
    search: stat(times.search),
    cold: stat(times.cold),
    coldAll: stat(times.coldAll),
  };
  const ms = (x: number) => x.toFixed(1);
  const ok =
    duplicates.length === 0 &&
    lost.length === 0 &&
    unexpected.length === 0 &&
    wrongScore.length === 0 &&
    notSent.length === 0 &&
    failedDeliveries.length === 0;
  const lines: string[] = [];
  lines.push('');
  lines.push(
    `Grade delivery: ${participants.length} finalized grades, ${opts.instances} Cermin instance(s) on one database, each with its own worker; the platform failing ${Math.round(opts.rate * 100)} % of requests`,
  );
  lines.push(
    `database: ${dbKind}; Cermin NODE_ENV=${opts.nodeEnv}; node ${process.version}; ${os.cpus().length} CPUs; demo LMS with ${opts.participants} participants in the bench process`,
  );
  lines.push(
    `worker: GRADES_POLL_MS=${w.pollMs} GRADES_REQUEST_TIMEOUT_MS=${w.requestTimeoutMs} GRADES_ATTEMPT_TIMEOUT_MS=${w.attemptTimeoutMs} GRADES_LEASE_SECONDS=${w.leaseSeconds} GRADES_CONCURRENCY=${w.concurrency} GRADES_BACKOFF_BASE_MS=${w.backoffBaseMs} GRADES_BACKOFF_MAX_MS=${w.backoffMaxMs}`,
  );
  lines.push(
    `faults (seed ${opts.seed}): setFailureRate on 'ags' and 'token' {rate ${opts.rate}, statuses [${AGS_STATUSES.join(', ')}], timeoutShare ${opts.timeoutShare}, delayMs ${opts.faultDelayMs}}; ${lateInjected} queued 'ags' respondLateMs ${opts.faultDelayMs}; access tokens revoked ${revocations} times (every ${opts.revokeEverySeconds} s)`,
  );
  lines.push('');
  lines.push(
    table(
      [
        'grades',
        'finalized s',
        'delivered s',
        'platform had all s',
        'attempts',
        'per grade',
        'received',
        'distinct',
        'duplicates',
        'lost',
        'wrong score',
        'not sent',
        'failed',
      ],
      [
        [
          participants.length,
          finalizedS.toFixed(1),
          deliveredS === undefined ? `NOT (${waitedS.toFixed(1)})` : deliveredS.toFixed(1),
          platformAllS === undefined ? '–' : platformAllS.toFixed(1),
          attempts,
          (attempts / participants.length).toFixed(2),
          received.length,
          receivedCount.size,
          duplicates.length,
          lost.length,
          wrongScore.length,
          notSent.length,
          failedDeliveries.length,
        ],
      ],
    ),
  );
  lines.push('');
  lines.push('per instance (cermin_grade_delivery_attempts_total by outcome):');
  lines.push(
    table(
      ['instance', 'sent', 'retry', 'failed', 'superseded', 'total', 'peak RSS MiB'],
      perInstance.map((m, i) => [
        `cermin-${i + 1} (${urls[i]})`,
        m.sent ?? 0,
        m.retry ?? 0,
        m.failed ?? 0,
        m.superseded ?? 0,
        sumOf(m),
        peakRss[i] === undefined ? '–' : (peakRss[i] as number).toFixed(0),
      ]),
    ),
  );
  lines.push('');
  lines.push(
    `score POSTs at the platform: ${counter.total()} (${counter.describe()}); "no answer" = dropped (timeouts) or answered after the tool gave up (late)`,
  );
  lines.push(
    `faults served: ags ${faultCell(faults.ags)}; token ${faultCell(faults.token)}; access tokens granted: ${tokenRequests}`,
  );
  lines.push(
    `delivery records: ${deliveries.length}; attempts in their histories: ${historyAttempts}${historyTruncated ? ' (some histories hit the 20 kept: a lower bound)' : ''}; attempts per grade p50 ${percentile(attemptsPer, 50)}, p99 ${percentile(attemptsPer, 99)}, max ${attemptsPer[attemptsPer.length - 1]}; resolved as "already at the platform" (409 after an unknown outcome): ${alreadyThere}`,
  );
  lines.push(
    `not-sent attempt outcomes (from the histories): ${
      [...retryReasons]
        .sort((a, b) => b[1] - a[1])
        .map(([r, n]) => `${r} ×${n}`)
        .join('; ') || 'none'
    }`,
  );
  if (retryGaps.length) {
    lines.push(
      `from a failed attempt to the end of the next one: p50 ${(percentile(retryGaps, 50) / 1000).toFixed(1)} s, p90 ${(percentile(retryGaps, 90) / 1000).toFixed(1)} s, p99 ${(percentile(retryGaps, 99) / 1000).toFixed(1)} s, max ${(retryGaps[retryGaps.length - 1] / 1000).toFixed(1)} s ` +
        `(backoff at most ${(w.backoffMaxMs / 1000).toFixed(1)} s, an attempt at most ${(w.attemptTimeoutMs / 1000).toFixed(1)} s; more is time spent waiting for the worker's next round)`,
    );
  }
  if (slowest)
    lines.push(
      `the delivery with the most attempts: ${describeDelivery(slowest, slowest.userId, queuedBy.get(slowest.userId) ?? [])}`,
    );
  lines.push(
    `line items at the platform: ${columns} (expected 1); lease records left: ${leasesLeft}; still queued: ${queued.length}`,
  );
  lines.push(`from the first finalize to the end of the delivery: ${cpuLine(cpu0, cpu1)}`);
  const wrong = [...new Set([...duplicates, ...lost, ...unexpected, ...wrongScore, ...notSent, ...failedDeliveries])];
  if (wrong.length) {
    lines.push('');
    lines.push(`deliveries that went wrong (${wrong.length}; first 15), with the platform's received log for each:`);
    for (const u of wrong.slice(0, 15)) {
      const got = received
        .filter((s) => s.userId === u)
        .map((s) => `${s.timestamp} score ${s.scoreGiven} at ${s.receivedAt}`)
        .join('; ');
      lines.push(
        `  ${describeDelivery(byUser.get(u), u, queuedBy.get(u) ?? [])}; received: ${got || 'nothing'}; expected score ${expected.get(u) ?? '–'}`,
      );
    }
  }
  lines.push(
    `exactly once: ${ok ? 'yes' : 'NO'} (${participants.length} finalized, ${receivedCount.size} received, ${duplicates.length} duplicated, ${lost.length} lost)`,
  );
  lines.push('');
  lines.push(
    `Roster page: ${opts.participants} members, 1 activity, page size from config; ${opts.rosterRequests} views of each variant after ${opts.rosterWarmup} warm-up, one at a time`,
  );
  lines.push(
    `first view (fetches the members through NRPS): ${ms(firstView.ms)} ms, including ${nrpsMs.length} NRPS page request(s) the platform answered in ${ms(sum(nrpsMs))} ms in all; first page: ${rows} rows, ${sentCells} "sent"; search variant: ${searchRows} rows`,
  );
  lines.push(
    table(
      ['variant', 'views', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'mean ms'],
      (['first', 'search', 'cold', 'coldAll'] as const).map((k) => [
        variants[k].label,
        roster[k].n,
        ms(roster[k].p50),
        ms(roster[k].p90),
        ms(roster[k].p99),
        ms(roster[k].max),
        ms(roster[k].mean),
      ]),
    ),
  );
  lines.push(`during the measured views: ${cpuLine(cpu2, cpu3)}`);
  lines.push(
    `the route's reads, one at a time from the bench process (p50 of 20; the route runs them at once): ${readMs.map(([what, x]) => `${what} ${ms(x)} ms`).join('; ')}`,
  );
  const rosterMet = roster.first.p99 < TARGET_ROSTER_P99_MS && roster.search.p99 < TARGET_ROSTER_P99_MS;
  lines.push(
    `target: roster p99 < ${TARGET_ROSTER_P99_MS} ms for ${opts.participants} members: ${rosterMet ? 'met' : 'NOT met'} (first page ${ms(roster.first.p99)} ms, search ${ms(roster.search.p99)} ms); ` +
      `just after a grade was sent: p99 ${ms(roster.cold.p99)} ms (${roster.cold.p99 < TARGET_ROSTER_P99_MS ? 'within' : 'over'} the target); ` +
      `everything read again: p99 ${ms(roster.coldAll.p99)} ms (${roster.coldAll.p99 < TARGET_ROSTER_P99_MS ? 'within' : 'over'})`,
  );
  lines.push('');
  const num = (x: number | undefined, digits: number) =>
    x === undefined || !Number.isFinite(x) ? null : round(x, digits);
  lines.push(
    JSON.stringify({
      bench: 'grades',
      grades: participants.length,
      delivered_s: num(deliveredS, 1),
      attempts,
      received: received.length,
      duplicates: duplicates.length,
      lost: lost.length,
      roster_p50_ms: num(roster.first.p50, 1),
      roster_p99_ms: num(roster.first.p99, 1),
      roster_fetch_ms: num(firstView.ms, 1),
      instances: opts.instances,
      finalized_s: num(finalizedS, 1),
      platform_had_all_s: num(platformAllS, 1),
      distinct_received: receivedCount.size,
      not_sent: notSent.length,
      failed: failedDeliveries.length,
      wrong_score: wrongScore.length,
      already_at_platform: alreadyThere,
      attempts_by_instance: perInstance.map(sumOf),
      score_posts: counter.total(),
      line_items: columns,
      roster_members: opts.participants,
      roster_search_p50_ms: num(roster.search.p50, 1),
      roster_search_p99_ms: num(roster.search.p99, 1),
      roster_after_grade_p50_ms: num(roster.cold.p50, 1),
      roster_after_grade_p99_ms: num(roster.cold.p99, 1),
      roster_all_read_p50_ms: num(roster.coldAll.p50, 1),
      roster_all_read_p99_ms: num(roster.coldAll.p99, 1),
      roster_nrps_pages: nrpsMs.length,
      roster_nrps_ms: num(sum(nrpsMs), 1),
      roster_target_met: rosterMet,
      retry_gap_p50_s: retryGaps.length ? round(percentile(retryGaps, 50) / 1000, 1) : null,
      retry_gap_max_s: retryGaps.length ? round(retryGaps[retryGaps.length - 1] / 1000, 1) : null,
      exactly_once: ok,
    }),
  );
  run.report = lines.join('\n');
  if (!ok) {
    console.error(
      `\nbench grades FAILED: not every grade reached the platform exactly once (${duplicates.length} duplicated, ${lost.length} lost, ${wrongScore.length} wrong score, ${notSent.length} not sent, ${failedDeliveries.length} failed); see the report`,
    );
    return 1;
  }
  return 0;
}
