/**
 * LTI Advantage Dynamic Registration, Cermin's own handler on ltijs primitives. ltijs's default
 * discards the deployment_id Moodle returns, checks neither the issuer nor the configuration URL,
 * and fails Moodle's registration-update flow (docs/LTI-NOTES.md).
 *
 * Anyone who can reach /lti/register can start one, so what it may do is narrow: every fetch goes
 * through the guarded client (no private addresses, no redirect to another site), the
 * configuration URL is read as a server reads it (no dot segments), a new platform waits for the
 * instance operator unless the request carried the registration key, and a platform Cermin
 * already knows is never changed (its clients, keys and endpoints are the operator's).
 */
import { SCOPES } from './claims';
import type { PlatformRegistry, PlatformSummary, ToolUrls } from './platforms';
import { ajv, httpUrlSchema } from '../core/validation';
import { OutboundError, type GuardedFetch } from '../outbound/guarded-fetch';
import { leaseModel, SlotLeases } from '../db/lease';

/** The registration leases' records (swept by src/lti/sweeper.ts). */
export const RegistrationLease = leaseModel('RegistrationLease', 'registration_leases');

/** A registration's whole exchange fits well inside one slot of this length. */
export const REGISTRATION_LEASE_MS = 60_000;

export interface OpenIdConfiguration {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
  registration_endpoint: string;
  authorization_server?: string;
  scopes_supported?: string[];
  claims_supported?: string[];
  'https://purl.imsglobal.org/spec/lti-platform-configuration'?: { product_family_code?: string; version?: string };
}

const httpUrl = httpUrlSchema;
/** What a platform names itself or a client by: ids and URLs of sane length, stored as given. */
const shortId = { type: 'string', minLength: 1, maxLength: 255 } as const;

const validateConfiguration = ajv.compile<OpenIdConfiguration>({
  type: 'object',
  required: ['issuer', 'authorization_endpoint', 'token_endpoint', 'jwks_uri', 'registration_endpoint'],
  properties: {
    issuer: httpUrl,
    authorization_endpoint: httpUrl,
    token_endpoint: httpUrl,
    jwks_uri: httpUrl,
    registration_endpoint: httpUrl,
    authorization_server: { type: 'string', maxLength: 2048 },
    scopes_supported: { type: 'array', maxItems: 200, items: { type: 'string', maxLength: 500 } },
    claims_supported: { type: 'array', maxItems: 200, items: { type: 'string', maxLength: 500 } },
    'https://purl.imsglobal.org/spec/lti-platform-configuration': {
      type: 'object',
      properties: {
        product_family_code: { type: 'string', maxLength: 100 },
        version: { type: 'string', maxLength: 100 },
      },
    },
  },
});

/**
 * The origin of the platform that is registering: its OpenID configuration's (Moodle serves it
 * from its own site, whose admin page frames the registration). Undefined when not an http(s) URL.
 */
export function registeringOrigin(openidConfiguration: unknown): string | undefined {
  if (typeof openidConfiguration !== 'string' || openidConfiguration.length > 2048) return undefined;
  try {
    const u = new URL(openidConfiguration);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : undefined;
  } catch {
    return undefined;
  }
}

export const validateRegistrationQuery = ajv.compile<{ openid_configuration: string; registration_token?: string }>({
  type: 'object',
  required: ['openid_configuration'],
  properties: {
    openid_configuration: httpUrl,
    registration_token: { type: 'string', maxLength: 4096 },
  },
});

interface RegistrationResponse {
  client_id: string;
  scope?: string;
  'https://purl.imsglobal.org/spec/lti-tool-configuration'?: { deployment_id?: string };
}

const validateResponse = ajv.compile<RegistrationResponse>({
  type: 'object',
  required: ['client_id'],
  properties: {
    client_id: shortId,
    scope: { type: 'string', maxLength: 4096 },
    'https://purl.imsglobal.org/spec/lti-tool-configuration': {
      type: 'object',
      properties: { deployment_id: shortId },
    },
  },
});

export type RegistrationErrorCode =
  | 'BAD_CONFIGURATION_URL'
  | 'CONFIGURATION_UNREACHABLE'
  | 'ISSUER_MISMATCH'
  | 'PLATFORM_REFUSED'
  | 'BAD_RESPONSE'
  | 'ALREADY_REGISTERED'
  | 'TOO_MANY_PENDING'
  | 'REGISTRATION_UNDER_WAY';

export class RegistrationError extends Error {
  /**
   * `detail`: a plain reason for the log (never a body anyone answered). `shown`: whether the page
   * may show it too. What an address answered, or how it failed, is not shown: anyone can start a
   * registration, and an address the operator allowed (an intranet range) must not be probed
   * through it, one status code or connection error at a time.
   */
  constructor(
    public readonly code: RegistrationErrorCode,
    public readonly detail: string,
    public readonly shown = true,
  ) {
    super(`${code}: ${detail}`);
  }
}

/**
 * A URL as the server it names will read it: refused when its path holds a dot segment or an
 * encoded dot, slash or backslash, which a string comparison and the server would read
 * differently (`/demo/../lti/login` is "under /demo" as a string and is /lti/login to a server).
 */
export function plainUrl(raw: string): URL | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  const rawPath = raw.replace(/^[a-z]+:\/\/[^/?#]*/i, '').replace(/[?#].*$/s, '');
  if (/%2e|%2f|%5c|\\/i.test(rawPath)) return undefined;
  if (rawPath.split('/').some((segment) => segment === '.' || segment === '..')) return undefined;
  return url;
}

/** Whether `candidate` is the issuer itself or a path under it, on the same origin. */
export function isUnderIssuer(candidate: URL, issuer: URL): boolean {
  if (candidate.origin !== issuer.origin) return false;
  const base = issuer.pathname.replace(/\/+$/, '');
  return base === '' || candidate.pathname === base || candidate.pathname.startsWith(`${base}/`);
}

export interface DynamicRegistrationDeps {
  registry: PlatformRegistry;
  urls: ToolUrls;
  toolName: string;
  toolDescription: string;
  /** The guarded client (src/outbound): the configuration URL came from whoever opened /lti/register. */
  fetch: GuardedFetch;
  /** Serialises the registrations of one issuer across requests and instances. */
  leases: SlotLeases;
  timeoutMs?: number;
}

/** The registration Cermin sends: what Moodle 4.x/5.x needs to create and launch the tool. */
export function registrationRequest(
  urls: ToolUrls,
  toolName: string,
  toolDescription: string,
  claimsSupported?: string[],
): Record<string, unknown> {
  const claims = ['iss', 'sub', 'name', 'given_name', 'family_name', 'email'].filter(
    (c) => !claimsSupported || claimsSupported.includes(c),
  );
  return {
    application_type: 'web',
    response_types: ['id_token'],
    grant_types: ['implicit', 'client_credentials'],
    initiate_login_uri: urls.loginUrl,
    redirect_uris: urls.redirectUris,
    client_name: toolName,
    'client_name#id': toolName,
    'client_name#en': 'Cermin — reflective coaching for Latsar',
    jwks_uri: urls.keysetUrl,
    token_endpoint_auth_method: 'private_key_jwt',
    scope: [SCOPES.lineItem, SCOPES.lineItemReadonly, SCOPES.resultReadonly, SCOPES.score, SCOPES.nrps].join(' '),
    'https://purl.imsglobal.org/spec/lti-tool-configuration': {
      domain: urls.domain,
      description: toolDescription,
      'description#id': toolDescription,
      'description#en':
        'Cermin helps Latsar CPNS participants reflect on the BerAKHLAK values and their aktualisasi project, with AI as a mirror and the widyaiswara as coach.',
      target_link_uri: urls.toolUrl,
      custom_parameters: {},
      claims,
      messages: [
        { type: 'LtiResourceLinkRequest', target_link_uri: urls.toolUrl },
        {
          type: 'LtiDeepLinkingRequest',
          target_link_uri: urls.deepLinkingUrl,
          label: 'Cermin',
          'label#id': 'Cermin: pilih aktivitas coaching',
          placements: ['ContentArea'],
        },
      ],
    },
  };
}

async function getJson(
  fetcher: GuardedFetch,
  url: string,
  init: RequestInit,
  timeoutMs: number,
): Promise<{ status: number; body: unknown }> {
  const res = await fetcher(url, { ...init, timeoutMs, maxBytes: 256 * 1024 });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, body };
}

/** A failed fetch as a plain reason: the guarded client's own words, or what kind of network failure. */
function unreachable(err: unknown): string {
  const refusal = err instanceof OutboundError ? err : (err as { cause?: unknown })?.cause;
  if (refusal instanceof OutboundError) return refusal.reason;
  if ((err as Error)?.name === 'TimeoutError') return 'no answer in time';
  const code = (err as { cause?: { code?: unknown } })?.cause?.code;
  return typeof code === 'string' ? `connection failed (${code})` : 'connection failed';
}

export interface RegistrationResult {
  platform: PlatformSummary;
  configuration: OpenIdConfiguration;
  grantedScopes: string[];
  /** `registered`: a new platform; `unchanged`: the platform's own update of a registration Cermin already has. */
  outcome: 'registered' | 'unchanged';
}

/** Pending registrations allowed at once: a stranger cannot fill the operator's list. */
export const MAX_PENDING = 20;

/**
 * Runs the whole exchange. A new platform is stored with the deployment id it assigned, pending
 * until an instance operator approves it unless `preApproved` (the request carried the
 * registration key). An issuer Cermin already knows is never changed here: the platform's own
 * "update registration" (same client, same endpoints) is answered as done, anything else refused.
 */
export async function registerDynamically(
  deps: DynamicRegistrationDeps,
  configurationUrl: string,
  registrationToken: string | undefined,
  opts: { preApproved: boolean },
): Promise<RegistrationResult> {
  const fetcher = deps.fetch;
  const timeoutMs = deps.timeoutMs ?? 10000;
  const cfgUrl = plainUrl(configurationUrl);
  if (!cfgUrl)
    throw new RegistrationError(
      'BAD_CONFIGURATION_URL',
      'the address has dot segments or encoded dots or slashes in its path',
    );
  let cfgRes: { status: number; body: unknown };
  try {
    // No redirect to another site is followed: the configuration must come from where it is asked for.
    cfgRes = await getJson(fetcher, cfgUrl.href, { headers: { Accept: 'application/json' } }, timeoutMs);
  } catch (err) {
    throw new RegistrationError('CONFIGURATION_UNREACHABLE', unreachable(err), false);
  }
  // Unreachable, refused, or not a configuration: one answer for all three.
  if (cfgRes.status !== 200) throw new RegistrationError('CONFIGURATION_UNREACHABLE', `HTTP ${cfgRes.status}`, false);
  if (!validateConfiguration(cfgRes.body))
    throw new RegistrationError(
      'CONFIGURATION_UNREACHABLE',
      `not an OpenID configuration: ${ajv.errorsText(validateConfiguration.errors)}`,
      false,
    );
  const configuration = cfgRes.body;
  // The configuration must come from the issuer it names, or anyone could register a
  // configuration that claims to be a trusted Moodle; the registration token goes only there too.
  const issuerUrl = plainUrl(configuration.issuer);
  const registrationUrl = plainUrl(configuration.registration_endpoint);
  if (!issuerUrl || !isUnderIssuer(cfgUrl, issuerUrl))
    throw new RegistrationError(
      'ISSUER_MISMATCH',
      `${cfgUrl.origin}${cfgUrl.pathname} is not under ${configuration.issuer}`,
    );
  if (!registrationUrl || registrationUrl.origin !== issuerUrl.origin)
    throw new RegistrationError('ISSUER_MISMATCH', `the registration endpoint is not on ${issuerUrl.origin}`);
  const issuer = configuration.issuer.replace(/\/+$/, '');
  // One registration of an issuer at a time (on any instance): two at once could both find it new.
  const lease = await deps.leases.acquire(`registration:${issuer}`);
  if (!lease) throw new RegistrationError('REGISTRATION_UNDER_WAY', `${issuer} is being registered by another request`);
  try {
    return await registerIssuer(deps, {
      configuration,
      issuer,
      issuerUrl,
      registrationUrl,
      registrationToken,
      preApproved: opts.preApproved,
      timeoutMs,
    });
  } finally {
    await lease.release();
  }
}

async function registerIssuer(
  deps: DynamicRegistrationDeps,
  r: {
    configuration: OpenIdConfiguration;
    issuer: string;
    issuerUrl: URL;
    registrationUrl: URL;
    registrationToken?: string;
    preApproved: boolean;
    timeoutMs: number;
  },
): Promise<RegistrationResult> {
  const { configuration, issuer, issuerUrl, registrationUrl, registrationToken, timeoutMs } = r;
  const fetcher = deps.fetch;
  const opts = { preApproved: r.preApproved };
  const known = (await deps.registry.list()).filter((p) => p.issuer === issuer);
  // The cap holds strangers back; a registration carrying the operator's key passes it.
  if (!known.length && !opts.preApproved && (await deps.registry.pendingCount()) >= MAX_PENDING) {
    throw new RegistrationError(
      'TOO_MANY_PENDING',
      `${MAX_PENDING} registrations are already waiting for the operator`,
    );
  }

  let regRes: { status: number; body: unknown };
  try {
    regRes = await getJson(
      fetcher,
      registrationUrl.href,
      {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Accept: 'application/json',
          ...(registrationToken ? { Authorization: `Bearer ${registrationToken}` } : {}),
        },
        body: JSON.stringify(
          registrationRequest(deps.urls, deps.toolName, deps.toolDescription, configuration.claims_supported),
        ),
        redirect: 'manual',
      },
      timeoutMs,
    );
  } catch (err) {
    throw new RegistrationError('CONFIGURATION_UNREACHABLE', unreachable(err), false);
  }
  if (regRes.status < 200 || regRes.status >= 300) {
    const error = (regRes.body as { error?: unknown } | undefined)?.error;
    // The platform's error code only (an OAuth-style short word), never its body.
    throw new RegistrationError(
      'PLATFORM_REFUSED',
      `HTTP ${regRes.status}${typeof error === 'string' && /^[a-z_]{1,40}$/.test(error) ? ` ${error}` : ''}`,
    );
  }
  if (!validateResponse(regRes.body))
    throw new RegistrationError('BAD_RESPONSE', ajv.errorsText(validateResponse.errors));
  const response = regRes.body;
  const deploymentId = response['https://purl.imsglobal.org/spec/lti-tool-configuration']?.deployment_id;
  const product =
    configuration['https://purl.imsglobal.org/spec/lti-platform-configuration']?.product_family_code ?? 'lms';
  // Moodle may grant fewer scopes than asked; kept so later 401s can be explained.
  const grantedScopes = (response.scope ?? '').split(/\s+/).filter(Boolean).slice(0, 50);

  if (known.length) {
    // Moodle's "update registration" of a tool Cermin has: same client, same endpoints, a known
    // deployment. Nothing to change. Anything else would change who can launch as this issuer.
    const same = known.find(
      (p) =>
        p.clientId === response.client_id &&
        p.authUrl === configuration.authorization_endpoint &&
        p.tokenUrl === configuration.token_endpoint &&
        p.jwksUrl === configuration.jwks_uri &&
        (!deploymentId || p.deploymentIds.includes(deploymentId)),
    );
    if (!same)
      throw new RegistrationError(
        'ALREADY_REGISTERED',
        `${issuer} is registered already; only the instance operator can change its registration`,
      );
    return { platform: same, configuration, grantedScopes, outcome: 'unchanged' };
  }
  const platform = await deps.registry.add(
    {
      issuer,
      clientId: response.client_id,
      authUrl: configuration.authorization_endpoint,
      tokenUrl: configuration.token_endpoint,
      jwksUrl: configuration.jwks_uri,
      name: `${product} ${issuerUrl.host}`.slice(0, 200),
      deploymentIds: deploymentId ? [deploymentId] : [],
    },
    { via: 'dynamic', grantedScopes, pending: !opts.preApproved },
  );
  return { platform, configuration, grantedScopes, outcome: 'registered' };
}
