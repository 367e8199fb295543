import type express from 'express';
import { sendError } from '../web/errors';
import { launchOf } from '../web/guards';
import type { ActivityDoc } from './models';
import type { CoachingService } from './service';

/** Puts the :activityId of the URL in res.locals.activity, only if it is in the ltik's course; else a clear 404. */
export function loadActivity(coaching: CoachingService): express.RequestHandler {
  return (req, res, next) => {
    const ctx = launchOf(res);
    coaching.activityInCourse(ctx.courseKey, req.params.activityId)
      .then((activity) => {
        if (!activity) {
          void sendError(req, res, 404, 'journal.noActivity', { locale: ctx.locale });
          return;
        }
        res.locals.activity = activity;
        next();
      })
      .catch(next);
  };
}

export function activityOf(res: express.Response): ActivityDoc {
  return res.locals.activity as ActivityDoc;
}
