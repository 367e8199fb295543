/**
 * The two guarded clients every address from outside the configuration goes through. What
 * platforms, their registrations and platform admins name reaches only the operator's allow list
 * (and the built-in demo LMS); the operator's own AI provider (the environment's, or one set on
 * the setup page) may also reach the environment's AI address. A platform admin's provider never
 * reaches it by that right.
 */
import { hostWithPort } from './address-policy';
import { createGuardedFetch, type GuardedFetch, type OutboundPolicy } from './guarded-fetch';

export function outboundClients(
  policy: OutboundPolicy,
  also: { demoUrl?: string; aiBaseUrl?: string },
): { platforms: GuardedFetch; operator: GuardedFetch } {
  const allowing = (url: string | undefined) => ({
    ...policy,
    allow: [...policy.allow, ...(url ? [hostWithPort(url)] : [])],
  });
  return {
    platforms: createGuardedFetch(allowing(also.demoUrl)),
    operator: createGuardedFetch(allowing(also.aiBaseUrl)),
  };
}
