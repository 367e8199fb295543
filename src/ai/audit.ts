/**
 * The AI audit: one record per coaching turn or coach's draft, whichever engine answered — who (a pseudonym, not
 * the LTI user id), where, which lens and prompt version, which model, tokens, latency, outcome,
 * and how much was redacted. The participant's text and the answer are kept only when an admin
 * turns that on (and then fall under the retention setting of the governance work).
 */
import crypto from 'node:crypto';
import mongoose, { Schema } from 'mongoose';
import { defineModel } from '../db/model';
import { csvText } from '../core/csv';

export interface AuditDoc {
  _id: string;
  at: Date;
  courseKey: string;
  activityId: string;
  /** HMAC of (platform, user id) with the instance key: stable per person, not reversible without the key. */
  user: string;
  lensId: string;
  promptVersion?: string;
  model?: string;
  engine: 'ai' | 'offline';
  /** 'answered', or why the offline engine answered. */
  outcome: string;
  detail?: string;
  tokens: { prompt: number; completion: number };
  latencyMs: number;
  calls: number;
  redactions: Record<string, number>;
  raw?: { text: string; answer: unknown };
}

const auditSchema = new Schema<AuditDoc>(
  {
    _id: { type: String, required: true },
    at: { type: Date, required: true },
    courseKey: { type: String, required: true },
    activityId: { type: String, required: true },
    user: { type: String, required: true },
    lensId: String,
    promptVersion: String,
    model: String,
    engine: { type: String, required: true },
    outcome: { type: String, required: true },
    detail: String,
    tokens: { prompt: Number, completion: Number },
    latencyMs: Number,
    calls: Number,
    redactions: { type: Schema.Types.Mixed, default: {} },
    raw: { type: Schema.Types.Mixed },
  },
  { collection: 'ai_audit', autoIndex: false, _id: false, minimize: false },
);
auditSchema.index({ courseKey: 1, at: -1 });

export const AuditRecord = defineModel('AiAuditRecord', auditSchema);

export function pseudonymOf(secret: string, platform: string, userId: string): string {
  return crypto
    .createHmac('sha256', secret)
    .update(JSON.stringify(['ai-audit', platform, userId]))
    .digest('base64url')
    .slice(0, 22);
}

type Usage = { promptTokens: number; completionTokens: number };

/** What any AI task reports (a participant's lens turn, a coach's draft). */
export type AuditedResult =
  | {
      engine: 'ai';
      promptVersion: string;
      model: string;
      usage: Usage;
      latencyMs: number;
      calls: number;
      redactions?: Record<string, number>;
      answer: unknown;
    }
  | {
      engine: 'offline';
      reason: string;
      detail?: string;
      usage?: Usage;
      calls: number;
      redactions?: Record<string, number>;
      answer: unknown;
    };

export interface AuditEntry {
  courseKey: string;
  activityId: string;
  user: string;
  /** The lens, or the task's prompt id (a coach's draft). */
  lensId: string;
  result: AuditedResult;
  text: string;
}

export class AiAudit {
  constructor(private readonly opts: { keepRawText: () => boolean; now?: () => Date }) {}

  async record(entry: AuditEntry): Promise<AuditDoc> {
    const r = entry.result;
    const doc: AuditDoc = {
      _id: crypto.randomBytes(12).toString('base64url'),
      at: (this.opts.now ?? (() => new Date()))(),
      courseKey: entry.courseKey,
      activityId: entry.activityId,
      user: entry.user,
      lensId: entry.lensId,
      engine: r.engine,
      outcome: r.engine === 'ai' ? 'answered' : r.reason,
      tokens: { prompt: r.usage?.promptTokens ?? 0, completion: r.usage?.completionTokens ?? 0 },
      latencyMs: r.engine === 'ai' ? r.latencyMs : 0,
      calls: r.calls,
      redactions: r.redactions ?? {},
      ...(r.engine === 'ai'
        ? { promptVersion: r.promptVersion, model: r.model }
        : { ...(r.detail ? { detail: r.detail.slice(0, 300) } : {}) }),
      ...(this.opts.keepRawText() ? { raw: { text: entry.text, answer: r.answer } } : {}),
    };
    await AuditRecord.create(doc);
    return doc;
  }
}

export interface AuditQuery {
  /** The courses the reader may see (an admin: their platform's). */
  courseKeys: string[];
  courseKey?: string;
  lensId?: string;
  engine?: 'ai' | 'offline';
  outcome?: string;
  from?: Date;
  to?: Date;
}

/** Audit records matching the query, newest first (raw text never included: it is for the retention job and the person's own export). */
export async function auditRecords(
  q: AuditQuery,
  limit: number,
  skip = 0,
): Promise<{ rows: AuditDoc[]; total: number }> {
  const courses = q.courseKey ? q.courseKeys.filter((k) => k === q.courseKey) : q.courseKeys;
  const filter: Record<string, unknown> = { courseKey: mongoose.trusted({ $in: courses }) };
  if (q.lensId) filter.lensId = q.lensId;
  if (q.engine) filter.engine = q.engine;
  if (q.outcome) filter.outcome = q.outcome;
  if (q.from || q.to)
    filter.at = mongoose.trusted({ ...(q.from ? { $gte: q.from } : {}), ...(q.to ? { $lt: q.to } : {}) });
  const [rows, total] = await Promise.all([
    AuditRecord.find(filter, { raw: 0 }).sort({ at: -1 }).skip(skip).limit(limit).lean<AuditDoc[]>(),
    AuditRecord.countDocuments(filter),
  ]);
  return { rows, total };
}

const CSV_COLUMNS = [
  'at',
  'courseKey',
  'activityId',
  'user',
  'lensId',
  'promptVersion',
  'model',
  'engine',
  'outcome',
  'promptTokens',
  'completionTokens',
  'latencyMs',
  'calls',
  'redactedNames',
  'redactedIds',
  'redactedContacts',
] as const;

/** The audit rows as CSV (header first, CRLF line ends), pseudonyms only. */
export function auditCsv(rows: readonly AuditDoc[]): string {
  return csvText(
    CSV_COLUMNS,
    rows.map((r) => {
      const red = r.redactions ?? {};
      return [
        r.at,
        r.courseKey,
        r.activityId,
        r.user,
        r.lensId,
        r.promptVersion,
        r.model,
        r.engine,
        r.outcome,
        r.tokens?.prompt,
        r.tokens?.completion,
        r.latencyMs,
        r.calls,
        red.name ?? 0,
        (red.nip ?? 0) + (red.nik ?? 0),
        (red.email ?? 0) + (red.phone ?? 0),
      ];
    }),
  );
}
