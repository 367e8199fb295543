/**
 * The LTI core: ltijs set up once, mounted by app.ts at /lti, with Cermin's workarounds:
 * - `ltiaas` mode: no platform session cookie; the ltik alone (query, form field or
 *   `Authorization: Bearer`) carries the session, so pages work inside Moodle's iframe without
 *   third-party cookies. The OIDC state cookie is still required at launch (CSRF protection).
 * - Cermin's id_token validator and async key generation (patches.ts).
 * - A cached JWKS at /lti/keys (ltijs decrypts every key on every request).
 * - Cermin's dynamic registration at /lti/register.
 * - ltijs's SIGINT handler removed: main.ts owns shutdown.
 */
import type { PersonDataProvider } from '../db/person-data';
import { ltiPrivacy } from './privacy';
import { CourseDirectory } from './courses';
import { AsyncLocalStorage } from 'node:async_hooks';
import express from 'express';
import crypto from 'node:crypto';
import os from 'node:os';
import rateLimit from 'express-rate-limit';
import type { Logger } from 'pino';
import type { AppConfig } from '../config';
import { launchMessageKey, launchRefusalStatus, requestLocale, sendError } from '../http/errors';
import { sendPage } from '../http/render';
import { contentSecurityPolicy } from '../http/security';
import { translator } from '../http/i18n';
import { type LaunchContext } from '../domain/launch';
import { launchContextFrom } from './launch-context';
import {
  registerDynamically,
  registeringOrigin,
  REGISTRATION_LEASE_MS,
  RegistrationError,
  RegistrationLease,
  validateRegistrationQuery,
} from './dynamic-registration';
import { SlotLeases } from '../db/lease';
import { ID_TOKEN_ERROR_CODES, IdTokenValidator, type LaunchLogin } from './id-token';
import { gateRefusal, LOGIN_PARAMS } from './input-gate';
import type { GuardedFetch } from '../outbound/guarded-fetch';
import { isDuplicateKey } from '../db/model';
import { getKeysetModule, getProvider, type LtijsToken } from './ltijs';
import { cached } from './cache';
import { CLAIM } from './claims';
import { LoginRequest, MentorScope, Nonce, type LoginRequestDoc } from './models';
import { patchLtijs, patchLtikSecret } from './patches';
import { cacheSessionRecords } from './session-cache';
import { ltijsSigningKeys, type SigningKeySource } from './platform-services';
import { launchableKey, PlatformRegistry, toolUrls, type ToolUrls } from './platforms';

/** What ltijs or Cermin's validator may refuse a request with (anything else is shown and counted as 'unknown'). */
const KNOWN_REFUSALS = new Set<string>([
  ...ID_TOKEN_ERROR_CODES,
  'NO_LTIK_OR_IDTOKEN_FOUND',
  'IDTOKEN_NOT_FOUND_DB',
  'CONTEXTTOKEN_NOT_FOUND_DB',
  'invalid signature',
  'jwt malformed',
  'jwt expired',
]);

/** How long a request may rely on the registry as read (platforms on/off, deployments): other instances learn of a change within this. */
const SESSION_CHECK_TTL_MS = 5_000;

export type LaunchHandler = (
  ctx: LaunchContext,
  ltik: string,
  req: express.Request,
  res: express.Response,
) => Promise<void>;

/** Where each outcome is counted (a prom-client counter with an `outcome` label). */
export interface OutcomeCounter {
  inc(labels: { outcome: string }): void;
}

export interface LtiServiceOptions {
  config: AppConfig;
  dbUri: string;
  log: Logger;
  /** The guarded client for the platforms' addresses (registration, keys). */
  fetch: GuardedFetch;
  /** Told after every change of the registry on this instance (caches of platforms' keys and tokens go). */
  onRegistryChanged?: () => void;
  /** Called with each launch outcome, for metrics. */
  outcomes?: OutcomeCounter;
}

export interface LtiService {
  /** ltijs's express app: mount at /lti. Routes added with `authenticated` need a valid ltik. */
  app: express.Express;
  registry: PlatformRegistry;
  urls: ToolUrls;
  /** Mounts routes behind ltijs's ltik check (at /lti<path>). */
  authenticated(path: string, router: express.Router): void;
  /** Origins allowed to frame Cermin: the registered platforms'. */
  frameAncestors(): Promise<string[]>;
  /** Forgets cached session records (after deleting sessions directly in the database). */
  forgetCachedSessions(): void;
  /** The participants a mentor mentors in the launch's course (empty when the platform did not say). */
  menteesOf(ctx: LaunchContext): Promise<string[]>;
  deepLinking: DeepLinkingResponder;
  /** The courses launches came from (endpoints, who launched). */
  courses: CourseDirectory;
  /** What the LTI layer keeps of a person (launches, mentor scopes), for their download and erasure. */
  privacy: PersonDataProvider[];
  /** Who answers a resource link launch and a Deep Linking request (a feature built after this service). */
  handleLaunches(handlers: LaunchHandlers): void;
  close(): Promise<void>;
}

export interface LaunchHandlers {
  onLaunch: LaunchHandler;
  onDeepLinking: LaunchHandler;
}

/** The Deep Linking request of the session behind a page (Moodle's activity picker). */
export interface DeepLinkingResponder {
  /** A key of the request: the same request (and only it) gives the same key, so its picks stay its own. */
  selectionOf(res: express.Response): string;
  /** The signed response that hands the chosen items back, and where the platform wants it posted. */
  respond(res: express.Response, items: object[], message: string): Promise<{ jwt: string; returnUrl: string }>;
}

export async function createLtiService(opts: LtiServiceOptions): Promise<LtiService> {
  const { config, log } = opts;
  const provider = getProvider();
  const urls = toolUrls(config.publicUrl, config.lti.registrationKey);
  const outcome = (kind: string) => opts.outcomes?.inc({ outcome: kind });

  // ltijs decrypts every key on every /keys request; the registered origins feed every page's CSP.
  const keyset = cached(() => getKeysetModule().build(provider.Database, config.lti.key), 60_000);
  // Only platforms that may use Cermin may frame it (not one waiting for approval, nor one turned off).
  const frameAncestors = cached(
    async () => [
      ...new Set((await registry.list()).filter((p) => p.active && !p.pending).map((p) => new URL(p.issuer).origin)),
    ],
    60_000,
  );
  // Which deployments of which active platforms may use Cermin: checked on every request with an
  // ltik. Dropped at once on this instance when the registry changes here; other instances follow
  // within its few seconds.
  const launchable = cached(() => registry.launchable(), SESSION_CHECK_TTL_MS);
  const onRegistryChanged = () => {
    keyset.invalidate();
    frameAncestors.invalidate();
    launchable.invalidate();
    opts.onRegistryChanged?.();
  };
  const registry = new PlatformRegistry(provider, onRegistryChanged);

  const validator = new IdTokenValidator({
    policy: {
      maxAgeSeconds: config.lti.tokenMaxAgeSeconds,
      clockSkewSeconds: config.lti.clockSkewSeconds,
      nonceTtlSeconds: config.lti.nonceTtlSeconds,
      jwksCacheSeconds: config.lti.jwksCacheSeconds,
    },
    findPlatform: (iss, clientId) => provider.getPlatform(iss, clientId),
    fetch: opts.fetch,
    isDeploymentAllowed: (iss, clientId, deploymentId) => registry.isDeploymentAllowed(iss, clientId, deploymentId),
    onAccepted: async (payload, clientId) => {
      // The login is answered: its record is used up. Not awaited: the nonce store already refuses a
      // replay of the token, and the sweeper removes a record this delete misses.
      const state = launchRequests.getStore()?.state;
      if (state)
        LoginRequest.deleteOne({ _id: state }).catch((err: unknown) =>
          log.warn({ err }, 'used login record not deleted'),
        );
      const mentees = payload[CLAIM.roleScopeMentor];
      const context = payload[CLAIM.context] as { id: string };
      if (!Array.isArray(mentees)) return;
      await MentorScope.updateOne(
        {
          iss: payload.iss as string,
          clientId,
          deploymentId: payload[CLAIM.deploymentId] as string,
          courseId: context.id,
          mentorId: payload.sub as string,
        },
        {
          $set: {
            menteeIds: mentees.filter((m): m is string => typeof m === 'string').slice(0, 500),
            updatedAt: new Date(),
          },
        },
        { upsert: true },
      );
    },
    launchLogin: () => launchLogin(),
    onCookieless: () => outcome('launch_without_cookie'),
    rememberNonce: async (iss, nonce, expiresAt) => {
      try {
        await Nonce.create({ iss, nonce, expiresAt });
        return true;
      } catch (err) {
        if (isDuplicateKey(err)) return false;
        throw err;
      }
    },
  });
  patchLtijs(validator, config.lti.rsaModulusLength);
  patchLtikSecret(config.lti.key);

  const limiter = (max: number) =>
    rateLimit({
      windowMs: config.rateLimit.windowSeconds * 1000,
      limit: max,
      standardHeaders: 'draft-7',
      legacyHeaders: false,
      handler: (req, res) => {
        void sendError(req, res, 429, 'error.tooManyRequests');
      },
    });

  const sigintBefore = new Set(process.listeners('SIGINT'));
  provider.setup(
    config.lti.key,
    { url: opts.dbUri },
    {
      appRoute: '/launch',
      loginRoute: '/login',
      keysetRoute: '/keys',
      dynRegRoute: '/register',
      // Moodle posts the launch cross-site into an iframe: the state cookie needs SameSite=None.
      cookies: { secure: true, sameSite: 'None' },
      devMode: false,
      ltiaas: true,
      tokenMaxAge: config.lti.tokenMaxAgeSeconds,
      // ltijs's CORS reflects every origin with credentials; Cermin's pages need no CORS at all.
      cors: false,
      serverAddon: (app: express.Express) => {
        // Moodle opens /lti/register in an iframe of its admin page while it is not yet a registered
        // platform (docs/moodle.md): that page, and any refusal on the way, may be framed by the
        // registering platform and by nobody else.
        app.use('/register', (req, res, next) => {
          const origin = registeringOrigin(req.query.openid_configuration);
          if (origin) res.setHeader('Content-Security-Policy', contentSecurityPolicy([origin]));
          next();
        });
        // Then, before ltijs reads anything: it trusts what it reads (see input-gate.ts).
        app.use((req, res, next) => {
          const refusal = gateRefusal({
            path: req.path,
            query: req.query as Record<string, unknown>,
            body: req.body,
            token: (req as { token?: unknown }).token,
          });
          if (!refusal) {
            next();
            return;
          }
          outcome(req.path === '/login' ? 'login_bad_request' : 'bad_request');
          res.locals.routeLabel = '/lti (refused input)';
          void sendError(req, res, 400, refusal);
        });
        // Separate counters: one launch is a login and a launch, and neither should starve the other.
        app.use('/login', limiter(config.rateLimit.ltiMaxPerWindow));
        app.use('/launch', limiter(config.rateLimit.ltiMaxPerWindow));
        app.use('/register', limiter(config.rateLimit.registerMaxPerWindow));
        app.all('/login', captureLoginRequest);
        // What a cookie-less launch is checked against: its state and the page that posted it.
        app.post('/launch', (req, _res, next) => {
          const state = (req.body as Record<string, unknown> | undefined)?.state;
          launchRequests.run({ state: typeof state === 'string' ? state : undefined, origin: req.get('origin') }, next);
        });
        app.get('/keys', (_req, res, next) => {
          keyset
            .get()
            .then((keys) => {
              res.set('Cache-Control', 'public, max-age=300').json(keys);
            })
            .catch(next);
        });
        app.all('/register', (req, res, next) => {
          dynamicRegistration(req, res).catch(next);
        });
      },
    },
  );

  const registrationLeases = new SlotLeases(
    RegistrationLease,
    `${os.hostname()}:${process.pid}:${crypto.randomBytes(4).toString('hex')}`,
    REGISTRATION_LEASE_MS,
  );

  /** The launch request being validated (ltijs's validator is given no request). */
  const launchRequests = new AsyncLocalStorage<{ state?: string; origin?: string }>();
  const LOGIN_LIFETIME_MS = 10 * 60 * 1000;

  /**
   * Keeps each login under its state, with the nonce and the authentication endpoint's origin it
   * sends the browser to, before the browser is sent: the launch that answers it is checked
   * against them (IdTokenValidator), whichever Cermin instance receives it.
   */
  function captureLoginRequest(req: express.Request, res: express.Response, next: express.NextFunction): void {
    // The input gate has checked that each parameter present is a string of bounded length.
    const params: Record<string, string> = {};
    for (const key of Object.keys(LOGIN_PARAMS)) {
      const value = (req.body as Record<string, unknown> | undefined)?.[key] ?? req.query[key];
      if (typeof value === 'string') params[key] = value;
    }
    if (!params.iss || !params.login_hint || !params.target_link_uri) {
      outcome('login_bad_request');
      void sendError(req, res, 400, 'error.loginParams');
      return;
    }
    // ltijs answers a login with a redirect to the platform carrying state and nonce: held back
    // until the login is stored, so the launch can never arrive before it.
    const redirect = res.redirect.bind(res) as (...a: unknown[]) => void;
    res.redirect = ((...args: unknown[]) => {
      const target = args[args.length - 1];
      let url: URL | undefined;
      try {
        url = typeof target === 'string' ? new URL(target) : undefined;
      } catch {
        url = undefined; // not an absolute URL: not the platform's authentication endpoint
      }
      const state = url?.searchParams.get('state');
      const nonce = url?.searchParams.get('nonce');
      if (!url || !state || !nonce) {
        redirect(...args);
        return;
      }
      LoginRequest.create({
        _id: state,
        params,
        nonce,
        authOrigin: url.origin,
        expiresAt: new Date(Date.now() + LOGIN_LIFETIME_MS),
      })
        .then(() => redirect(...args))
        .catch((err: unknown) => {
          log.error({ err }, 'login not stored: refused');
          void sendError(req, res, 503, 'error.unavailable');
        });
    }) as typeof res.redirect;
    next();
  }

  /** The login the launch being validated answers, by its state, and the launch's Origin. */
  async function launchLogin(): Promise<{ login?: LaunchLogin; origin?: string }> {
    const request = launchRequests.getStore();
    if (!request?.state) return { origin: request?.origin };
    const doc = await LoginRequest.findById(request.state).lean<LoginRequestDoc>();
    const live = doc && doc.expiresAt.getTime() >= Date.now() ? doc : undefined;
    return {
      login: live ? { iss: live.params.iss, nonce: live.nonce, authOrigin: live.authOrigin } : undefined,
      origin: request.origin,
    };
  }

  async function dynamicRegistration(req: express.Request, res: express.Response): Promise<void> {
    // Moodle may open registration in a popup that listens for "org.imsglobal.lti.close"; a
    // same-origin opener policy (helmet's default) would cut that window off from its opener.
    res.setHeader('Cross-Origin-Opener-Policy', 'unsafe-none');
    const locale = requestLocale(req);
    const t = translator(locale);
    const query = { ...req.query };
    // The registration key pre-approves: a platform registered with it can launch at once. Without
    // it, the registration waits for the instance operator (setup page or `npm run platform --
    // approve`), so a stranger reaching /lti/register cannot add a platform that launches. A key
    // that is given and wrong is refused outright.
    const key = config.lti.registrationKey;
    const given = typeof query.key === 'string' ? query.key : undefined;
    delete query.key;
    const keyMatches = Boolean(
      key &&
      given !== undefined &&
      given.length === key.length &&
      crypto.timingSafeEqual(Buffer.from(given), Buffer.from(key)),
    );
    const page = (status: number, message: string, extra: Record<string, unknown> = {}) =>
      sendPage(res, status, 'registration', {
        locale,
        title: t(status < 300 ? 'registration.done.title' : 'registration.failed.title'),
        heading: t(status < 300 ? 'registration.done.title' : 'registration.failed.title'),
        message,
        ...extra,
      });
    if (given !== undefined && !keyMatches) {
      outcome('registration_refused');
      await page(403, t('registration.KEY_WRONG'));
      return;
    }
    if (!validateRegistrationQuery(query)) {
      outcome('registration_bad_request');
      await page(400, t('registration.BAD_CONFIGURATION_URL'));
      return;
    }
    try {
      const result = await registerDynamically(
        {
          registry,
          urls,
          toolName: config.lti.toolName,
          toolDescription: config.lti.toolDescription,
          fetch: opts.fetch,
          leases: registrationLeases,
        },
        query.openid_configuration,
        query.registration_token,
        { preApproved: keyMatches },
      );
      const { platform } = result;
      log.info(
        {
          issuer: platform.issuer,
          clientId: platform.clientId,
          deployments: platform.deploymentIds,
          grantedScopes: result.grantedScopes,
          outcome: result.outcome,
          pending: platform.pending,
        },
        'dynamic registration',
      );
      outcome(
        result.outcome === 'unchanged'
          ? 'registration_unchanged'
          : platform.pending
            ? 'registration_pending'
            : 'registration_ok',
      );
      const message =
        result.outcome === 'unchanged'
          ? t('registration.unchanged.body')
          : platform.pending
            ? t('registration.pending.body')
            : t('registration.done.body');
      // The close message goes to the page that framed (or opened) the registration: the registering platform's.
      await page(200, message, { platform, closeTarget: registeringOrigin(query.openid_configuration) });
    } catch (err) {
      if (!(err instanceof RegistrationError)) throw err;
      log.warn({ code: err.code, detail: err.detail }, 'dynamic registration failed');
      outcome('registration_failed');
      const status =
        {
          PLATFORM_REFUSED: 502,
          CONFIGURATION_UNREACHABLE: 502,
          ALREADY_REGISTERED: 409,
          REGISTRATION_UNDER_WAY: 409,
          TOO_MANY_PENDING: 503,
        }[err.code as string] ?? 400;
      await page(status, `${t(`registration.${err.code}`)} (${err.shown ? `${err.code}: ${err.detail}` : err.code})`);
    }
  }

  /**
   * An ltik stays valid for its whole session, but what it was issued for may end before it: the
   * platform turned off (or removed) by the operator, or its deployment removed. Every request
   * with an ltik is checked against the registry (cached a few seconds), so that ends its sessions.
   */
  async function sessionRefusal(
    token: LtijsToken,
  ): Promise<'PLATFORM_NOT_ACTIVATED' | 'UNKNOWN_DEPLOYMENT' | undefined> {
    const allowed = await launchable.get();
    if (allowed.has(launchableKey(token.iss, token.clientId, token.deploymentId))) return undefined;
    return (await registry.isDeploymentAllowed(token.iss, token.clientId, token.deploymentId))
      ? 'PLATFORM_NOT_ACTIVATED'
      : 'UNKNOWN_DEPLOYMENT';
  }
  const refuseEndedSession = async (req: express.Request, res: express.Response, code: string) => {
    outcome(`session_${code}`);
    res.locals.routeLabel = '/lti (session ended)';
    await sendError(req, res, 403, launchMessageKey(code), {
      code,
      heading: translator(requestLocale(req))('launch.refused.title'),
    });
  };
  const sessionStillAllowed: express.RequestHandler = (req, res, next) => {
    sessionRefusal(res.locals.token as LtijsToken)
      .then((code) => (code ? refuseEndedSession(req, res, code) : next()))
      .catch(next);
  };

  // The session's launch context, so that no route behind it reads ltijs's token.
  const attachLaunch: express.RequestHandler = (_req, res, next) => {
    res.locals.launch = launchContextFrom(res.locals.token as LtijsToken);
    next();
  };

  let handlers: LaunchHandlers | undefined;
  const courses = new CourseDirectory();
  const asLaunch =
    (kind: 'launch_ok' | 'deep_linking_ok') =>
    async (token: LtijsToken, req: express.Request, res: express.Response, next: express.NextFunction) => {
      try {
        // The launch POST itself (its id_token validated just now), or a later request to /lti/launch
        // with an ltik (ltijs prefers an ltik when both come: such a request is a session's, checked).
        const freshLaunch =
          (req as { token?: unknown }).token === undefined && req.method === 'POST' && Boolean(req.body?.id_token);
        if (freshLaunch) outcome(kind);
        else {
          const code = await sessionRefusal(token);
          if (code) {
            await refuseEndedSession(req, res, code);
            return;
          }
        }
        if (!handlers)
          throw new Error('launch before handleLaunches: the app wires its launch handlers before it listens');
        const handler = kind === 'launch_ok' ? handlers.onLaunch : handlers.onDeepLinking;
        const ctx = launchContextFrom(token);
        // The course a launch comes from, with its NRPS and AGS endpoints: the roster and grade
        // passback read them later, outside any launch.
        await courses.remember(ctx);
        // ltijs issues the session's ltik before it calls a launch handler.
        const ltik = res.locals.ltik;
        if (typeof ltik !== 'string') throw new Error('launch without an ltik from ltijs');
        await handler(ctx, ltik, req, res);
      } catch (err) {
        next(err);
      }
    };
  provider.onConnect(asLaunch('launch_ok'));
  provider.onDeepLinking(asLaunch('deep_linking_ok'));

  const refused = async (req: express.Request, res: express.Response) => {
    const err = (res.locals.err ?? {}) as { details?: { message?: string } };
    // Only known codes reach the page, the metrics and the log's code field: another error's message
    // can name hosts or quote what an address answered, and would grow /metrics without bound.
    const raw = err.details?.message ?? 'unknown';
    const code = KNOWN_REFUSALS.has(raw) ? raw : 'unknown';
    if (code === 'unknown') log.warn({ err: res.locals.err }, 'launch or session refused for an unexpected reason');
    const hasIdToken = Boolean(req.body?.id_token);
    outcome(hasIdToken ? `refused_${code}` : 'session_invalid');
    // ltijs refuses before any route is reached: one label for the launch, one for every other path.
    res.locals.routeLabel = req.path === '/launch' ? '/lti/launch' : '/lti (no session)';
    log.info({ code, path: req.path }, hasIdToken ? 'launch refused' : 'request without a valid ltik');
    let newWindowUrl: string | undefined;
    if (code === 'MISSING_VALIDATION_COOKIE' && typeof req.body?.state === 'string') {
      const login = await LoginRequest.findById(req.body.state).lean<LoginRequestDoc>();
      if (login)
        newWindowUrl = `${urls.loginUrl}?${new URLSearchParams(login.params as Record<string, string>).toString()}`;
    }
    // A page opened without a valid session (an old tab, a copied link, an ended session) is not a
    // refused launch: its reader is told what to do, in words, without a code meant for the LMS admin.
    const t = translator(requestLocale(req));
    if (!hasIdToken) {
      const key = code === 'NO_LTIK_OR_IDTOKEN_FOUND' ? 'launch.sessionEnded' : launchMessageKey(code);
      await sendError(req, res, launchRefusalStatus(code), key, { heading: t('launch.sessionEnded.title') });
      return;
    }
    await sendError(req, res, launchRefusalStatus(code), launchMessageKey(code), {
      code,
      heading: t('launch.refused.title'),
      newWindowUrl,
    });
  };
  provider.onInvalidToken(refused);
  provider.onSessionTimeout(refused);
  provider.onUnregisteredPlatform(async (req, res) => {
    outcome('login_unregistered');
    await sendError(req, res, 400, 'error.unregisteredPlatform');
  });
  provider.onInactivePlatform(async (req, res) => {
    const params = { ...req.query, ...(req.body as Record<string, unknown>) };
    const pending =
      typeof params.iss === 'string' &&
      typeof params.client_id === 'string' &&
      (await registry.isPending(params.iss, params.client_id));
    outcome(pending ? 'login_pending' : 'login_inactive');
    await sendError(req, res, 403, pending ? 'error.pendingPlatform' : 'error.inactivePlatform');
  });

  await provider.deploy({ serverless: true, silent: true });
  const sessionCache = cacheSessionRecords(provider.Database);
  for (const listener of process.listeners('SIGINT')) {
    if (!sigintBefore.has(listener)) process.removeListener('SIGINT', listener);
  }

  return {
    app: provider.app,
    courses,
    privacy: [ltiPrivacy],
    registry,
    urls,
    authenticated(path, router) {
      provider.app.use(path, sessionStillAllowed, attachLaunch, router);
    },
    frameAncestors: () => frameAncestors.get(),
    forgetCachedSessions: () => sessionCache.clear(),
    handleLaunches(launchHandlers) {
      handlers = launchHandlers;
    },
    deepLinking: {
      selectionOf(res) {
        const token = res.locals.token as LtijsToken;
        return crypto
          .createHash('sha256')
          .update(JSON.stringify([token.platformContext.contextId, token.platformContext.deepLinkingSettings ?? null]))
          .digest('base64url')
          .slice(0, 24);
      },
      async respond(res, items, message) {
        const token = res.locals.token as LtijsToken;
        const jwt = await provider.DeepLinking.createDeepLinkingMessage(token, items, { message });
        const returnUrl = String(
          (token.platformContext.deepLinkingSettings as { deep_link_return_url?: string } | undefined)
            ?.deep_link_return_url ?? '',
        );
        return { jwt, returnUrl };
      },
    },
    async menteesOf(ctx) {
      const scope = await MentorScope.findOne({
        iss: ctx.platform.issuer,
        clientId: ctx.platform.clientId,
        deploymentId: ctx.deploymentId,
        courseId: ctx.course.id,
        mentorId: ctx.user.id,
      }).lean();
      return scope?.menteeIds ?? [];
    },
    async close() {
      // ltijs's close() removes its reconnect listeners before closing the shared connection.
      await (provider as unknown as { close(o: { silent: boolean }): Promise<void> }).close({ silent: true });
    },
  };
}

/** The keys Cermin signs its service token requests with (ltijs keeps one per platform). */
export function platformSigningKeys(): SigningKeySource {
  return ltijsSigningKeys(getProvider());
}
