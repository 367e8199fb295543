/**
 * LTI Advantage Dynamic Registration, Cermin's own handler on ltijs primitives. ltijs's default
 * discards the deployment_id Moodle returns, checks neither the issuer nor the configuration URL,
 * and fails Moodle's registration-update flow (LTI-NOTES.md).
 */
import { SCOPES } from './claims';
import type { PlatformRegistry, PlatformSummary, ToolUrls } from './platforms';
import { ajv, httpUrlSchema } from '../validation';

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

const validateConfiguration = ajv.compile<OpenIdConfiguration>({
  type: 'object',
  required: ['issuer', 'authorization_endpoint', 'token_endpoint', 'jwks_uri', 'registration_endpoint'],
  properties: {
    issuer: httpUrl,
    authorization_endpoint: httpUrl,
    token_endpoint: httpUrl,
    jwks_uri: httpUrl,
    registration_endpoint: httpUrl,
    scopes_supported: { type: 'array', items: { type: 'string' } },
    claims_supported: { type: 'array', items: { type: 'string' } },
  },
});

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
    client_id: { type: 'string', minLength: 1 },
    scope: { type: 'string' },
    'https://purl.imsglobal.org/spec/lti-tool-configuration': {
      type: 'object',
      properties: { deployment_id: { type: 'string', minLength: 1 } },
    },
  },
});

export class RegistrationError extends Error {
  constructor(public readonly code: 'BAD_CONFIGURATION_URL' | 'CONFIGURATION_UNREACHABLE' | 'BAD_CONFIGURATION' | 'ISSUER_MISMATCH' | 'PLATFORM_REFUSED' | 'BAD_RESPONSE', detail: string) {
    super(`${code}: ${detail}`);
  }
}

export interface DynamicRegistrationDeps {
  registry: PlatformRegistry;
  urls: ToolUrls;
  toolName: string;
  toolDescription: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/** The registration Cermin sends: what Moodle 4.x/5.x needs to create and launch the tool. */
export function registrationRequest(urls: ToolUrls, toolName: string, toolDescription: string, claimsSupported?: string[]): Record<string, unknown> {
  const claims = ['iss', 'sub', 'name', 'given_name', 'family_name', 'email'].filter((c) => !claimsSupported || claimsSupported.includes(c));
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
      'description#en': 'Cermin helps Latsar CPNS participants reflect on the BerAKHLAK values and their aktualisasi project, with AI as a mirror and the widyaiswara as coach.',
      target_link_uri: urls.toolUrl,
      custom_parameters: {},
      claims,
      messages: [
        { type: 'LtiResourceLinkRequest', target_link_uri: urls.toolUrl },
        { type: 'LtiDeepLinkingRequest', target_link_uri: urls.deepLinkingUrl, label: 'Cermin', 'label#id': 'Cermin: pilih aktivitas coaching', placements: ['ContentArea'] },
      ],
    },
  };
}

async function getJson(fetcher: typeof fetch, url: string, init: RequestInit, timeoutMs: number): Promise<{ status: number; body: unknown }> {
  const res = await fetcher(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  let body: unknown = text;
  try { body = JSON.parse(text); } catch { /* keep the text for the error message */ }
  return { status: res.status, body };
}

/** Runs the whole exchange and stores the platform with the deployment id Moodle assigned. */
export async function registerDynamically(deps: DynamicRegistrationDeps, configurationUrl: string, registrationToken?: string): Promise<{ platform: PlatformSummary; configuration: OpenIdConfiguration; grantedScopes: string[] }> {
  const fetcher = deps.fetch ?? fetch;
  const timeoutMs = deps.timeoutMs ?? 10000;
  let cfgRes: { status: number; body: unknown };
  try {
    cfgRes = await getJson(fetcher, configurationUrl, { headers: { Accept: 'application/json' } }, timeoutMs);
  } catch (err) {
    throw new RegistrationError('CONFIGURATION_UNREACHABLE', (err as Error).message);
  }
  if (cfgRes.status !== 200 || !validateConfiguration(cfgRes.body)) {
    throw new RegistrationError('BAD_CONFIGURATION', cfgRes.status !== 200 ? `HTTP ${cfgRes.status}` : ajv.errorsText(validateConfiguration.errors));
  }
  const configuration = cfgRes.body;
  // The configuration must come from the issuer it names, or anyone could register a
  // configuration that claims to be a trusted Moodle.
  const issuer = configuration.issuer.replace(/\/+$/, '');
  if (!configurationUrl.startsWith(issuer + '/') && configurationUrl !== issuer) {
    throw new RegistrationError('ISSUER_MISMATCH', `${configurationUrl} is not under ${configuration.issuer}`);
  }

  let regRes: { status: number; body: unknown };
  try {
    regRes = await getJson(fetcher, configuration.registration_endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...(registrationToken ? { Authorization: `Bearer ${registrationToken}` } : {}) },
      body: JSON.stringify(registrationRequest(deps.urls, deps.toolName, deps.toolDescription, configuration.claims_supported)),
    }, timeoutMs);
  } catch (err) {
    throw new RegistrationError('CONFIGURATION_UNREACHABLE', (err as Error).message);
  }
  if (regRes.status < 200 || regRes.status >= 300) {
    const detail = typeof regRes.body === 'object' && regRes.body ? JSON.stringify(regRes.body).slice(0, 500) : String(regRes.body).slice(0, 500);
    throw new RegistrationError('PLATFORM_REFUSED', `HTTP ${regRes.status} ${detail}`);
  }
  if (!validateResponse(regRes.body)) throw new RegistrationError('BAD_RESPONSE', ajv.errorsText(validateResponse.errors));
  const response = regRes.body;
  const deploymentId = response['https://purl.imsglobal.org/spec/lti-tool-configuration']?.deployment_id;
  const product = configuration['https://purl.imsglobal.org/spec/lti-platform-configuration']?.product_family_code ?? 'lms';

  // Moodle may grant fewer scopes than asked; kept so later 401s can be explained.
  const grantedScopes = (response.scope ?? '').split(/\s+/).filter(Boolean);
  // Registering again (Moodle's "update registration") updates the endpoints and adds the deployment.
  const platform = await deps.registry.add({
    issuer,
    clientId: response.client_id,
    authUrl: configuration.authorization_endpoint,
    tokenUrl: configuration.token_endpoint,
    jwksUrl: configuration.jwks_uri,
    name: `${product} ${new URL(issuer).host}`,
    deploymentIds: deploymentId ? [deploymentId] : [],
  }, { via: 'dynamic', grantedScopes });
  return { platform, configuration, grantedScopes };
}
