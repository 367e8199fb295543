/**
 * Cermin's id_token validator. It takes the place of ltijs's `Auth.validateToken` (see
 * patches.ts) because ltijs leaves gaps the 1EdTech certification list asks a tool to close:
 * it never checks deployment_id, accepts an `iat` in the future, accepts a missing nonce or one
 * its own login never sent, remembers nonces for only ~10 s, takes an `aud` array without `azp`, accepts a launch with no
 * course context, and downloads the platform's JWKS on every launch. Every refusal throws an
 * Error whose message is a code that web/errors.ts turns into a translated page.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import {
  decodeJwt,
  decodeProtectedHeader,
  importJWK,
  jwtVerify,
  errors as joseErrors,
  type JWTPayload,
  type JWTVerifyGetKey,
  type KeyLike,
} from 'jose';
import type { GuardedFetch } from '../outbound/guarded-fetch';
import { remoteKeySet } from './remote-key-set';
import type { LtijsPlatform } from './ltijs';
import { CLAIM } from './claims';

export interface IdTokenPolicy {
  /** Oldest acceptable `iat`, in seconds (the token's flight from platform to tool). */
  maxAgeSeconds: number;
  clockSkewSeconds: number;
  nonceTtlSeconds: number;
  jwksCacheSeconds: number;
}

export interface IdTokenDeps {
  policy: IdTokenPolicy;
  findPlatform(iss: string, clientId: string): Promise<LtijsPlatform | false>;
  /** The guarded client the platforms' key sets are fetched through. */
  fetch: GuardedFetch;
  isDeploymentAllowed(iss: string, clientId: string, deploymentId: string): Promise<boolean>;
  /** Records a nonce; false when it was seen before (a replay). */
  rememberNonce(iss: string, nonce: string, expiresAt: Date): Promise<boolean>;
  /**
   * The login this launch completes, found by the launch's `state` (undefined: Cermin started no
   * such login, or more than its lifetime ago), and the Origin header the launch came with.
   */
  launchLogin(): Promise<{ login?: LaunchLogin; origin?: string }>;
  /** Told when a launch was accepted without its state cookie (bound to its login by its Origin). */
  onCookieless?: () => void;
  /** Sees each accepted launch's full claims (ltijs keeps only some of them). */
  onAccepted?: (payload: Record<string, unknown>, clientId: string) => Promise<void>;
  now?: () => number;
}

/** What a login sent the browser to the platform with: the id_token that comes back must match it. */
export interface LaunchLogin {
  iss: string;
  nonce: string;
  /** The origin of the platform's authentication endpoint, where the login sent the browser. */
  authOrigin: string;
}

/** Refusal codes (also the keys of their translated messages, and of the launch metrics' outcomes). */
export const ID_TOKEN_ERROR_CODES = [
  'INVALID_JWT_RECEIVED',
  'MISSING_VALIDATION_COOKIE',
  'ISS_CLAIM_DOES_NOT_MATCH',
  'ALG_NOT_RS256',
  'KID_NOT_FOUND',
  'KEY_NOT_FOUND',
  'KEY_SET_UNAVAILABLE',
  'UNREGISTERED_PLATFORM',
  'PLATFORM_NOT_ACTIVATED',
  'AZP_MISSING',
  'AZP_DOES_NOT_MATCH_CLIENTID',
  'INVALID_SIGNATURE',
  'TOKEN_EXPIRED',
  'TOKEN_TOO_OLD',
  'IAT_IN_FUTURE',
  'NONCE_MISSING',
  'NONCE_ALREADY_RECEIVED',
  'LOGIN_NOT_FOUND',
  'NONCE_NOT_FROM_LOGIN',
  'NO_MESSAGE_TYPE_CLAIM',
  'WRONG_MESSAGE_TYPE',
  'NO_LTI_VERSION_CLAIM',
  'WRONG_LTI_VERSION_CLAIM',
  'NO_DEPLOYMENT_ID_CLAIM',
  'UNKNOWN_DEPLOYMENT',
  'NO_SUB_CLAIM',
  'NO_ROLES_CLAIM',
  'NO_RESOURCE_LINK_ID_CLAIM',
  'NO_TARGET_LINK_URI_CLAIM',
  'NO_CONTEXT_CLAIM',
] as const;
export type IdTokenErrorCode = (typeof ID_TOKEN_ERROR_CODES)[number];

function refuse(code: IdTokenErrorCode): never {
  throw new Error(code);
}

const MESSAGE_TYPES = new Set(['LtiResourceLinkRequest', 'LtiDeepLinkingRequest']);

/** Claim checks that need no key: pure, so they are unit-tested on their own. */
export function checkLtiClaims(payload: JWTPayload & Record<string, unknown>): void {
  const messageType = payload[CLAIM.messageType];
  if (messageType === undefined || messageType === null || messageType === '') refuse('NO_MESSAGE_TYPE_CLAIM');
  if (typeof messageType !== 'string' || !MESSAGE_TYPES.has(messageType)) refuse('WRONG_MESSAGE_TYPE');
  const version = payload[CLAIM.version];
  if (version === undefined || version === null || version === '') refuse('NO_LTI_VERSION_CLAIM');
  if (version !== '1.3.0') refuse('WRONG_LTI_VERSION_CLAIM');
  const deploymentId = payload[CLAIM.deploymentId];
  if (typeof deploymentId !== 'string' || deploymentId.length === 0) refuse('NO_DEPLOYMENT_ID_CLAIM');
  if (typeof payload.sub !== 'string' || payload.sub.trim() === '') refuse('NO_SUB_CLAIM');
  // An empty roles list is valid (certification "accept" case); a missing claim is not.
  if (!Array.isArray(payload[CLAIM.roles])) refuse('NO_ROLES_CLAIM');
  if (messageType === 'LtiResourceLinkRequest') {
    const link = payload[CLAIM.resourceLink] as { id?: unknown } | undefined;
    if (!link || typeof link.id !== 'string' || link.id === '') refuse('NO_RESOURCE_LINK_ID_CLAIM');
    if (typeof payload[CLAIM.targetLinkUri] !== 'string') refuse('NO_TARGET_LINK_URI_CLAIM');
  }
  // Every Cermin page belongs to a course; a launch without one has nowhere to go.
  const context = payload[CLAIM.context] as { id?: unknown } | undefined;
  if (!context || typeof context.id !== 'string' || context.id === '') refuse('NO_CONTEXT_CLAIM');
}

/** Which registered client this token is for: `aud` string, or the `azp` of an `aud` array. */
export function audienceClientId(payload: JWTPayload): string {
  const aud = payload.aud;
  if (typeof aud === 'string' && aud) return aud;
  if (!Array.isArray(aud) || aud.length === 0) refuse('UNREGISTERED_PLATFORM');
  const azp = payload.azp as unknown;
  if (aud.length === 1) {
    if (azp !== undefined && azp !== aud[0]) refuse('AZP_DOES_NOT_MATCH_CLIENTID');
    return aud[0];
  }
  // OIDC core 3.1.3.7: with several audiences the token must name its authorized party.
  if (typeof azp !== 'string' || azp === '') refuse('AZP_MISSING');
  if (!aud.includes(azp)) refuse('AZP_DOES_NOT_MATCH_CLIENTID');
  return azp;
}

export class IdTokenValidator {
  private readonly jwks = new Map<string, JWTVerifyGetKey>();
  private readonly now: () => number;

  constructor(private readonly deps: IdTokenDeps) {
    this.now = deps.now ?? Date.now;
  }

  private remoteKeys(url: string): JWTVerifyGetKey {
    let set = this.jwks.get(url);
    if (!set) {
      // Cached; an unknown kid triggers one refetch (key rotation), at most once a second.
      set = remoteKeySet(url, {
        fetch: this.deps.fetch,
        cacheMs: this.deps.policy.jwksCacheSeconds * 1000,
        cooldownMs: 1000,
        timeoutMs: 5000,
      });
      this.jwks.set(url, set);
    }
    return set;
  }

  private async verificationKey(platform: LtijsPlatform): Promise<KeyLike | KeyObject | JWTVerifyGetKey> {
    const cfg = await platform.platformAuthConfig();
    if (cfg.method === 'JWK_SET') return this.remoteKeys(cfg.key);
    if (cfg.method === 'JWK_KEY')
      return (await importJWK(typeof cfg.key === 'string' ? JSON.parse(cfg.key) : cfg.key, 'RS256')) as KeyLike;
    return createPublicKey(cfg.key);
  }

  /**
   * Validates a launch id_token. `stateIssuer` is the issuer ltijs kept in the state cookie at
   * login; its absence means the browser dropped the cookie (third-party cookies blocked) or
   * the state is not ours. Returns the payload with ltijs's `clientId` and `platformId`.
   */
  async validate(token: string, stateIssuer: string | undefined): Promise<Record<string, unknown>> {
    let header: ReturnType<typeof decodeProtectedHeader>;
    let unverified: JWTPayload;
    try {
      header = decodeProtectedHeader(token);
      unverified = decodeJwt(token);
    } catch {
      refuse('INVALID_JWT_RECEIVED');
    }
    // OIDC core 3.1.3.7 and the 1EdTech certification: the token must answer a login this tool
    // started, and carry the nonce that login sent. Looked up by the launch's state, so a token
    // whose nonce was never issued, or was issued to another login, is refused.
    const { login, origin } = await this.deps.launchLogin();
    if (!stateIssuer) {
      // Third-party cookies blocked (Safari; Chrome for more and more people): the state cookie
      // proves that the browser completing the login is the one that started it (no login CSRF).
      // Without it, the launch is bound to its login by where it was posted from: the platform's
      // authentication endpoint, where that login sent the browser (browsers set Origin on every
      // cross-site POST, and a page cannot forge it). Otherwise "open in a new window".
      if (!login || !origin || origin === 'null' || origin !== login.authOrigin || unverified.nonce !== login.nonce)
        refuse('MISSING_VALIDATION_COOKIE');
    }
    if (!login) refuse('LOGIN_NOT_FOUND');
    if (stateIssuer !== undefined && stateIssuer !== login.iss) refuse('ISS_CLAIM_DOES_NOT_MATCH');
    if (typeof unverified.iss !== 'string' || unverified.iss !== login.iss) refuse('ISS_CLAIM_DOES_NOT_MATCH');
    if (header.alg !== 'RS256') refuse('ALG_NOT_RS256');
    if (!header.kid) refuse('KID_NOT_FOUND');

    const clientId = audienceClientId(unverified);
    const platform = await this.deps.findPlatform(unverified.iss, clientId);
    if (!platform) refuse('UNREGISTERED_PLATFORM');
    if (!(await platform.platformActive())) refuse('PLATFORM_NOT_ACTIVATED');

    const { policy } = this.deps;
    let payload: JWTPayload & Record<string, unknown>;
    try {
      const key = await this.verificationKey(platform);
      const result =
        typeof key === 'function'
          ? await jwtVerify(token, key, {
              algorithms: ['RS256'],
              issuer: unverified.iss,
              clockTolerance: policy.clockSkewSeconds,
              currentDate: new Date(this.now()),
            })
          : await jwtVerify(token, key, {
              algorithms: ['RS256'],
              issuer: unverified.iss,
              clockTolerance: policy.clockSkewSeconds,
              currentDate: new Date(this.now()),
            });
      payload = result.payload as JWTPayload & Record<string, unknown>;
    } catch (err) {
      if (err instanceof joseErrors.JWKSNoMatchingKey) refuse('KEY_NOT_FOUND');
      if (err instanceof joseErrors.JWTExpired) refuse('TOKEN_EXPIRED');
      if (err instanceof joseErrors.JWSSignatureVerificationFailed) refuse('INVALID_SIGNATURE');
      if (err instanceof joseErrors.JWTClaimValidationFailed)
        refuse(err.claim === 'iat' ? 'IAT_IN_FUTURE' : 'INVALID_JWT_RECEIVED');
      // The platform's key set could not be read (unreachable, refused by the guarded client, not
      // a key set): one code, whatever the cause said (its words may name hosts or quote a body).
      refuse('KEY_SET_UNAVAILABLE');
    }

    const nowSeconds = this.now() / 1000;
    if (typeof payload.exp !== 'number') refuse('TOKEN_EXPIRED');
    if (typeof payload.iat !== 'number') refuse('INVALID_JWT_RECEIVED');
    if (payload.iat > nowSeconds + policy.clockSkewSeconds) refuse('IAT_IN_FUTURE');
    if (nowSeconds - payload.iat > policy.maxAgeSeconds + policy.clockSkewSeconds) refuse('TOKEN_TOO_OLD');

    checkLtiClaims(payload);
    const deploymentId = payload[CLAIM.deploymentId] as string;
    if (!(await this.deps.isDeploymentAllowed(payload.iss as string, clientId, deploymentId)))
      refuse('UNKNOWN_DEPLOYMENT');

    // Last, so a token refused above does not burn its nonce.
    if (typeof payload.nonce !== 'string' || payload.nonce === '') refuse('NONCE_MISSING');
    if (payload.nonce !== login.nonce) refuse('NONCE_NOT_FROM_LOGIN');
    const expiresAt = new Date(this.now() + policy.nonceTtlSeconds * 1000);
    if (!(await this.deps.rememberNonce(payload.iss as string, payload.nonce, expiresAt)))
      refuse('NONCE_ALREADY_RECEIVED');

    if (!stateIssuer) this.deps.onCookieless?.();
    if (this.deps.onAccepted) await this.deps.onAccepted(payload, clientId);
    return { ...payload, clientId, platformId: await platform.platformKid() };
  }
}
