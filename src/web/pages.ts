/**
 * Landing pages per audience after a launch. Thin: guard, gather, render. The coaching,
 * roster and grading features fill these pages in their own modules.
 */
import express from 'express';
import type { Audience, LaunchContext } from '../lti/context';
import type { LaunchHandler } from '../lti';
import type { PlatformRegistry, ToolUrls } from '../lti/platforms';
import { handle } from './async';
import { sendError } from './errors';
import { launchOf, loadLaunch, requireAudience, requireOwnCourse } from './guards';
import { translator } from './i18n';
import { sendPage } from './render';

export function pagePath(ctx: Pick<LaunchContext, 'courseKey'>, page: Audience | 'deep-linking'): string {
  return `/lti/app/courses/${ctx.courseKey}/${page}`;
}

/** Where a launch lands: Post/Redirect/Get, so a reload never re-posts a used id_token. */
export const landOnPage: LaunchHandler = async (ctx, ltik, req, res) => {
  if (!ctx.audience) {
    await sendError(req, res, 403, 'error.noAudience', { locale: ctx.locale, vars: { roles: ctx.roles.map((r) => r.split(/[#/]/).pop()).join(', ') || '–' } });
    return;
  }
  res.redirect(303, `${pagePath(ctx, ctx.audience)}?ltik=${encodeURIComponent(ltik)}`);
};

export const landOnDeepLinking: LaunchHandler = async (ctx, ltik, req, res) => {
  if (ctx.audience !== 'coach' && ctx.audience !== 'admin') {
    await sendError(req, res, 403, 'error.forbidden', { locale: ctx.locale });
    return;
  }
  res.redirect(303, `${pagePath(ctx, 'deep-linking')}?ltik=${encodeURIComponent(ltik)}`);
};

export interface PagesDeps { registry: PlatformRegistry; urls: ToolUrls }

export function audiencePages(deps: PagesDeps): express.Router {
  const router = express.Router({ mergeParams: true });
  router.use(loadLaunch);
  const course = express.Router({ mergeParams: true });
  router.use('/courses/:courseKey', requireOwnCourse, course);

  const common = (res: express.Response, title: string) => {
    const ctx = launchOf(res);
    return { locale: ctx.locale, title: translator(ctx.locale)(title), ctx, ltik: res.locals.ltik as string };
  };

  course.get('/participant', requireAudience('participant'), handle(async (_req, res) => {
    const ctx = launchOf(res);
    await sendPage(res, 200, 'participant', { ...common(res, 'participant.title'), activityReady: Boolean(ctx.custom.activity_id) });
  }));
  course.get('/coach', requireAudience('coach', 'admin'), handle(async (_req, res) => {
    await sendPage(res, 200, 'coach', common(res, 'coach.title'));
  }));
  course.get('/mentor', requireAudience('mentor'), handle(async (_req, res) => {
    await sendPage(res, 200, 'mentor', common(res, 'mentor.title'));
  }));
  course.get('/deep-linking', requireAudience('coach', 'admin'), handle(async (_req, res) => {
    await sendPage(res, 200, 'deep-linking', common(res, 'coach.deepLinkingTitle'));
  }));
  // An LMS admin arriving by launch sees and manages only the platform they came from.
  course.get('/admin', requireAudience('admin'), handle(async (_req, res) => {
    const ctx = launchOf(res);
    const own = await deps.registry.summary(ctx.platform.platformId);
    await sendPage(res, 200, 'admin', { ...common(res, 'admin.title'), urls: deps.urls, platforms: [own] });
  }));
  return router;
}
