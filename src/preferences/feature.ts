/** The preferences feature: a person's language and data-saver choice, per platform. */
import { preferencesRoutes } from './routes';
import { dropLegacyPreferenceIndex, preferencesOf, preferencesPrivacy } from './store';

export function preferencesFeature() {
  return {
    preferencesOf,
    /** Session-wide routes (not under a course). */
    sessionRouters: [preferencesRoutes()],
    privacy: [preferencesPrivacy],
    /** An index of an older Cermin that would refuse today's records. */
    upgrade: dropLegacyPreferenceIndex,
  };
}
