/**
 * The coach's review as pure functions: reading the rubric form, the score it gives, the comment
 * the gradebook receives (which says who decided and whether AI helped), and how the decision
 * compares with the AI draft (the governance monitor counts drafts accepted unchanged).
 */
import crypto from 'node:crypto';
import { validateReviewForm } from './schema';
import { scaledScore } from '../domain';
import type { ActivityDoc } from '../models';

export const MAX_COMMENT_CHARS = 4000;
export const MAX_ENTRY_COMMENT_CHARS = 2000;

/** What the AI (or offline engine) proposed; labelled as a draft wherever it is shown. */
export interface ReviewDraft {
  engine: 'ai' | 'offline';
  model?: string;
  promptVersion?: string;
  feedback: string;
  /** criterion id → suggested level index, with the participant's words that support it and why. */
  levels: Record<string, { level: number; evidence?: string; reason?: string }>;
  /** Why the offline engine drafted instead of the AI (absent for an AI draft). */
  offlineReason?: string;
  /** What was replaced before the text was sent (an AI draft). */
  redactions?: Record<string, number>;
  createdAt: Date;
}

export interface ReviewDecision {
  revision: number;
  /** criterion id → chosen level index. */
  levels: Record<string, number>;
  computedScore: number;
  override?: { score: number; reason: string };
  score: number;
  comment: string;
  /** Comments on single entries (entry key → text), shown to the participant beside each. */
  entryComments?: Record<string, string>;
  release: 'now' | 'held';
  by: { id: string; name: string };
  at: Date;
  /** How far the coach moved from the AI draft they saw (absent when there was none). */
  draft?: DraftComparison;
  /** Seconds from opening the review form to finalizing it (for the automation-bias monitor). */
  reviewSeconds?: number;
  /** Made without the draft in view: a blind re-marking sample (the draft is shown only after). */
  blind?: boolean;
}

export interface DraftComparison {
  engine: ReviewDraft['engine'];
  levelsChanged: number;
  criteria: number;
  commentChanged: boolean;
  /** Final score minus the draft's suggested score. */
  scoreDelta: number;
  /** The draft's suggested score, when it suggested a level for every criterion (an offline draft suggests none). */
  suggestedScore?: number;
  acceptedUnchanged: boolean;
}

export type ReviewProblem = { field: string; key: string; vars?: Record<string, string> };

/** Points of the chosen levels, scaled to the activity's maximum score. */
export function rubricScore(
  activity: Pick<ActivityDoc, 'rubric' | 'maxScore'>,
  levels: Record<string, number>,
): number {
  const points = activity.rubric.criteria.reduce((sum, c) => sum + (c.levels[levels[c.id]]?.points ?? 0), 0);
  return scaledScore(points, activity.rubric, activity.maxScore);
}

/** The draft's suggested score (levels it left out count as nothing). */
export function draftScore(activity: Pick<ActivityDoc, 'rubric' | 'maxScore'>, draft: ReviewDraft): number {
  return rubricScore(activity, Object.fromEntries(Object.entries(draft.levels).map(([k, v]) => [k, v.level])));
}

function parseScore(raw: string): number | undefined {
  const text = raw.trim().replace(',', '.');
  if (!/^\d{1,6}(\.\d{1,2})?$/.test(text)) return undefined;
  return Number(text);
}

export type ParsedReview =
  | {
      ok: true;
      levels: Record<string, number>;
      computedScore: number;
      override?: { score: number; reason: string };
      score: number;
      comment: string;
      entryComments: Record<string, string>;
      release: 'now' | 'held';
      expectedRevision: number;
    }
  | { ok: false; problems: ReviewProblem[] };

/** Reads the review form (`level.<criterion>`, `override`, `overrideReason`, `comment`, `release`, `revision`) or lists every problem. */
export function parseReviewForm(activity: Pick<ActivityDoc, 'rubric' | 'maxScore'>, body: unknown): ParsedReview {
  if (!validateReviewForm(body)) return { ok: false, problems: [{ field: 'form', key: 'review.badForm' }] };
  const problems: ReviewProblem[] = [];
  const levels: Record<string, number> = {};
  for (const c of activity.rubric.criteria) {
    const raw = body[`level.${c.id}`];
    const index = raw !== undefined && /^\d{1,3}$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isInteger(index) || !c.levels[index])
      problems.push({ field: `level.${c.id}`, key: 'review.chooseLevel', vars: { criterion: c.name } });
    else levels[c.id] = index;
  }
  const comment = (body.comment ?? '').replace(/\r\n?/g, '\n').trim();
  if (comment.length > MAX_COMMENT_CHARS)
    problems.push({ field: 'comment', key: 'review.commentTooLong', vars: { max: String(MAX_COMMENT_CHARS) } });
  // `entryComment.<key>`: a comment beside one entry; empty ones are no comment.
  const entryComments: Record<string, string> = {};
  for (const [field, raw] of Object.entries(body)) {
    const key = /^entryComment\.([\w-]{1,120})$/.exec(field)?.[1];
    const text = (raw ?? '').replace(/\r\n?/g, '\n').trim();
    if (!key || !text) continue;
    if (text.length > MAX_ENTRY_COMMENT_CHARS)
      problems.push({ field, key: 'review.commentTooLong', vars: { max: String(MAX_ENTRY_COMMENT_CHARS) } });
    else entryComments[key] = text;
  }
  let override: { score: number; reason: string } | undefined;
  const overrideRaw = (body.override ?? '').trim();
  if (overrideRaw !== '') {
    const score = parseScore(overrideRaw);
    const reason = (body.overrideReason ?? '').trim();
    if (score === undefined || score > activity.maxScore)
      problems.push({ field: 'override', key: 'review.badOverride', vars: { max: String(activity.maxScore) } });
    if (reason.length < 5 || reason.length > 1000)
      problems.push({ field: 'overrideReason', key: 'review.overrideNeedsReason' });
    if (score !== undefined && score <= activity.maxScore && reason.length >= 5 && reason.length <= 1000)
      override = { score, reason };
  }
  if (problems.length) return { ok: false, problems };
  const computedScore = rubricScore(activity, levels);
  return {
    ok: true,
    levels,
    computedScore,
    override,
    score: override ? override.score : computedScore,
    comment,
    entryComments,
    release: body.release === 'held' ? 'held' : 'now',
    expectedRevision: body.revision ? Number(body.revision) : 0,
  };
}

export function compareWithDraft(
  activity: Pick<ActivityDoc, 'rubric' | 'maxScore'>,
  draft: ReviewDraft,
  decision: { levels: Record<string, number>; score: number; comment: string },
): DraftComparison {
  const criteria = activity.rubric.criteria.length;
  const levelsChanged = activity.rubric.criteria.filter(
    (c) => draft.levels[c.id]?.level !== decision.levels[c.id],
  ).length;
  const commentChanged = draft.feedback.trim() !== decision.comment.trim();
  const suggested = draftScore(activity, draft);
  const scoreDelta = Math.round((decision.score - suggested) * 100) / 100;
  // A score to audit only from the AI: the offline engine suggests a few levels, below the top by
  // design, which are not a score.
  const complete = draft.engine === 'ai' && activity.rubric.criteria.every((c) => draft.levels[c.id] !== undefined);
  return {
    engine: draft.engine,
    levelsChanged,
    criteria,
    commentChanged,
    scoreDelta,
    ...(complete ? { suggestedScore: suggested } : {}),
    acceptedUnchanged: levelsChanged === 0 && !commentChanged && scoreDelta === 0,
  };
}

/**
 * The comment the gradebook shows the participant: the coach's words, then who decided. Written in
 * the activity's language; names the AI only when an AI draft was in front of the coach.
 */
export function gradebookComment(
  locale: 'id' | 'en',
  comment: string,
  coachName: string,
  draft?: Pick<ReviewDraft, 'engine'>,
): string {
  const aiHelped = draft?.engine === 'ai';
  // A name ending in a degree ("… M.Pd.") must not end the sentence with two full stops.
  coachName = coachName.replace(/\.+$/, '');
  const signature =
    locale === 'en'
      ? aiHelped
        ? `Feedback drafted with AI assistance and approved by ${coachName}.`
        : `Reviewed and scored by ${coachName}.`
      : aiHelped
        ? `Umpan balik disusun dengan bantuan AI dan disetujui oleh ${coachName}.`
        : `Ditinjau dan dinilai oleh ${coachName}.`;
  return comment ? `${comment}\n\n— ${signature}` : signature;
}

/** Whether a submission is in the blind re-marking sample: a stable share of (activity, participant) pairs. */
export function inBlindSample(activityId: string, userId: string, share: number): boolean {
  if (!(share > 0)) return false;
  const hash = crypto
    .createHash('sha256')
    .update(JSON.stringify(['blind', activityId, userId]))
    .digest();
  return hash.readUInt32BE(0) / 0x1_0000_0000 < share;
}

/** Seconds between the review form's opening (its hidden `openedAt`) and now, when plausible (under 8 hours). */
export function reviewSecondsSince(openedAt: unknown, now: Date): number | undefined {
  if (typeof openedAt !== 'string' || !/^\d{13}$/.test(openedAt)) return undefined;
  const seconds = Math.round((now.getTime() - Number(openedAt)) / 1000);
  return seconds >= 0 && seconds <= 8 * 3600 ? seconds : undefined;
}
