/**
 * Reviews: the AI draft (when the engine made one) and the coach's decisions, each kept. A
 * decision is written first (its `_id` names the review revision, so of two coaches finalizing at
 * once exactly one wins), then its score goes into the grade outbox, then the review points at it.
 */
import { Schema } from 'mongoose';
import { defineModel, isDuplicateKey, putById } from '../../db/model';
import { courseScope, markChanged } from '../../db/change-marks';
import type { GradeOutbox } from '../../grades/outbox';
import { decisionId, reviewId, workId } from '../ids';
import { Work, type ActivityDoc, type WorkDoc } from '../models';
import { compareWithDraft, gradebookComment, type ReviewDecision, type ReviewDraft } from './domain';

export interface ReviewDoc {
  _id: string;
  courseKey: string;
  activityId: string;
  userId: string;
  userName?: string;
  revision: number;
  draft?: ReviewDraft;
  /** The latest decision; `released` once its score is in the outbox. */
  decision?: ReviewDecision & { released: boolean };
  updatedAt: Date;
}

interface DecisionDoc {
  _id: string;
  courseKey: string;
  activityId: string;
  userId: string;
  decision: ReviewDecision;
}

const reviewSchema = new Schema<ReviewDoc>(
  {
    _id: { type: String, required: true },
    courseKey: { type: String, required: true },
    activityId: { type: String, required: true },
    userId: { type: String, required: true },
    userName: String,
    revision: { type: Number, default: 0 },
    draft: { type: Schema.Types.Mixed },
    decision: { type: Schema.Types.Mixed },
    updatedAt: { type: Date, default: Date.now },
  },
  { collection: 'coaching_reviews', autoIndex: false, _id: false, minimize: false },
);
reviewSchema.index({ courseKey: 1, activityId: 1 });

const decisionSchema = new Schema<DecisionDoc>(
  {
    _id: { type: String, required: true },
    courseKey: { type: String, required: true },
    activityId: { type: String, required: true },
    userId: { type: String, required: true },
    decision: { type: Schema.Types.Mixed, required: true },
  },
  { collection: 'coaching_review_decisions', autoIndex: false, _id: false, minimize: false },
);

export const Review = defineModel('CoachingReview', reviewSchema);
export const ReviewDecisionRecord = defineModel('CoachingReviewDecision', decisionSchema);

/** A decision still applies while the work it judged is the submitted one (not reopened or submitted again since). */
export function isDecisionCurrent(
  decision: Pick<ReviewDecision, 'at'>,
  work: Pick<WorkDoc, 'status' | 'submittedAt' | 'reopenedAt'> | null | undefined,
): boolean {
  if (!work || work.status !== 'submitted') return false;
  return !(work.submittedAt && new Date(work.submittedAt) > new Date(decision.at));
}

export type FinalizeResult = { kind: 'finalized'; review: ReviewDoc } | { kind: 'conflict'; review: ReviewDoc | null };

/** The coach's decision as the form gives it, the review revision it was made on, and whether the submission is in the blind sample. */
export type FinalizeInput = Pick<
  ReviewDecision,
  | 'levels'
  | 'computedScore'
  | 'override'
  | 'score'
  | 'comment'
  | 'entryComments'
  | 'release'
  | 'reviewSeconds'
  | 'blind'
> & { expectedRevision: number };

export class ReviewService {
  private readonly now: () => Date;

  constructor(private readonly deps: { outbox: GradeOutbox; now?: () => Date }) {
    this.now = deps.now ?? (() => new Date());
  }

  /** The review, caught up with a decision whose pointer was never written (a crash in between). */
  async review(activity: ActivityDoc, userId: string): Promise<ReviewDoc | null> {
    let review = await Review.findById(reviewId(activity._id, userId)).lean<ReviewDoc>();
    for (;;) {
      const next = await ReviewDecisionRecord.findById(
        decisionId(activity._id, userId, (review?.revision ?? 0) + 1),
      ).lean<DecisionDoc>();
      if (!next || next.courseKey !== activity.courseKey) break;
      // "Send now" whose score never reached the outbox (the crash came first): send it now, as asked.
      let released = false;
      if (next.decision.release === 'now') {
        if (
          !(await this.deps.outbox.hasGradeSince(
            activity._id,
            userId,
            Math.floor(new Date(next.decision.at).getTime() / 1000),
          ))
        ) {
          await this.enqueueGrade(activity, userId, next.decision, next.decision.blind ? undefined : review?.draft);
        }
        released = true;
      }
      review = {
        _id: reviewId(activity._id, userId),
        courseKey: activity.courseKey,
        activityId: activity._id,
        userId,
        userName: review?.userName,
        draft: review?.draft,
        revision: next.decision.revision,
        decision: { ...next.decision, released },
        updatedAt: next.decision.at,
      };
      await putById(Review, review._id, { ...review });
      await markChanged(courseScope(activity.courseKey, 'reviews'));
    }
    return review && review.courseKey === activity.courseKey ? review : null;
  }

  /** Stores the engine's draft for the coach (issue: AI coach engine); it never becomes a grade by itself. */
  async saveDraft(activity: ActivityDoc, user: { id: string; name?: string }, draft: ReviewDraft): Promise<void> {
    const current = await this.review(activity, user.id);
    const doc: ReviewDoc = current
      ? { ...current, draft, updatedAt: this.now() }
      : {
          _id: reviewId(activity._id, user.id),
          courseKey: activity.courseKey,
          activityId: activity._id,
          userId: user.id,
          userName: user.name,
          revision: 0,
          draft,
          updatedAt: this.now(),
        };
    await putById(Review, doc._id, { ...doc });
  }

  async finalize(
    activity: ActivityDoc,
    coach: { id: string; name: string },
    participant: { id: string; name?: string },
    input: FinalizeInput,
  ): Promise<FinalizeResult> {
    const current = await this.review(activity, participant.id);
    const revision = (current?.revision ?? 0) + 1;
    if (input.expectedRevision !== (current?.revision ?? 0)) return { kind: 'conflict', review: current };
    const at = this.now();
    // In the blind sample only the first decision is blind: after it the draft is shown.
    const blind = input.blind === true && !current?.decision;
    const decision: ReviewDecision = {
      revision,
      levels: input.levels,
      computedScore: input.computedScore,
      score: input.score,
      comment: input.comment,
      release: input.release,
      by: coach,
      at,
      ...(input.override ? { override: input.override } : {}),
      ...(input.entryComments && Object.keys(input.entryComments).length ? { entryComments: input.entryComments } : {}),
      // A blind mark was made without the draft in view: nothing to compare with, and the AI did not help.
      ...(current?.draft && !blind ? { draft: compareWithDraft(activity, current.draft, input) } : {}),
      ...(input.reviewSeconds !== undefined ? { reviewSeconds: input.reviewSeconds } : {}),
      ...(blind ? { blind: true } : {}),
    };
    try {
      await ReviewDecisionRecord.create({
        _id: decisionId(activity._id, participant.id, revision),
        courseKey: activity.courseKey,
        activityId: activity._id,
        userId: participant.id,
        decision,
      });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      return { kind: 'conflict', review: await this.review(activity, participant.id) };
    }
    const seenDraft = blind ? undefined : current?.draft;
    if (input.release === 'now') await this.enqueueGrade(activity, participant.id, decision, seenDraft);
    const review: ReviewDoc = {
      _id: reviewId(activity._id, participant.id),
      courseKey: activity.courseKey,
      activityId: activity._id,
      userId: participant.id,
      userName: participant.name ?? current?.userName,
      revision,
      ...(current?.draft ? { draft: current.draft } : {}),
      decision: { ...decision, released: input.release === 'now' },
      updatedAt: at,
    };
    await putById(Review, review._id, { ...review });
    await markChanged(courseScope(activity.courseKey, 'reviews'));
    return { kind: 'finalized', review };
  }

  private async enqueueGrade(
    activity: ActivityDoc,
    userId: string,
    decision: ReviewDecision,
    draft?: ReviewDraft,
  ): Promise<void> {
    await this.deps.outbox.enqueue({
      courseKey: activity.courseKey,
      activityId: activity._id,
      userId,
      kind: 'grade',
      by: decision.by,
      payload: {
        scoreGiven: decision.score,
        scoreMaximum: activity.maxScore,
        activityProgress: 'Completed',
        gradingProgress: 'FullyGraded',
        comment: gradebookComment(activity.locale, decision.comment, decision.by.name, draft),
      },
    });
  }

  /**
   * Sends every reviewed grade the coaches held back, for the given activities. Each is read again
   * just before it is sent: a decision replaced meanwhile, or one the participant's work has moved
   * past (reopened, submitted again), is not sent. Returns how many were.
   */
  async releaseHeld(activities: ActivityDoc[]): Promise<number> {
    let released = 0;
    try {
      for (const activity of activities) {
        const held = (
          await Review.find({ courseKey: activity.courseKey, activityId: activity._id }, { draft: 0 }).lean<
            ReviewDoc[]
          >()
        ).filter((r) => r.decision && !r.decision.released);
        for (const r of held) {
          const fresh = await this.review(activity, r.userId);
          const decision = fresh?.decision;
          if (!fresh || !decision || decision.released || fresh.revision !== r.revision) continue;
          const work = await Work.findById(workId(activity._id, r.userId)).lean<WorkDoc>();
          if (!isDecisionCurrent(decision, work)) continue;
          await this.enqueueGrade(activity, r.userId, decision, decision.blind ? undefined : fresh.draft);
          await putById(Review, fresh._id, {
            ...fresh,
            decision: { ...decision, released: true },
            updatedAt: this.now(),
          });
          released += 1;
        }
      }
    } finally {
      // Also after a failure part-way: what was released shows.
      if (released)
        await Promise.all(
          [...new Set(activities.map((a) => a.courseKey))].map((k) => markChanged(courseScope(k, 'reviews'))),
        );
    }
    return released;
  }

  /** Every decision made in a course (each revision: each is a review act), with the review's current draft, for the monitor. */
  async decisionsInCourse(
    courseKey: string,
  ): Promise<Array<{ activityId: string; userId: string; decision: ReviewDecision; draft?: ReviewDraft }>> {
    const [decisions, reviews] = await Promise.all([
      ReviewDecisionRecord.find({ courseKey }).lean<DecisionDoc[]>(),
      Review.find({ courseKey }, { activityId: 1, userId: 1, draft: 1 }).lean<
        Array<Pick<ReviewDoc, 'activityId' | 'userId' | 'draft'>>
      >(),
    ]);
    const drafts = new Map(reviews.map((r) => [`${r.activityId}\n${r.userId}`, r.draft]));
    return decisions.map((d) => ({
      activityId: d.activityId,
      userId: d.userId,
      decision: d.decision,
      draft: drafts.get(`${d.activityId}\n${d.userId}`),
    }));
  }

  /** Every review of a course, without drafts (the roster needs only decisions). */
  async reviewsForCourse(courseKey: string): Promise<ReviewDoc[]> {
    return Review.find({ courseKey }, { draft: 0 }).lean<ReviewDoc[]>();
  }

  /** Every review of one activity, without drafts (the worklist). */
  async reviewsForActivity(activity: ActivityDoc): Promise<ReviewDoc[]> {
    return Review.find({ courseKey: activity.courseKey, activityId: activity._id }, { draft: 0 }).lean<ReviewDoc[]>();
  }

  async decisions(activity: ActivityDoc, userId: string, upTo: number): Promise<ReviewDecision[]> {
    const found = await Promise.all(
      Array.from({ length: Math.min(upTo, 20) }, (_, i) =>
        ReviewDecisionRecord.findById(decisionId(activity._id, userId, upTo - i)).lean<DecisionDoc>(),
      ),
    );
    return found
      .filter((d): d is DecisionDoc => d !== null && d.courseKey === activity.courseKey)
      .map((d) => d.decision);
  }
}
