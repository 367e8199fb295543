/**
 * The AI feature: the provider (the environment's for embeddings; per platform, the one in force
 * for chat), lenses, the offline bank, limits, the audit, the coach engine and the draft writer,
 * and the consent that comes before a first AI use. Built once by app.ts; coaching and
 * recommend use what it returns.
 */
import type { AppConfig } from '../config';
import { ConsentService, ConsentTextStore, consentPrivacy, loadConsentText } from '../consent/consent';
import type { GuardedFetch } from '../outbound/guarded-fetch';
import { AiSettingsStore } from './ai-settings';
import { AiAudit, pseudonymOf } from './audit';
import { CoachDrafter, loadDraftPrompt } from './coach-draft';
import { CoachEngine } from './coach-engine';
import { CourseNames, type PeopleOf } from './course-names';
import { loadLenses } from './lenses';
import { CircuitBreakers, RateLimiter, TokenBudgets } from './limits';
import { loadQuestionBank } from './offline/engine';
import { aiPrivacy } from './privacy';
import { AiProvider } from './provider';
import { ProviderSource } from './provider-source';
import { REDACTION_KINDS } from './redaction';

export interface AiFeatureDeps {
  settings: AppConfig['ai'];
  /** The instance's secret: pseudonyms in the audit, stored provider keys. */
  secret: string;
  /** The guarded clients: the operator's provider may reach the environment's AI address, a platform admin's may not. */
  outbound: { operator: GuardedFetch; platforms: GuardedFetch };
  /** How long the platform keeps AI conversations (its retention setting): what the consent text and the transparency page name. */
  conversationDaysOf(platform: string): Promise<number>;
  /** Who belongs to a course, for the names redacted before any text leaves the server. */
  peopleOf: PeopleOf;
}

export function aiFeature(deps: AiFeatureDeps) {
  const a = deps.settings;
  const connection = {
    baseUrl: a.baseUrl,
    apiKey: a.apiKey,
    model: a.model,
    embeddingModel: a.embeddingModel,
    timeoutMs: a.timeoutMs,
    maxRetries: a.maxRetries,
  };
  // Embeddings (suggested reading) use the provider the environment configured; chat goes to the provider in force.
  const provider = a.baseUrl
    ? new AiProvider({ ...connection, baseUrl: a.baseUrl }, { fetch: deps.outbound.operator })
    : undefined;
  const lenses = loadLenses();
  const bank = loadQuestionBank();
  // One rate limit, budget and audit for every AI task (a coach's drafts and the participants'
  // lenses share them), and a breaker per provider address. Lenses on/off and budgets: the
  // platform admin's, else the operator's, else the start-up configuration's.
  const settings = new AiSettingsStore(
    { disabledLenses: [], userDailyTokens: a.userDailyTokens, courseMonthlyTokens: a.courseMonthlyTokens },
    lenses.lenses.map((l) => l.id),
  );
  const limits = {
    breakers: new CircuitBreakers(a.breakerFailures, a.breakerCooldownSeconds * 1000),
    rate: new RateLimiter(a.turnsPerMinute, 60_000),
    budgets: new TokenBudgets((platform) => settings.current(platform)),
  };
  const audit = new AiAudit({ keepRawText: () => a.keepRawText });
  // The provider in force for a platform: its admin's, else the operator's, else the environment's; read per request.
  const providers = new ProviderSource({ ...connection, name: a.providerName }, deps.secret, {
    fetch: deps.outbound.operator,
    platformFetch: deps.outbound.platforms,
  });
  const providerNow = async (platform: string) => (await providers.current(platform)).provider;
  // The consent text: config/consent.json, or a newer version an admin published in the console.
  // What it names is the person's platform's: the provider in force and its retention days. The
  // address is not shown but counts: another server is another recipient.
  const consentTexts = new ConsentTextStore(loadConsentText());
  const consentFacts = async (platform: string) => {
    const [p, retentionDays] = await Promise.all([providers.current(platform), deps.conversationDaysOf(platform)]);
    return { provider: p.name, model: p.model, retentionDays, baseUrl: p.baseUrl };
  };
  return {
    provider,
    lenses,
    bank,
    limits,
    audit,
    providers,
    consentTexts,
    consentFacts,
    engine: new CoachEngine({ lenses, bank, provider: providerNow, limits, audit }),
    drafter: new CoachDrafter({ prompt: loadDraftPrompt(), bank, provider: providerNow, limits, audit }),
    consent: new ConsentService(consentTexts, consentFacts),
    names: new CourseNames(deps.peopleOf),
    pseudonymOf: (platform: string, userId: string) => pseudonymOf(deps.secret, platform, userId),
    /** Lenses on/off and budgets per platform, with the lenses an admin can choose from. */
    settings: { store: settings, lenses: lenses.lenses.map((l) => ({ id: l.id, name: l.name })) },
    /** How the provider in force is named to a participant, and whether there is one. */
    providerInfo: async (platform: string) => {
      const p = await providers.current(platform);
      return { configured: Boolean(p.provider), name: p.name };
    },
    /** The address a participant's consent names for their platform: their text goes nowhere else. */
    baseUrlInForce: async (platform: string) => (await providers.current(platform)).baseUrl,
    /** What the transparency page states for a platform. */
    transparency: async (platform: string) => {
      const [p, retentionDays] = await Promise.all([providers.current(platform), deps.conversationDaysOf(platform)]);
      return {
        providerName: p.name,
        model: p.model,
        providerConfigured: Boolean(p.provider),
        redacts: [...REDACTION_KINDS],
        retentionDays,
        keepRawText: a.keepRawText,
      };
    },
    privacy: [aiPrivacy, consentPrivacy],
  };
}

export type AiFeature = ReturnType<typeof aiFeature>;
