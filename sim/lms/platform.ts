/**
 * A Moodle-shaped LTI 1.3 platform simulator ("demo LMS").
 *
 * Why it exists: a newcomer can run Cermin and click "launch as participant /
 * coach / admin" without a Moodle, and the tests exercise the tool over real
 * HTTP with real RS256 signatures. It copies the Moodle behaviours that bite
 * tools in production (as read in Moodle's mod/lti code) rather than the lenient
 * reading of the spec: exact redirect_uri, whole-course NRPS without `limit`,
 * 409 on same-second scores, registrations scoped to what the tool asked for.
 *
 * Everything is in memory and per instance, so tests can run several side by side.
 */
import { generateKeyPair as generateKeyPairCb, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import express, { type NextFunction, type Request, type RequestHandler, type Response, type Router } from 'express';
import {
  SignJWT,
  calculateJwkThumbprint,
  createLocalJWKSet,
  decodeJwt,
  exportJWK,
  jwtVerify,
  type JSONWebKeySet,
  type JWK,
  type JWTPayload,
  type JWTVerifyOptions,
} from 'jose';
import {
  AGS_SCOPES,
  SERVICE_SCOPE,
  addLineItem,
  registerAgsRoutes,
  type DemoGradebook,
  type DemoLineItem,
  type DemoMemberStatus,
  type DemoScore,
  type FaultTarget,
  type ServiceContext,
} from './ags';
import { autoPostForm, autoSubmitScript, esc, page, parseAutoPostForm } from './html';
import { registerNrpsRoutes } from './nrps';
import {
  buildCourse,
  buildUsers,
  isLearner,
  sourcedIdOf,
  type DemoCourse,
  type DemoResourceLink,
  type DemoUser,
} from './roster';

export type {
  DemoCourse,
  DemoGradebook,
  DemoLineItem,
  DemoMemberStatus,
  DemoResourceLink,
  DemoScore,
  DemoUser,
  FaultTarget,
};
export { parseAutoPostForm };

export interface DemoToolEndpoints {
  loginUrl: string;
  launchUrl: string;
  jwksUrl: string;
}

export interface DemoPlatformOptions {
  /** Absolute URL of where the router is mounted, no trailing slash. Also the `iss` claim. */
  issuer: string;
  clientId: string;
  deploymentId: string;
  /** target_link_uri = launchUrl; redirect_uri must equal launchUrl exactly. */
  tool: DemoToolEndpoints;
  participants?: number;
  idTokenTtlSeconds?: number;
}

export interface FaultSpec {
  status?: number;
  retryAfterSeconds?: number;
  delayMs?: number;
  /**
   * The request is processed as usual (a score is stored and logged in `received`), but its
   * answer is held this long before it is sent, and not sent at all if the client has gone by
   * then: "the platform has it, the tool does not know". With `status`, the injected error is
   * what comes late.
   */
  respondLateMs?: number;
  /** Default 1. */
  times?: number;
}

/**
 * Random failures of one endpoint, for as long as it is set (see setFailureRate). Each request
 * fails with probability `rate`; a failing one is, with probability `timeoutShare`, a timeout (held
 * `delayMs`, then the socket is destroyed without an answer, and the request is never processed),
 * otherwise answered with a status picked from `statuses`.
 */
export interface FailureRateSpec {
  /** 0–1. */
  rate: number;
  /** Default [500, 502, 503]. 429 gets Retry-After: 1. */
  statuses?: number[];
  /** 0–1, default 0. */
  timeoutShare?: number;
  /** How long a timeout holds the request before dropping it; default 0 (dropped at once, like a reset connection). */
  delayMs?: number;
  /**
   * Default Math.random. Called once per request (does it fail?) and, for a failing one, twice
   * more: timeout or status, then which status. Give one for a reproducible run.
   */
  random?: () => number;
}

/** What the faults of one target did so far (queued and random alike). */
export interface FaultStats {
  /** Requests answered with an injected status, by status. */
  statuses: Record<number, number>;
  /** Requests dropped without an answer (never processed). */
  timeouts: number;
  /** Requests processed, their answer held (respondLateMs). */
  late: number;
  /** Requests only delayed, then processed (delayMs without status). */
  delayed: number;
}

export interface LaunchClaimsOptions {
  nonce: string;
  messageType?: 'LtiResourceLinkRequest' | 'LtiDeepLinkingRequest';
  linkId?: string;
  custom?: Record<string, string>;
  /** A client registered dynamically; default the one from the options. */
  clientId?: string;
}

export interface DemoPlatform {
  router: Router;
  issuer: string;
  jwksUrl: string;
  authUrl: string;
  tokenUrl: string;
  openidConfigurationUrl: string;
  registrationUrl: string;
  deepLinkReturnUrl: string;
  membershipsUrl: string;
  lineItemsUrl: string;
  course: DemoCourse;
  users: DemoUser[];
  userByKind(kind: DemoUser['kind']): DemoUser;
  /** A complete, valid Moodle-shaped claim set for a launch; tests then tamper with it. */
  launchClaims(user: DemoUser, opts: LaunchClaimsOptions): Record<string, unknown>;
  /** Signs with the platform's current key (RS256, header kid) unless opts say otherwise. */
  signIdToken(
    claims: Record<string, unknown>,
    opts?: { kid?: string; privateKey?: KeyObject; alg?: 'RS256' },
  ): Promise<string>;
  /** Adds a new current key; the JWKS keeps the old one too. */
  rotateKey(): Promise<void>;
  /** Queues a fault for the next request(s) to the target; queued faults come before the failure rate. */
  inject(target: FaultTarget, fault: FaultSpec): void;
  /** Random failures of every request to the target from now on (see FailureRateSpec); null: none. */
  setFailureRate(target: FaultTarget, spec: FailureRateSpec | null): void;
  /** Drops the queued faults and the failure rates of every target (the stats stay). */
  clearFaults(): void;
  /** Counts of what the faults of a target did since the platform started. */
  faultStats(target: FaultTarget): FaultStats;
  gradebook: DemoGradebook;
  /** Forgets every access token issued so far: the next service call gets 401 (a platform restart, a revocation). */
  revokeAccessTokens(): void;
  /** Access tokens granted by /token so far. */
  readonly tokenRequests: number;
  /** The latest grants (at most 100): each client assertion received and the access token given for it, as a platform's own log keeps them. */
  readonly recentGrants: ReadonlyArray<{ assertion: string; accessToken: string }>;
  /** The member's NRPS status from now on; Active also brings back a removed member. (Moodle only ever answers Active; other platforms do not.) */
  setMemberStatus(userId: string, status: DemoMemberStatus): void;
  /** The user no longer appears in NRPS results (left the course); launches still work. */
  removeMember(userId: string): void;
  /** Turns a service off for a tool, as a Moodle admin can (its claim leaves launches; tokens for it are refused). */
  withdrawScope(scope: string, clientId?: string): void;
  /** The URL Moodle would open: toolRegisterUrl + ?openid_configuration=...&registration_token=... */
  dynamicRegistrationUrl(toolRegisterUrl: string): string;
  registrations: Array<{ clientId: string; deploymentId: string; body: Record<string, unknown> }>;
}

const LTI = 'https://purl.imsglobal.org/spec/lti/claim';
const CLAIM = {
  messageType: `${LTI}/message_type`,
  version: `${LTI}/version`,
  deploymentId: `${LTI}/deployment_id`,
  targetLinkUri: `${LTI}/target_link_uri`,
  roles: `${LTI}/roles`,
  roleScopeMentor: `${LTI}/role_scope_mentor`,
  context: `${LTI}/context`,
  resourceLink: `${LTI}/resource_link`,
  launchPresentation: `${LTI}/launch_presentation`,
  toolPlatform: `${LTI}/tool_platform`,
  lis: `${LTI}/lis`,
  custom: `${LTI}/custom`,
  ext: `${LTI}/ext`,
  ags: 'https://purl.imsglobal.org/spec/lti-ags/claim/endpoint',
  nrps: 'https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice',
  dlSettings: 'https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings',
  dlData: 'https://purl.imsglobal.org/spec/lti-dl/claim/data',
  dlContentItems: 'https://purl.imsglobal.org/spec/lti-dl/claim/content_items',
  dlMsg: 'https://purl.imsglobal.org/spec/lti-dl/claim/msg',
  dlErrorMsg: 'https://purl.imsglobal.org/spec/lti-dl/claim/errormsg',
  toolConfiguration: 'https://purl.imsglobal.org/spec/lti-tool-configuration',
  platformConfiguration: 'https://purl.imsglobal.org/spec/lti-platform-configuration',
} as const;

const ALL_SERVICE_SCOPES: string[] = [...AGS_SCOPES, SERVICE_SCOPE.memberships];
const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const ACCESS_TOKEN_TTL_SECONDS = 3600;
const REGISTRATION_TOKEN_TTL_MS = 3600_000;
const DEEP_LINK_TTL_MS = 3600_000;
const TOOL_JWKS_MAX_AGE_MS = 10 * 60_000;
/** A subset of what Moodle lists in its platform configuration (lti_get_capabilities()). */
const MOODLE_VARIABLES = [
  'basic-lti-launch-request',
  'ContentItemSelectionRequest',
  'ToolProxyRegistrationRequest',
  'Context.id',
  'Context.title',
  'Context.label',
  'Context.id.history',
  'Context.sourcedId',
  'Context.longDescription',
  'Context.timeFrame.begin',
  'CourseSection.title',
  'CourseSection.label',
  'CourseSection.sourcedId',
  'CourseSection.longDescription',
  'CourseSection.timeFrame.begin',
  'CourseSection.timeFrame.end',
  'ResourceLink.id',
  'ResourceLink.title',
  'ResourceLink.description',
  'User.id',
  'User.username',
  'Person.name.full',
  'Person.name.given',
  'Person.name.family',
  'Person.email.primary',
  'Person.sourcedId',
  'Person.name.middle',
  'Person.address.street1',
  'Person.address.locality',
  'Person.address.country',
  'Person.address.timezone',
  'Person.phone.primary',
  'Person.phone.mobile',
  'Person.webaddress',
  'Membership.role',
  'Result.sourcedId',
  'Result.autocreate',
  'BasicOutcome.sourcedId',
  'BasicOutcome.url',
  'Moodle.Person.userGroupIds',
];

const generateRsaKeyPair = promisify(generateKeyPairCb);

interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  jwk: JWK;
}

/** A tool known to the platform: the one from the options plus any that registered dynamically. */
interface ClientRecord {
  clientId: string;
  deploymentId: string;
  loginUrl: string;
  launchUrl: string;
  redirectUris: string[];
  jwksUrl: string;
  /** Service scopes this tool may be granted (Moodle enables services per tool). */
  scopes: Set<string>;
}

interface FaultState {
  spec: FaultSpec;
  left: number;
}

interface MessageHint {
  link?: string;
  dl?: boolean;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function newSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateRsaKeyPair('rsa', { modulusLength: 2048 });
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { kid, privateKey, jwk: { ...jwk, kid, alg: 'RS256', use: 'sig' } };
}

/** Moodle's LTI_URL_DOMAIN_REGEX: host *with* port, a leading "www." dropped. */
function domainOf(url: string): string {
  const m = /^(?:https?:\/\/)?(?:www\.)?([^/?#]+)/i.exec(url);
  return (m?.[1] ?? '').toLowerCase();
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function encodeHint(h: MessageHint): string {
  return Buffer.from(JSON.stringify(h)).toString('base64url');
}

function decodeHint(s: string | undefined): MessageHint | undefined {
  if (!s) return undefined;
  try {
    const v: unknown = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
    if (typeof v !== 'object' || v === null) return undefined;
    const o = v as Record<string, unknown>;
    return { link: str(o.link), dl: o.dl === true };
  } catch {
    return undefined;
  }
}

/** Express 4 does not catch rejected promises; route them to the error handler. */
function ah(fn: (req: Request, res: Response) => Promise<void>): RequestHandler {
  return (req, res, next) => {
    fn(req, res).catch(next);
  };
}

export async function createDemoPlatform(opts: DemoPlatformOptions): Promise<DemoPlatform> {
  const issuer = opts.issuer.replace(/\/+$/, '');
  const ttl = opts.idTokenTtlSeconds ?? 60;
  const url = {
    jwks: `${issuer}/jwks`,
    auth: `${issuer}/auth`,
    token: `${issuer}/token`,
    openid: `${issuer}/.well-known/openid-configuration`,
    registration: `${issuer}/register`,
    deepLinkReturn: `${issuer}/deep-linking/return`,
  };
  const course = buildCourse();
  const users = buildUsers(opts.participants ?? 32);
  const membershipsUrl = `${issuer}/api/courses/${course.id}/memberships`;
  const lineItemsUrl = `${issuer}/api/courses/${course.id}/lineitems`;
  const gradebook: DemoGradebook = { lineItems: [], scores: [], received: [] };
  const membership: ServiceContext['membership'] = { status: new Map(), removed: new Set() };
  let tokenRequests = 0;
  const recentGrants: Array<{ assertion: string; accessToken: string }> = [];
  const registrations: DemoPlatform['registrations'] = [];

  const keys: SigningKey[] = [await newSigningKey()];
  const currentKey = (): SigningKey => keys[keys.length - 1];

  const clients = new Map<string, ClientRecord>();
  clients.set(opts.clientId, {
    clientId: opts.clientId,
    deploymentId: opts.deploymentId,
    loginUrl: opts.tool.loginUrl,
    launchUrl: opts.tool.launchUrl,
    redirectUris: [opts.tool.launchUrl],
    jwksUrl: opts.tool.jwksUrl,
    scopes: new Set(ALL_SERVICE_SCOPES),
  });

  const faults = new Map<FaultTarget, FaultState[]>();
  const failureRates = new Map<FaultTarget, FailureRateSpec>();
  const stats = new Map<FaultTarget, FaultStats>();
  const accessTokens = new Map<string, { clientId: string; scopes: Set<string>; exp: number }>();
  const usedJtis = new Map<string, number>();
  const pendingDeepLinks = new Map<string, { clientId: string; expires: number }>();
  const registrationTokens = new Map<string, number>();
  const toolKeySets = new Map<string, { keyset: ReturnType<typeof createLocalJWKSet>; fetchedAt: number }>();

  const userIndex = new Map(users.map((u, i) => [u.id, i]));
  const sourcedId = (u: DemoUser): string => sourcedIdOf(userIndex.get(u.id) ?? 0);
  const userById = (id: string | undefined): DemoUser | undefined => users.find((u) => u.id === id);
  const linkById = (id: string | undefined): DemoResourceLink | undefined => course.links.find((l) => l.id === id);

  /** Drops expired one-time values so long dev sessions do not grow without bound. */
  function purge(): void {
    const now = Date.now();
    for (const [k, exp] of usedJtis) if (exp < now) usedJtis.delete(k);
    for (const [k, t] of accessTokens) if (t.exp < now) accessTokens.delete(k);
    for (const [k, d] of pendingDeepLinks) if (d.expires < now) pendingDeepLinks.delete(k);
    for (const [k, exp] of registrationTokens) if (exp < now) registrationTokens.delete(k);
  }

  // ---------- claims and signing ----------

  function launchClaimsFor(user: DemoUser, o: LaunchClaimsOptions, client: ClientRecord): Record<string, unknown> {
    const messageType = o.messageType ?? 'LtiResourceLinkRequest';
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = {
      iss: issuer,
      aud: client.clientId,
      sub: user.id,
      exp: now + ttl,
      iat: now,
      nonce: o.nonce,
      name: user.name,
      given_name: user.givenName,
      family_name: user.familyName,
      email: user.email,
      [CLAIM.deploymentId]: client.deploymentId,
      [CLAIM.targetLinkUri]: client.launchUrl,
      [CLAIM.messageType]: messageType,
      [CLAIM.version]: '1.3.0',
      [CLAIM.roles]: [...user.roles],
      [CLAIM.context]: {
        id: course.id,
        label: course.label,
        title: course.title,
        type: ['http://purl.imsglobal.org/vocab/lis/v2/course#CourseSection'],
      },
      [CLAIM.launchPresentation]: { locale: 'id', document_target: 'iframe', return_url: `${issuer}/return` },
      [CLAIM.toolPlatform]: {
        product_family_code: 'moodle',
        version: '2024100700',
        guid: new URL(issuer).host,
        name: 'BPSDM Demo',
      },
      [CLAIM.lis]: { person_sourcedid: sourcedId(user), course_section_sourcedid: 'LATSAR-2025-I' },
      [CLAIM.ext]: { user_username: user.email.split('@')[0], lms: 'moodle-2' },
      [CLAIM.nrps]: { context_memberships_url: membershipsUrl, service_versions: ['1.0', '2.0'] },
    };
    if (user.kind === 'mentor') {
      claims[CLAIM.roleScopeMentor] = users
        .filter(isLearner)
        .slice(0, 3)
        .map((u) => u.id);
    }
    const agsScopes = AGS_SCOPES.filter((s) => client.scopes.has(s));
    if (messageType === 'LtiDeepLinkingRequest') {
      const data = randomBytes(16).toString('base64url');
      pendingDeepLinks.set(data, { clientId: client.clientId, expires: Date.now() + DEEP_LINK_TTL_MS });
      claims[CLAIM.custom] = { ...(o.custom ?? {}) };
      claims[CLAIM.dlSettings] = {
        deep_link_return_url: url.deepLinkReturn,
        accept_types: ['ltiResourceLink'],
        accept_presentation_document_targets: ['iframe', 'window', 'frame'],
        accept_multiple: true,
        auto_create: true,
        data,
      };
      claims[CLAIM.ags] = { scope: agsScopes, lineitems: lineItemsUrl };
    } else {
      const link = o.linkId === undefined ? course.links[0] : linkById(o.linkId);
      if (!link) throw new Error(`launchClaims: unknown resource link ${o.linkId}`);
      claims[CLAIM.resourceLink] = { id: link.id, title: link.title, description: '' };
      claims[CLAIM.custom] = { ...(link.custom ?? {}), ...(o.custom ?? {}) };
      claims[CLAIM.ags] = {
        scope: agsScopes,
        lineitems: lineItemsUrl,
        ...(link.lineItemId ? { lineitem: link.lineItemId } : {}),
      };
    }
    if (!client.scopes.has(SERVICE_SCOPE.memberships)) delete claims[CLAIM.nrps];
    if (agsScopes.length === 0) delete claims[CLAIM.ags];
    return claims;
  }

  async function signIdToken(
    claims: Record<string, unknown>,
    o: { kid?: string; privateKey?: KeyObject; alg?: 'RS256' } = {},
  ): Promise<string> {
    const byKid = o.kid ? keys.find((k) => k.kid === o.kid) : undefined;
    const key = o.privateKey ?? byKid?.privateKey ?? currentKey().privateKey;
    const kid = o.kid ?? currentKey().kid;
    return new SignJWT(claims as JWTPayload).setProtectedHeader({ alg: o.alg ?? 'RS256', kid, typ: 'JWT' }).sign(key);
  }

  // ---------- the tool's keys ----------

  /** The tool's JWKS, cached; refetched when a token names a kid we do not have (key rotation). */
  async function toolKeySet(jwksUrl: string, refresh: boolean): Promise<ReturnType<typeof createLocalJWKSet>> {
    const cached = toolKeySets.get(jwksUrl);
    if (cached && !refresh && Date.now() - cached.fetchedAt < TOOL_JWKS_MAX_AGE_MS) return cached.keyset;
    const r = await fetch(jwksUrl, { signal: AbortSignal.timeout(5000), headers: { accept: 'application/json' } });
    if (!r.ok) throw new HttpError(401, 'invalid_client', `tool JWKS ${jwksUrl} answered ${r.status}`);
    const body = (await r.json()) as JSONWebKeySet;
    if (!body || !Array.isArray(body.keys))
      throw new HttpError(401, 'invalid_client', `tool JWKS ${jwksUrl} has no keys`);
    const keyset = createLocalJWKSet(body);
    toolKeySets.set(jwksUrl, { keyset, fetchedAt: Date.now() });
    return keyset;
  }

  async function verifyToolJwt(jwt: string, client: ClientRecord, options: JWTVerifyOptions): Promise<JWTPayload> {
    const verifyWith = async (refresh: boolean): Promise<JWTPayload> =>
      (await jwtVerify(jwt, await toolKeySet(client.jwksUrl, refresh), { algorithms: ['RS256'], ...options })).payload;
    try {
      return await verifyWith(false);
    } catch (e) {
      if ((e as { code?: string }).code !== 'ERR_JWKS_NO_MATCHING_KEY') throw e;
      return verifyWith(true);
    }
  }

  // ---------- faults ----------

  function statsOf(target: FaultTarget): FaultStats {
    let st = stats.get(target);
    if (!st) stats.set(target, (st = { statuses: {}, timeouts: 0, late: 0, delayed: 0 }));
    return st;
  }

  function sendFault(target: FaultTarget, res: Response, status: number, retryAfterSeconds?: number): void {
    statsOf(target).statuses[status] = (statsOf(target).statuses[status] ?? 0) + 1;
    if (status === 429 || retryAfterSeconds !== undefined) res.set('Retry-After', String(retryAfterSeconds ?? 1));
    if (target === 'auth') {
      sendPage(
        res,
        status,
        'Gangguan',
        `<div class="card err"><h1>Gangguan buatan</h1><p>Server LMS sedang mensimulasikan galat ${status}.</p></div>`,
      );
    } else {
      res.status(status).json({ error: 'temporarily_unavailable', error_description: `injected fault (${status})` });
    }
  }

  /** Runs fn after ms, unless the client goes away first (a caller that timed out; nor does the timer keep jest alive). */
  function afterDelay(res: Response, ms: number, fn: () => void): void {
    if (!(ms > 0)) return fn();
    const timer = setTimeout(fn, ms);
    res.on('close', () => clearTimeout(timer));
  }

  /** Holds whatever the handlers answer for ms; if the client has gone by then, nothing is sent. */
  function holdResponse(res: Response, ms: number): void {
    const held: Array<() => void> = [];
    let released = false;
    const write = res.write.bind(res) as (...args: unknown[]) => boolean;
    const end = res.end.bind(res) as (...args: unknown[]) => Response;
    const timer = setTimeout(() => {
      released = true;
      if (res.destroyed || res.socket?.destroyed) return;
      for (const call of held) call();
    }, ms);
    res.on('close', () => {
      if (!released) clearTimeout(timer);
    });
    (res as unknown as { write: (...args: unknown[]) => boolean }).write = (...args: unknown[]) => {
      if (released) return write(...args);
      held.push(() => {
        write(...args);
      });
      return true;
    };
    (res as unknown as { end: (...args: unknown[]) => Response }).end = (...args: unknown[]) => {
      if (released) return end(...args);
      held.push(() => {
        end(...args);
      });
      return res;
    };
  }

  /** A random failure of the target's failure rate, or undefined when this request goes through. */
  function randomFailure(
    target: FaultTarget,
  ): { timeout: true; delayMs: number } | { timeout: false; status: number } | undefined {
    const spec = failureRates.get(target);
    if (!spec) return undefined;
    const random = spec.random ?? Math.random;
    if (!(random() < spec.rate)) return undefined;
    const timeout = random() < (spec.timeoutShare ?? 0);
    const statuses = spec.statuses && spec.statuses.length ? spec.statuses : [500, 502, 503];
    const pick = random();
    if (timeout) return { timeout: true, delayMs: spec.delayMs ?? 0 };
    return { timeout: false, status: statuses[Math.min(statuses.length - 1, Math.floor(pick * statuses.length))] };
  }

  function fault(target: FaultTarget): RequestHandler {
    return (req, res, next) => {
      const queue = faults.get(target);
      const f = queue?.[0];
      if (queue && f) {
        f.left -= 1;
        if (f.left <= 0) queue.shift();
        if (f.spec.respondLateMs && f.spec.respondLateMs > 0) {
          statsOf(target).late += 1;
          holdResponse(res, f.spec.respondLateMs);
        }
        return afterDelay(res, f.spec.delayMs ?? 0, () => {
          if (res.headersSent || res.destroyed) return;
          if (f.spec.status) return sendFault(target, res, f.spec.status, f.spec.retryAfterSeconds);
          if (f.spec.delayMs && f.spec.delayMs > 0) statsOf(target).delayed += 1;
          next();
        });
      }
      const failure = randomFailure(target);
      if (!failure) return next();
      if (!failure.timeout) return sendFault(target, res, failure.status);
      statsOf(target).timeouts += 1;
      // No answer, ever: the request is dropped unprocessed (a lost request, or a platform that hung).
      afterDelay(res, failure.delayMs, () => {
        if (!res.destroyed) req.socket.destroy();
      });
    };
  }

  // ---------- bearer tokens ----------

  function requireScope(anyOf: string[]): RequestHandler {
    return (req, res, next) => {
      const m = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
      const t = m ? accessTokens.get(m[1]) : undefined;
      if (!t || t.exp < Date.now()) {
        res.set('WWW-Authenticate', 'Bearer error="invalid_token"');
        res.status(401).json({
          error: 'invalid_token',
          error_description: m ? 'access token unknown or expired' : 'missing bearer token',
        });
        return;
      }
      if (!anyOf.some((s) => t.scopes.has(s))) {
        res.status(403).json({ error: 'insufficient_scope', error_description: `requires one of: ${anyOf.join(' ')}` });
        return;
      }
      next();
    };
  }

  // ---------- HTML ----------

  /** Sends a page with its own CSP, so the inline auto-submit works even when mounted behind helmet. */
  function sendPage(
    res: Response,
    status: number,
    title: string,
    body: string,
    extra: { script?: string; who?: string } = {},
  ): void {
    const nonce = randomBytes(16).toString('base64');
    const home = `${res.req.baseUrl}/`;
    res
      .status(status)
      .set({
        'Content-Type': 'text/html; charset=utf-8',
        'Cache-Control': 'no-store',
        'Content-Security-Policy': `default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}'; img-src data:; form-action *; frame-src *; base-uri 'none'`,
      })
      .send(page({ title, body, nonce, home, script: extra.script, who: extra.who }));
  }

  function errorPage(res: Response, status: number, code: string, message: string): void {
    sendPage(
      res,
      status,
      'Galat',
      `<div class="card err"><h1>Permintaan ditolak</h1><p>Kode galat: <code>${esc(code)}</code></p><p>${esc(message)}</p>
<p><a href="${esc(res.req.baseUrl)}/">Kembali ke kursus</a></p></div>`,
    );
  }

  function launchHref(base: string, user: DemoUser, linkOrDl: string | 'dl'): string {
    const q =
      linkOrDl === 'dl'
        ? `user=${encodeURIComponent(user.id)}&dl=1`
        : `user=${encodeURIComponent(user.id)}&link=${encodeURIComponent(linkOrDl)}`;
    return `${base}/launch?${q}`;
  }

  // ---------- router ----------

  const router = express.Router();
  router.use(express.urlencoded({ extended: false, limit: '1mb' }));
  router.use(express.json({ type: ['application/json', 'application/*+json'], limit: '1mb' }));

  router.get('/', (req, res) => {
    const base = req.baseUrl;
    const coach = userByKind('coach');
    const featured = [
      coach,
      userByKind('admin'),
      userByKind('mentor'),
      ...users.filter((u) => u.kind === 'participant').slice(0, 3),
    ];
    const kindLabel: Record<DemoUser['kind'], string> = {
      participant: 'peserta',
      coach: 'coach / widyaiswara',
      assistant: 'asisten',
      admin: 'admin',
      mentor: 'mentor',
    };
    const activities = course.links
      .map((l) => {
        const custom = Object.entries(l.custom ?? {});
        return `<div class="card"><h2>${esc(l.title)}</h2>
<p class="muted">Aktivitas alat eksternal (LTI) · id tautan <code>${esc(l.id)}</code>${
          l.lineItemId ? ' · punya kolom nilai' : ''
        }${custom.length ? ` · parameter khusus: ${custom.map(([k, v]) => `<code>${esc(k)}=${esc(v)}</code>`).join(' ')}` : ' · belum ada parameter khusus'}</p>
<p>Buka sebagai: ${featured
          .map(
            (u) =>
              `<a class="btn" href="${esc(launchHref(base, u, l.id))}">${esc(u.name)} <span class="muted">(${esc(kindLabel[u.kind])})</span></a>`,
          )
          .join('')}</p></div>`;
      })
      .join('\n');
    const people = users
      .map(
        (u) =>
          `<tr><td>${esc(u.name)}</td><td>${esc(kindLabel[u.kind])}</td><td>${esc(u.email)}</td><td>${course.links
            .map((l) => `<a class="btn" href="${esc(launchHref(base, u, l.id))}">${esc(l.title)}</a>`)
            .join('')}</td></tr>`,
      )
      .join('\n');
    const body = `<div class="crumbs">Beranda / Kursus / ${esc(course.label)}</div>
<h1>${esc(course.title)}</h1>
<div class="card"><p>Ini LMS tiruan untuk mencoba Cermin tanpa Moodle. Setiap tombol meluncurkan alat lewat LTI 1.3 sungguhan
(OIDC login, id_token bertanda tangan RS256), seperti Moodle 4.5.</p>
<ol class="steps"><li><strong>Mulai sebagai coach</strong>: buka aktivitas di bawah sebagai ${esc(coach.name)} (atau <em>Pilih konten</em>)
dan pilih templatnya. Sebelum itu, peserta hanya melihat "belum disiapkan".</li>
<li>Lalu buka aktivitas yang sama sebagai peserta: menulis, meminta pertanyaan balik, mengumpulkan.</li>
<li>Kembali sebagai coach: daftar kerja penilaian, rubrik, <em>Simpan &amp; berikutnya</em>; nilainya muncul di buku nilai.</li></ol>
<p><a class="btn primary" href="${esc(launchHref(base, coach, 'dl'))}">Pilih konten (Deep Linking) sebagai ${esc(coach.name)}</a>
<a class="btn" href="${esc(base)}/gradebook">Buku nilai</a>
<a class="btn" href="${esc(base)}/admin/tools">Kelola alat (admin situs)</a></p></div>
${activities}
<div class="card"><details><summary>Semua peserta (${users.length} orang)</summary>
<table><thead><tr><th>Nama</th><th>Peran</th><th>Surel</th><th>Luncurkan</th></tr></thead><tbody>${people}</tbody></table></details></div>`;
    sendPage(res, 200, course.title, body);
  });

  /** The tool's registration URL with this platform's OpenID configuration and a fresh one-time token. */
  function dynamicRegistrationUrl(toolRegisterUrl: string): string {
    const token = randomUUID();
    registrationTokens.set(token, Date.now() + REGISTRATION_TOKEN_TTL_MS);
    const u = new URL(toolRegisterUrl);
    u.searchParams.set('openid_configuration', url.openid);
    u.searchParams.set('registration_token', token);
    return u.toString();
  }

  /**
   * Site administration → Manage tools, as Moodle's (mod/lti/amd/src/tool_configure_controller.js):
   * the tool URL opens in an iframe on this page (initiateRegistration), through a page of the
   * platform that redirects to the tool with openid_configuration and registration_token
   * (mod/lti/startltiadvregistration.php); the tool's "org.imsglobal.lti.close" message closes the
   * panel and the tool list is shown again (closeLTIAdvRegistration). Without JavaScript the form
   * opens the registration in the window itself.
   */
  router.get('/admin/tools', (req, res) => {
    const base = req.baseUrl;
    const closedBy = str(req.query.closed);
    const tools = registrations
      .map(
        (r) =>
          `<tr><td>${esc(String(r.body.client_name ?? ''))}</td><td><code>${esc(r.clientId)}</code></td><td><code>${esc(r.deploymentId)}</code></td></tr>`,
      )
      .join('');
    const body = `<div class="crumbs"><a href="${esc(base)}/">Beranda</a> / Administrasi situs / Kelola alat</div>
<h1>Kelola alat</h1>
${closedBy ? `<div class="card" role="status" id="registration-closed">Panel pendaftaran ditutup oleh alat (<code>${esc(closedBy)}</code>).</div>` : ''}
<div class="card"><form id="add-tool" method="get" action="${esc(base)}/admin/tools/start-registration">
<label for="tool-url">URL alat</label> <input id="tool-url" name="url" type="url" required size="50">
<button type="submit" class="btn primary">Tambah LTI Advantage</button></form>
<div id="registration-panel" hidden></div></div>
<div class="card" id="tool-list"><h2>Alat terdaftar</h2>${tools ? `<table><thead><tr><th>Nama</th><th>Client ID</th><th>Deployment</th></tr></thead><tbody>${tools}</tbody></table>` : '<p>Belum ada alat.</p>'}</div>`;
    const script = `(function () {
  var form = document.getElementById('add-tool');
  var panel = document.getElementById('registration-panel');
  form.addEventListener('submit', function (e) {
    e.preventDefault();
    var frame = document.createElement('iframe');
    frame.className = 'tool';
    frame.name = 'registration';
    frame.title = 'Pendaftaran alat';
    frame.src = form.action + '?url=' + encodeURIComponent(document.getElementById('tool-url').value.trim());
    panel.appendChild(frame);
    panel.hidden = false;
    document.getElementById('tool-list').hidden = true;
  });
  window.addEventListener('message', function (e) {
    if (e.data && e.data.subject === 'org.imsglobal.lti.close') {
      panel.innerHTML = '';
      location.href = ${JSON.stringify(`${base}/admin/tools?closed=`)} + encodeURIComponent(e.origin);
    }
  });
})();`;
    sendPage(res, 200, 'Kelola alat', body, { script });
  });

  router.get('/admin/tools/start-registration', (req, res) => {
    const target = str(req.query.url);
    let toolUrl: URL | undefined;
    try {
      toolUrl = target ? new URL(target) : undefined;
    } catch {
      toolUrl = undefined;
    }
    if (!toolUrl || !/^https?:$/.test(toolUrl.protocol)) {
      errorPage(res, 400, 'invalid_request', 'URL alat harus alamat http(s).');
      return;
    }
    res.redirect(302, dynamicRegistrationUrl(toolUrl.toString()));
  });

  router.get('/launch', (req, res) => {
    const user = userById(str(req.query.user));
    const dl = req.query.dl === '1';
    const link = dl ? undefined : linkById(str(req.query.link));
    const client = clients.get(str(req.query.client) ?? opts.clientId);
    if (!user || (!dl && !link) || !client) {
      sendPage(
        res,
        404,
        'Tidak ditemukan',
        `<div class="card err"><h1>Tidak ditemukan</h1><p>Pengguna, aktivitas atau alat tidak dikenal.</p>
<p><a href="${esc(req.baseUrl)}/">Kembali ke kursus</a></p></div>`,
      );
      return;
    }
    const fields = {
      iss: issuer,
      login_hint: user.id,
      target_link_uri: client.launchUrl,
      lti_message_hint: encodeHint(dl ? { dl: true } : { link: link?.id }),
      client_id: client.clientId,
      lti_deployment_id: client.deploymentId,
    };
    const title = dl ? 'Pilih konten (Deep Linking)' : (link?.title ?? '');
    const body = `<div class="crumbs"><a href="${esc(req.baseUrl)}/">${esc(course.label)}</a> / ${esc(title)}</div>
<h1>${esc(title)}</h1>
${autoPostForm(client.loginUrl, fields, { target: 'tool', id: 'ltiLaunchForm' })}
<iframe class="tool" name="tool" title="${esc(title)}" allow="clipboard-write; fullscreen"></iframe>
${autoPostForm(client.loginUrl, fields, { target: '_blank', id: 'ltiLaunchNewWindow' }).replace(
  /<noscript>[\s\S]*<\/noscript>/,
  '<button class="btn" type="submit">Buka di jendela baru</button>',
)}`;
    sendPage(res, 200, title, body, { script: autoSubmitScript('ltiLaunchForm'), who: user.name });
  });

  const auth = (req: Request, res: Response): void => {
    const p = { ...(req.query as Record<string, unknown>), ...((req.body ?? {}) as Record<string, unknown>) };
    const fail = (code: string, message: string): void => errorPage(res, 400, code, message);
    if (str(p.scope) !== 'openid') return fail('invalid_scope', 'scope harus "openid".');
    if (str(p.response_type) !== 'id_token')
      return fail('unsupported_response_type', 'response_type harus "id_token".');
    const client = clients.get(str(p.client_id) ?? '');
    if (!client) return fail('unauthorized_client', 'client_id tidak dikenal.');
    const redirectUri = str(p.redirect_uri);
    if (!redirectUri || !client.redirectUris.includes(redirectUri)) {
      return fail('invalid_request', `redirect_uri tidak terdaftar: ${redirectUri ?? '(kosong)'}`);
    }
    if (str(p.response_mode) !== 'form_post') return fail('invalid_request', 'response_mode harus "form_post".');
    if (p.prompt !== undefined && str(p.prompt) !== 'none') return fail('invalid_request', 'prompt harus "none".');
    const user = userById(str(p.login_hint));
    if (!user)
      return fail(
        'login_required',
        `login_hint tidak cocok dengan pengguna mana pun: ${str(p.login_hint) ?? '(kosong)'}`,
      );
    const state = str(p.state);
    const nonce = str(p.nonce);
    if (!state) return fail('invalid_request', 'state wajib ada.');
    if (!nonce) return fail('invalid_request', 'nonce wajib ada.');
    const hint = decodeHint(str(p.lti_message_hint));
    if (!hint || (!hint.dl && !linkById(hint.link))) return fail('invalid_request', 'lti_message_hint tidak valid.');
    const claims = launchClaimsFor(
      user,
      { nonce, messageType: hint.dl ? 'LtiDeepLinkingRequest' : 'LtiResourceLinkRequest', linkId: hint.link },
      client,
    );
    void signIdToken(claims).then(
      (idToken) =>
        sendPage(
          res,
          200,
          'Meneruskan ke alat…',
          `<p class="muted">Meneruskan ke alat…</p>${autoPostForm(redirectUri, { id_token: idToken, state })}`,
          {
            script: autoSubmitScript(),
          },
        ),
      (e: unknown) => errorPage(res, 500, 'server_error', String(e)),
    );
  };
  router.get('/auth', fault('auth'), auth);
  router.post('/auth', fault('auth'), auth);

  router.get('/jwks', fault('jwks'), (_req, res) => {
    res.json({ keys: keys.map((k) => k.jwk) });
  });

  router.post(
    '/token',
    fault('token'),
    ah(async (req, res) => {
      res.set('Cache-Control', 'no-store');
      const oauthError = (status: number, error: string, description: string): void => {
        res.status(status).json({ error, error_description: description });
      };
      const b = (req.body ?? {}) as Record<string, unknown>;
      if (str(b.grant_type) !== 'client_credentials')
        return oauthError(400, 'unsupported_grant_type', 'grant_type must be client_credentials');
      if (str(b.client_assertion_type) !== CLIENT_ASSERTION_TYPE) {
        return oauthError(400, 'invalid_request', `client_assertion_type must be ${CLIENT_ASSERTION_TYPE}`);
      }
      const assertion = str(b.client_assertion);
      if (!assertion) return oauthError(400, 'invalid_request', 'client_assertion is required');
      let unverified: JWTPayload;
      try {
        unverified = decodeJwt(assertion);
      } catch {
        return oauthError(401, 'invalid_client', 'client_assertion is not a JWT');
      }
      const client = clients.get(String(unverified.sub ?? unverified.iss ?? ''));
      if (!client) return oauthError(401, 'invalid_client', 'unknown client');
      let payload: JWTPayload;
      try {
        payload = await verifyToolJwt(assertion, client, {
          issuer: client.clientId,
          subject: client.clientId,
          audience: [url.token, issuer],
          requiredClaims: ['exp', 'jti'],
        });
      } catch (e) {
        if (e instanceof HttpError) return oauthError(e.status, e.code, e.message);
        return oauthError(401, 'invalid_client', `client_assertion rejected: ${(e as Error).message}`);
      }
      purge();
      const jti = String(payload.jti);
      if (usedJtis.has(`${client.clientId} ${jti}`))
        return oauthError(401, 'invalid_client', 'client_assertion jti already used');
      usedJtis.set(`${client.clientId} ${jti}`, ((payload.exp ?? 0) + 60) * 1000);
      const requested = (str(b.scope) ?? '').split(/\s+/).filter(Boolean);
      const granted = [...new Set(requested)].filter((s) => ALL_SERVICE_SCOPES.includes(s) && client.scopes.has(s));
      if (granted.length === 0) return oauthError(400, 'invalid_scope', 'none of the requested scopes can be granted');
      const accessToken = randomBytes(24).toString('base64url');
      tokenRequests++;
      recentGrants.push({ assertion, accessToken });
      if (recentGrants.length > 100) recentGrants.shift();
      accessTokens.set(accessToken, {
        clientId: client.clientId,
        scopes: new Set(granted),
        exp: Date.now() + ACCESS_TOKEN_TTL_SECONDS * 1000,
      });
      res.json({
        access_token: accessToken,
        token_type: 'Bearer',
        expires_in: ACCESS_TOKEN_TTL_SECONDS,
        scope: granted.join(' '),
      });
    }),
  );

  const ctx: ServiceContext = {
    course,
    users,
    gradebook,
    membership,
    lineItemsUrl,
    membershipsUrl,
    fault,
    requireScope,
    sourcedIdOf: sourcedId,
  };
  registerNrpsRoutes(router, ctx);
  registerAgsRoutes(router, ctx);

  router.get('/gradebook', (req, res) => {
    const learners = users.filter(isLearner);
    const items = gradebook.lineItems;
    const cell = (li: DemoLineItem, u: DemoUser): string => {
      const s = gradebook.scores.find((x) => x.lineItemId === li.id && x.userId === u.id);
      if (!s) return '–';
      const value =
        s.scoreGiven === undefined
          ? `– <span class="muted">(${esc(s.gradingProgress)})</span>`
          : `${esc(s.scoreGiven)} / ${esc(s.scoreMaximum ?? li.scoreMaximum)}`;
      return `${value}${s.comment ? `<div class="muted">${esc(s.comment)}</div>` : ''}`;
    };
    const table = items.length
      ? `<table><thead><tr><th>Peserta</th>${items.map((li) => `<th>${esc(li.label)} <span class="muted">(maks ${esc(li.scoreMaximum)})</span></th>`).join('')}</tr></thead>
<tbody>${learners.map((u) => `<tr><td>${esc(u.name)}</td>${items.map((li) => `<td>${cell(li, u)}</td>`).join('')}</tr>`).join('\n')}</tbody></table>`
      : '<p>Belum ada kolom nilai. Kolom dibuat lewat Deep Linking (lineItem) atau AGS.</p>';
    sendPage(
      res,
      200,
      'Buku nilai',
      `<div class="crumbs"><a href="${esc(req.baseUrl)}/">${esc(course.label)}</a> / Buku nilai</div>
<h1>Buku nilai</h1><div class="card">${table}</div>`,
    );
  });

  router.get('/return', (req, res) => {
    const msg = str(req.query.lti_msg);
    const err = str(req.query.lti_errormsg);
    sendPage(
      res,
      200,
      'Kembali dari alat',
      `<div class="card ${err ? 'err' : 'ok'}"><h1>Kembali dari alat</h1>${msg ? `<p>${esc(msg)}</p>` : ''}${err ? `<p>${esc(err)}</p>` : ''}
<p><a href="${esc(req.baseUrl)}/" target="_top">Kembali ke kursus</a></p></div>`,
    );
  });

  router.post(
    '/deep-linking/return',
    ah(async (req, res) => {
      const fail = (reason: string): void => errorPage(res, 400, 'invalid_deep_linking_response', reason);
      const jwt = str((req.body as Record<string, unknown> | undefined)?.JWT);
      if (!jwt) return fail('Field JWT tidak ada.');
      let unverified: JWTPayload;
      try {
        unverified = decodeJwt(jwt);
      } catch {
        return fail('JWT tidak dapat dibaca.');
      }
      const client = clients.get(String(unverified.iss ?? ''));
      if (!client) return fail(`iss bukan client_id yang dikenal: ${String(unverified.iss)}`);
      let payload: JWTPayload;
      try {
        payload = await verifyToolJwt(jwt, client, {
          issuer: client.clientId,
          audience: issuer,
          requiredClaims: ['exp', 'iat'],
        });
      } catch (e) {
        return fail(`Tanda tangan atau klaim JWT tidak valid: ${(e as Error).message}`);
      }
      if (payload[CLAIM.messageType] !== 'LtiDeepLinkingResponse')
        return fail('message_type harus LtiDeepLinkingResponse.');
      if (payload[CLAIM.version] !== '1.3.0') return fail('version harus 1.3.0.');
      if (payload[CLAIM.deploymentId] !== client.deploymentId) return fail('deployment_id tidak cocok.');
      const data = payload[CLAIM.dlData];
      const pending = typeof data === 'string' ? pendingDeepLinks.get(data) : undefined;
      if (!pending || pending.clientId !== client.clientId || pending.expires < Date.now()) {
        return fail('Klaim data tidak cocok dengan permintaan Deep Linking (atau sudah dipakai/kedaluwarsa).');
      }
      pendingDeepLinks.delete(data as string);

      const rawItems = payload[CLAIM.dlContentItems];
      const items: unknown[] = Array.isArray(rawItems) ? rawItems : [];
      const added: Array<{ link: DemoResourceLink; lineItem?: DemoLineItem }> = [];
      let ignored = 0;
      for (const raw of items) {
        if (typeof raw !== 'object' || raw === null || (raw as { type?: unknown }).type !== 'ltiResourceLink') {
          ignored++;
          continue;
        }
        const item = raw as Record<string, unknown>;
        const custom: Record<string, string> = {};
        if (typeof item.custom === 'object' && item.custom !== null) {
          for (const [k, v] of Object.entries(item.custom as Record<string, unknown>)) custom[k] = String(v);
        }
        const nextId = Math.max(0, ...course.links.map((l) => Number(l.id) || 0)) + 1;
        const link: DemoResourceLink = {
          id: String(nextId),
          title: str(item.title) || 'Aktivitas tanpa judul',
          custom,
        };
        course.links.push(link);
        let lineItem: DemoLineItem | undefined;
        const li = item.lineItem;
        if (typeof li === 'object' && li !== null) {
          const l = li as Record<string, unknown>;
          const max = typeof l.scoreMaximum === 'number' && l.scoreMaximum > 0 ? l.scoreMaximum : 100;
          lineItem = addLineItem(ctx, {
            scoreMaximum: max,
            label: str(l.label) || link.title,
            resourceId: str(l.resourceId) || undefined,
            tag: str(l.tag) || undefined,
            resourceLinkId: link.id,
          });
        }
        added.push({ link, lineItem });
      }
      const msg = str(payload[CLAIM.dlMsg]);
      const errMsg = str(payload[CLAIM.dlErrorMsg]);
      const list = added.length
        ? `<ul>${added
            .map(
              (a) =>
                `<li><strong>${esc(a.link.title)}</strong> (id <code>${esc(a.link.id)}</code>)${
                  a.lineItem ? ` · kolom nilai “${esc(a.lineItem.label)}”, maks ${esc(a.lineItem.scoreMaximum)}` : ''
                }${
                  Object.keys(a.link.custom ?? {}).length
                    ? ` · ${Object.entries(a.link.custom ?? {})
                        .map(([k, v]) => `<code>${esc(k)}=${esc(v)}</code>`)
                        .join(' ')}`
                    : ''
                }</li>`,
            )
            .join('')}</ul>`
        : '<p>Tidak ada konten yang ditambahkan.</p>';
      sendPage(
        res,
        200,
        'Konten ditambahkan',
        `<div class="card ok"><h1>Konten dari alat</h1>${msg ? `<p>${esc(msg)}</p>` : ''}${errMsg ? `<p class="err">${esc(errMsg)}</p>` : ''}
${list}${ignored ? `<p class="muted">${ignored} item jenis lain diabaikan (hanya ltiResourceLink yang diterima).</p>` : ''}
<p><a class="btn primary" href="${esc(req.baseUrl)}/" target="_top">Kembali ke kursus</a></p></div>`,
      );
    }),
  );

  router.get('/.well-known/openid-configuration', (_req, res) => {
    res.json({
      issuer,
      token_endpoint: url.token,
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
      token_endpoint_auth_signing_alg_values_supported: ['RS256'],
      jwks_uri: url.jwks,
      authorization_endpoint: url.auth,
      registration_endpoint: url.registration,
      scopes_supported: ['openid', ...ALL_SERVICE_SCOPES],
      response_types_supported: ['id_token'],
      subject_types_supported: ['public', 'pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      claims_supported: ['sub', 'iss', 'name', 'given_name', 'family_name', 'email'],
      [CLAIM.platformConfiguration]: {
        product_family_code: 'moodle',
        version: '4.5',
        messages_supported: [{ type: 'LtiResourceLinkRequest' }, { type: 'LtiDeepLinkingRequest' }],
        variables: MOODLE_VARIABLES,
      },
    });
  });

  router.post('/register', (req, res) => {
    purge();
    const m = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
    const tokenExp = m ? registrationTokens.get(m[1]) : undefined;
    if (!m || tokenExp === undefined || tokenExp < Date.now()) {
      res
        .status(401)
        .json({ error: 'invalid_token', error_description: 'missing, unknown or expired registration token' });
      return;
    }
    const body = req.body as unknown;
    const invalid = validateRegistration(body);
    if (invalid) {
      res.status(400).json({ error: 'invalid_client_metadata', error_description: invalid });
      return;
    }
    const reg = body as Record<string, unknown>;
    const toolConf = reg[CLAIM.toolConfiguration] as Record<string, unknown>;
    registrationTokens.delete(m[1]); // one-time, but only once it has worked, so a tool can fix its metadata and retry
    const clientId = randomBytes(12).toString('base64url');
    let n = 101 + registrations.length;
    const taken = new Set([...clients.values()].map((c) => c.deploymentId));
    while (taken.has(String(n))) n++;
    const deploymentId = String(n);
    // Moodle turns the requested scope into enabled services; nothing asked, nothing granted later.
    const scopes = new Set((str(reg.scope) ?? '').split(/\s+/).filter((s) => ALL_SERVICE_SCOPES.includes(s)));
    clients.set(clientId, {
      clientId,
      deploymentId,
      loginUrl: reg.initiate_login_uri as string,
      launchUrl: toolConf.target_link_uri as string,
      redirectUris: reg.redirect_uris as string[],
      jwksUrl: reg.jwks_uri as string,
      scopes,
    });
    registrations.push({ clientId, deploymentId, body: reg });
    res.status(200).json({
      ...reg,
      client_id: clientId,
      scope: [...scopes].join(' '),
      [CLAIM.toolConfiguration]: { ...toolConf, deployment_id: deploymentId },
    });
  });

  // Errors escaping a handler: JSON for the APIs, a page for the browser routes.
  // A body or path that cannot be parsed is the client's fault (body-parser and Express mark it with a 4xx).
  router.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const marked = (err as { status?: unknown })?.status;
    const status = typeof marked === 'number' && marked >= 400 && marked < 500 ? marked : 500;
    if (status === 500) console.error('demo platform error', err);
    if (res.headersSent) return;
    const code = status === 500 ? 'server_error' : 'invalid_request';
    if (req.path.startsWith('/api/') || req.path === '/token' || req.path === '/register') {
      res.status(status).json({ error: code, error_description: (err as Error)?.message ?? String(err) });
    } else {
      errorPage(res, status, code, (err as Error)?.message ?? String(err));
    }
  });

  function userByKind(kind: DemoUser['kind']): DemoUser {
    const u = users.find((x) => x.kind === kind);
    if (!u) throw new Error(`no demo user of kind ${kind}`);
    return u;
  }

  return {
    router,
    issuer,
    jwksUrl: url.jwks,
    authUrl: url.auth,
    tokenUrl: url.token,
    openidConfigurationUrl: url.openid,
    registrationUrl: url.registration,
    deepLinkReturnUrl: url.deepLinkReturn,
    membershipsUrl,
    lineItemsUrl,
    course,
    users,
    userByKind,
    launchClaims(user, o) {
      const client = clients.get(o.clientId ?? opts.clientId);
      if (!client) throw new Error(`launchClaims: unknown client ${o.clientId}`);
      return launchClaimsFor(user, o, client);
    },
    signIdToken,
    async rotateKey() {
      keys.push(await newSigningKey());
    },
    inject(target, spec) {
      const queue = faults.get(target) ?? [];
      queue.push({ spec, left: Math.max(1, spec.times ?? 1) });
      faults.set(target, queue);
    },
    setFailureRate(target, spec) {
      if (spec === null) {
        failureRates.delete(target);
        return;
      }
      const share = (x: number | undefined, name: string) => {
        if (x !== undefined && !(x >= 0 && x <= 1)) throw new Error(`setFailureRate: ${name} must be between 0 and 1`);
      };
      share(spec.rate, 'rate');
      share(spec.timeoutShare, 'timeoutShare');
      failureRates.set(target, { ...spec, statuses: spec.statuses ? [...spec.statuses] : undefined });
    },
    clearFaults() {
      faults.clear();
      failureRates.clear();
    },
    faultStats(target) {
      const st = statsOf(target);
      return { ...st, statuses: { ...st.statuses } };
    },
    gradebook,
    revokeAccessTokens() {
      accessTokens.clear();
    },
    recentGrants,
    get tokenRequests() {
      return tokenRequests;
    },
    setMemberStatus(userId, status) {
      if (!userById(userId)) throw new Error(`setMemberStatus: unknown user ${userId}`);
      membership.removed.delete(userId);
      if (status === 'Active') membership.status.delete(userId);
      else membership.status.set(userId, status);
    },
    removeMember(userId) {
      if (!userById(userId)) throw new Error(`removeMember: unknown user ${userId}`);
      membership.removed.add(userId);
    },
    withdrawScope(scope, clientId) {
      const client = clients.get(clientId ?? opts.clientId);
      if (!client) throw new Error(`withdrawScope: unknown client ${clientId}`);
      client.scopes.delete(scope);
    },
    dynamicRegistrationUrl,
    registrations,
  };
}

/** Moodle's registration_helper checks, returning the first problem (or undefined when fine). */
function validateRegistration(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'body must be a JSON object';
  const r = body as Record<string, unknown>;
  const list = (v: unknown): string[] | undefined =>
    Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : undefined;
  if (r.application_type !== 'web') return 'application_type must be "web"';
  if (!list(r.response_types)?.includes('id_token')) return 'response_types must include id_token';
  const grants = list(r.grant_types);
  if (!grants?.includes('implicit') || !grants.includes('client_credentials')) {
    return 'grant_types must include implicit and client_credentials';
  }
  if (typeof r.initiate_login_uri !== 'string' || r.initiate_login_uri === '') return 'initiate_login_uri is required';
  const redirects = list(r.redirect_uris);
  if (!redirects || redirects.length === 0) return 'redirect_uris is required';
  if (typeof r.jwks_uri !== 'string' || r.jwks_uri === '') return 'jwks_uri is required';
  if (r.token_endpoint_auth_method !== 'private_key_jwt') return 'token_endpoint_auth_method must be private_key_jwt';
  const conf = r[CLAIM.toolConfiguration];
  if (typeof conf !== 'object' || conf === null) return `${CLAIM.toolConfiguration} is required`;
  const c = conf as Record<string, unknown>;
  if (typeof c.domain !== 'string' || c.domain === '') return 'domain is required';
  const domain = c.domain.toLowerCase().replace(/^www\./, '');
  if (typeof c.target_link_uri !== 'string' || c.target_link_uri === '') return 'target_link_uri is required';
  if (domainOf(c.target_link_uri) !== domain) return `target_link_uri must be on the domain ${c.domain}`;
  if (!Array.isArray(c.messages)) return 'messages is required';
  for (const u of redirects) if (domainOf(u) !== domain) return `redirect_uri ${u} is not on the domain ${c.domain}`;
  return undefined;
}
