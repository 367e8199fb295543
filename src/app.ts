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
import { CourseDirectory } from './lti/courses';
import { PlatformServices } from './lti/platform-services';
import { hostWithPort } from './outbound/address-policy';
import { createGuardedFetch } from './outbound/guarded-fetch';
import { preferencesFeature } from './preferences/feature';
import { ltiPrivacy } from './lti/privacy';
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
  let shuttingDown = false;
  // Addresses from outside the configuration go through the guarded client (docs/ARCHITECTURE.md):
  // what platforms and their admins name reaches the operator's allow list (and the built-in demo
  // LMS); only the operator's own AI provider may also reach the environment's AI address.
  const demoHost = config.demo.enabled ? [hostWithPort(config.demo.publicUrl ?? config.publicUrl)] : [];
  const forPlatforms = createGuardedFetch({ ...config.outbound, allow: [...config.outbound.allow, ...demoHost] });
  const forOperator = createGuardedFetch({
    ...config.outbound,
    allow: [...config.outbound.allow, ...(config.ai.baseUrl ? [hostWithPort(config.ai.baseUrl)] : [])],
  });

  // Platform services (token, NRPS, AGS) sign with the keys ltijs keeps (one process-wide provider).
  const services = new PlatformServices({
    keys: platformSigningKeys(),
    timeoutMs: config.grades.requestTimeoutMs,
    fetch: forPlatforms,
  });
  const lti = await createLtiService({
    config,
    dbUri,
    log,
    fetch: forPlatforms,
    onOutcome: (outcome) => metrics.launches.inc({ outcome }),
    onRegistryChanged: () => services.forgetPlatforms(),
  });
  const courses = new CourseDirectory();
  const roster = new RosterService({ courses, services, maxAgeMs: config.roster.maxAgeMinutes * 60_000, log });
  const retention = retentionOf(config.ai.rawTextRetentionDays);
  const preferences = preferencesFeature();
  const grades = gradesFeature({
    services,
    settings: config.grades,
    log,
    onOutcome: (outcome) => metrics.gradeDeliveries.inc({ outcome }),
  });
  const ai = aiFeature({
    settings: config.ai,
    secret: config.lti.key,
    outbound: { operator: forOperator, platforms: forPlatforms },
    conversationDaysOf: retention.conversationDaysOf,
    peopleOf: (courseKey) => roster.peopleToRedact(courseKey),
  });
  const recommend = recommendFeature({ ai, log });
  const coaching = coachingFeature({
    templates: templates ?? loadTemplates(),
    lti,
    courses,
    services,
    roster,
    outbox: grades.outbox,
    ai,
    recommend: recommend.service,
    log,
    settings: {
      rosterPageSize: config.roster.pageSize,
      blindShare: config.roster.blindShare,
      requestTimeoutMs: config.grades.requestTimeoutMs,
      savesPerMinute: config.rateLimit.savesPerMinute,
    },
  });
  const privacy = privacyFeature({
    providers: [
      ...coaching.privacy,
      ...ai.privacy,
      ...recommend.privacy,
      ...grades.privacy,
      ltiPrivacy,
      ...preferences.privacy,
    ],
    pseudonymOf: ai.pseudonymOf,
    coaching: coaching.coaching,
    reviews: coaching.reviews,
    bank: ai.bank,
    transparency: ai.transparency,
    log,
  });
  const admin = adminFeature({
    lti,
    ai,
    courses,
    outbox: grades.outbox,
    personData: privacy.personData,
    retention,
    secret: config.lti.key,
    secureCookies: config.publicUrl.startsWith('https://'),
    demoUrl: config.demo.enabled ? '/demo' : undefined,
  });

  lti.handleLaunches(coaching.launches);
  lti.authenticated(
    '/app',
    sessionRoutes({
      maxAgeMs: config.lti.sessionHours * 3600_000,
      preferencesOf: preferences.preferencesOf,
      session: preferences.sessionRouters,
      // Routers with per-route role guards first; the participant's (guarded as a whole) last.
      course: [
        ...coaching.courseRouters,
        ...recommend.courseRouters,
        ...privacy.courseRouters,
        ...admin.courseRouters,
        ['/activities', coaching.activitiesRouter],
      ],
    }),
  );

  // Upgrades of data an older Cermin left, then every model's declared indexes: before anything is served.
  await privacy.upgrade(await lti.registry.list());
  await preferences.upgrade();
  await ensureDeclaredIndexes();
  await recommend.upgrade();
  const gradeWorker = grades.worker(coaching.deliveryTarget);

  const demo = config.demo.enabled
    ? await startDemoPlatform(
        config.demo.publicUrl ?? config.publicUrl,
        lti.urls,
        lti.registry,
        config.demo.participants,
      )
    : undefined;
  const app = webApp({ log, metrics, trustProxy: config.trustProxy, isShuttingDown: () => shuttingDown });
  // The demo LMS stands for another site: it sets its own headers and is not under Cermin's CSP.
  if (demo) app.use('/demo', demo.router);
  app.use(securityHeaders(() => lti.frameAncestors()));
  app.use('/static', staticAssets());
  app.use(admin.landing);
  app.use('/setup', admin.setupRouter);
  app.use(recommend.importBody.path, recommend.importBody.parser);
  app.use('/lti', lti.app);
  finishWebApp(app, log);

  return {
    app,
    lti,
    metrics,
    demo,
    gradeWorker,
    retentionJob: retention.job,
    beginShutdown: () => {
      shuttingDown = true;
    },
    close: async () => {
      await gradeWorker.stop();
      await lti.close();
    },
  };
}
