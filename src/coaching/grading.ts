/**
 * Where coaching meets grade passback: what Moodle is told when a participant submits, where an
 * activity's scores go, and which decision shapes what a participant is offered. Named use cases,
 * so the composition root only wires them.
 */
import type { GradeOutbox } from '../grades/outbox';
import type { DeliveryTarget } from '../grades/worker';
import type { CourseDirectory } from '../lti/courses';
import { Activity, type ActivityDoc, type WorkDoc } from './models';
import type { ReviewService } from './review/service';

/** After a submit, Moodle shows "submitted, awaiting grading" until the coach's grade arrives. */
export function reportSubmitted(outbox: Pick<GradeOutbox, 'enqueue'>) {
  return async (activity: ActivityDoc, work: WorkDoc): Promise<void> => {
    await outbox.enqueue({
      courseKey: activity.courseKey,
      activityId: activity._id,
      userId: work.userId,
      kind: 'progress',
      by: { id: work.userId, name: work.userName },
      payload: { scoreMaximum: activity.maxScore, activityProgress: 'Submitted', gradingProgress: 'PendingManual' },
    });
  };
}

/** Where an activity's scores go, read fresh at each attempt (a later launch may have brought the line item URL). */
export function deliveryTargets(courses: Pick<CourseDirectory, 'course'>) {
  return async (courseKey: string, activityId: string): Promise<DeliveryTarget | null> => {
    const activity = await Activity.findById(activityId).lean<ActivityDoc>();
    if (!activity || activity.courseKey !== courseKey) return null;
    const course = await courses.course(courseKey);
    return {
      platform: { issuer: activity.platform.issuer, clientId: activity.platform.clientId },
      lineItemUrl: activity.lineItem?.id,
      lineItemsUrl: course?.lineItemsUrl,
      resourceLinkId: activity.resourceLinkIds[0],
      resourceId: activity.lineItem?.resourceId ?? activity._id,
      tag: activity.lineItem?.tag ?? `cermin:${activity.templateId}`,
      label: activity.title,
      scoreMaximum: activity.maxScore,
    };
  };
}

/** The coach's levels on a participant's work, once released to them: only a decision they have been given shapes what they are offered. */
export function releasedLevels(reviews: Pick<ReviewService, 'review'>) {
  return async (activity: ActivityDoc, userId: string): Promise<Record<string, number> | undefined> => {
    const decision = (await reviews.review(activity, userId))?.decision;
    return decision?.released ? decision.levels : undefined;
  };
}
