/**
 * The retention purge against a real database (the run's FerretDB): records of three platforms'
 * courses, each platform with its own settings (one with none, so the defaults), dated just before
 * and just after every cut-off. The dry run counts exactly what is due and changes nothing; the
 * real run removes exactly that (and strips the kept text from audit records past the
 * conversation retention but within the audit retention), in several scans and batches; another
 * instance in the same lease slot does nothing. Settings are checked as an admin form would post them.
 */
import crypto from 'node:crypto';
import mongoose, { type Model } from 'mongoose';
// Production's query settings (sanitizeFilter, strictQuery): an operator the job forgot to wrap in
// mongoose.trusted() would match nothing here, as it would in production.
import '../../../src/db';
import { AuditRecord } from '../../../src/ai/audit';
import { Usage } from '../../../src/ai/limits';
import { AiLatest, AiTurn, SafetyAlert } from '../../../src/coaching/ai-help/turns';
import { Course } from '../../../src/lti/courses';
import { platformKeyOf } from '../../../src/lti/launch-context';
import { createLogger } from '../../../src/core/log';
import { ErasureLog } from '../../../src/privacy/person-data';
import {
  checkRetentionSettings,
  DEFAULT_RETENTION,
  GLOBAL_ISSUER,
  PrivacyLease,
  RetentionJob,
  retentionLeaseId,
  retentionSettingsFromForm,
  RetentionSettingsError,
  RetentionSettingsStore,
  retentionSummary,
  startRetentionJob,
  type RetentionLog,
  type RetentionReport,
  type RetentionSettings,
} from '../../../src/privacy/retention';
import { RecommendHistory } from '../../../src/recommend/store';
import { QUERY_VECTOR_COLLECTION, vectorModel } from '../../../src/recommend/vector-store';
import { testDatabaseUri } from '../../support/stack';

beforeAll(async () => {
  await mongoose.connect(testDatabaseUri(`cermin_retention_${crypto.randomBytes(4).toString('hex')}`));
});
afterAll(async () => {
  await mongoose.connection.db?.dropDatabase();
  await mongoose.disconnect();
});

const HOUR = 3600_000;
const DAY = 24 * HOUR;
/** On a whole hour, so slots of an hour start exactly here. */
const NOW = new Date('2025-06-01T00:00:00Z');
const daysAgo = (n: number) => new Date(NOW.getTime() - n * DAY);
const later = (ms: number) => new Date(NOW.getTime() + ms);

// Platforms as the store and the purge know them: by key (issuer and client id).
const A = platformKeyOf('https://lms-a.example.go.id', 'a');
const B = platformKeyOf('https://lms-b.example.go.id', 'b');
const C = platformKeyOf('https://lms-c.example.go.id', 'c');

const SETTINGS_A: RetentionSettings = {
  aiConversationDays: 30,
  auditDays: 90,
  usageCountersDays: 40,
  recommendationEventsDays: 60,
  safetyAlertsDays: 45,
  queryVectorsDays: 7,
  erasureLogDays: 1825,
};
const SETTINGS_B: RetentionSettings = {
  aiConversationDays: 200,
  auditDays: 400,
  usageCountersDays: 100,
  recommendationEventsDays: 120,
  safetyAlertsDays: 300,
  queryVectorsDays: 7,
  erasureLogDays: 1825,
};

const store = new RetentionSettingsStore(() => NOW);
const queryVectors = vectorModel(QUERY_VECTOR_COLLECTION);

/** Inserts as they are (the model's own collection, so no defaults or casting blur the dates under test). */
async function seed<T>(model: Model<T>, docs: Array<Record<string, unknown> & { _id: string }>): Promise<void> {
  await model.collection.insertMany(docs as unknown as Parameters<typeof model.collection.insertMany>[0]);
}

const turn = (_id: string, courseKey: string, at: Date) => ({
  _id,
  at,
  courseKey,
  activityId: 'act',
  userId: 'u1',
  key: 'k1',
  lensId: 'cermin',
  result: { engine: 'offline', reason: 'noProvider', calls: 0 },
});
const audit = (_id: string, courseKey: string, at: Date, withRaw: boolean) => ({
  _id,
  at,
  courseKey,
  activityId: 'act',
  user: 'pseudo',
  lensId: 'cermin',
  engine: 'ai',
  outcome: 'answered',
  tokens: { prompt: 1, completion: 1 },
  latencyMs: 1,
  calls: 1,
  redactions: {},
  ...(withRaw ? { raw: { text: `teks peserta ${_id}`, answer: { questions: ['?'] } } } : {}),
});

beforeAll(async () => {
  await seed(Course, [
    {
      _id: 'cA1',
      platform: { issuer: 'https://lms-a.example.go.id', clientId: 'a', platformId: 'pa', deploymentId: 'd' },
      courseId: '1',
      agsScopes: [],
      updatedAt: NOW,
    },
    {
      _id: 'cA2',
      platform: { issuer: 'https://lms-a.example.go.id', clientId: 'a', platformId: 'pa', deploymentId: 'd' },
      courseId: '2',
      agsScopes: [],
      updatedAt: NOW,
    },
    {
      _id: 'cB1',
      platform: { issuer: 'https://lms-b.example.go.id', clientId: 'b', platformId: 'pb', deploymentId: 'd' },
      courseId: '1',
      agsScopes: [],
      updatedAt: NOW,
    },
    {
      _id: 'cC1',
      platform: { issuer: 'https://lms-c.example.go.id', clientId: 'c', platformId: 'pc', deploymentId: 'd' },
      courseId: '1',
      agsScopes: [],
      updatedAt: NOW,
    },
  ]);
  await seed(AiTurn, [
    turn('turnA1-old', 'cA1', daysAgo(31)),
    turn('turnA2-old', 'cA2', daysAgo(40)),
    turn('turnA-young', 'cA1', daysAgo(29)),
    turn('turnB-mid', 'cB1', daysAgo(100)),
    turn('turnB-old', 'cB1', daysAgo(201)),
    turn('turnC-old', 'cC1', daysAgo(181)),
    turn('turnC-young', 'cC1', daysAgo(179)),
    // A course Cermin no longer knows: the global settings (here the defaults) apply.
    turn('turnGone-old', 'cGone', daysAgo(181)),
  ]);
  await seed(AiLatest, [
    { _id: 'latestA-old', latest: turn('t1', 'cA1', daysAgo(31)), asked: ['q1'] },
    { _id: 'latestA-young', latest: turn('t2', 'cA1', daysAgo(29)), asked: [] },
    { _id: 'latestB', latest: turn('t3', 'cB1', daysAgo(150)), asked: [] },
  ]);
  await seed(AuditRecord, [
    audit('audA-fresh-raw', 'cA1', daysAgo(10), true),
    audit('audA-mid-raw', 'cA1', daysAgo(50), true),
    audit('audA-mid-noraw', 'cA2', daysAgo(50), false),
    audit('audA-old-raw', 'cA1', daysAgo(95), true),
    audit('audA-old', 'cA2', daysAgo(91), false),
    audit('audB-mid-raw', 'cB1', daysAgo(150), true),
    audit('audB-strip', 'cB1', daysAgo(250), true),
    audit('audB-old', 'cB1', daysAgo(401), false),
    audit('audC-strip', 'cC1', daysAgo(181), true),
  ]);
  // NOW is 07:00 on 2025-06-01 in WIB: the budget day 2025-06-01 and month 2025-06 are running.
  await seed(Usage, [
    { _id: 'course:cA1:2025-04', tokens: 5, turns: 1, updatedAt: daysAgo(41) },
    { _id: 'course:cA1:2025-05', tokens: 5, turns: 1, updatedAt: daysAgo(20) },
    { _id: 'course:cA2:2025-06', tokens: 5, turns: 1, updatedAt: daysAgo(45) },
    { _id: 'course:cB1:2025-01', tokens: 5, turns: 1, updatedAt: daysAgo(101) },
    { _id: 'course:cB1:2025-02', tokens: 5, turns: 1, updatedAt: daysAgo(95) },
    { _id: 'user:pA:2025-02-10', tokens: 5, turns: 1, updatedAt: daysAgo(91) },
    { _id: 'user:pA:2025-05-31', tokens: 5, turns: 1, updatedAt: daysAgo(1) },
    { _id: 'user:pB:2025-06-01', tokens: 5, turns: 1, updatedAt: daysAgo(95) },
  ]);
  // Histories dated by their last use (an item shown, opened or marked).
  await seed(RecommendHistory, [
    {
      _id: 'hA-old',
      courseKey: 'cA1',
      userId: 'u1',
      items: [{ itemId: 'i1', shownAt: daysAgo(61) }],
      updatedAt: daysAgo(61),
    },
    {
      _id: 'hA-marked',
      courseKey: 'cA1',
      userId: 'u2',
      items: [{ itemId: 'i2', shownAt: daysAgo(100), feedback: 'helpful', feedbackAt: daysAgo(10) }],
      updatedAt: daysAgo(10),
    },
    {
      _id: 'hA-opened-old',
      courseKey: 'cA2',
      userId: 'u1',
      items: [{ itemId: 'i3', shownAt: daysAgo(100), openedAt: daysAgo(70) }],
      updatedAt: daysAgo(70),
    },
    {
      _id: 'hB',
      courseKey: 'cB1',
      userId: 'u1',
      items: [{ itemId: 'i1', shownAt: daysAgo(100) }],
      updatedAt: daysAgo(100),
    },
    {
      _id: 'hC-old',
      courseKey: 'cC1',
      userId: 'u1',
      items: [{ itemId: 'i1', shownAt: daysAgo(366) }],
      updatedAt: daysAgo(366),
    },
  ]);
  await seed(SafetyAlert, [
    {
      _id: 'saA-old',
      at: daysAgo(46),
      courseKey: 'cA1',
      activityId: 'act',
      userId: 'u1',
      key: 'k1',
      category: 'distress',
      severity: 'high',
      phrases: [],
    },
    {
      _id: 'saA-young',
      at: daysAgo(44),
      courseKey: 'cA1',
      activityId: 'act',
      userId: 'u1',
      key: 'k1',
      category: 'distress',
      severity: 'high',
      phrases: [],
    },
    {
      _id: 'saB-old',
      at: daysAgo(301),
      courseKey: 'cB1',
      activityId: 'act',
      userId: 'u1',
      key: 'k1',
      category: 'distress',
      severity: 'high',
      phrases: [],
    },
    {
      _id: 'saB-young',
      at: daysAgo(299),
      courseKey: 'cB1',
      activityId: 'act',
      userId: 'u1',
      key: 'k1',
      category: 'distress',
      severity: 'high',
      phrases: [],
    },
    {
      _id: 'saC',
      at: daysAgo(200),
      courseKey: 'cC1',
      activityId: 'act',
      userId: 'u1',
      key: 'k1',
      category: 'distress',
      severity: 'high',
      phrases: [],
    },
  ]);
  await seed(queryVectors, [
    { _id: 'qv-old', vector: 'AAAAAA==', dims: 1, at: daysAgo(8) },
    { _id: 'qv-young', vector: 'AAAAAA==', dims: 1, at: daysAgo(6) },
  ]);
  await seed(ErasureLog, [
    { _id: 'er-old', at: daysAgo(1826), subject: 's1', by: { role: 'self', pseudonym: 's1' }, counts: {} },
    { _id: 'er-young', at: daysAgo(1824), subject: 's2', by: { role: 'self', pseudonym: 's2' }, counts: {} },
  ]);
  await store.set(A, SETTINGS_A, 'admin-a');
  await store.set(B, SETTINGS_B, 'admin-b');
});

/** `rule|platform` → count, every entry of the report (zeros too). */
const countsOf = (report: RetentionReport) =>
  Object.fromEntries(report.counts.map((c) => [`${c.rule}|${c.platform}`, c.count]));

const EXPECTED: Record<string, number> = {
  [`aiTurns|${A}`]: 2,
  [`aiTurns|${B}`]: 1,
  [`aiTurns|${C}`]: 1,
  'aiTurns|*': 1,
  [`aiLatest|${A}`]: 1,
  [`aiLatest|${B}`]: 0,
  [`aiLatest|${C}`]: 0,
  [`auditRecords|${A}`]: 2,
  [`auditRecords|${B}`]: 1,
  [`auditRecords|${C}`]: 0,
  [`auditRawText|${A}`]: 1,
  [`auditRawText|${B}`]: 1,
  [`auditRawText|${C}`]: 1,
  [`usageCounters|${A}`]: 1,
  [`usageCounters|${B}`]: 1,
  [`usageCounters|${C}`]: 0,
  'usageCounters|*': 1,
  [`recommendationEvents|${A}`]: 2,
  [`recommendationEvents|${B}`]: 0,
  [`recommendationEvents|${C}`]: 1,
  [`safetyAlerts|${A}`]: 1,
  [`safetyAlerts|${B}`]: 1,
  [`safetyAlerts|${C}`]: 0,
  'queryVectors|*': 1,
  'erasureLog|*': 1,
};
const EXPECTED_TOTAL = 22;

/** What stays after the purge, per collection; and the audit records that still hold text. */
const KEPT: Record<string, string[]> = {
  coaching_ai_turns: ['turnA-young', 'turnB-mid', 'turnC-young'],
  coaching_ai_latest: ['latestA-young', 'latestB'],
  ai_audit: ['audA-fresh-raw', 'audA-mid-noraw', 'audA-mid-raw', 'audB-mid-raw', 'audB-strip', 'audC-strip'],
  ai_usage: [
    'course:cA1:2025-05',
    'course:cA2:2025-06',
    'course:cB1:2025-02',
    'user:pA:2025-05-31',
    'user:pB:2025-06-01',
  ],
  recommend_history: ['hA-marked', 'hB'],
  coaching_safety_alerts: ['saA-young', 'saB-young', 'saC'],
  [QUERY_VECTOR_COLLECTION]: ['qv-young'],
  privacy_erasures: ['er-young'],
};
const WITH_RAW_AFTER = ['audA-fresh-raw', 'audB-mid-raw'];

/** Every document of every collection the job touches, exactly as stored. */
async function snapshot(): Promise<string> {
  const db = mongoose.connection.db;
  if (!db) throw new Error('not connected');
  const out: Record<string, unknown[]> = {};
  for (const name of [...Object.keys(KEPT), 'lti_courses', 'privacy_retention_settings']) {
    out[name] = await db.collection(name).find({}).sort({ _id: 1 }).toArray();
  }
  return JSON.stringify(out);
}

/** Every `_id` in a collection, sorted (read past mongoose: what is stored, whatever the schema says). */
async function idsIn(collection: string): Promise<string[]> {
  const db = mongoose.connection.db;
  if (!db) throw new Error('not connected');
  return (
    await db
      .collection(collection)
      .find({}, { projection: { _id: 1 } })
      .toArray()
  )
    .map((d) => String(d._id))
    .sort();
}
const leaseIds = async () =>
  (await PrivacyLease.find({}, { _id: 1 }).lean<Array<{ _id: string }>>()).map((d) => d._id).sort();

const SLOT = NOW.getTime() / HOUR;
// Small batches and scans, so a purge of a few records still goes through several of each.
const instanceOne = new RetentionJob({ policy: store, leaseMs: HOUR, batchSize: 2, idsPerScan: 3, owner: 'one' });
const instanceTwo = new RetentionJob({ policy: store, leaseMs: HOUR, owner: 'two' });

describe('settings', () => {
  test('the defaults are valid, and the form posts strings that become whole days', () => {
    expect(checkRetentionSettings({ ...DEFAULT_RETENTION })).toEqual({ settings: DEFAULT_RETENTION });
    const form = Object.fromEntries(Object.entries(SETTINGS_A).map(([k, v]) => [k, String(v)]));
    expect(retentionSettingsFromForm(form)).toEqual({ settings: SETTINGS_A });
  });

  test.each([
    ['zero', { aiConversationDays: 0 }, '$.aiConversationDays: must be >= 1'],
    ['negative', { auditDays: -5 }, '$.auditDays: must be >= 1'],
    ['not whole', { queryVectorsDays: 1.5 }, '$.queryVectorsDays: must be integer'],
    ['a number as text (outside a form)', { safetyAlertsDays: '30' }, '$.safetyAlertsDays: must be integer'],
    ['an unknown key', { keepForeverDays: 3 }, '$.keepForeverDays: unknown key'],
    ['beyond a hundred years', { erasureLogDays: 36_501 }, '$.erasureLogDays: must be <= 36500'],
  ])('refuses %s', (_name, change, problem) => {
    const result = checkRetentionSettings({ ...DEFAULT_RETENTION, ...change });
    expect(result).toEqual({ problems: [problem] });
  });

  test('refuses a missing setting, and bad form values', () => {
    const { usageCountersDays: _left, ...partial } = DEFAULT_RETENTION;
    expect(checkRetentionSettings(partial)).toEqual({ problems: ['$.usageCountersDays: missing'] });
    const form = (v: string) => retentionSettingsFromForm({ ...DEFAULT_RETENTION, aiConversationDays: v });
    expect(form('0')).toEqual({ problems: ['$.aiConversationDays: must be >= 1'] });
    expect(form('-3')).toEqual({ problems: ['$.aiConversationDays: must be >= 1'] });
    expect(form('2.5')).toEqual({ problems: ['$.aiConversationDays: must be integer'] });
    expect(form('abc')).toEqual({ problems: ['$.aiConversationDays: must be integer'] });
  });

  test('the store refuses invalid settings and writes nothing', async () => {
    const issuer = 'https://refused.example';
    await expect(store.set(issuer, { ...DEFAULT_RETENTION, auditDays: 0 }, 'admin')).rejects.toBeInstanceOf(
      RetentionSettingsError,
    );
    await expect(store.set(issuer, { ...DEFAULT_RETENTION, extra: 1 }, 'admin')).rejects.toThrow(
      '$.extra: unknown key',
    );
    expect(await store.stored(issuer)).toBeNull();
    expect(await store.get(issuer)).toEqual(DEFAULT_RETENTION);
  });

  test('the defaults given at start-up (AI conversation days from the configuration) apply where no admin saved any; bad defaults refused', async () => {
    const configured = new RetentionSettingsStore(() => NOW, { ...DEFAULT_RETENTION, aiConversationDays: 30 });
    expect(await configured.get(C)).toEqual({ ...DEFAULT_RETENTION, aiConversationDays: 30 });
    expect(await configured.get(A)).toEqual(SETTINGS_A);
    expect(() => new RetentionSettingsStore(() => NOW, { ...DEFAULT_RETENTION, aiConversationDays: 0 })).toThrow(
      RetentionSettingsError,
    );
  });

  test('a platform has its own settings, who saved them and when; one without any has the defaults', async () => {
    expect(await store.get(A)).toEqual(SETTINGS_A);
    expect(await store.settingsFor(B)).toEqual(SETTINGS_B);
    expect(await store.stored(A)).toMatchObject({
      platform: A,
      settings: SETTINGS_A,
      updatedBy: 'admin-a',
      updatedAt: NOW,
    });
    expect(await store.get(C)).toEqual(DEFAULT_RETENTION);
    expect(await store.get(GLOBAL_ISSUER)).toEqual(DEFAULT_RETENTION);
  });
});

describe('the purge', () => {
  test('the dry run counts exactly what is due per rule and platform, and changes nothing', async () => {
    const before = await snapshot();
    // Another instance: a dry run needs no lease (and takes none).
    const report = await instanceTwo.run({ dryRun: true, now: NOW });
    expect(report.skipped).toBeUndefined();
    expect(report.dryRun).toBe(true);
    expect(countsOf(report)).toEqual(EXPECTED);
    expect(report.total).toBe(EXPECTED_TOTAL);
    expect(report.counts.find((c) => c.rule === 'aiTurns' && c.platform === A)).toMatchObject({
      days: 30,
      cutoff: daysAgo(30),
      collection: 'coaching_ai_turns',
      action: 'delete',
    });
    expect(report.counts.find((c) => c.rule === 'auditRawText' && c.platform === B)).toMatchObject({
      days: 200,
      cutoff: daysAgo(200),
      action: 'strip',
    });
    expect(report.counts.find((c) => c.rule === 'erasureLog')).toMatchObject({ platform: '*', days: 1825 });
    expect(report.durationMs).toBeGreaterThanOrEqual(0);
    expect(await snapshot()).toBe(before);
    expect(await leaseIds()).toEqual([]);
  });

  test('the real run removes exactly those records, strips text past the conversation retention, keeps the rest', async () => {
    const report = await instanceOne.run({ dryRun: false, now: NOW });
    expect(report.skipped).toBeUndefined();
    expect(report.unfinished).toBeUndefined();
    expect(countsOf(report)).toEqual(EXPECTED);
    expect(report.total).toBe(EXPECTED_TOTAL);
    const remaining: Record<string, string[]> = {};
    for (const collection of Object.keys(KEPT)) remaining[collection] = await idsIn(collection);
    expect(remaining).toEqual(Object.fromEntries(Object.entries(KEPT).map(([c, ids]) => [c, [...ids].sort()])));
    const withRaw = (
      await AuditRecord.find({ raw: mongoose.trusted({ $exists: true }) }, { _id: 1 }).lean<Array<{ _id: string }>>()
    )
      .map((d) => d._id)
      .sort();
    expect(withRaw).toEqual(WITH_RAW_AFTER);
    // A stripped record keeps its figures.
    expect(await AuditRecord.findById('audB-strip').lean()).toMatchObject({
      courseKey: 'cB1',
      tokens: { prompt: 1, completion: 1 },
      outcome: 'answered',
    });
    // Slot k stays taken (one purge per slot); k+1 was given back for the next slot's run.
    expect(await leaseIds()).toEqual([retentionLeaseId(SLOT)]);
  });

  test('the log line holds counts only, never a record', () => {
    const line = JSON.stringify(
      retentionSummary({
        dryRun: false,
        at: NOW,
        counts: [
          {
            rule: 'aiTurns',
            collection: 'coaching_ai_turns',
            action: 'delete',
            platform: A,
            setting: 'aiConversationDays',
            days: 30,
            cutoff: daysAgo(30),
            count: 2,
          },
        ],
        total: 2,
        durationMs: 5,
      }),
    );
    expect(JSON.parse(line)).toEqual({
      dryRun: false,
      total: 2,
      durationMs: 5,
      counts: [{ rule: 'aiTurns', platform: A, days: 30, count: 2 }],
    });
  });

  test('another instance in the same slot is skipped (lease held), and so is a second run of the first', async () => {
    const before = await snapshot();
    const second = await instanceTwo.run({ dryRun: false, now: later(10 * 60_000) });
    expect(second).toMatchObject({ skipped: 'leaseHeld', counts: [], total: 0, dryRun: false });
    expect((await instanceOne.run({ dryRun: false, now: later(50 * 60_000) })).skipped).toBe('leaseHeld');
    expect(await snapshot()).toBe(before);
    // Its dry run still answers: it needs no lease.
    const dry = await instanceTwo.run({ dryRun: true, now: later(10 * 60_000) });
    expect(dry.skipped).toBeUndefined();
    expect(dry.total).toBe(0);
  });

  test('a later slot runs again (nothing left to remove) and sweeps expired lease records', async () => {
    const next = await instanceTwo.run({ dryRun: false, now: later(HOUR) });
    expect(next.skipped).toBeUndefined();
    expect(next.total).toBe(0);
    expect(await leaseIds()).toEqual([retentionLeaseId(SLOT), retentionLeaseId(SLOT + 1)].sort());
    const afterwards = await instanceOne.run({ dryRun: false, now: later(3 * HOUR) });
    expect(afterwards.skipped).toBeUndefined();
    expect(await leaseIds()).toEqual([retentionLeaseId(SLOT + 3)]);
  });

  test('a slot already taken by a run that spilled over from the slot before is skipped', async () => {
    await PrivacyLease.create({ _id: retentionLeaseId(SLOT + 5), owner: 'spilled', expiresAt: later(6 * HOUR) });
    expect((await instanceOne.run({ dryRun: false, now: later(5 * HOUR + 60_000) })).skipped).toBe('leaseHeld');
  });

  test('the global row governs records of no platform and platforms without settings of their own', async () => {
    await store.set(
      GLOBAL_ISSUER,
      { ...DEFAULT_RETENTION, queryVectorsDays: 1, aiConversationDays: 100 },
      'admin-global',
    );
    expect(await store.get(C)).toEqual({ ...DEFAULT_RETENTION, queryVectorsDays: 1, aiConversationDays: 100 });
    expect(await store.get(A)).toEqual(SETTINGS_A);
    const report = await instanceTwo.run({ dryRun: true, now: NOW });
    const counts = countsOf(report);
    expect(counts['queryVectors|*']).toBe(1); // qv-young, 6 days old
    expect(counts[`aiTurns|${C}`]).toBe(1); // turnC-young, 179 days old
    expect(counts[`aiTurns|${A}`]).toBe(0);
    expect(counts[`aiTurns|${B}`]).toBe(0); // turnB-mid (100 days) is within B's own 200
    expect(report.total).toBe(2);
  });
});

describe('scheduling', () => {
  // Last: it runs at the real time, so everything seeded is past every cut-off by then.
  test('the scheduled job runs after its first delay and logs counts only', async () => {
    const lines: Array<{ obj: object; msg: string }> = [];
    const log: RetentionLog = {
      info: (obj, msg) => {
        lines.push({ obj, msg });
      },
      warn: (obj, msg) => {
        lines.push({ obj, msg });
      },
    };
    // The app's logger is what production passes.
    const appLogger: RetentionLog = createLogger('silent');
    expect(appLogger).toBeDefined();
    const stop = startRetentionJob(new RetentionJob({ policy: store, owner: 'scheduled' }), {
      everyMs: 60_000,
      firstDelayMs: 10,
      log,
    });
    try {
      for (let i = 0; i < 200 && lines.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    } finally {
      stop();
    }
    expect(lines.map((l) => l.msg)).toEqual(['retention purge done']);
    const logged = JSON.stringify(lines[0].obj);
    expect(logged).toContain('"total":');
    for (const id of ['turnA-young', 'audA-fresh-raw', 'teks peserta', 'qv-young']) expect(logged).not.toContain(id);
    expect(await idsIn('coaching_ai_turns')).toEqual([]);
  });
});
