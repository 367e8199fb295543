/**
 * The admin feature: the page an LMS admin lands on by launch, the admin console (through a
 * launch for one platform, or the setup session for the whole instance), the first-start setup
 * pages, and the tool's landing page.
 */
import express from 'express';
import type { AiFeature } from '../ai/feature';
import { platformIdentity } from '../lti/launch-context';
import type { LtiService } from '../lti';
import { adminConsoleRoutes, launchAdminAccess, type AdminConsoleDeps } from './console';
import { toolLanding } from './landing';
import { platformAdminPage } from './platform-page';
import { setupRouter } from './setup';

export interface AdminFeatureDeps extends Omit<AdminConsoleDeps, 'platforms' | 'consentTexts' | 'aiSettings'> {
  lti: Pick<LtiService, 'registry' | 'urls'>;
  ai: Pick<AiFeature, 'providers' | 'consentTexts' | 'settings'>;
  /** The instance's secret (the setup session's cookie is signed with it). */
  secret: string;
  secureCookies: boolean;
  /** Where the tool's own address sends a visitor on a development machine (the demo LMS). */
  demoUrl?: string;
}

export function adminFeature(deps: AdminFeatureDeps) {
  const { lti, ai } = deps;
  const aiAdmin = { source: ai.providers };
  const consoleDeps: AdminConsoleDeps = {
    courses: deps.courses,
    outbox: deps.outbox,
    personData: deps.personData,
    retention: deps.retention,
    consentTexts: ai.consentTexts,
    aiSettings: ai.settings,
    platforms: async () =>
      (await lti.registry.list())
        .map((p) => ({
          ...platformIdentity(p.issuer, p.clientId),
          label: `${p.name} (${p.issuer}, client ${p.clientId})`,
        }))
        .sort((a, b) => a.label.localeCompare(b.label)),
  };
  const course = express.Router({ mergeParams: true });
  course.use(platformAdminPage({ lti, ai: aiAdmin }));
  course.use('/admin', adminConsoleRoutes(consoleDeps, launchAdminAccess));
  return {
    courseRouters: [course],
    /** First-start administration at /setup, without any launch. */
    setupRouter: setupRouter({
      registry: lti.registry,
      urls: lti.urls,
      secret: deps.secret,
      secureCookies: deps.secureCookies,
      ai: aiAdmin,
      console: consoleDeps,
    }),
    landing: toolLanding({ demoUrl: deps.demoUrl, registrationUrl: lti.urls.registrationUrl }),
  };
}
