/**
 * ltijs's stored token mapped to Cermin's launch context (src/domain/launch.ts): the one place
 * that reads ltijs's token shape.
 */
import type { LtijsToken } from './ltijs';
import {
  audienceFor,
  courseKeyOf,
  localeOf,
  normaliseRole,
  platformIdentity,
  type LaunchContext,
} from '../domain/launch';

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
