/**
 * The participant's AI turns on their journal: which lenses an activity offers, asking one on a
 * saved entry (consent first when an AI provider is set), and the latest answer per entry with
 * what the page must say about it (which engine, lens, prompt version, model, what was redacted).
 * Every turn is kept (insert-only); the latest per entry is one record read by `_id`.
 */
import crypto from 'node:crypto';
import { Schema } from 'mongoose';
import type { CoachEngine, TurnListener, TurnResult } from '../../ai/coach-engine';
import type { LensLibrary } from '../../ai/lenses';
import { lensContext } from '../../ai/prompt';
import type { NameMatcher } from '../../ai/redaction';
import { idOf } from '../../db/ids';
import { defineModel, findByIds, isDuplicateKey, putById } from '../../db/model';
import type { LaunchContext } from '../../domain/launch';
import type { ConsentService } from '../../consent/consent';
import { screenReflection, type SafetyCategory, type SafetyResult } from '../../ai/safety';
import type { ActivityDoc, EntryDoc } from '../models';

export interface StoredTurn {
  _id: string;
  at: Date;
  courseKey: string;
  activityId: string;
  userId: string;
  key: string;
  lensId: string;
  result: TurnResult;
}

interface LatestDoc {
  _id: string;
  latest: StoredTurn;
  asked: string[];
}

const turnSchema = new Schema<StoredTurn>(
  {
    _id: { type: String, required: true },
    at: Date,
    courseKey: String,
    activityId: String,
    userId: String,
    key: String,
    lensId: String,
    result: { type: Schema.Types.Mixed, required: true },
  },
  { collection: 'coaching_ai_turns', autoIndex: false, _id: false, minimize: false },
);
turnSchema.index({ courseKey: 1, userId: 1 });
const latestSchema = new Schema<LatestDoc>(
  {
    _id: { type: String, required: true },
    latest: { type: Schema.Types.Mixed },
    asked: { type: [String], default: [] },
  },
  { collection: 'coaching_ai_latest', autoIndex: false, _id: false, minimize: false },
);

export const AiTurn = defineModel('CoachingAiTurn', turnSchema);

/** A safety hit in a participant's text, for the course's coaches (also from private entries). */
export interface SafetyAlertDoc {
  _id: string;
  at: Date;
  courseKey: string;
  activityId: string;
  userId: string;
  userName?: string;
  key: string;
  category: SafetyCategory;
  severity: 'high' | 'medium';
  /** The matched words only, not the entry. */
  phrases: string[];
  /** A coach's "Sudah saya tindak lanjuti": who, when and what they did. Open until then. */
  followUp?: SafetyFollowUp;
}
export interface SafetyFollowUp {
  at: Date;
  by: { id: string; name: string };
  note: string;
}
const alertSchema = new Schema<SafetyAlertDoc>(
  {
    _id: { type: String, required: true },
    at: Date,
    courseKey: String,
    activityId: String,
    userId: String,
    userName: String,
    key: String,
    category: String,
    severity: String,
    phrases: [String],
    followUp: { type: Schema.Types.Mixed },
  },
  { collection: 'coaching_safety_alerts', autoIndex: false, _id: false },
);
alertSchema.index({ courseKey: 1, at: -1 });
export const SafetyAlert = defineModel('CoachingSafetyAlert', alertSchema);

/**
 * "This participant may have an open alert", read by `_id` on every journal view (which reads
 * nothing else by a query): written with each alert, checked against the alerts only when present,
 * and removed once none is open (followed up, or purged by retention).
 */
interface SafetyHintDoc {
  _id: string;
  courseKey: string;
  userId: string;
  at: Date;
}
export const SafetyHint = defineModel(
  'CoachingSafetyHint',
  new Schema<SafetyHintDoc>(
    { _id: { type: String, required: true }, courseKey: String, userId: String, at: Date },
    { collection: 'coaching_safety_hints', autoIndex: false, _id: false },
  ),
);
const hintId = (courseKey: string, userId: string) => idOf('sah', courseKey, userId);
export const AiLatest = defineModel('CoachingAiLatest', latestSchema);

/** The course's safety alerts, newest first. */
export async function safetyAlerts(courseKey: string): Promise<SafetyAlertDoc[]> {
  return SafetyAlert.find({ courseKey }).sort({ at: -1 }).limit(200).lean<SafetyAlertDoc[]>();
}

/** The course's alerts no coach has followed up yet, newest first (what the badge counts). */
export async function openSafetyAlerts(courseKey: string): Promise<SafetyAlertDoc[]> {
  // `followUp: null` matches an alert without one (a value, not an operator).
  return SafetyAlert.find({ courseKey, followUp: null }).sort({ at: -1 }).limit(200).lean<SafetyAlertDoc[]>();
}

/** Whether one participant has an alert no coach has followed up yet. */
export async function hasOpenSafetyAlert(courseKey: string, userId: string): Promise<boolean> {
  const id = hintId(courseKey, userId);
  const hint = await SafetyHint.findById(id).lean<SafetyHintDoc>();
  if (!hint) return false;
  const open = (await SafetyAlert.exists({ courseKey, userId, followUp: null })) !== null;
  // Only the hint read here: one a new alert wrote meanwhile (a later `at`) stays.
  if (!open) await SafetyHint.deleteOne({ _id: id, at: hint.at });
  return open;
}

/** Records a coach's follow-up once: false when the alert is not this course's or was followed up already. */
export async function followUpSafetyAlert(
  courseKey: string,
  alertId: string,
  followUp: SafetyFollowUp,
): Promise<boolean> {
  const res = await SafetyAlert.updateOne({ _id: alertId, courseKey, followUp: null }, { $set: { followUp } });
  return res.modifiedCount === 1;
}

const latestId = (activityId: string, userId: string, key: string) => idOf('ail', activityId, userId, key);

export interface AiCoachingDeps {
  engine: CoachEngine;
  lenses: LensLibrary;
  consent: ConsentService;
  /** Whether a provider is in force for the platform (then the participant is asked for consent first) and how participants see it named. */
  providerInfo(platform: string): Promise<{ configured: boolean; name: string }>;
  namesOf(courseKey: string): Promise<NameMatcher>;
  pseudonymOf(platform: string, userId: string): string;
  /** Lenses the platform's admin (or the operator) turned off (read per request: they may change while Cermin runs). */
  disabledLenses?: (platform: string) => Promise<readonly string[]>;
  now?: () => Date;
}

export class AiCoaching {
  constructor(private readonly deps: AiCoachingDeps) {}

  /** How the provider in force for the platform is named to participants (the "why this answer" card). */
  async providerName(platform: string): Promise<string> {
    return (await this.deps.providerInfo(platform)).name;
  }

  /** Whether the platform has an AI provider at all (else only the question bank answers). */
  async providerConfigured(platform: string): Promise<boolean> {
    return (await this.deps.providerInfo(platform)).configured;
  }

  /** The lenses an activity offers on a platform: its AI mode's, less those an admin turned off. */
  async lensesFor(
    platform: string,
    activity: ActivityDoc,
    locale: 'id' | 'en',
  ): Promise<Array<{ id: string; name: string; description: string }>> {
    const off = await this.disabledLenses(platform);
    return this.deps.lenses
      .lensesFor(activity.aiMode)
      .filter((l) => !off.has(l.id))
      .map((l) => ({ id: l.id, name: l.name[locale], description: l.description[locale] }));
  }

  private async disabledLenses(platform: string): Promise<ReadonlySet<string>> {
    return new Set(this.deps.disabledLenses ? await this.deps.disabledLenses(platform) : []);
  }

  async latest(activity: ActivityDoc, userId: string, keys: string[]): Promise<Map<string, StoredTurn>> {
    if (!keys.length) return new Map();
    // By `_id`: a record each for a few entries, one query for a long journal's dozens (findByIds).
    const found = await findByIds<LatestDoc>(
      AiLatest,
      keys.map((k) => latestId(activity._id, userId, k)),
    );
    return new Map(found.filter((d) => Boolean(d.latest)).map((d) => [d.latest.key, d.latest]));
  }

  /** A provider is set and this person has not answered the consent question as it stands (declining counts as an answer). */
  async mustAskConsent(ctx: LaunchContext): Promise<boolean> {
    return (
      (await this.deps.providerInfo(ctx.platform.key)).configured &&
      this.deps.consent.mustAsk(ctx.platform.key, ctx.user.id)
    );
  }

  /** One lens on one saved entry, streamed to `listener` when given. The turn is stored before its result is shown. */
  async reflect(
    ctx: LaunchContext,
    activity: ActivityDoc,
    entry: EntryDoc,
    lensId: string,
    safety: SafetyResult = screenReflection(entry.text),
    listener?: TurnListener,
  ): Promise<StoredTurn> {
    const id = latestId(activity._id, ctx.user.id, entry.key);
    const previous = await AiLatest.findById(id).lean<LatestDoc>();
    const section = activity.sections.find((s) => s.prompts.some((p) => p.id === entry.key));
    const prompt = section?.prompts.find((p) => p.id === entry.key);
    const context = section ? lensContext(activity.templateId, section.id, entry.key) : {};
    // A safety alert is written first: nothing that fails later may lose it. Its `_id` names the
    // entry and its text, so asking again about the same words does not alert the coach again.
    if (safety.top) {
      const top = safety.hits.find((h) => h.category === safety.top);
      const textHash = crypto.createHash('sha256').update(entry.text).digest('base64url').slice(0, 16);
      try {
        await SafetyAlert.create({
          _id: idOf('sa', activity._id, ctx.user.id, entry.key, textHash),
          at: (this.deps.now ?? (() => new Date()))(),
          courseKey: activity.courseKey,
          activityId: activity._id,
          userId: ctx.user.id,
          userName: ctx.user.name,
          key: entry.key,
          category: safety.top,
          severity: safety.stepBack ? 'high' : (top?.severity ?? 'medium'),
          phrases: safety.hits.map((h) => h.phrase.slice(0, 80)).slice(0, 5),
        });
        const { courseKey } = activity;
        await putById(SafetyHint, hintId(courseKey, ctx.user.id), { courseKey, userId: ctx.user.id, at: new Date() });
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
    }
    const result = await this.deps.engine.turn(
      {
        platform: ctx.platform.key,
        courseKey: activity.courseKey,
        activityId: activity._id,
        userKey: this.deps.pseudonymOf(ctx.platform.key, ctx.user.id),
        lensId,
        aiMode: activity.aiMode,
        consented: await this.deps.consent.hasConsent(ctx.platform.key, ctx.user.id),
        activity: {
          templateId: activity.templateId,
          title: activity.title,
          kind: activity.kind,
          locale: activity.locale,
        },
        promptText: prompt?.text ?? activity.instructions.slice(0, 500),
        text: entry.text,
        phase: context.phase,
        value: context.value,
        locale: ctx.locale,
        names: await this.deps.namesOf(activity.courseKey),
        self: { name: ctx.user.name ?? '', givenName: ctx.user.givenName, familyName: ctx.user.familyName },
        asked: previous?.asked ?? [],
        safety,
        disabledLenses: await this.disabledLenses(ctx.platform.key),
      },
      listener,
    );
    const turn: StoredTurn = {
      _id: crypto.randomBytes(12).toString('base64url'),
      at: (this.deps.now ?? (() => new Date()))(),
      courseKey: activity.courseKey,
      activityId: activity._id,
      userId: ctx.user.id,
      key: entry.key,
      lensId,
      result,
    };
    // Shown questions only (a safety turn shows none); the pointer first, so a crash after it loses only the history copy.
    const shown =
      result.engine === 'offline' && result.reason !== 'safety' ? result.answer.questions.map((q) => q.id) : [];
    await putById(AiLatest, id, { latest: turn, asked: [...(previous?.asked ?? []), ...shown].slice(-200) });
    await AiTurn.create(turn);
    return turn;
  }
}
