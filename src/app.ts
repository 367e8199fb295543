/**
 * Composition root: builds each feature from what the layers below give it (lowest first) and
 * mounts their routers. Nothing else in Cermin wires things together, and nothing here decides
 * anything: each rule lives in its feature.
 */
// Before any router exists: Express 4 ignores a rejected promise from a handler, which leaves the
// request hanging (or, inside ltijs's async middleware, stops the process). With this every
// rejection reaches the error handler, which answers 500 and logs it.
import 'express-async-errors';
import type express from 'express';
import type { Logger } from 'pino';
import { adminFeature } from './admin/feature';
import { aiFeature } from './ai/feature';
import { coachingFeature } from './coaching/feature';
import { RosterService } from './coaching/review/roster';
import { loadTemplates, type CoachingTemplate } from './coaching/templates';
import type { AppConfig } from './config';
import { ensureDeclaredIndexes } from './db/model';
import { gradesFeature } from './grades/feature';
import type { GradeWorker } from './grades/worker';
import { createMetrics, type Metrics } from './http/ops';
import { securityHeaders } from './http/security';
import { finishWebApp, staticAssets, webApp } from './http/server';
import { sessionRoutes } from './http/session';
import { createLtiService, platformSigningKeys, type LtiService } from './lti';
import { PlatformServices } from './lti/platform-services';
import { outboundClients } from './outbound/clients';
import { preferencesFeature } from './preferences/feature';
import { privacyFeature, retention as retentionOf } from './privacy/feature';
import type { RetentionJob } from './privacy/retention';
import { recommendFeature } from './recommend/feature';
import { startDemoPlatform } from '../sim/lms/bootstrap';
import type { DemoPlatform } from '../sim/lms/platform';

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
  /** The grade delivery worker of this instance (started when the config enables it). */
  gradeWorker: GradeWorker;
  /** The retention purge (main.ts runs it hourly; the admin console on demand). */
  retentionJob: RetentionJob;
  /** Marks the app as stopping: /readyz answers 503 so a load balancer drains it. */
  beginShutdown(): void;
  close(): Promise<void>;
}

export async function createApp({ config, dbUri, log, templates }: AppDeps): Promise<CerminApp> {
  const metrics = createMetrics();
  const draining = { stopping: false };
  const demoUrl = config.demo.enabled ? (config.demo.publicUrl ?? config.publicUrl) : undefined;
  const outbound = outboundClients(config.outbound, { demoUrl, aiBaseUrl: config.ai.baseUrl });
  // Platform services (token, NRPS, AGS) sign with the keys ltijs keeps (one process-wide provider).
  const timeoutMs = config.grades.requestTimeoutMs;
  const services = new PlatformServices({ keys: platformSigningKeys(), timeoutMs, fetch: outbound.platforms });
  const lti = await createLtiService({
    config,
    dbUri,
    log,
    fetch: outbound.platforms,
    outcomes: metrics.launches,
    onRegistryChanged: () => services.forgetPlatforms(),
  });
  const maxAgeMs = config.roster.maxAgeMinutes * 60_000;
  const roster = new RosterService({ courses: lti.courses, services, maxAgeMs, log });
  const retention = retentionOf(config.ai.rawTextRetentionDays);
  const preferences = preferencesFeature();
  const grades = gradesFeature({ services, settings: config.grades, log, outcomes: metrics.gradeDeliveries });
  const peopleOf = (courseKey: string) => roster.peopleToRedact(courseKey);
  const conversationDaysOf = retention.conversationDaysOf;
  const ai = aiFeature({ settings: config.ai, secret: config.lti.key, outbound, conversationDaysOf, peopleOf });
  const recommend = recommendFeature({ ai, log });
  const outbox = grades.outbox;
  templates ??= loadTemplates();
  const coaching = coachingFeature({ templates, config, lti, services, roster, outbox, ai, recommend, log });
  const providers = [lti, coaching, ai, recommend, grades, preferences].flatMap((f) => f.privacy);
  const { pseudonymOf, bank, transparency } = ai;
  // The coaching and reviews services (for the bias monitor) come with the coaching feature.
  const privacy = privacyFeature({ ...coaching, providers, pseudonymOf, bank, transparency, log });
  const secureCookies = config.publicUrl.startsWith('https://');
  const { personData } = privacy;
  const admin = adminFeature({
    lti,
    ai,
    courses: lti.courses,
    outbox,
    personData,
    retention,
    secureCookies,
    secret: config.lti.key,
    demoUrl: demoUrl && '/demo',
  });

  lti.handleLaunches(coaching.launches);
  // Routers with per-route role guards first; the participant's (guarded as a whole) last.
  const course = [coaching, recommend, privacy, admin].flatMap((f) => f.courseRouters);
  const { preferencesOf, sessionRouters: session } = preferences;
  const maxSessionMs = config.lti.sessionHours * 3600_000;
  lti.authenticated(
    '/app',
    sessionRoutes({
      maxAgeMs: maxSessionMs,
      preferencesOf,
      session,
      course: [...course, ['/activities', coaching.activitiesRouter]],
    }),
  );

  // Upgrades of data an older Cermin left, then every model's declared indexes: before anything is served.
  await privacy.upgrade(await lti.registry.list());
  await preferences.upgrade();
  await ensureDeclaredIndexes();
  await recommend.upgrade();
  const gradeWorker = grades.worker(coaching.deliveryTarget);

  const demo = demoUrl ? await startDemoPlatform(demoUrl, lti.urls, lti.registry, config.demo.participants) : undefined;
  const app = webApp({ log, metrics, trustProxy: config.trustProxy, draining });
  // The demo LMS stands for another site: it sets its own headers and is not under Cermin's CSP.
  if (demo) app.use('/demo', demo.router);
  app.use(securityHeaders(lti.frameAncestors));
  app.use('/static', staticAssets());
  app.use(admin.landing);
  app.use('/setup', admin.setupRouter);
  app.use(recommend.importBody.path, recommend.importBody.parser);
  app.use(coaching.journalBody.path, coaching.journalBody.parser);
  app.use('/lti', lti.app);
  finishWebApp(app, log);

  const beginShutdown = () => void (draining.stopping = true);
  const close = async () => {
    await gradeWorker.stop();
    await lti.close();
  };
  return { app, lti, metrics, demo, gradeWorker, retentionJob: retention.job, beginShutdown, close };
}
