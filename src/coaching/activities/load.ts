import type express from 'express';
import { HttpError } from '../../http/errors';
import { launchOf } from '../../http/guards';
import type { LaunchContext } from '../../domain/launch';
import type { ActivityDoc } from '../models';
import type { CoachingService } from '../service';

/**
 * Puts the :activityId of the URL in res.locals.activity, only if it is in the ltik's course (else a
 * clear 404) and, for a participant or mentor, only if it is the activity their launch opened (else
 * 403): Moodle decides who may open which activity (hidden activities, access restrictions, groups),
 * and an ltik from one activity must not open another of the course. Coaches and admins move within
 * their course.
 */
export function loadActivity(coaching: CoachingService): express.RequestHandler {
  return (req, res, next) => {
    const ctx = launchOf(res);
    coaching
      .activityInCourse(ctx.courseKey, req.params.activityId)
      .then((activity) => {
        if (!activity) {
          throw new HttpError(404, 'journal.noActivity');
        }
        if (!mayOpen(ctx, activity)) {
          throw new HttpError(403, 'error.otherActivity');
        }
        res.locals.activity = activity;
        next();
      })
      .catch(next);
  };
}

/** Whether this launch may open the activity: any of its course's for a coach or admin; only the one launched for anyone else. */
export function mayOpen(ctx: LaunchContext, activity: Pick<ActivityDoc, '_id' | 'resourceLinkIds'>): boolean {
  if (ctx.audience === 'coach' || ctx.audience === 'admin') return true;
  const linkId = ctx.resourceLink?.id;
  return Boolean(linkId && activity.resourceLinkIds.includes(linkId)) || ctx.custom.activity_id === activity._id;
}

export function activityOf(res: express.Response): ActivityDoc {
  return res.locals.activity as ActivityDoc;
}
