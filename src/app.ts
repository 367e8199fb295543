/**
 * Composition root: builds every service with its dependencies and mounts the routers.
 * Nothing else in Cermin wires things together.
 */
import path from 'node:path';
import express from 'express';
import type { Logger } from 'pino';
import type { AppConfig } from './config';
import { startDemoPlatform } from './demo/bootstrap';
import type { DemoPlatform } from './demo/platform';
import { createLtiService, type LtiService } from './lti';
import { projectRoot } from './paths';
import { errorHandler, notFoundHandler, requestLocale } from './web/errors';
import { handle } from './web/async';
import { createMetrics, opsRouter, requestLog, type Metrics } from './web/ops';
import { audiencePages, landOnDeepLinking, landOnPage } from './web/pages';
import { sendPage } from './web/render';
import { securityHeaders } from './web/security';
import { ensureSetupIndexes, setupRouter } from './web/setup';
import { translator } from './web/i18n';

export interface AppDeps {
  config: AppConfig;
  dbUri: string;
  log: Logger;
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

export async function createApp({ config, dbUri, log }: AppDeps): Promise<CerminApp> {
  const metrics = createMetrics();
  let shuttingDown = false;

  const lti = await createLtiService({
    config, dbUri, log,
    onLaunch: landOnPage,
    onDeepLinking: landOnDeepLinking,
    onOutcome: (outcome) => metrics.launches.inc({ outcome }),
  });
  lti.authenticated('/app', audiencePages({ registry: lti.registry, urls: lti.urls }));
  await ensureSetupIndexes();

  const demo = config.demo.enabled ? await startDemoPlatform(config.publicUrl, lti.urls, lti.registry, config.demo.participants) : undefined;

  const app = express();
  app.disable('x-powered-by');
  // Which proxies may name the client's address (X-Forwarded-For) for rate limits. Only the local
  // host by default: trusting a whole private network would let any client there pick its address.
  app.set('trust proxy', config.trustProxy);
  app.use(requestLog(log, metrics));
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
