/**
 * The outbox under faults, with real app instances: each worker is `node dist/src/main.js` in its
 * own process, sharing the test's database and key, delivering to the demo LMS of this process.
 * - An instance killed (SIGKILL) after the platform stored a score but before it heard back: the
 *   next instance resends the same timestamp, the platform answers 409, and the score counts once.
 * - An instance killed before the platform stored it: the next one delivers it, once.
 * - Two instances at once while the platform fails 30 % of requests: every grade arrives exactly once.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { finalizeReview, placeOneActivity, writeAndSubmit, type PlacedActivity } from '../support/coaching';
import { startStack, type Stack } from '../support/stack';
import { until } from '../support/chromium';
import { freePort } from '../../src/db/embedded';
import { Delivery, OutboxItem, type DeliveryDoc } from '../../src/grades/models';
import { projectRoot } from '../../src/core/paths';

const root = projectRoot;
const main = path.join(root, 'dist', 'src', 'main.js');

let stack: Stack;
let placed: PlacedActivity;
let linkId: string;
let activityId: string;
let lineItemId: string;
const running: ChildProcessWithoutNullStreams[] = [];

const TEXT = 'Saya belajar menyusun daftar periksa sebelum mengirim surat, dan meminta rekan memeriksanya.';

beforeAll(async () => {
  // This instance serves pages and the demo LMS, and delivers nothing: its workers are the children.
  stack = await startStack({ GRADES_WORKER: 'false' });
  placed = await placeOneActivity(stack, 'Refleksi minggu 2', 100);
  ({ linkId, activityId, lineItemId } = placed);
}, 60_000);

afterAll(async () => {
  for (const child of running) if (alive(child)) child.kill('SIGKILL');
  await stack.close();
});

/** Another Cermin instance on the same database and key, running only as a grade worker here. */
async function startInstance(env: Record<string, string> = {}): Promise<ChildProcessWithoutNullStreams> {
  const port = await freePort();
  const child = spawn(process.execPath, [main], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NODE_ENV: 'test',
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      MONGODB_URI: stack.config.database.uri as string,
      LTI_KEY: stack.config.lti.key,
      // Every instance of one deployment shares the lease length: slots of different lengths do not exclude each other.
      DEMO: 'false',
      LOG_LEVEL: 'warn',
      GRADES_WORKER: 'true',
      OUTBOUND_ALLOW: stack.config.outbound.allow.join(','),
      GRADES_POLL_MS: '100',
      GRADES_LEASE_SECONDS: '6',
      GRADES_REQUEST_TIMEOUT_MS: '2500',
      GRADES_ATTEMPT_TIMEOUT_MS: '3000',
      GRADES_BACKOFF_BASE_MS: '100',
      GRADES_BACKOFF_MAX_MS: '800',
      ...env,
    },
  });
  let err = '';
  child.stderr.on('data', (c: Buffer) => {
    err += c.toString();
  });
  running.push(child);
  await until(
    async () => {
      if (child.exitCode !== null) throw new Error(`instance exited ${child.exitCode}: ${err}`);
      return (
        (await fetch(`http://127.0.0.1:${port}/readyz`).then(
          (r) => r.status,
          () => 0,
        )) === 200 || null
      );
    },
    'the instance to be ready',
    30_000,
  );
  return child;
}

const alive = (child: ChildProcessWithoutNullStreams) => child.exitCode === null && child.signalCode === null;

async function kill(child: ChildProcessWithoutNullStreams): Promise<void> {
  if (!alive(child)) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

const grades = (userId: string) =>
  stack.demo.gradebook.received.filter(
    (s) => s.lineItemId === lineItemId && s.userId === userId && s.gradingProgress === 'FullyGraded',
  );

/** The coach finalizes with the given level on every criterion (the score differs per participant). */
async function finalize(userId: string, level: number): Promise<void> {
  const done = await finalizeReview(stack, placed, userId, () => level, { comment: 'Baik.' });
  if (done.status !== 200) throw new Error(`finalize ${userId}: ${done.status}`);
}

async function deliveryOf(userId: string): Promise<DeliveryDoc | null> {
  return (await Delivery.find({ activityId, userId }).lean<DeliveryDoc[]>())[0] ?? null;
}

test('killed after the platform stored the score: the next instance resends it, the platform has it once', async () => {
  await writeAndSubmit(stack, 'u-p-001', linkId, { refleksi: TEXT });
  await finalize('u-p-001', 3);
  // The platform stores the score at once and answers only after 10 s: the instance dies waiting.
  stack.demo.inject('ags', { respondLateMs: 10_000, times: 1 });
  const first = await startInstance();
  await until(() => grades('u-p-001')[0], 'the platform to store the score', 20_000);
  await kill(first);
  const crashed = await deliveryOf('u-p-001');
  // Its outcome unknown to Cermin: the attempt never recorded its end, or (on a slow machine) it
  // timed out first and recorded "may have arrived".
  expect(crashed?.attemptStartedAt !== undefined || crashed?.inDoubt === true).toBe(true);
  expect(crashed?.sentSecond).toBeUndefined();

  await startInstance();
  const record = await until(
    async () => {
      const d = await deliveryOf('u-p-001');
      return d?.sentKind === 'grade' ? d : null;
    },
    'the next instance to settle the delivery',
    90_000,
  );
  expect(record.history.at(-1)).toMatchObject({ outcome: 'sent', detail: 'already-at-platform' });
  expect(grades('u-p-001')).toHaveLength(1);
  expect(grades('u-p-001')[0].scoreGiven).toBe(100);
  // The worker writes the record before it clears the queued item (a crash between the two only
  // resends, which the platform answers 409): wait for the clearing rather than race it.
  await until(
    async () => (await OutboxItem.countDocuments({ activityId, userId: 'u-p-001' })) === 0 || null,
    'the queued item to be cleared',
    10_000,
  );
  for (const child of running) await kill(child);
}, 150_000);

test('killed before the platform stored it: the next instance delivers it, once', async () => {
  await writeAndSubmit(stack, 'u-p-002', linkId, { refleksi: TEXT });
  await finalize('u-p-002', 1);
  // Held before processing: a caller that goes away leaves nothing stored.
  stack.demo.inject('ags', { delayMs: 10_000, times: 1 });
  const first = await startInstance();
  await until(async () => (await deliveryOf('u-p-002'))?.attemptStartedAt ?? null, 'an attempt to begin', 20_000);
  await kill(first);
  expect(grades('u-p-002')).toHaveLength(0);

  await startInstance();
  await until(() => grades('u-p-002')[0], 'the grade to arrive', 90_000);
  const record = await until(
    async () => {
      const d = await deliveryOf('u-p-002');
      return d?.sentKind === 'grade' ? d : null;
    },
    'the delivery record',
    10_000,
  );
  expect(record.history.at(-1)?.outcome).toBe('sent');
  expect(grades('u-p-002')).toHaveLength(1);
  await until(
    async () => (await OutboxItem.countDocuments({ activityId, userId: 'u-p-002' })) === 0 || null,
    'the queued item to be cleared',
    10_000,
  );
  for (const child of running) await kill(child);
}, 150_000);

test('two instances at once, the platform failing 30 % of requests: every grade arrives exactly once', async () => {
  const people = Array.from({ length: 24 }, (_, i) => `u-p-${String(i + 3).padStart(3, '0')}`);
  for (const u of people) await writeAndSubmit(stack, u, linkId, { refleksi: TEXT });
  for (const [i, u] of people.entries()) await finalize(u, i % 4);
  let seed = 42;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  stack.demo.setFailureRate('ags', { rate: 0.3, statuses: [500, 503], timeoutShare: 0.4, delayMs: 2500, random });
  try {
    await Promise.all([startInstance(), startInstance()]);
    await until(
      async () => (await OutboxItem.countDocuments({ activityId })) === 0 || null,
      'the outbox to empty',
      120_000,
    );
  } finally {
    stack.demo.setFailureRate('ags', null);
  }
  for (const [i, u] of people.entries()) {
    const got = grades(u);
    expect({ u, n: got.length }).toEqual({ u, n: 1 });
    expect(got[0].scoreGiven).toBe([26, 51, 77, 100][i % 4]);
  }
  const attempts = (await Delivery.find({ activityId }).lean<DeliveryDoc[]>())
    .filter((d) => people.includes(d.userId))
    .flatMap((d) => d.history);
  expect(attempts.some((h) => h.outcome === 'retry')).toBe(true); // the failures were real
}, 200_000);
