/**
 * The coaching feature: activities (placed with Deep Linking), the participant's journal with the
 * AI mirror, the coach's roster, reviews and drafts. Builds its services from what the lower
 * layers give it and returns its routers in mount order.
 */
import type express from 'express';
import type { Logger } from 'pino';
import type { AiFeature } from '../ai/feature';
import type { GradeOutbox } from '../grades/outbox';
import type { LtiService, LaunchHandlers } from '../lti';
import type { CourseDirectory } from '../lti/courses';
import type { PlatformServices } from '../lti/platform-services';
import type { RecommendService } from '../recommend/service';
import { aiRoutes } from './ai-help/routes';
import { DraftService } from './ai-help/drafts';
import { AiCoaching, safetyAlerts } from './ai-help/turns';
import { coachRoutes } from './activities/routes';
import { audiencePages } from './activities/pages';
import { deliveryTargets, releasedLevels, reportSubmitted } from './grading';
import { createLanding } from './activities/landing';
import { participantRoutes } from './journal/routes';
import { coachingPrivacy } from './privacy';
import { reviewRoutes } from './review/routes';
import { ReviewService } from './review/service';
import type { RosterService } from './review/roster';
import { CoachingService } from './service';
import type { CoachingTemplate } from './templates';

export interface CoachingFeatureDeps {
  templates: CoachingTemplate[];
  lti: Pick<LtiService, 'deepLinking' | 'urls' | 'menteesOf'>;
  courses: CourseDirectory;
  services: PlatformServices;
  roster: RosterService;
  outbox: GradeOutbox;
  ai: Pick<
    AiFeature,
    'engine' | 'drafter' | 'lenses' | 'consent' | 'consentFacts' | 'names' | 'pseudonymOf' | 'providerInfo' | 'settings'
  >;
  recommend: RecommendService;
  settings: { rosterPageSize: number; blindShare: number; requestTimeoutMs: number; savesPerMinute: number };
  log: Logger;
}

export function coachingFeature(deps: CoachingFeatureDeps) {
  const { ai, outbox, roster } = deps;
  const coaching = new CoachingService({ templates: deps.templates, onSubmitted: reportSubmitted(outbox) });
  const reviews = new ReviewService({ outbox });
  const landing = createLanding(coaching);
  const aiCoaching = new AiCoaching({
    engine: ai.engine,
    lenses: ai.lenses,
    consent: ai.consent,
    namesOf: ai.names.matcherFor,
    pseudonymOf: ai.pseudonymOf,
    providerInfo: ai.providerInfo,
    disabledLenses: async (platform) => (await ai.settings.store.current(platform)).disabledLenses,
  });
  const drafts = new DraftService({
    drafter: ai.drafter,
    reviews,
    consent: ai.consent,
    namesOf: ai.names.matcherFor,
    pseudonymOf: ai.pseudonymOf,
  });
  // Every launch first records its course (the roster's source without NRPS, the AGS endpoints).
  const launches: LaunchHandlers = {
    onLaunch: async (ctx, ltik, req, res) => {
      await deps.courses.remember(ctx);
      await landing.onLaunch(ctx, ltik, req, res);
    },
    onDeepLinking: async (ctx, ltik, req, res) => {
      await deps.courses.remember(ctx);
      await landing.onDeepLinking(ctx, ltik, req, res);
    },
  };
  const courseRouters: express.Router[] = [
    audiencePages({ lti: deps.lti, coaching }),
    coachRoutes({
      coaching,
      deepLinking: deps.lti.deepLinking,
      services: deps.services,
      outbox,
      urls: deps.lti.urls,
      requestTimeoutMs: deps.settings.requestTimeoutMs,
    }),
    reviewRoutes({
      coaching,
      reviews,
      roster,
      outbox,
      pageSize: deps.settings.rosterPageSize,
      alertsOf: safetyAlerts,
      drafts,
      blindShare: deps.settings.blindShare,
    }),
    aiRoutes({ coaching, ai: aiCoaching, consent: ai.consent, facts: ai.consentFacts, log: deps.log }),
  ];
  return {
    coaching,
    reviews,
    launches,
    courseRouters,
    /** The participant's pages, under /activities: mounted last (guarded as a whole). */
    activitiesRouter: participantRoutes(
      coaching,
      aiCoaching,
      { service: deps.recommend, decidedLevels: releasedLevels(reviews) },
      { savesPerMinute: deps.settings.savesPerMinute },
    ),
    deliveryTarget: deliveryTargets(deps.courses),
    privacy: [coachingPrivacy],
  };
}

export type CoachingFeature = ReturnType<typeof coachingFeature>;
