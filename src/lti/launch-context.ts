/**
 * ltijs's stored token mapped to Cermin's launch context (src/domain/launch.ts): the one place
 * that reads ltijs's token shape, with the keys Cermin derives from LTI identities and the
 * audience an LTI role lands on. Pure functions: no I/O.
 */
import crypto from 'node:crypto';
import type { LtijsToken } from './ltijs';
import type { Audience, LaunchContext, Locale, PlatformIdentity } from '../domain/launch';

export function platformKeyOf(issuer: string, clientId: string): string {
  return `p${crypto
    .createHash('sha256')
    .update(JSON.stringify([issuer, clientId]))
    .digest('base64url')
    .slice(0, 22)}`;
}

export function platformIdentity(issuer: string, clientId: string): PlatformIdentity {
  return { key: platformKeyOf(issuer, clientId), issuer, clientId };
}

const LIS = 'http://purl.imsglobal.org/vocab/lis/v2/';

/** Normalises a role to its full URI (certification: accept short names like `Instructor`). */
export function normaliseRole(role: string): string {
  if (/^https?:\/\//.test(role)) return role;
  const short = role.trim();
  if (short.includes('#')) return `${LIS}membership/${short}`;
  return `${LIS}membership#${short}`;
}

const ADMIN_ROLES = new Set([
  `${LIS}institution/person#Administrator`,
  `${LIS}system/person#Administrator`,
  `${LIS}system/person#SysAdmin`,
]);
const COACH_ROLES = [
  `${LIS}membership#Instructor`,
  `${LIS}membership#ContentDeveloper`,
  `${LIS}membership/Instructor#`,
  `${LIS}membership#TeachingAssistant`,
];
const MENTOR_ROLES = [`${LIS}membership#Mentor`, `${LIS}membership/Mentor#`];
const LEARNER_ROLES = [`${LIS}membership#Learner`, `${LIS}membership/Learner#`];

function hasAny(roles: string[], prefixes: string[]): boolean {
  return roles.some((r) => prefixes.some((p) => r === p || (p.endsWith('#') && r.startsWith(p))));
}

/**
 * The page a launch lands on. An administrator outranks a teacher (Moodle gives a site admin
 * both roles in a course); a teacher outranks a mentor, a mentor a learner.
 */
export function audienceFor(rawRoles: string[]): Audience | null {
  const roles = rawRoles.map(normaliseRole);
  if (roles.some((r) => ADMIN_ROLES.has(r))) return 'admin';
  if (hasAny(roles, COACH_ROLES)) return 'coach';
  if (hasAny(roles, MENTOR_ROLES)) return 'mentor';
  if (hasAny(roles, LEARNER_ROLES)) return 'participant';
  return null;
}

export function courseKeyOf(issuer: string, clientId: string, deploymentId: string, courseId: string): string {
  return crypto
    .createHash('sha256')
    .update(JSON.stringify([issuer, clientId, deploymentId, courseId]))
    .digest('base64url')
    .slice(0, 22);
}

export function localeOf(tag: string | undefined): Locale {
  return tag && /^en\b/i.test(tag) ? 'en' : 'id';
}

function stringRecord(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      // Moodle sends unsubstituted variables like "$Context.id" as literal text: drop them.
      if (typeof v === 'string' && !/^\$[A-Za-z.]+$/.test(v)) out[k] = v;
      else if (typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
    }
  }
  return out;
}

/** Maps ltijs's stored token to Cermin's launch context. */
export function launchContextFrom(token: LtijsToken): LaunchContext {
  const ctx = token.platformContext;
  const course = ctx.context ?? { id: '' };
  const roles = (ctx.roles ?? []).map(normaliseRole);
  const platformInfo = (token.platformInfo ?? {}) as { name?: string; product_family_code?: string };
  return {
    platform: {
      ...platformIdentity(token.iss, token.clientId),
      platformId: token.platformId,
      name: platformInfo.name,
      productFamily: platformInfo.product_family_code,
    },
    deploymentId: token.deploymentId,
    courseKey: courseKeyOf(token.iss, token.clientId, token.deploymentId, course.id),
    course: { id: course.id, label: course.label, title: course.title },
    resourceLink:
      ctx.resource && ctx.resource.id
        ? { id: ctx.resource.id, title: ctx.resource.title, description: ctx.resource.description }
        : undefined,
    messageType: ctx.messageType === 'LtiDeepLinkingRequest' ? 'LtiDeepLinkingRequest' : 'LtiResourceLinkRequest',
    user: {
      id: token.user,
      name: token.userInfo?.name,
      givenName: token.userInfo?.given_name,
      familyName: token.userInfo?.family_name,
      email: token.userInfo?.email,
    },
    roles,
    audience: audienceFor(roles),
    ags: ctx.endpoint
      ? { scopes: ctx.endpoint.scope ?? [], lineItemsUrl: ctx.endpoint.lineitems, lineItemUrl: ctx.endpoint.lineitem }
      : undefined,
    nrps: ctx.namesRoles?.context_memberships_url
      ? { membershipsUrl: ctx.namesRoles.context_memberships_url, versions: ctx.namesRoles.service_versions ?? [] }
      : undefined,
    custom: stringRecord(ctx.custom),
    locale: localeOf(ctx.launchPresentation?.locale),
    returnUrl: ctx.launchPresentation?.return_url,
  };
}
