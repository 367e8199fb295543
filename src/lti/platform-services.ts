/**
 * Cermin's own client for LTI Advantage service calls made outside a launch (a background worker
 * sends grades, a job reads the roster). ltijs's Grade and NamesAndRoles services need the launch's
 * id token and request, so they cannot serve here.
 *
 * Every failure is a ServiceError that says what the caller may do next:
 * - `transient`: try again later (after `retryAfterMs` when the platform said so);
 * - `refused`: the platform (or Cermin's own registration) says no; retrying the same request is useless;
 * - `conflict`: 409, Moodle's answer to a score that is not strictly newer than the stored one;
 * and whether the request may have reached the platform (`maybeDelivered`), so a grade worker can
 * tell "surely not sent" from "sent, answer lost" (the latter needs an idempotent retry, not a new one).
 *
 * Access tokens and client assertions never appear in errors or logs.
 */
import { LRUCache } from 'lru-cache';
import crypto from 'node:crypto';
import { SignJWT } from 'jose';
import type { LtijsProvider } from './ltijs';

export interface PlatformRef {
  issuer: string;
  clientId: string;
}

export type ServiceErrorKind = 'transient' | 'refused' | 'conflict';

export class ServiceError extends Error {
  readonly kind: ServiceErrorKind;
  readonly status?: number;
  /** Short, human-readable, safe to show a coach (never a token). */
  readonly reason: string;
  /** From Retry-After (seconds or HTTP date) on 429/503. */
  readonly retryAfterMs?: number;
  /**
   * True when the request may have reached the platform (timeout or connection lost after
   * sending); false when it surely did not (token failure, connection refused, an HTTP answer).
   */
  readonly maybeDelivered: boolean;

  constructor(init: {
    kind: ServiceErrorKind;
    reason: string;
    status?: number;
    retryAfterMs?: number;
    maybeDelivered?: boolean;
  }) {
    super(`${init.kind}${init.status ? ` (HTTP ${init.status})` : ''}: ${init.reason}`);
    this.name = 'ServiceError';
    this.kind = init.kind;
    this.reason = init.reason;
    this.status = init.status;
    this.retryAfterMs = init.retryAfterMs;
    this.maybeDelivered = init.maybeDelivered ?? false;
  }
}

export interface ServiceSigningKey {
  kid: string;
  privateKey: crypto.KeyObject;
  tokenUrl: string;
  audience: string;
  /**
   * The origins of the platform as registered (issuer, authentication, token and key endpoints):
   * the only places its service URLs may point to. A URL from an id_token outside them (an
   * attacker's own platform naming an internal address) is refused before anything is sent.
   */
  origins: string[];
}

export interface SigningKeySource {
  signingKey(ref: PlatformRef): Promise<ServiceSigningKey>;
  /** Drops what is kept (a platform's registration changed). */
  forget?(): void;
}

const SIGNING_KEY_TTL_MS = 10 * 60_000;

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

/**
 * Reads the tool's private key for a platform through ltijs (which stores it encrypted), and
 * caches the parsed key for ten minutes: decrypting and parsing a 4096-bit key on every grade
 * would cost more than the call itself. A removed platform is noticed within the ten minutes.
 */
export function ltijsSigningKeys(provider: LtijsProvider): SigningKeySource {
  const cache = new LRUCache<string, ServiceSigningKey>({ max: 1000, ttl: SIGNING_KEY_TTL_MS });
  return {
    async signingKey(ref) {
      const cacheKey = `${ref.issuer}\n${ref.clientId}`;
      const hit = cache.get(cacheKey);
      if (hit) return hit;
      const platform = await provider.getPlatform(ref.issuer, ref.clientId);
      if (!platform) {
        cache.delete(cacheKey);
        throw new ServiceError({ kind: 'refused', reason: 'platform not registered' });
      }
      const [pem, kid, tokenUrl, audience, authUrl, auth] = await Promise.all([
        platform.platformPrivateKey(),
        platform.platformKid(),
        platform.platformAccessTokenEndpoint(),
        platform.platformAuthorizationServer(),
        platform.platformAuthEndpoint(),
        platform.platformAuthConfig(),
      ]);
      const origins = [
        ...new Set(
          [ref.issuer, tokenUrl, authUrl, ...(auth.method === 'JWK_SET' ? [auth.key] : [])].flatMap(
            (u) => originOf(u) ?? [],
          ),
        ),
      ];
      const key: ServiceSigningKey = {
        kid,
        privateKey: crypto.createPrivateKey(pem),
        tokenUrl,
        audience: audience || tokenUrl,
        origins,
      };
      cache.set(cacheKey, key);
      return key;
    },
    forget: () => cache.clear(),
  };
}

export interface PlatformServicesDeps {
  keys: SigningKeySource;
  /** Upper bound of each HTTP request (token or service). */
  timeoutMs: number;
  now?: () => number;
  /** The guarded client (src/outbound) in Cermin; a script in tests. */
  fetch?: (url: string, init: RequestInit) => Promise<Response>;
}

export interface ServiceRequest {
  method: 'GET' | 'POST' | 'PUT';
  url: string;
  accept?: string;
  contentType?: string;
  body?: unknown;
  /** Epoch ms; no HTTP request runs past it. */
  deadline?: number;
}

export interface ServiceResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON; the text itself when the platform answered something else; undefined when empty. */
  body: unknown;
}

interface CachedToken {
  token: string;
  /** Epoch ms after which the token is not used any more. */
  until: number;
}

const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** A token is dropped this long before the platform says it expires, so no call carries a dying one. */
const TOKEN_MARGIN_MS = 60_000;
/** OAuth makes expires_in optional; Moodle and most platforms use an hour. A wrong guess costs one 401 and a new token. */
const DEFAULT_EXPIRES_IN_S = 3600;
const REASON_MAX = 200;

/** Connection failures that happen before a single byte of the request is sent. */
const NOT_SENT_CODES = new Set([
  // The guarded client refused the address or the URL before connecting.
  'OUTBOUND_BLOCKED',
  'OUTBOUND_BADURL',
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_INVALID_URL',
]);

/** One line, no control characters, at most 200 characters: fit for a coach's screen and a log line. */
function tidy(text: string): string {
  const line = text
    // eslint-disable-next-line no-control-regex -- stripping control characters is the point
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return line.length > REASON_MAX ? `${line.slice(0, REASON_MAX - 1)}…` : line;
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function parseBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The platform's own words for an error: error_description, error, or the start of the body. */
function reasonOf(body: unknown, statusText: string, status: number): string {
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    for (const k of ['error_description', 'error', 'message', 'reason']) {
      if (typeof b[k] === 'string' && b[k] !== '') return tidy(b[k] as string);
    }
    return tidy(JSON.stringify(body));
  }
  if (typeof body === 'string' && body.trim() !== '') return tidy(body);
  // Moodle's services put their reason in the status line and send no body.
  return tidy(statusText || `HTTP ${status}`);
}

function errorCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; cause?: { code?: unknown; cause?: { code?: unknown } } } | undefined;
  const code = e?.cause?.code ?? e?.cause?.cause?.code ?? e?.code;
  return typeof code === 'string' ? code : undefined;
}

function isTimeout(err: unknown): boolean {
  const name = (err as { name?: unknown } | undefined)?.name;
  return name === 'TimeoutError' || name === 'AbortError';
}

export class PlatformServices {
  private readonly keys: SigningKeySource;
  private readonly timeoutMs: number;
  private readonly now: () => number;
  private readonly fetchFn: (url: string, init: RequestInit) => Promise<Response>;
  private readonly tokens = new Map<string, CachedToken>();
  private readonly inFlight = new Map<string, Promise<CachedToken>>();
  /** Bumped by forgetTokens(), so a token request started before it does not refill the cache. */
  private generation = 0;

  constructor(deps: PlatformServicesDeps) {
    this.keys = deps.keys;
    this.timeoutMs = deps.timeoutMs;
    this.now = deps.now ?? Date.now;
    // Looked up at call time by default, so a test's replacement of the global is honoured too.
    this.fetchFn = deps.fetch ?? ((url, init) => fetch(url, init));
  }

  /** A bearer token for these scopes, from the cache or the platform's token endpoint. */
  async accessToken(ref: PlatformRef, scopes: string[], deadline?: number): Promise<string> {
    return (await this.cachedToken(ref, scopes, deadline)).token;
  }

  forgetTokens(): void {
    this.tokens.clear();
    this.inFlight.clear();
    this.generation++;
  }

  /** A platform's registration changed (keys, endpoints, removed): nothing kept of any platform is used again. */
  forgetPlatforms(): void {
    this.keys.forget?.();
    this.forgetTokens();
  }

  async request(ref: PlatformRef, scopes: string[], init: ServiceRequest): Promise<ServiceResponse> {
    await this.checkBelongsToPlatform(ref, init.url);
    const first = await this.cachedToken(ref, scopes, init.deadline);
    let res = await this.send(first.token, init);
    if (res.status === 401) {
      // The platform may have revoked or forgotten the token before its expiry: one new one, once.
      this.forgetToken(ref, scopes, first);
      const fresh = await this.cachedToken(ref, scopes, init.deadline);
      res = await this.send(fresh.token, init);
      if (res.status === 401) {
        // A brand-new token refused too: the platform does not grant this service (Moodle shows
        // a scope it did not grant as 401). Keep the token; asking for another would not help.
        throw new ServiceError({
          kind: 'refused',
          status: 401,
          reason: tidy(`platform refused the access token: ${this.reason(res, fresh.token)}`),
        });
      }
    }
    if (res.status >= 200 && res.status < 300) return { status: res.status, headers: res.headers, body: res.body };
    const reason = this.reason(res, first.token);
    if (res.status === 409) throw new ServiceError({ kind: 'conflict', status: 409, reason });
    if (res.status === 429 || res.status === 408 || res.status >= 500) {
      throw new ServiceError({
        kind: 'transient',
        status: res.status,
        reason,
        retryAfterMs: parseRetryAfter(res.headers.get('retry-after'), this.now()),
      });
    }
    if (res.status >= 300 && res.status < 400) {
      // Not followed: a redirect could carry the bearer token to another host.
      throw new ServiceError({
        kind: 'refused',
        status: res.status,
        reason: tidy(`platform answered with a redirect to ${res.headers.get('location') ?? '(nowhere)'}`),
      });
    }
    throw new ServiceError({ kind: 'refused', status: res.status, reason });
  }

  /** A service URL outside the platform's registered origins is refused before a token is even asked for. */
  private async checkBelongsToPlatform(ref: PlatformRef, url: string): Promise<void> {
    const key = await this.signingKey(ref);
    const origin = originOf(url);
    if (!origin || !key.origins.includes(origin)) {
      throw new ServiceError({
        kind: 'refused',
        reason: tidy(
          `the service address ${origin ?? '(unreadable)'} is not one of the platform's registered addresses`,
        ),
      });
    }
  }

  // ---------- tokens ----------

  private cacheKey(ref: PlatformRef, scopes: string[]): string {
    return `${ref.issuer}\n${ref.clientId}\n${[...new Set(scopes)].sort().join(' ')}`;
  }

  private forgetToken(ref: PlatformRef, scopes: string[], stale: CachedToken): void {
    const key = this.cacheKey(ref, scopes);
    // Only if it is still the refused one: a concurrent caller may already have replaced it.
    if (this.tokens.get(key) === stale) this.tokens.delete(key);
  }

  private async cachedToken(ref: PlatformRef, scopes: string[], deadline?: number): Promise<CachedToken> {
    const key = this.cacheKey(ref, scopes);
    const hit = this.tokens.get(key);
    if (hit && this.now() < hit.until) return hit;
    let pending = this.inFlight.get(key);
    if (!pending) {
      if (deadline !== undefined && deadline <= this.now()) {
        throw new ServiceError({
          kind: 'transient',
          reason: 'deadline passed before an access token could be asked for',
        });
      }
      const generation = this.generation;
      // Bounded by timeoutMs only, not by this caller's deadline: it is shared, and a token that
      // arrives late is still cached for the next call.
      pending = this.requestToken(ref, [...new Set(scopes)].sort()).then(
        (t) => {
          if (this.inFlight.get(key) === pending) this.inFlight.delete(key);
          if (generation === this.generation) this.tokens.set(key, t);
          return t;
        },
        (err: unknown) => {
          if (this.inFlight.get(key) === pending) this.inFlight.delete(key);
          throw err;
        },
      );
      this.inFlight.set(key, pending);
    }
    return this.withinDeadline(pending, deadline);
  }

  /** Waits for a shared promise no longer than this caller's deadline. */
  private withinDeadline<T>(promise: Promise<T>, deadline?: number): Promise<T> {
    if (deadline === undefined) return promise;
    const left = deadline - this.now();
    const tooLate = (): ServiceError =>
      new ServiceError({ kind: 'transient', reason: 'deadline passed while waiting for an access token' });
    if (left <= 0) {
      promise.catch(() => undefined); // settled by someone else or nobody; not an unhandled rejection
      return Promise.reject(tooLate());
    }
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(tooLate()), left);
      timer.unref();
      promise.then(
        (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        (e: unknown) => {
          clearTimeout(timer);
          reject(e);
        },
      );
    });
  }

  /** The platform's signing key and registered addresses; a failure to read them is transient, unless the platform is gone. */
  private async signingKey(ref: PlatformRef): Promise<ServiceSigningKey> {
    try {
      return await this.keys.signingKey(ref);
    } catch (err) {
      if (err instanceof ServiceError) throw err;
      throw new ServiceError({
        kind: 'transient',
        reason: tidy(`could not read the tool's key for this platform: ${(err as Error)?.message ?? String(err)}`),
      });
    }
  }

  private async requestToken(ref: PlatformRef, scopes: string[]): Promise<CachedToken> {
    const key = await this.signingKey(ref);
    const nowS = Math.floor(this.now() / 1000);
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' })
      .setIssuer(ref.clientId)
      .setSubject(ref.clientId)
      .setAudience(key.audience)
      .setIssuedAt(nowS)
      .setExpirationTime(nowS + 60)
      .setJti(crypto.randomUUID())
      .sign(key.privateKey);
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_assertion_type: CLIENT_ASSERTION_TYPE,
      client_assertion: assertion,
      scope: scopes.join(' '),
    });

    let res: Response;
    let text: string;
    try {
      res = await this.fetchFn(key.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form.toString(),
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await res.text();
    } catch (err) {
      // Nothing is delivered by a token request, whatever happened to it.
      throw new ServiceError({ kind: 'transient', reason: this.networkReason('token endpoint', err) });
    }
    const body = parseBody(text);
    if (res.status === 200) {
      const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
      if (typeof b.access_token !== 'string' || b.access_token === '') {
        throw new ServiceError({
          kind: 'refused',
          status: 200,
          reason: 'token endpoint answered without an access_token',
        });
      }
      const n = Number(b.expires_in ?? NaN); // some platforms send it as a string
      const expiresIn = Number.isFinite(n) && n > 0 ? n : DEFAULT_EXPIRES_IN_S;
      // A token shorter-lived than the margin is used for this call only (cached until now).
      return { token: b.access_token, until: this.now() + Math.max(0, expiresIn * 1000 - TOKEN_MARGIN_MS) };
    }
    const reason = tidy(`token endpoint: ${reasonOf(body, res.statusText, res.status)}`);
    if (res.status === 429 || res.status === 408 || res.status >= 500) {
      throw new ServiceError({
        kind: 'transient',
        status: res.status,
        reason,
        retryAfterMs: parseRetryAfter(res.headers.get('retry-after'), this.now()),
      });
    }
    // 400 invalid_scope / invalid_client, 401, redirects and the rest: the registration is wrong.
    throw new ServiceError({ kind: 'refused', status: res.status, reason });
  }

  // ---------- service calls ----------

  private async send(
    token: string,
    init: ServiceRequest,
  ): Promise<{ status: number; statusText: string; headers: Headers; body: unknown }> {
    let ms = this.timeoutMs;
    if (init.deadline !== undefined) {
      const left = init.deadline - this.now();
      if (left <= 0)
        throw new ServiceError({ kind: 'transient', reason: 'deadline passed before the request was sent' });
      ms = Math.min(ms, left);
    }
    const headers: Record<string, string> = {
      authorization: `Bearer ${token}`,
      accept: init.accept ?? 'application/json',
    };
    let payload: string | undefined;
    if (init.body !== undefined) {
      headers['content-type'] = init.contentType ?? 'application/json';
      payload = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
    }
    let res: Response;
    try {
      res = await this.fetchFn(init.url, {
        method: init.method,
        headers,
        body: payload,
        redirect: 'manual',
        signal: AbortSignal.timeout(ms),
      });
    } catch (err) {
      const code = errorCode(err);
      const notSent = !isTimeout(err) && code !== undefined && NOT_SENT_CODES.has(code);
      throw new ServiceError({
        kind: 'transient',
        reason: this.networkReason('platform', err),
        maybeDelivered: !notSent,
      });
    }
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      if (res.status >= 200 && res.status < 300 && init.method !== 'GET') {
        // The platform accepted it; only the (unused) answer body was lost.
        return { status: res.status, statusText: res.statusText, headers: res.headers, body: undefined };
      }
      throw new ServiceError({
        kind: 'transient',
        status: res.status,
        reason: this.networkReason('platform', err),
        maybeDelivered: true,
      });
    }
    return { status: res.status, statusText: res.statusText, headers: res.headers, body: parseBody(text) };
  }

  /** The platform's reason, with the token scrubbed in case an error page echoes the request. */
  private reason(res: { status: number; statusText: string; body: unknown }, token: string): string {
    return reasonOf(res.body, res.statusText, res.status).split(token).join('[token]');
  }

  private networkReason(what: string, err: unknown): string {
    if (isTimeout(err)) return `no answer from the ${what} in time`;
    const code = errorCode(err);
    return tidy(`could not reach the ${what}${code ? ` (${code})` : `: ${(err as Error)?.message ?? String(err)}`}`);
  }
}
