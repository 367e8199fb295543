/**
 * The coaching feature: activities (placed with Deep Linking), the participant's journal with the
 * AI mirror, the coach's roster, reviews and drafts. Builds its services from what the lower
 * layers give it and returns its routers in mount order.
 */
import type { AppConfig } from '../config';
import express from 'express';
import type { Logger } from 'pino';
import type { AiFeature } from '../ai/feature';
import type { GradeOutbox } from '../grades/outbox';
import type { LtiService, LaunchHandlers } from '../lti';
import type { PlatformServices } from '../lti/platform-services';
import type { RecommendService } from '../recommend/service';
import { aiRoutes } from './ai-help/routes';
import { DraftService } from './ai-help/drafts';
import { AiCoaching, hasOpenSafetyAlert, safetyAlerts } from './ai-help/turns';
import { coachRoutes } from './activities/routes';
import { audiencePages } from './activities/pages';
import { releasedFeedback, releasedLevels, reportSubmitted, reportWithdrawn, reviewStartedOn } from './grading';
import { createLanding } from './activities/landing';
import { participantRoutes } from './journal/routes';
import { coachingPrivacy } from './privacy';
import { reviewRoutes } from './review/routes';
import { ReviewService } from './review/service';
import { worklistReader } from './review/worklist';
import type { RosterService } from './review/roster';
import { CoachingService } from './service';
import type { CoachingTemplate } from './templates';

export interface CoachingFeatureDeps {
  templates: CoachingTemplate[];
  lti: Pick<LtiService, 'deepLinking' | 'urls' | 'menteesOf' | 'courses'>;
  services: PlatformServices;
  roster: RosterService;
  outbox: GradeOutbox;
  ai: Pick<
    AiFeature,
    'engine' | 'drafter' | 'lenses' | 'consent' | 'consentFacts' | 'names' | 'pseudonymOf' | 'providerInfo' | 'settings'
  >;
  recommend: { service: RecommendService };
  config: Pick<AppConfig, 'roster' | 'grades' | 'rateLimit'>;
  log: Logger;
}

export function coachingFeature(deps: CoachingFeatureDeps) {
  const { ai, outbox, roster } = deps;
  const coaching = new CoachingService({
    templates: deps.templates,
    onSubmitted: reportSubmitted(outbox),
    onWithdrawn: reportWithdrawn(outbox),
    courses: deps.lti.courses,
  });
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
  const launches: LaunchHandlers = landing;
  const worklistOf = worklistReader({ coaching, reviews, outbox });
  const courseRouters: express.Router[] = [
    audiencePages({ lti: deps.lti, coaching }),
    coachRoutes({
      coaching,
      deepLinking: deps.lti.deepLinking,
      services: deps.services,
      outbox,
      urls: deps.lti.urls,
      requestTimeoutMs: deps.config.grades.requestTimeoutMs,
      worklistOf,
    }),
    reviewRoutes({
      coaching,
      reviews,
      roster,
      outbox,
      pageSize: deps.config.roster.pageSize,
      alertsOf: safetyAlerts,
      drafts,
      blindShare: deps.config.roster.blindShare,
      worklistOf,
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
      {
        recommender: { service: deps.recommend.service, decidedLevels: releasedLevels(reviews) },
        feedbackOf: releasedFeedback(reviews),
        reviewStarted: reviewStartedOn(reviews),
        openAlert: hasOpenSafetyAlert,
      },
      { savesPerMinute: deps.config.rateLimit.savesPerMinute },
    ),
    /**
     * The journal page's one form (no JavaScript) posts every entry at once: up to a template's
     * 15 prompts of 20,000 characters each, beyond body-parser's default 100 kB.
     */
    journalBody: {
      path: '/lti/app/courses/:courseKey/activities/:activityId/entries',
      parser: express.urlencoded({ extended: false, limit: '2mb' }),
    },
    deliveryTarget: coaching.deliveryTarget,
    privacy: [coachingPrivacy],
  };
}

export type CoachingFeature = ReturnType<typeof coachingFeature>;
