/**
 * Composition root: builds every service with its dependencies and mounts the routers.
 * Nothing else in Cermin wires things together.
 */
// Before any router exists: Express 4 ignores a rejected promise from a handler, which leaves the
// request hanging (or, inside ltijs's async middleware, stops the process). With this every
// rejection reaches the error handler, which answers 500 and logs it.
import 'express-async-errors';
import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import compression from 'compression';
import express from 'express';
import type { Logger } from 'pino';
import type { AppConfig } from './config';
import { startDemoPlatform } from '../sim/lms/bootstrap';
import type { DemoPlatform } from '../sim/lms/platform';
import { createLtiService, platformSigningKeys, type LtiService } from './lti';
import { platformIdentity } from './domain/launch';
import { projectRoot } from './core/paths';
import { errorHandler, notFoundHandler, requestLocale, HttpError } from './http/errors';
import { handle } from './http/async';
import { createMetrics, opsRouter, requestLog, type Metrics } from './http/ops';
import { audiencePages } from './coaching/course-pages';
import { platformAdminPage } from './admin/platform-page';
import type { AiAdminDeps } from './admin/ai-provider';
import { RecommendService, type VectorSupport } from './recommend/service';
import { PersonDataService } from './privacy/person-data';
import { privacyRoutes } from './privacy/routes';
import { monitorRoutes } from './privacy/monitor-routes';
import { adminConsoleRoutes, launchAdminAccess, type AdminConsoleDeps } from './admin/console';
import { AiSettingsStore } from './ai/ai-settings';
import { ProviderSource } from './ai/provider-source';
import { moveIssuerKeyedRecords } from './privacy/issuer-keyed-records';
import { DEFAULT_RETENTION, RetentionJob, RetentionSettingsStore } from './privacy/retention';
import { transparencyRoutes, type TransparencyDeps } from './privacy/transparency';
import { REDACTION_KINDS } from './ai/redaction';
import type { QuestionBank } from './ai/offline/engine';
import { coachingPrivacy } from './coaching/privacy';
import { aiPrivacy } from './ai/privacy';
import { consentPrivacy } from './consent/consent';
import { recommendPrivacy } from './recommend/privacy';
import { gradesPrivacy } from './grades/privacy';
import { ltiPrivacy } from './lti/privacy';
import { preferencesPrivacy } from './preferences/store';
import { ProviderEmbedder } from './recommend/provider-embedder';
import { MongoEmbeddingCache, QUERY_VECTOR_COLLECTION } from './recommend/vector-store';
import { QueryEmbedder, type QueryEmbedderDeps } from './recommend/query-embedding';
import { recommendRoutes } from './recommend/routes';
import { loadSampleCatalog } from './recommend/catalog';
import { sendPage } from './http/render';
import { securityHeaders } from './http/security';
import { setupRouter } from './admin/setup';
import { translator } from './http/i18n';
import { CoachingService } from './coaching/service';
import { coachRoutes } from './coaching/coach-routes';
import { createLanding } from './coaching/landing';
import { participantRoutes } from './coaching/participant-routes';
import { loadTemplates, type CoachingTemplate } from './coaching/templates';
import { loadLaunch, requireOwnCourse, ltikOf } from './http/guards';
import { dropLegacyPreferenceIndex, preferencesOf, rememberLocale } from './preferences/store';
import { validateLanguage } from './coaching/schemas';
import { reviewRoutes } from './coaching/review-routes';
import { ReviewService } from './coaching/reviews';
import { RosterService } from './coaching/roster';
import { Activity, type ActivityDoc } from './coaching/models';
import { CourseDirectory } from './lti/courses';
import { PlatformServices } from './lti/platform-services';
import { createGuardedFetch, type GuardedFetch } from './outbound/guarded-fetch';
import { hostWithPort } from './outbound/address-policy';
import { GradeOutbox } from './grades/outbox';
import { GradeWorker, type DeliveryTarget } from './grades/worker';
import { AiAudit, pseudonymOf } from './ai/audit';
import { ensureDeclaredIndexes } from './db/model';
import { moveLegacyEvents } from './recommend/store';
import { CoachEngine } from './ai/coach-engine';
import { loadLenses } from './ai/lenses';
import { CircuitBreakers, RateLimiter, TokenBudgets } from './ai/limits';
import { loadQuestionBank } from './ai/offline/engine';
import { AiProvider } from './ai/provider';
import { nameMatcher, type KnownPerson, type NameMatcher } from './ai/redaction';
import { AiCoaching, safetyAlerts } from './coaching/ai-turns';
import { aiRoutes } from './coaching/ai-routes';
import { DraftService } from './coaching/ai-drafts';
import { CoachDrafter, loadDraftPrompt } from './ai/coach-draft';
import { ConsentService, ConsentTextStore, loadConsentText } from './consent/consent';

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

/** Everything behind an ltik: /lti/app/… */
interface AppServices {
  ai: AiCoaching;
  aiRouter: express.Router;
  drafts: DraftService;
  aiAdmin: AiAdminDeps;
  /** The admin console's services (the same for a launch admin and the setup session). */
  console: AdminConsoleDeps;
  recommend: RecommendService;
  personData: PersonDataService;
  blindShare: number;
  bank: QuestionBank;
  sessionHours: number;
  transparency: (platform: string) => Promise<TransparencyDeps>;
  lti: LtiService;
  coaching: CoachingService;
  reviews: ReviewService;
  roster: RosterService;
  outbox: GradeOutbox;
  rosterPageSize: number;
  services: PlatformServices;
  requestTimeoutMs: number;
  savesPerMinute: number;
}

function appRoutes({ ai, aiRouter, drafts, aiAdmin, console: consoleDeps, recommend, personData, blindShare, bank, sessionHours, transparency, lti, coaching, reviews, roster, outbox, rosterPageSize, services, requestTimeoutMs, savesPerMinute }: AppServices): express.Router {
  const router = express.Router();
  router.use(loadLaunch(sessionHours * 3600_000, preferencesOf));
  router.post('/prefs/lang', handle(async (req, res) => {
    const ctx = res.locals.launch as import('./domain/launch').LaunchContext;
    const body = req.body as unknown;
    if (!validateLanguage(body)) {
      throw new HttpError(400, 'error.badRequest');
    }
    await rememberLocale(ctx.platform.key, ctx.user.id, body.lang);
    const back = body.back && body.back.startsWith(`/lti/app/courses/${ctx.courseKey}/`) ? body.back : `/lti/app/courses/${ctx.courseKey}/${ctx.audience ?? 'participant'}`;
    res.redirect(303, `${back}${back.includes('?') ? '&' : '?'}ltik=${encodeURIComponent(ltikOf(res))}`);
  }));
  const course = express.Router({ mergeParams: true });
  router.use('/courses/:courseKey', requireOwnCourse, course);
  // Order matters: routers with per-route role guards first, the participant's (guarded as a whole) last.
  course.use(audiencePages({ lti, coaching }));
  course.use(platformAdminPage({ lti, ai: aiAdmin }));
  course.use(coachRoutes({ coaching, deepLinking: lti.deepLinking, services, outbox, urls: lti.urls, requestTimeoutMs }));
  course.use(reviewRoutes({ coaching, reviews, roster, outbox, pageSize: rosterPageSize, alertsOf: safetyAlerts, drafts, blindShare }));
  course.use(aiRouter);
  course.use(recommendRoutes({ recommend }));
  course.use(privacyRoutes({ data: personData }));
  course.use(transparencyRoutes(transparency));
  course.use(monitorRoutes({ coaching, reviews, bank }));
  course.use('/admin', adminConsoleRoutes(consoleDeps, launchAdminAccess));
  course.use('/activities', participantRoutes(coaching, ai, {
    service: recommend,
    decidedLevels: async (activity, userId) => {
      // Only a decision the participant has been given shapes what they are offered.
      const decision = (await reviews.review(activity, userId))?.decision;
      return decision?.released ? decision.levels : undefined;
    },
  }, { savesPerMinute }));
  return router;
}

/** Where an activity's scores go, read fresh at each attempt (a later launch may have brought the line item URL). */
async function deliveryTarget(courses: CourseDirectory, courseKey: string, activityId: string): Promise<DeliveryTarget | null> {
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
}

/**
 * Hybrid ranking when the provider has an embedding model: item vectors cached in
 * `recommend_vectors` (by content, so an item is embedded once), participants' query vectors
 * apart in `recommend_query_vectors` (pruned by age, see main.ts).
 */
function vectorSupport(provider: AiProvider | undefined, deps: Omit<QueryEmbedderDeps, 'provider' | 'embedderId' | 'cache'> & { log: Logger; baseUrlInForce: (platform: string) => Promise<string | null> }): VectorSupport | undefined {
  if (!provider?.settings.embeddingModel) return undefined;
  const embedder = new ProviderEmbedder(provider);
  const queries = new QueryEmbedder({ ...deps, provider, embedderId: embedder.id, cache: new MongoEmbeddingCache({ collection: QUERY_VECTOR_COLLECTION }), onError: (err) => deps.log.warn({ err }, 'query embedding failed; ranking lexically') });
  return {
    embedder, cache: new MongoEmbeddingCache(),
    // A participant's writing goes only to the server their consent names (the provider in force):
    // once an admin switches to another server, their text is ranked lexically instead.
    embedQuery: async (who, text) => ((await deps.baseUrlInForce(who.platform)) === provider.settings.baseUrl ? queries.vectorFor(who, text) : undefined),
  };
}

/** The AI coach: the provider when one is configured, the lenses, the offline bank, limits, audit and consent. */
function createAiCoaching(config: AppConfig, roster: RosterService, courses: CourseDirectory, retention: RetentionSettingsStore, outbound: { operator: GuardedFetch; platforms: GuardedFetch }, log: Logger) {
  const a = config.ai;
  // Embeddings (suggested reading) use the provider the environment configured; chat goes to the provider in force (below).
  const provider = a.baseUrl ? new AiProvider({ baseUrl: a.baseUrl, apiKey: a.apiKey, model: a.model, embeddingModel: a.embeddingModel, timeoutMs: a.timeoutMs, maxRetries: a.maxRetries }, { fetch: outbound.operator }) : undefined;
  const lenses = loadLenses();
  const bank = loadQuestionBank();
  // One rate limit, budget and audit for every AI task (a coach's drafts and the participants'
  // lenses share them), and a breaker per provider address. Lenses on/off and budgets: the
  // platform admin's, else the operator's, else the start-up configuration's.
  const aiSettings = new AiSettingsStore({ disabledLenses: [], userDailyTokens: a.userDailyTokens, courseMonthlyTokens: a.courseMonthlyTokens }, lenses.lenses.map((l) => l.id));
  const limits = {
    breakers: new CircuitBreakers(a.breakerFailures, a.breakerCooldownSeconds * 1000),
    rate: new RateLimiter(a.turnsPerMinute, 60_000),
    budgets: new TokenBudgets((platform) => aiSettings.current(platform)),
  };
  const audit = new AiAudit({ keepRawText: () => a.keepRawText });
  // The provider in force for a platform: its admin's, else the operator's, else the environment's; read per request.
  const providers = new ProviderSource({ baseUrl: a.baseUrl, apiKey: a.apiKey, model: a.model, embeddingModel: a.embeddingModel, timeoutMs: a.timeoutMs, maxRetries: a.maxRetries, name: a.providerName }, config.lti.key, { fetch: outbound.operator, platformFetch: outbound.platforms });
  const providerNow = async (platform: string) => (await providers.current(platform)).provider;
  const engine = new CoachEngine({ lenses, bank, provider: providerNow, limits, audit });
  const drafter = new CoachDrafter({ prompt: loadDraftPrompt(), bank, provider: providerNow, limits, audit });
  // The consent text: config/consent.json, or a newer version an admin published in the console.
  const consentTexts = new ConsentTextStore(loadConsentText());
  // What the text names, for the person's platform: the days are that platform's retention setting,
  // the one the purge follows. The address is not shown but counts: another server is another recipient.
  const consentFacts = async (platform: string) => {
    const [p, kept] = await Promise.all([providers.current(platform), retention.get(platform)]);
    return { provider: p.name, model: p.model, retentionDays: kept.aiConversationDays, baseUrl: p.baseUrl };
  };
  const consent = new ConsentService(consentTexts, consentFacts);
  // Names to redact, per course, from its roster (those who launched when there is no NRPS); kept 5 minutes.
  const matchers = new Map<string, { at: number; matcher: NameMatcher }>();
  const namesOf = async (courseKey: string): Promise<NameMatcher> => {
    const hit = matchers.get(courseKey);
    if (hit && Date.now() - hit.at < 300_000) return hit.matcher;
    // The roster and those who launched: a roster that could not be read must not leave names unredacted.
    const [view, launchers] = await Promise.all([roster.view(courseKey), courses.launchers(courseKey)]);
    const people: KnownPerson[] = [...view.members.map((m) => ({ name: m.name })), ...launchers.map((l) => ({ name: l.name ?? '', givenName: l.givenName, familyName: l.familyName }))];
    const matcher = nameMatcher(people.filter((p) => p.name || p.givenName || p.familyName));
    if (matchers.size > 500) matchers.clear();
    // Kept only when the roster itself was read: otherwise the next turn tries again.
    if (!view.error && view.members.length) matchers.set(courseKey, { at: Date.now(), matcher });
    return matcher;
  };
  const pseudonym = (platform: string, userId: string) => pseudonymOf(config.lti.key, platform, userId);
  const coaching = new AiCoaching({
    engine, lenses, consent, namesOf, pseudonymOf: pseudonym,
    providerInfo: async (platform) => { const p = await providers.current(platform); return { configured: Boolean(p.provider), name: p.name }; },
    disabledLenses: async (platform) => (await aiSettings.current(platform)).disabledLenses,
  });
  const drafts = (reviews: ReviewService) => new DraftService({ drafter, reviews, consent, namesOf, pseudonymOf: pseudonym });
  const recommend = new RecommendService({ shared: loadSampleCatalog().items, bank, vectors: vectorSupport(provider, { consent, namesOf, pseudonymOf: pseudonym, limits, audit, log, baseUrlInForce: async (platform) => (await providers.current(platform)).baseUrl }), onVectorError: (err) => log.warn({ err }, 'catalog embeddings failed; ranking lexically') });
  return { coaching, consent, consentTexts, consentFacts, drafts, admin: { source: providers }, recommend, bank, aiSettings: { store: aiSettings, lenses: lenses.lenses.map((l) => ({ id: l.id, name: l.name })) } };
}

export async function createApp({ config, dbUri, log, templates }: AppDeps): Promise<CerminApp> {
  const metrics = createMetrics();
  let shuttingDown = false;

  // Every request to an address that came from outside the configuration goes through the guarded
  // client, with one of two allow lists for private and loopback addresses. What platforms, their
  // registrations and platform admins name reaches only the operator's list (and the built-in demo
  // LMS); the operator's own AI provider (the environment's, or one set on the setup page) may also
  // reach the environment's AI address. A platform admin's provider never reaches it by that right.
  const outboundForPlatforms = createGuardedFetch({
    ...config.outbound,
    allow: [...config.outbound.allow, ...(config.demo.enabled ? [hostWithPort(config.demo.publicUrl ?? config.publicUrl)] : [])],
  });
  const outboundForOperator = createGuardedFetch({
    ...config.outbound,
    allow: [...config.outbound.allow, ...(config.ai.baseUrl ? [hostWithPort(config.ai.baseUrl)] : [])],
  });
  const outbox = new GradeOutbox();
  const courses = new CourseDirectory();
  const coaching = new CoachingService({
    templates: templates ?? loadTemplates(),
    // Moodle shows "submitted, awaiting grading" until the coach's grade arrives.
    onSubmitted: async (activity, work) => {
      await outbox.enqueue({
        courseKey: activity.courseKey, activityId: activity._id, userId: work.userId, kind: 'progress', by: { id: work.userId, name: work.userName },
        payload: { scoreMaximum: activity.maxScore, activityProgress: 'Submitted', gradingProgress: 'PendingManual' },
      });
    },
  });
  const reviews = new ReviewService({ outbox });
  const landing = createLanding(coaching);
  // Platform services (token, NRPS, AGS) sign with the keys ltijs keeps (one process-wide provider).
  const services = new PlatformServices({ keys: platformSigningKeys(), timeoutMs: config.grades.requestTimeoutMs, fetch: outboundForPlatforms });
  const lti = await createLtiService({
    config, dbUri, log, fetch: outboundForPlatforms,
    onLaunch: async (ctx, ltik, req, res) => {
      await courses.remember(ctx);
      await landing.onLaunch(ctx, ltik, req, res);
    },
    onDeepLinking: async (ctx, ltik, req, res) => {
      await courses.remember(ctx);
      await landing.onDeepLinking(ctx, ltik, req, res);
    },
    onOutcome: (outcome) => metrics.launches.inc({ outcome }),
    onRegistryChanged: () => services.forgetPlatforms(),
  });
  const roster = new RosterService({ courses, services, maxAgeMs: config.roster.maxAgeMinutes * 60_000, log });
  // Retention: per-platform settings (AI conversations default to AI_RAW_TEXT_RETENTION_DAYS), one
  // purge job (leased: one instance at a time); main.ts schedules it. The consent text and the
  // transparency page name the same days the purge follows.
  const retentionSettings = new RetentionSettingsStore(undefined, { ...DEFAULT_RETENTION, aiConversationDays: config.ai.rawTextRetentionDays });
  const ai = createAiCoaching(config, roster, courses, retentionSettings, { operator: outboundForOperator, platforms: outboundForPlatforms }, log);
  // Every feature's record of a person, for their download and erasure (each feature's privacy.ts).
  const personData = new PersonDataService({
    providers: [coachingPrivacy, aiPrivacy, consentPrivacy, recommendPrivacy, gradesPrivacy, ltiPrivacy, preferencesPrivacy],
    pseudonymOf: (platform, userId) => pseudonymOf(config.lti.key, platform, userId),
  });
  const retention = { settings: retentionSettings, job: new RetentionJob({ policy: retentionSettings }) };
  const aiRouter = aiRoutes({
    coaching, ai: ai.coaching, consent: ai.consent,
    facts: ai.consentFacts, log,
  });
  const consoleDeps: AdminConsoleDeps = {
    courses, outbox, personData, retention, consentTexts: ai.consentTexts, aiSettings: ai.aiSettings,
    platforms: async () => (await lti.registry.list())
      .map((p) => ({ ...platformIdentity(p.issuer, p.clientId), label: `${p.name} (${p.issuer}, client ${p.clientId})` }))
      .sort((a, b) => a.label.localeCompare(b.label)),
  };
  lti.authenticated('/app', appRoutes({ ai: ai.coaching, aiRouter, drafts: ai.drafts(reviews), aiAdmin: ai.admin, console: consoleDeps, recommend: ai.recommend, personData, blindShare: config.roster.blindShare, bank: ai.bank, sessionHours: config.lti.sessionHours,
    transparency: async (platform: string) => {
      const [p, kept] = await Promise.all([ai.admin.source.current(platform), retentionSettings.get(platform)]);
      return {
        providerName: p.name, model: p.model, providerConfigured: Boolean(p.provider), redacts: [...REDACTION_KINDS],
        retentionDays: kept.aiConversationDays, keepRawText: config.ai.keepRawText,
      };
    },
    lti, coaching, reviews, roster, outbox, rosterPageSize: config.roster.pageSize, services, requestTimeoutMs: config.grades.requestTimeoutMs, savesPerMinute: config.rateLimit.savesPerMinute }));
  // Records kept under an issuer by an earlier Cermin move to their platform's key (once).
  const moved = await moveIssuerKeyedRecords(await lti.registry.list());
  if (Object.values(moved.moved).some((n) => n > 0) || moved.ambiguous) log.info(moved, 'records kept under an issuer moved to their platform');
  // Every model declares its indexes; all are ensured here, once, before anything is served.
  await dropLegacyPreferenceIndex();
  await ensureDeclaredIndexes();
  // Recommendation events kept one record each by an older Cermin move into per-person histories.
  await moveLegacyEvents();

  const gradeWorker = new GradeWorker({
    services, log, settings: config.grades,
    owner: `${os.hostname()}:${process.pid}:${crypto.randomBytes(4).toString('hex')}`,
    targetOf: (courseKey, activityId) => deliveryTarget(courses, courseKey, activityId),
    onOutcome: (outcome) => metrics.gradeDeliveries.inc({ outcome }),
  });
  outbox.onEnqueued(() => gradeWorker.wake());
  if (config.grades.workerEnabled) gradeWorker.start();

  const demo = config.demo.enabled ? await startDemoPlatform(config.demo.publicUrl ?? config.publicUrl, lti.urls, lti.registry, config.demo.participants) : undefined;

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
  app.use('/setup', setupRouter({ registry: lti.registry, urls: lti.urls, secret: config.lti.key, secureCookies: config.publicUrl.startsWith('https://'), ai: ai.admin, console: consoleDeps }));
  // A catalog import may be a whole file: its form gets a larger body limit than ltijs's 100 kB
  // (parsed here first, so ltijs's own parser leaves it alone); the import itself then says
  // clearly when a file is over its limit.
  app.use('/lti/app/courses/:courseKey/materials/import', express.urlencoded({ extended: false, limit: '4mb' }));
  app.use('/lti', lti.app);
  app.use(notFoundHandler);
  app.use(errorHandler(log));

  return {
    app, lti, metrics, demo, gradeWorker, retentionJob: retention.job,
    beginShutdown: () => { shuttingDown = true; },
    close: async () => {
      await gradeWorker.stop();
      await lti.close();
    },
  };
}
