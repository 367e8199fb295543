/**
 * Retention: how long Cermin keeps each kind of dated personal data, set per platform (an agency's
 * Moodle) by its admin, and the background job that removes what has outlived it. UU PDP asks that
 * personal data be kept no longer than its purpose needs; the consent text tells participants how
 * long their AI conversations are kept, and this job is what makes that true.
 *
 * Settings: one record per platform (its key: issuer and client id) in `privacy_retention_settings`,
 * plus an optional global record (`'*'`, the operator's). A platform without its own record follows the global record, and
 * without that the defaults (DEFAULT_RETENTION; the AI conversation days come from the start-up
 * configuration, AI_RAW_TEXT_RETENTION_DAYS). Records that name no course (a person's daily AI usage counter,
 * participants' query vectors, the erasure log) cannot be tied to a platform, so the global
 * settings govern them; so do records of a course Cermin no longer knows (not in lti_courses), so
 * nothing escapes retention by losing its course.
 *
 * The job: per rule (a collection, its date field, the setting that governs it) it scans once for
 * records older than the latest cut-off of any platform, sorts each into its platform by course,
 * and removes those past their own platform's cut-off, by `_id` in batches (a per-platform cut-off
 * is beyond a TTL index, and a batch keeps each write small). A dry run counts what would go and
 * changes nothing. Only one instance purges per lease slot (src/db/lease.ts).
 */
import crypto from 'node:crypto';
import mongoose, { Schema, type FilterQuery, type Model } from 'mongoose';
import { AiLatest, AiTurn, SafetyAlert, type StoredTurn } from '../coaching/ai-help/turns';
import { AuditRecord } from '../ai/audit';
import { budgetPeriods, Usage } from '../ai/limits';
import { MarkedValues } from '../db/change-marks';
import { INSTANCE } from '../domain/launch';
import { platformKeyOf } from '../lti/launch-context';
import { idOf } from '../db/ids';
import { leaseModel } from '../db/lease';
import { defineModel, isDuplicateKey, putById } from '../db/model';
import { Course } from '../lti/courses';
import { RecommendHistory } from '../recommend/store';
import { QUERY_VECTOR_COLLECTION, vectorModel } from '../recommend/vector-store';
import { ajv, describeSchemaError, wholeNumberFromForm } from '../core/validation';
import { ErasureLog } from './person-data';

// ---- Settings ----------------------------------------------------------------------------------

/** Days each kind of record is kept after its date. */
export interface RetentionSettings {
  /** AI conversation text: coaching AI turns, the latest-turn pointer, and the text kept in AI audit records (`raw`). */
  aiConversationDays: number;
  /** AI audit records as a whole (who, when, which model, tokens; no text once `raw` is gone). */
  auditDays: number;
  /** AI token usage counters (per person and day, per course and month). */
  usageCountersDays: number;
  /** What the recommender showed each participant and what they did with it: a course history, counted from its last use. */
  recommendationEventsDays: number;
  /** Safety alerts raised for the course's coaches. */
  safetyAlertsDays: number;
  /** Participants' query vectors (derived from their writing; a cache). */
  queryVectorsDays: number;
  /** The erasure log: proof that an erasure happened, kept longest. */
  erasureLogDays: number;
}

export const RETENTION_SETTING_KEYS = [
  'aiConversationDays',
  'auditDays',
  'usageCountersDays',
  'recommendationEventsDays',
  'safetyAlertsDays',
  'queryVectorsDays',
  'erasureLogDays',
] as const satisfies ReadonlyArray<keyof RetentionSettings>;

export const DEFAULT_RETENTION: Readonly<RetentionSettings> = Object.freeze({
  aiConversationDays: 180,
  auditDays: 730,
  usageCountersDays: 90,
  recommendationEventsDays: 365,
  safetyAlertsDays: 365,
  queryVectorsDays: 7,
  erasureLogDays: 1825,
});

/** The key of the global settings (the operator's): records without a platform, and platforms without their own. */
export const GLOBAL_ISSUER = INSTANCE;

/** A hundred years: beyond that a cut-off date is meaningless, and the Date arithmetic stays exact. */
const MAX_DAYS = 36_500;

/** Every key required (a form posts them all), whole days from 1 to MAX_DAYS, nothing else. */
export const retentionSettingsSchema = {
  type: 'object',
  additionalProperties: false,
  required: [...RETENTION_SETTING_KEYS],
  properties: Object.fromEntries(
    RETENTION_SETTING_KEYS.map((k) => [k, { type: 'integer', minimum: 1, maximum: MAX_DAYS }]),
  ),
} as const;

export const validateRetentionSettings = ajv.compile<RetentionSettings>(retentionSettingsSchema);

export class RetentionSettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid retention settings: ${problems.join('; ')}`);
    this.name = 'RetentionSettingsError';
  }
}

/** The settings, or what is wrong with them, one line per problem. */
export function checkRetentionSettings(value: unknown): { settings: RetentionSettings } | { problems: string[] } {
  if (validateRetentionSettings(value)) return { settings: value };
  return { problems: (validateRetentionSettings.errors ?? []).map(describeSchemaError) };
}

/**
 * A posted admin form's values: its fields arrive as strings, so whole numbers as typed (also with
 * thousands grouped, wholeNumberFromForm) become numbers; anything else stays as typed, for the
 * schema to refuse ("1.5" as not whole, not as "not a number"). Form fields other than the
 * settings (a CSRF token, ltik) are the router's to drop before calling this.
 */
export function retentionFormValues(body: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).map(([k, v]) => [k, wholeNumberFromForm(v)]));
}

/** The settings of a posted form, or what is wrong with them (described for a log, by JSON path). */
export function retentionSettingsFromForm(
  body: Record<string, unknown>,
): { settings: RetentionSettings } | { problems: string[] } {
  return checkRetentionSettings(retentionFormValues(body));
}

/** Where the job reads each platform's settings (a store in production; a fixed table in a test). */
export interface RetentionPolicySource {
  /** The settings in force for records of this platform's courses (`'*'`: records of no platform). */
  settingsFor(platform: string): Promise<RetentionSettings>;
}

interface RetentionSettingsDoc {
  _id: string;
  platform: string;
  settings: RetentionSettings;
  updatedAt: Date;
  updatedBy: string;
}
const settingsSchema = new Schema<RetentionSettingsDoc>(
  {
    _id: { type: String, required: true },
    platform: { type: String, required: true },
    settings: { type: Schema.Types.Mixed, required: true },
    updatedAt: { type: Date, required: true },
    updatedBy: { type: String, required: true },
  },
  { collection: 'privacy_retention_settings', autoIndex: false, _id: false, minimize: false },
);
export const RetentionSettingsRecord = defineModel('PrivacyRetentionSettings', settingsSchema);

const settingsIdOf = (platform: string) => idOf('rts', platform);

/** Retention settings per platform in the database, read and written by `_id` only. */
const SETTINGS_MARK = 'retention-settings';

export class RetentionSettingsStore implements RetentionPolicySource {
  /** Kept per platform until a change (the consent check of every AI turn names the AI conversation days). */
  private readonly inForce = new MarkedValues<RetentionSettings>(SETTINGS_MARK, (platform) => this.read(platform));

  /**
   * `defaults`: what is in force where no admin saved settings (DEFAULT_RETENTION, with the AI
   * conversation days of the start-up configuration in production), checked here so that a bad
   * default fails at start-up rather than at the first purge.
   */
  constructor(
    private readonly now: () => Date = () => new Date(),
    private readonly defaults: Readonly<RetentionSettings> = DEFAULT_RETENTION,
  ) {
    const checked = checkRetentionSettings({ ...defaults });
    if ('problems' in checked) throw new RetentionSettingsError(checked.problems);
  }

  /** The platform's own record, if its admin saved one (for the admin page: own or inherited). */
  async stored(platform: string): Promise<RetentionSettingsDoc | null> {
    return RetentionSettingsRecord.findById(settingsIdOf(platform)).lean<RetentionSettingsDoc>();
  }

  /** The settings in force for a platform (its key): its own, else the global record's, else the defaults. */
  get(platform: string): Promise<RetentionSettings> {
    return this.inForce.get(platform);
  }

  private async read(platform: string): Promise<RetentionSettings> {
    const layers = platform === GLOBAL_ISSUER ? [GLOBAL_ISSUER] : [platform, GLOBAL_ISSUER];
    for (const layer of layers) {
      const doc = await this.stored(layer);
      // A record saved before a setting existed lacks it: the default fills the gap. A record that
      // fails the schema (edited by hand) is passed over rather than trusted with deletions.
      const merged: unknown = doc ? { ...this.defaults, ...doc.settings } : undefined;
      if (merged && validateRetentionSettings(merged)) return merged;
    }
    return { ...this.defaults };
  }

  settingsFor(platform: string): Promise<RetentionSettings> {
    return this.get(platform);
  }

  /** Saves a platform's settings (`'*'`: the global ones) after checking them; throws RetentionSettingsError. */
  async set(platform: string, settings: unknown, by: string): Promise<RetentionSettings> {
    const checked = checkRetentionSettings(settings);
    if ('problems' in checked) throw new RetentionSettingsError(checked.problems);
    // Only the known keys, in a fresh object: nothing the caller attached rides along into the record.
    const clean = Object.fromEntries(
      RETENTION_SETTING_KEYS.map((k) => [k, checked.settings[k]]),
    ) as unknown as RetentionSettings;
    await putById(RetentionSettingsRecord, settingsIdOf(platform), {
      platform,
      settings: clean,
      updatedAt: this.now(),
      updatedBy: by,
    });
    // One mark for every platform: a change to the global settings changes those of platforms without their own.
    await this.inForce.changed();
    return clean;
  }
}

// ---- Rules -------------------------------------------------------------------------------------

export type RetentionRuleId =
  | 'aiTurns'
  | 'aiLatest'
  | 'auditRawText'
  | 'auditRecords'
  | 'usageCounters'
  | 'recommendationEvents'
  | 'safetyAlerts'
  | 'queryVectors'
  | 'erasureLog';

/** A record that may be due: its `_id`, its date, and its course (null: it names none). */
export interface Candidate {
  _id: string;
  at: Date;
  courseKey: string | null;
}

export interface CandidateCursor {
  next(): Promise<Candidate | null>;
  close(): Promise<void>;
}

export interface RetentionRule {
  rule: RetentionRuleId;
  collection: string;
  /** The date the cut-off is compared with. */
  dateField: string;
  setting: keyof RetentionSettings;
  action: 'delete' | 'strip';
  /** 'course': records name their course; 'global': they name none; 'mixed': some do. */
  scope: 'course' | 'global' | 'mixed';
  /** Records dated before `before` (a superset of what is due: the latest cut-off of any platform). */
  open(before: Date): CandidateCursor;
  /** A reason to keep a record past its cut-off. */
  keep?(record: Candidate, settings: RetentionSettings, now: Date): boolean;
  /** Removes (or strips) these records; how many changed. */
  apply(ids: string[]): Promise<number>;
}

const DAY_MS = 86_400_000;
const cutoffOf = (now: Date, days: number) => new Date(now.getTime() - days * DAY_MS);
const olderThan = (before: Date) => mongoose.trusted({ $lt: before });
const byIds = (ids: string[]) => ({ _id: mongoose.trusted({ $in: ids }) });

/** A mongoose query cursor, as far as the job uses it. */
interface QueryCursorLike {
  next(): Promise<unknown>;
  close(): Promise<unknown>;
}

/**
 * A lean query's cursor as candidates (`D`: the projected plain document, which mongoose's cursor
 * types do not follow from `lean()`); documents that cannot be read as one are passed over.
 */
function candidatesOf<D>(cursor: QueryCursorLike, toCandidate: (doc: D) => Candidate | null): CandidateCursor {
  return {
    async next() {
      for (let doc = (await cursor.next()) as D | null; doc !== null; doc = (await cursor.next()) as D | null) {
        const candidate = toCandidate(doc);
        if (candidate && candidate.at instanceof Date && !Number.isNaN(candidate.at.getTime())) return candidate;
      }
      return null;
    },
    close: async () => {
      await cursor.close();
    },
  };
}

/** Deletes by `_id`; how many went. */
function deleteByIds<T>(model: Model<T>): (ids: string[]) => Promise<number> {
  return async (ids) => (await model.deleteMany(byIds(ids))).deletedCount ?? 0;
}

/** A rule over a collection whose records carry `courseKey` (or none) and a date field. */
function datedRule<T>(
  spec: Omit<RetentionRule, 'open' | 'apply'>,
  model: Model<T>,
  field: string,
  courseField: string | null,
): RetentionRule {
  return {
    ...spec,
    open: (before) =>
      candidatesOf<Record<string, unknown>>(
        model
          .find({ [field]: olderThan(before) } as FilterQuery<T>, {
            _id: 1,
            [field]: 1,
            ...(courseField ? { [courseField]: 1 } : {}),
          })
          .lean()
          .cursor(),
        (d) => ({
          _id: String(d._id),
          at: d[field] as Date,
          courseKey: courseField && typeof d[courseField] === 'string' ? d[courseField] : null,
        }),
      ),
    apply: deleteByIds(model),
  };
}

/** `course:<courseKey>:<month>` and `user:<pseudonym>:<day>` (src/ai/limits.ts). */
const COURSE_COUNTER = /^course:([^:]+):(\d{4}-\d{2})$/;
const USER_COUNTER = /^user:.+:(\d{4}-\d{2}-\d{2})$/;

const queryVectors = vectorModel(QUERY_VECTOR_COLLECTION);

/**
 * Every rule, deletions of whole records before the strip of `raw`: the strip never touches a
 * record the audit rule removes (see its `keep`), so the order changes no count.
 */
export const RETENTION_RULES: readonly RetentionRule[] = [
  datedRule(
    {
      rule: 'aiTurns',
      collection: 'coaching_ai_turns',
      dateField: 'at',
      setting: 'aiConversationDays',
      action: 'delete',
      scope: 'course',
    },
    AiTurn,
    'at',
    'courseKey',
  ),
  {
    // The pointer holds a copy of the entry's latest turn, and is newer than every turn it follows.
    // It goes whole (the `asked` list of question ids with it): a pointer without its turn would
    // name no course or person, so erasure and export could no longer find it.
    rule: 'aiLatest',
    collection: 'coaching_ai_latest',
    dateField: 'latest.at',
    setting: 'aiConversationDays',
    action: 'delete',
    scope: 'course',
    open: (before) =>
      candidatesOf<{ _id: string; latest?: Partial<StoredTurn> }>(
        AiLatest.find({ 'latest.at': olderThan(before) }, { _id: 1, 'latest.at': 1, 'latest.courseKey': 1 })
          .lean()
          .cursor(),
        (d) => (d.latest?.at ? { _id: d._id, at: d.latest.at, courseKey: d.latest.courseKey ?? null } : null),
      ),
    apply: deleteByIds(AiLatest),
  },
  datedRule(
    {
      rule: 'auditRecords',
      collection: 'ai_audit',
      dateField: 'at',
      setting: 'auditDays',
      action: 'delete',
      scope: 'course',
    },
    AuditRecord,
    'at',
    'courseKey',
  ),
  {
    rule: 'auditRawText',
    collection: 'ai_audit',
    dateField: 'at',
    setting: 'aiConversationDays',
    action: 'strip',
    scope: 'course',
    open: (before) =>
      candidatesOf<{ _id: string; at: Date; courseKey?: string }>(
        AuditRecord.find(
          { at: olderThan(before), raw: mongoose.trusted({ $exists: true }) },
          { _id: 1, at: 1, courseKey: 1 },
        )
          .lean()
          .cursor(),
        (d) => ({ _id: d._id, at: d.at, courseKey: d.courseKey ?? null }),
      ),
    // A record past the audit retention goes whole (auditRecords): counted there, not here too.
    keep: (record, settings, now) => record.at < cutoffOf(now, settings.auditDays),
    apply: async (ids) =>
      (
        await AuditRecord.updateMany(
          { ...byIds(ids), raw: mongoose.trusted({ $exists: true }) },
          { $unset: { raw: 1 } },
        )
      ).modifiedCount,
  },
  {
    // Course counters belong to the course's platform; a person's daily counter names only a
    // pseudonym (an HMAC of platform and user), so the global settings govern it.
    rule: 'usageCounters',
    collection: 'ai_usage',
    dateField: 'updatedAt',
    setting: 'usageCountersDays',
    action: 'delete',
    scope: 'mixed',
    open: (before) =>
      candidatesOf<{ _id: string; updatedAt?: Date }>(
        Usage.find({ updatedAt: olderThan(before) }, { _id: 1, updatedAt: 1 })
          .lean()
          .cursor(),
        (d) =>
          d.updatedAt ? { _id: d._id, at: d.updatedAt, courseKey: COURSE_COUNTER.exec(d._id)?.[1] ?? null } : null,
      ),
    // The counters of the budget period still running are the budget itself: deleting one would
    // hand the person or course their whole budget again, however short the retention is set.
    keep: (record, _settings, now) => {
      const { day, month } = budgetPeriods(now);
      return COURSE_COUNTER.exec(record._id)?.[2] === month || USER_COUNTER.exec(record._id)?.[1] === day;
    },
    apply: deleteByIds(Usage),
  },
  // A participant's recommendation history in a course, dated by its last use (an item shown,
  // opened or marked): the history is what ranks their next recommendations while they use it.
  datedRule(
    {
      rule: 'recommendationEvents',
      collection: 'recommend_history',
      dateField: 'updatedAt',
      setting: 'recommendationEventsDays',
      action: 'delete',
      scope: 'course',
    },
    RecommendHistory,
    'updatedAt',
    'courseKey',
  ),
  datedRule(
    {
      rule: 'safetyAlerts',
      collection: 'coaching_safety_alerts',
      dateField: 'at',
      setting: 'safetyAlertsDays',
      action: 'delete',
      scope: 'course',
    },
    SafetyAlert,
    'at',
    'courseKey',
  ),
  datedRule(
    {
      rule: 'queryVectors',
      collection: QUERY_VECTOR_COLLECTION,
      dateField: 'at',
      setting: 'queryVectorsDays',
      action: 'delete',
      scope: 'global',
    },
    queryVectors,
    'at',
    null,
  ),
  datedRule(
    {
      rule: 'erasureLog',
      collection: 'privacy_erasures',
      dateField: 'at',
      setting: 'erasureLogDays',
      action: 'delete',
      scope: 'global',
    },
    ErasureLog,
    'at',
    null,
  ),
];

// ---- The job -----------------------------------------------------------------------------------

/** One rule on one platform's records: its cut-off and how many would go (dry run) or went. */
export interface RetentionCount {
  rule: RetentionRuleId;
  collection: string;
  action: 'delete' | 'strip';
  /** The platform's key, or `'*'`: records of no platform (or of a course Cermin no longer knows). */
  platform: string;
  setting: keyof RetentionSettings;
  days: number;
  /** Records dated before this are due. */
  cutoff: Date;
  count: number;
}

export interface RetentionReport {
  dryRun: boolean;
  /** The time the cut-offs were computed from. */
  at: Date;
  /** Set when another instance holds this slot's lease: nothing was done. */
  skipped?: 'leaseHeld';
  /** The lease ran out before every rule was done: the next run continues (counts are what went). */
  unfinished?: boolean;
  counts: RetentionCount[];
  total: number;
  durationMs: number;
}

// The purge keeps its slot after the run (one purge per slot), unlike SlotLeases: same records, its own claim.
export const PrivacyLease = leaseModel('PrivacyLease', 'privacy_leases');

export const retentionLeaseId = (slot: number) => `retention:${slot}`;

export interface RetentionJobOptions {
  policy: RetentionPolicySource;
  /** A lease slot: at most one real purge per slot across all instances (default one hour). */
  leaseMs?: number;
  /** `_id`s per delete (default 500): no single write holds the database long. */
  batchSize?: number;
  /** Due `_id`s gathered per scan before deleting them and scanning again (default 20,000): bounds memory. */
  idsPerScan?: number;
  /** Names this instance in its lease records (for whoever reads the collection). */
  owner?: string;
}

/** A platform's settings and cut-offs for one run. */
interface Group {
  platform: string;
  settings: RetentionSettings;
}

export class RetentionJob {
  private readonly leaseMs: number;
  private readonly batchSize: number;
  private readonly idsPerScan: number;
  private readonly owner: string;

  constructor(private readonly opts: RetentionJobOptions) {
    this.leaseMs = opts.leaseMs ?? 3600_000;
    this.batchSize = opts.batchSize ?? 500;
    this.idsPerScan = opts.idsPerScan ?? 20_000;
    this.owner = opts.owner ?? crypto.randomBytes(6).toString('base64url');
  }

  async run(options: { dryRun: boolean; now?: Date }): Promise<RetentionReport> {
    const startedMs = Date.now();
    const at = options.now ?? new Date(startedMs);
    const report = (counts: RetentionCount[], extra: Partial<RetentionReport> = {}): RetentionReport => ({
      dryRun: options.dryRun,
      at,
      ...extra,
      counts,
      total: counts.reduce((n, c) => n + c.count, 0),
      durationMs: Date.now() - startedMs,
    });
    // A dry run changes nothing, so it needs no lease and may run beside a real purge.
    const lease = options.dryRun ? null : await this.takeLease(at);
    if (!options.dryRun && !lease) return report([], { skipped: 'leaseHeld' });
    try {
      if (lease) await PrivacyLease.deleteMany({ expiresAt: olderThan(at) });
      // Time on the run's own clock (`at` may be given): past the lease, another instance may start.
      const leaseOver = () => lease !== null && at.getTime() + (Date.now() - startedMs) >= lease.heldUntil;
      const { groups, platformOf } = await this.groups();
      const counts: RetentionCount[] = [];
      for (const rule of RETENTION_RULES) {
        const finished = await this.applyRule(rule, groups, platformOf, at, options.dryRun, leaseOver, counts);
        if (!finished) return report(counts, { unfinished: true });
      }
      return report(counts);
    } finally {
      await lease?.releaseNext();
    }
  }

  /**
   * Claims slot k (and k+1, so a run that spills into the next slot is not joined by another
   * instance there); null when slot k is taken. Slot k is kept after the run — one purge per slot —
   * and k+1 given back, so the next slot's run is not skipped.
   */
  private async takeLease(at: Date): Promise<{ heldUntil: number; releaseNext(): Promise<void> } | null> {
    const slot = Math.floor(at.getTime() / this.leaseMs);
    const claim = async (s: number): Promise<boolean> => {
      try {
        await PrivacyLease.create({
          _id: retentionLeaseId(s),
          owner: this.owner,
          expiresAt: new Date((s + 1) * this.leaseMs),
        });
        return true;
      } catch (err) {
        if (isDuplicateKey(err)) return false;
        throw err;
      }
    };
    if (!(await claim(slot))) return null;
    const next = await claim(slot + 1);
    return {
      heldUntil: (slot + (next ? 2 : 1)) * this.leaseMs,
      // The exact `_id` this run inserted: it can only remove its own record.
      releaseNext: async () => {
        if (next) await PrivacyLease.deleteOne({ _id: retentionLeaseId(slot + 1) });
      },
    };
  }

  /** Each known platform's settings, the global ones, and each course's platform. */
  private async groups(): Promise<{ groups: Map<string, Group>; platformOf: Map<string, string> }> {
    const courses = await Course.find({}, { _id: 1, 'platform.issuer': 1, 'platform.clientId': 1 }).lean<
      Array<{ _id: string; platform?: { issuer?: string; clientId?: string } }>
    >();
    const platformOf = new Map<string, string>();
    for (const c of courses)
      if (c.platform?.issuer && c.platform.clientId)
        platformOf.set(c._id, platformKeyOf(c.platform.issuer, c.platform.clientId));
    const groups = new Map<string, Group>();
    for (const platform of [...new Set(platformOf.values())].sort())
      groups.set(platform, { platform, settings: await this.opts.policy.settingsFor(platform) });
    groups.set(GLOBAL_ISSUER, { platform: GLOBAL_ISSUER, settings: await this.opts.policy.settingsFor(GLOBAL_ISSUER) });
    return { groups, platformOf };
  }

  /** One rule over every platform; false when the lease ran out first. Appends its counts. */
  private async applyRule(
    rule: RetentionRule,
    groups: Map<string, Group>,
    platformOf: Map<string, string>,
    now: Date,
    dryRun: boolean,
    leaseOver: () => boolean,
    out: RetentionCount[],
  ): Promise<boolean> {
    const cutoffs = new Map([...groups.values()].map((g) => [g.platform, cutoffOf(now, g.settings[rule.setting])]));
    const entries = new Map<string, RetentionCount>();
    const entryOf = (platform: string): RetentionCount => {
      let entry = entries.get(platform);
      if (!entry) {
        const days = (groups.get(platform) as Group).settings[rule.setting];
        entry = {
          rule: rule.rule,
          collection: rule.collection,
          action: rule.action,
          platform,
          setting: rule.setting,
          days,
          cutoff: cutoffOf(now, days),
          count: 0,
        };
        entries.set(platform, entry);
      }
      return entry;
    };
    // Every platform the rule can concern is reported, 0 or not, so a dry run shows each cut-off.
    for (const g of groups.values()) {
      const concerns = g.platform === GLOBAL_ISSUER ? rule.scope !== 'course' : rule.scope !== 'global';
      if (concerns) entryOf(g.platform);
    }
    const latestCutoff = new Date(Math.max(...[...cutoffs.values()].map((d) => d.getTime())));
    let finished = true;
    for (;;) {
      // Scan, gathering due ids per platform; then delete them by `_id` with no cursor open (a
      // cursor over records being deleted is not something every MongoDB-wire server promises).
      const due = new Map<string, string[]>();
      let gathered = 0;
      const cursor = rule.open(latestCutoff);
      try {
        for (let c = await cursor.next(); c !== null; c = await cursor.next()) {
          const platform = c.courseKey === null ? GLOBAL_ISSUER : (platformOf.get(c.courseKey) ?? GLOBAL_ISSUER);
          const group = groups.get(platform) as Group;
          if (!(c.at < (cutoffs.get(platform) as Date)) || rule.keep?.(c, group.settings, now)) continue;
          if (dryRun) {
            entryOf(platform).count += 1;
            continue;
          }
          const ids = due.get(platform);
          if (ids) ids.push(c._id);
          else due.set(platform, [c._id]);
          if (++gathered >= this.idsPerScan) break;
        }
      } finally {
        await cursor.close();
      }
      if (dryRun) break;
      let changed = 0;
      for (const [platform, ids] of due) {
        for (let i = 0; i < ids.length; i += this.batchSize) {
          if (leaseOver()) {
            finished = false;
            break;
          }
          const n = await rule.apply(ids.slice(i, i + this.batchSize));
          entryOf(platform).count += n;
          changed += n;
        }
        if (!finished) break;
      }
      // A full scan may have left more; a scan that changed nothing will not change anything next time either.
      if (!finished || gathered < this.idsPerScan || changed === 0) break;
    }
    out.push(...entries.values());
    return finished;
  }
}

/** The figures of a report, for a log line: counts only, never a record's content or `_id`. */
export function retentionSummary(report: RetentionReport): Record<string, unknown> {
  return {
    dryRun: report.dryRun,
    skipped: report.skipped,
    unfinished: report.unfinished,
    total: report.total,
    durationMs: report.durationMs,
    counts: report.counts
      .filter((c) => c.count > 0)
      .map((c) => ({ rule: c.rule, platform: c.platform, days: c.days, count: c.count })),
  };
}

/** Where the scheduled job reports (a pino logger fits). */
export interface RetentionLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * Runs the purge every `everyMs` on this instance (the lease lets one instance per slot do it;
 * `everyMs` should not be shorter than the job's lease slot, or runs in the same slot are skipped).
 * The first run comes after `firstDelayMs`, once the app is up. Returns a stop function.
 */
export function startRetentionJob(
  job: RetentionJob,
  opts: { everyMs: number; log: RetentionLog; firstDelayMs?: number },
): () => void {
  let running = false;
  const tick = () => {
    // A run still going (a big first purge) is not joined by the next tick on the same instance.
    if (running) return;
    running = true;
    job
      .run({ dryRun: false })
      .then((report) => {
        if (report.skipped)
          opts.log.info(retentionSummary(report), 'retention purge skipped: another instance holds the lease');
        else opts.log.info(retentionSummary(report), 'retention purge done');
      })
      .catch((err: unknown) => opts.log.warn({ err }, 'retention purge failed'))
      .finally(() => {
        running = false;
      });
  };
  const first = setTimeout(tick, opts.firstDelayMs ?? 30_000);
  first.unref();
  const timer = setInterval(tick, opts.everyMs);
  timer.unref();
  return () => {
    clearTimeout(first);
    clearInterval(timer);
  };
}
