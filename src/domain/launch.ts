/**
 * The launch context: what one LTI launch tells Cermin, as a typed object, and which audience
 * (participant, coach, admin, mentor) it lands on. Pure functions: no I/O.
 */
import crypto from 'node:crypto';
import type { PlatformIdentity } from './vocabulary';

export type Audience = 'participant' | 'coach' | 'admin' | 'mentor';
export type Locale = 'id' | 'en';

/**
 * A platform as a tenant: one registration (issuer and client id). `key` is what Cermin's per-platform
 * records are kept under (a person's preferences, consent, pseudonym; the platform's settings and
 * change log): a user id is unique only within one registration, and a second registration of the
 * same issuer, whoever made it, is another tenant that sees none of the first one's people.
 */
export type { PlatformIdentity };

/** The instance as a whole: the operator's defaults and changes, and records of no platform. */
export const INSTANCE = '*';

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

export interface LaunchContext {
  platform: PlatformIdentity & { platformId: string; name?: string; productFamily?: string };
  deploymentId: string;
  /** Opaque, URL-safe key of (platform, deployment, course): what Cermin's URLs and data use. */
  courseKey: string;
  course: { id: string; label?: string; title?: string };
  resourceLink?: { id: string; title?: string; description?: string };
  messageType: 'LtiResourceLinkRequest' | 'LtiDeepLinkingRequest';
  user: { id: string; name?: string; givenName?: string; familyName?: string; email?: string };
  roles: string[];
  audience: Audience | null;
  ags?: { scopes: string[]; lineItemsUrl?: string; lineItemUrl?: string };
  nrps?: { membershipsUrl: string; versions: string[] };
  custom: Record<string, string>;
  locale: Locale;
  /** The person's remembered data-saver choice (read with their language, once per request); undefined: never chosen. */
  dataSaver?: boolean;
  returnUrl?: string;
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
