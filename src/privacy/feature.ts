/**
 * The privacy feature: every feature's record of a person for their download and erasure, the
 * retention settings and purge, the transparency page, and the coach's automation-bias monitor.
 */
import type { Logger } from 'pino';
import type { QuestionBank } from '../ai/offline/engine';
import type { CoachingService } from '../coaching/service';
import type { ReviewService } from '../coaching/review/service';
import type { PersonDataProvider } from '../db/person-data';
import { moveIssuerKeyedRecords } from './issuer-keyed-records';
import { monitorRoutes } from './monitor-routes';
import { PersonDataService } from './person-data';
import { DEFAULT_RETENTION, RetentionJob, RetentionSettingsStore } from './retention';
import { privacyRoutes } from './routes';
import { transparencyRoutes, type TransparencyDeps } from './transparency';

/**
 * Per-platform retention settings (AI conversations default to AI_RAW_TEXT_RETENTION_DAYS) and
 * the one purge job (leased: one instance at a time; main.ts schedules it). Built before the
 * features whose texts name the days (consent, transparency).
 */
export function retention(aiConversationDays: number) {
  const settings = new RetentionSettingsStore(undefined, { ...DEFAULT_RETENTION, aiConversationDays });
  return {
    settings,
    job: new RetentionJob({ policy: settings }),
    conversationDaysOf: async (platform: string) => (await settings.get(platform)).aiConversationDays,
  };
}

export interface PrivacyFeatureDeps {
  /** Every feature's person-data provider (each feature's privacy.ts). */
  providers: PersonDataProvider[];
  pseudonymOf(platform: string, userId: string): string;
  coaching: CoachingService;
  reviews: ReviewService;
  bank: QuestionBank;
  transparency(platform: string): Promise<TransparencyDeps>;
  log: Logger;
}

export function privacyFeature(deps: PrivacyFeatureDeps) {
  const personData = new PersonDataService({ providers: deps.providers, pseudonymOf: deps.pseudonymOf });
  return {
    personData,
    courseRouters: [
      privacyRoutes({ data: personData }),
      transparencyRoutes(deps.transparency),
      monitorRoutes({ coaching: deps.coaching, reviews: deps.reviews, bank: deps.bank }),
    ],
    /** Records kept under an issuer by an earlier Cermin move to their platform's key (once). */
    async upgrade(platforms: ReadonlyArray<{ issuer: string; clientId: string }>): Promise<void> {
      const moved = await moveIssuerKeyedRecords(platforms);
      if (Object.values(moved.moved).some((n) => n > 0) || moved.ambiguous)
        deps.log.info(moved, 'records kept under an issuer moved to their platform');
    },
  };
}
