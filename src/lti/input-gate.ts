/**
 * What ltijs reads from a request, checked before ltijs sees it. ltijs trusts its inputs: it
 * builds a cookie name from the raw `state` (`res.clearCookie('state' + state)`, which throws on
 * a space or `;` inside an async middleware nobody awaits), passes a non-string `client_id` to the
 * database driver and hands an object `ltik` to the JWT library. So every parameter ltijs reads is
 * refused here unless it has the shape ltijs itself would produce:
 * - `state`: ltijs makes 50 hex characters;
 * - `id_token`, `ltik` (query, form field, `Authorization: Bearer` or `LTIK-AUTH-V1`): a compact JWS;
 * - the OIDC login parameters: strings of bounded length (a platform's ids are short).
 * Pure: the caller decides how a refusal is answered.
 */

/** Why a request is refused (a key of its translated message), or undefined when ltijs may see it. */
export type GateRefusal = 'error.badRequest' | 'error.loginParams';

const STATE = /^[A-Za-z0-9]{16,128}$/;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
/** An id_token carries names, roles and service claims: generous, but bounded. */
const ID_TOKEN_MAX = 32 * 1024;
/** Cermin's ltiks are well under 1 kB. */
const LTIK_MAX = 4096;

/** The OIDC login parameters (LTI 1.3 core 5.1.1) and their upper lengths. */
export const LOGIN_PARAMS = {
  iss: 2048,
  login_hint: 1024,
  target_link_uri: 2048,
  lti_message_hint: 4096,
  client_id: 255,
  lti_deployment_id: 255,
} as const;

export interface GateInput {
  /** The path inside ltijs's app (`/login`, `/launch`, `/app/…`). */
  path: string;
  query: Record<string, unknown>;
  body: unknown;
  /** The ltik ltijs extracted (from query, body or an Authorization header), if any. */
  token: unknown;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);

function badString(value: unknown, max: number, shape?: RegExp): boolean {
  if (value === undefined) return false;
  return typeof value !== 'string' || value.length > max || (shape !== undefined && !shape.test(value));
}

export function gateRefusal(input: GateInput): GateRefusal | undefined {
  const body = isRecord(input.body) ? input.body : {};
  if (input.path === '/login') {
    for (const [name, max] of Object.entries(LOGIN_PARAMS)) {
      if (badString(input.query[name], max) || badString(body[name], max)) return 'error.loginParams';
    }
    return undefined;
  }
  if (badString(body.state, 128, STATE)) return 'error.badRequest';
  if (badString(body.id_token, ID_TOKEN_MAX, COMPACT_JWS)) return 'error.badRequest';
  if (badString(input.query.ltik, LTIK_MAX, COMPACT_JWS) || badString(body.ltik, LTIK_MAX, COMPACT_JWS))
    return 'error.badRequest';
  if (input.token !== undefined && badString(input.token, LTIK_MAX, COMPACT_JWS)) return 'error.badRequest';
  return undefined;
}
