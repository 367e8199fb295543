/**
 * Composition root: builds every service with its dependencies and mounts the routers.
 * Nothing else in Cermin wires things together.
 */
import path from 'node:path';
import compression from 'compression';
import express from 'express';
import type { Logger } from 'pino';
import type { AppConfig } from './config';
import { startDemoPlatform } from './demo/bootstrap';
import type { DemoPlatform } from './demo/platform';
import { createLtiService, type LtiService } from './lti';
import { projectRoot } from './paths';
import { errorHandler, notFoundHandler, requestLocale, sendError } from './web/errors';
import { handle } from './web/async';
import { createMetrics, opsRouter, requestLog, type Metrics } from './web/ops';
import { audiencePages } from './web/pages';
import { sendPage } from './web/render';
import { securityHeaders } from './web/security';
import { ensureSetupIndexes, setupRouter } from './web/setup';
import { translator } from './web/i18n';
import { CoachingService } from './coaching/service';
import { coachRoutes } from './coaching/coach-routes';
import { createLanding } from './coaching/landing';
import { ensureCoachingIndexes } from './coaching/models';
import { participantRoutes } from './coaching/participant-routes';
import { loadTemplates, type CoachingTemplate } from './coaching/templates';
import { loadLaunch, requireOwnCourse } from './web/guards';
import { ensurePreferenceIndexes, rememberLocale } from './web/preferences';
import { validateLanguage } from './coaching/schemas';

export interface AppDeps {
  config: AppConfig;
  dbUri: string;
  log: Logger;
  /** Coaching templates; loaded (and validated) from config/templates by main.ts. */
  templates?: CoachingTemplate[];
}

export interface CerminApp {
  app: express.Express;
  lti: LtiService;
  metrics: Metrics;
  demo?: DemoPlatform;
  /** Marks the app as stopping: /readyz answers 503 so a load balancer drains it. */
  beginShutdown(): void;
  close(): Promise<void>;
}

/** Everything behind an ltik: /lti/app/… */
function appRoutes({ lti, coaching }: { lti: LtiService; coaching: CoachingService }): express.Router {
  const router = express.Router();
  router.use(loadLaunch);
  router.post('/prefs/lang', handle(async (req, res) => {
    const ctx = res.locals.launch as import('./lti/context').LaunchContext;
    const body = req.body as unknown;
    if (!validateLanguage(body)) {
      await sendError(req, res, 400, 'error.badRequest', { locale: ctx.locale });
      return;
    }
    await rememberLocale(ctx.platform.issuer, ctx.user.id, body.lang);
    const back = body.back && body.back.startsWith(`/lti/app/courses/${ctx.courseKey}/`) ? body.back : `/lti/app/courses/${ctx.courseKey}/${ctx.audience ?? 'participant'}`;
    res.redirect(303, `${back}${back.includes('?') ? '&' : '?'}ltik=${encodeURIComponent(res.locals.ltik as string)}`);
  }));
  const course = express.Router({ mergeParams: true });
  router.use('/courses/:courseKey', requireOwnCourse, course);
  // Order matters: routers with per-route role guards first, the participant's (guarded as a whole) last.
  course.use(audiencePages({ lti, coaching }));
  course.use(coachRoutes({ coaching, provider: lti.provider, urls: lti.urls }));
  course.use('/activities', participantRoutes(coaching));
  return router;
}

export async function createApp({ config, dbUri, log, templates }: AppDeps): Promise<CerminApp> {
  const metrics = createMetrics();
  let shuttingDown = false;

  const coaching = new CoachingService({ templates: templates ?? loadTemplates() });
  const landing = createLanding(coaching);
  const lti = await createLtiService({
    config, dbUri, log,
    onLaunch: landing.onLaunch,
    onDeepLinking: landing.onDeepLinking,
    onOutcome: (outcome) => metrics.launches.inc({ outcome }),
  });
  lti.authenticated('/app', appRoutes({ lti, coaching }));
  await Promise.all([ensureSetupIndexes(), ensureCoachingIndexes(), ensurePreferenceIndexes()]);

  const demo = config.demo.enabled ? await startDemoPlatform(config.publicUrl, lti.urls, lti.registry, config.demo.participants) : undefined;

  const app = express();
  app.disable('x-powered-by');
  // Which proxies may name the client's address (X-Forwarded-For) for rate limits. Only the local
  // host by default: trusting a whole private network would let any client there pick its address.
  app.set('trust proxy', config.trustProxy);
  app.use(requestLog(log, metrics));
  // Participants are on 3G phones: every page and asset goes compressed.
  app.use(compression());
  app.use((_req, res, next) => {
    // While draining, ask every client to close its keep-alive connection after this response.
    if (shuttingDown) res.set('Connection', 'close');
    next();
  });
  app.use(opsRouter(metrics, () => shuttingDown));
  // The demo LMS stands for another site: it sets its own headers and is not under Cermin's CSP.
  if (demo) app.use('/demo', demo.router);
  app.use(securityHeaders(() => lti.frameAncestors()));
  app.use('/static', express.static(path.join(projectRoot, 'views', 'static'), { maxAge: '1d', index: false }));
  app.get('/', handle(async (req, res) => {
    // On a development machine the tool's URL opens the demo LMS: one click from a launch.
    if (demo) {
      res.redirect(302, '/demo');
      return;
    }
    const locale = requestLocale(req);
    await sendPage(res, 200, 'landing', { locale, title: translator(locale)('landing.title'), demoUrl: demo ? '/demo' : undefined, registrationUrl: lti.urls.registrationUrl });
  }));
  app.use('/setup', setupRouter({ registry: lti.registry, urls: lti.urls, secret: config.lti.key, secureCookies: config.publicUrl.startsWith('https://') }));
  app.use('/lti', lti.app);
  app.use(notFoundHandler);
  app.use(errorHandler(log));

  return {
    app, lti, metrics, demo,
    beginShutdown: () => { shuttingDown = true; },
    close: () => lti.close(),
  };
}
