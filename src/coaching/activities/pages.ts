/**
 * Course-level pages per audience: the participant's "not ready yet", the coach's list of the
 * course's activities, the mentor's room (the admin's page is admin/platform-page.ts). Thin:
 * guard, gather, render.
 */
import express from 'express';
import type { CoachingService } from '../service';
import { activityPath, coursePath } from '../../http/paths';
import { mayOpen } from './load';
import type { ActivityDoc } from '../models';
import type { LtiService } from '../../lti';
import { handle } from '../../http/async';
import { HttpError } from '../../http/errors';
import { launchOf, ltikOf, requireAudience } from '../../http/guards';
import { safetyBadge } from '../review/safety';
import { launchPage } from '../../http/page';
import { sendPage } from '../../http/render';

export interface PagesDeps {
  lti: Pick<LtiService, 'menteesOf'>;
  coaching: CoachingService;
}

export function audiencePages(deps: PagesDeps): express.Router {
  const course = express.Router({ mergeParams: true });

  // A participant lands here only from a link no coach has set up yet.
  course.get(
    '/participant',
    requireAudience('participant'),
    handle(async (_req, res) => {
      await sendPage(res, 200, 'participant', launchPage(res, 'participant.title'));
    }),
  );
  course.get(
    '/coach',
    requireAudience('coach', 'admin'),
    handle(async (_req, res) => {
      const ctx = launchOf(res);
      const activities = await deps.coaching.activitiesInCourse(ctx.courseKey);
      await sendPage(res, 200, 'coach', {
        ...launchPage(res, 'coach.title'),
        activities,
        roster: `${coursePath(ctx.courseKey)}/roster`,
        materials: `${coursePath(ctx.courseKey)}/materials`,
        privacy: `${coursePath(ctx.courseKey)}/privacy`,
        monitor: `${coursePath(ctx.courseKey)}/monitor`,
        manage: (a: ActivityDoc) => `${activityPath(ctx.courseKey, a._id)}/manage`,
        safety: await safetyBadge(ctx.courseKey, ltikOf(res)),
      });
    }),
  );
  course.get(
    '/mentor',
    requireAudience('mentor'),
    handle(async (_req, res) => {
      await sendPage(res, 200, 'mentor', {
        ...launchPage(res, 'mentor.title'),
        activity: null,
        shared: [],
        knowsMentees: (await deps.lti.menteesOf(launchOf(res))).length > 0,
      });
    }),
  );
  course.get(
    '/activities/:activityId/mentor',
    requireAudience('mentor'),
    handle(async (req, res) => {
      const ctx = launchOf(res);
      const activity = await deps.coaching.activityInCourse(ctx.courseKey, req.params.activityId);
      if (!activity) {
        throw new HttpError(404, 'journal.noActivity');
      }
      if (!mayOpen(ctx, activity)) {
        throw new HttpError(403, 'error.otherActivity');
      }
      const mentees = await deps.lti.menteesOf(ctx);
      const shared = await deps.coaching.sharedWithMentor(activity, mentees);
      await sendPage(res, 200, 'mentor', {
        ...launchPage(res, 'mentor.title'),
        activity,
        shared,
        knowsMentees: mentees.length > 0,
        promptText: (key: string) =>
          activity.sections.flatMap((s) => s.prompts).find((p) => p.id === key)?.text ?? key.replace(/^d-/, ''),
      });
    }),
  );
  return course;
}
