/**
 * The launch context: what one LTI launch tells Cermin, as a typed object, and the audiences
 * (participant, coach, admin, mentor) it lands on. Types only; lti/launch-context.ts builds it.
 */
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

/** The name to show for the person of a launch: their full name, else given + family name, else their id. */
export function personName(user: LaunchContext['user']): string {
  return user.name || [user.givenName, user.familyName].filter(Boolean).join(' ') || user.id;
}
