/**
 * Where coaching meets grade passback: what Moodle is told when a participant submits or takes work
 * back, what a participant reads of the coach's decision, and which
 * decision shapes what a participant is offered (where an activity's scores go is
 * CoachingService.deliveryTarget). Named use cases,
 * so the composition root only wires them.
 */
import type { GradeOutbox } from '../grades/outbox';
import type { ActivityDoc, WorkDoc } from './models';
import { isDecisionCurrent, type ReviewService } from './review/service';

/** Tells Moodle where a participant's work stands (kind 'progress', through the outbox like a grade). */
function reportProgress(
  outbox: Pick<GradeOutbox, 'enqueue'>,
  progress: { activityProgress: 'Submitted' | 'InProgress'; gradingProgress: 'PendingManual' | 'NotReady' },
) {
  return async (activity: ActivityDoc, work: WorkDoc): Promise<void> => {
    await outbox.enqueue({
      courseKey: activity.courseKey,
      activityId: activity._id,
      userId: work.userId,
      kind: 'progress',
      by: { id: work.userId, name: work.userName },
      payload: { scoreMaximum: activity.maxScore, ...progress },
    });
  };
}

/** After a submit, Moodle shows "submitted, awaiting grading" until the coach's grade arrives. */
export const reportSubmitted = (outbox: Pick<GradeOutbox, 'enqueue'>) =>
  reportProgress(outbox, { activityProgress: 'Submitted', gradingProgress: 'PendingManual' });

/** A withdrawn submission: Moodle shows the work in progress again, no longer awaiting grading. */
export const reportWithdrawn = (outbox: Pick<GradeOutbox, 'enqueue'>) =>
  reportProgress(outbox, { activityProgress: 'InProgress', gradingProgress: 'NotReady' });

/** Whether a coach has begun on this submission: a draft asked for, or a decision made, since it was submitted. */
export function reviewStartedOn(reviews: Pick<ReviewService, 'review'>) {
  return async (activity: ActivityDoc, work: WorkDoc): Promise<boolean> => {
    const review = await reviews.review(activity, work.userId);
    const since = new Date(work.submittedAt ?? 0).getTime();
    const after = (d?: Date) => Boolean(d && new Date(d).getTime() >= since);
    return after(review?.decision?.at) || after(review?.draft?.createdAt);
  };
}

/** The coach's levels on a participant's work, once released to them: only a decision they have been given shapes what they are offered. */
export function releasedLevels(reviews: Pick<ReviewService, 'review'>) {
  return async (activity: ActivityDoc, userId: string): Promise<Record<string, number> | undefined> => {
    const decision = (await reviews.review(activity, userId))?.decision;
    return decision?.released ? decision.levels : undefined;
  };
}

/** What a participant reads of the coach's decision on their work: only a released one that still applies. */
export interface ParticipantFeedback {
  score: number;
  maxScore: number;
  levels: Array<{ criterion: string; label: string; descriptor: string }>;
  comment: string;
  /** The coach's comments beside single entries (entry key → text). */
  entryComments: Record<string, string>;
  by: string;
  at: Date;
}

export function releasedFeedback(reviews: Pick<ReviewService, 'review'>) {
  return async (activity: ActivityDoc, work: WorkDoc | null | undefined): Promise<ParticipantFeedback | undefined> => {
    if (!work) return undefined;
    const decision = (await reviews.review(activity, work.userId))?.decision;
    if (!decision?.released || !isDecisionCurrent(decision, work)) return undefined;
    return {
      score: decision.score,
      maxScore: activity.maxScore,
      levels: activity.rubric.criteria.flatMap((c) => {
        const level = c.levels[decision.levels[c.id]];
        return level ? [{ criterion: c.name, label: level.label, descriptor: level.descriptor }] : [];
      }),
      comment: decision.comment,
      entryComments: decision.entryComments ?? {},
      by: decision.by.name,
      at: decision.at,
    };
  };
}
