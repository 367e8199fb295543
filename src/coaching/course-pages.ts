/**
 * Course-level pages per audience: the participant's "not ready yet", the coach's list of the
 * course's activities, the mentor's room, the admin console (with the AI provider's "test
 * connection"). Thin: guard, gather, render.
 */
import express from 'express';
import type { CoachingService } from './service';
import { activityPath, coursePath, withLtik } from '../http/paths';
import { mayOpen } from './load-activity';
import type { ActivityDoc } from './models';
import type { LtiService } from '../lti';
import { handle } from '../http/async';
import { sendError } from '../http/errors';
import { launchOf, requireAudience, ltikOf } from '../http/guards';
import { translator } from '../http/i18n';
import { sendPage } from '../http/render';
import { applyProviderForm, currentProviderView, testedProviderView, type AiAdminDeps, type AiProviderView } from '../admin/ai-provider';
import { recordAdminChange } from '../privacy/admin-log';
import { validateSessionOnly } from './schemas';

export interface PagesDeps { lti: Pick<LtiService, 'registry' | 'urls' | 'menteesOf'>; coaching: CoachingService; ai: AiAdminDeps }

export function audiencePages(deps: PagesDeps): express.Router {
  const course = express.Router({ mergeParams: true });
  const common = (res: express.Response, title: string) => {
    const ctx = launchOf(res);
    const ltik = ltikOf(res);
    return { locale: ctx.locale, title: translator(ctx.locale)(title), ctx, ltik, link: (path: string) => withLtik(path, ltik) };
  };

  // A participant lands here only from a link no coach has set up yet.
  course.get('/participant', requireAudience('participant'), handle(async (_req, res) => {
    await sendPage(res, 200, 'participant', common(res, 'participant.title'));
  }));
  course.get('/coach', requireAudience('coach', 'admin'), handle(async (_req, res) => {
    const ctx = launchOf(res);
    const activities = await deps.coaching.activitiesInCourse(ctx.courseKey);
    await sendPage(res, 200, 'coach', { ...common(res, 'coach.title'), activities, roster: `${coursePath(ctx.courseKey)}/roster`, materials: `${coursePath(ctx.courseKey)}/materials`, privacy: `${coursePath(ctx.courseKey)}/privacy`, monitor: `${coursePath(ctx.courseKey)}/monitor`, manage: (a: ActivityDoc) => `${activityPath(ctx.courseKey, a._id)}/manage` });
  }));
  course.get('/mentor', requireAudience('mentor'), handle(async (_req, res) => {
    await sendPage(res, 200, 'mentor', { ...common(res, 'mentor.title'), activity: null, shared: [], knowsMentees: (await deps.lti.menteesOf(launchOf(res))).length > 0 });
  }));
  course.get('/activities/:activityId/mentor', requireAudience('mentor'), handle(async (req, res) => {
    const ctx = launchOf(res);
    const activity = await deps.coaching.activityInCourse(ctx.courseKey, req.params.activityId);
    if (!activity) {
      await sendError(req, res, 404, 'journal.noActivity', { locale: ctx.locale });
      return;
    }
    if (!mayOpen(ctx, activity)) {
      await sendError(req, res, 403, 'error.otherActivity', { locale: ctx.locale });
      return;
    }
    const mentees = await deps.lti.menteesOf(ctx);
    const shared = await deps.coaching.sharedWithMentor(activity, mentees);
    await sendPage(res, 200, 'mentor', {
      ...common(res, 'mentor.title'), activity, shared, knowsMentees: mentees.length > 0,
      promptText: (key: string) => activity.sections.flatMap((s) => s.prompts).find((p) => p.id === key)?.text ?? key.replace(/^d-/, ''),
    });
  }));
  // An LMS admin arriving by launch sees and manages only the platform they came from.
  async function adminPage(res: express.Response, aiProvider: AiProviderView): Promise<void> {
    const ctx = launchOf(res);
    // By issuer and client id: a session's platform id is the registration it launched under, which the operator may have replaced since.
    const own = await deps.lti.registry.find(ctx.platform.issuer, ctx.platform.clientId);
    if (!own) {
      await sendError(res.req, res, 404, 'setup.noPlatform', { locale: ctx.locale });
      return;
    }
    await sendPage(res, 200, 'admin', {
      // The registration key pre-approves new platforms: the instance operator's to hand out, not a platform admin's.
      ...common(res, 'admin.title'), urls: { ...deps.lti.urls, registrationUrlForAdmins: deps.lti.urls.registrationUrl }, platforms: [own], coachHome: withLtik(`/lti/app/courses/${ctx.courseKey}/coach`, ltikOf(res)),
      aiProvider, aiTestAction: `${coursePath(ctx.courseKey)}/admin/ai-test#ai-provider-h`, aiProviderAction: `${coursePath(ctx.courseKey)}/admin/ai-provider#ai-provider-h`,
      consoleBase: `${coursePath(ctx.courseKey)}/admin`,
    });
  }
  // The provider form and its test act on the admin's own platform only.
  course.get('/admin', requireAudience('admin'), handle(async (_req, res) => {
    await adminPage(res, await currentProviderView(deps.ai, launchOf(res).platform.key));
  }));
  course.post('/admin/ai-provider', requireAudience('admin'), handle(async (req, res) => {
    const ctx = launchOf(res);
    const applied = await applyProviderForm(deps.ai, ctx.platform.key, req.body, ctx.user.id, ctx.locale);
    if (!applied.ok) {
      await sendError(req, res, 400, 'aiAdmin.badForm', { locale: ctx.locale, vars: { problems: applied.problems.join('; ') } });
      return;
    }
    await recordAdminChange({ platform: ctx.platform.key, by: { id: ctx.user.id, name: ctx.user.name || ctx.user.id }, action: applied.action, detail: applied.detail });
    await adminPage(res, await currentProviderView(deps.ai, ctx.platform.key));
  }));
  course.post('/admin/ai-test', requireAudience('admin'), handle(async (req, res) => {
    const ctx = launchOf(res);
    if (!validateSessionOnly(req.body)) {
      await sendError(req, res, 400, 'error.badRequest', { locale: ctx.locale });
      return;
    }
    await adminPage(res, await testedProviderView(deps.ai, translator(ctx.locale), ctx.platform.key));
  }));
  return course;
}
