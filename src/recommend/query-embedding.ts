/**
 * The participant's side of hybrid ranking: their recent text embedded as a query vector. That
 * text is theirs, so it goes to the provider only as every AI call does: with their consent,
 * redacted, within the rate limit, budgets and circuit breaker, and audited. Vectors are cached
 * by the redacted text's hash, so page views without new writing cost no call; a page never waits
 * long for one (after `waitMs` it ranks lexically and the vector, when it arrives, is kept for the
 * next view).
 */
import { setTimeout as delay } from 'node:timers/promises';
import { breakerOf, reportToBreaker, limitReached, type Limits } from '../ai/ask';
import type { AiAudit } from '../ai/audit';
import type { AiProvider } from '../ai/provider';
import { redact, type NameMatcher } from '../ai/redaction';
import type { ConsentService } from '../consent/consent';
import { contentHash, type EmbeddingCache } from './vectors';

export interface QueryEmbedderDeps {
  provider: AiProvider;
  /** Must name the same model as the item vectors' embedder. */
  embedderId: string;
  cache: EmbeddingCache;
  consent: ConsentService;
  namesOf(courseKey: string): Promise<NameMatcher>;
  pseudonymOf(platform: string, userId: string): string;
  limits?: Limits;
  audit?: AiAudit;
  /** How long a page view waits for a vector it does not have yet. */
  waitMs?: number;
  onError?: (err: unknown) => void;
}

/** Whose text (their platform's key and user id), and where it was written (the audit names the activity). */
export interface QueryOwner {
  platform: string;
  courseKey: string;
  activityId: string;
  userId: string;
}

export class QueryEmbedder {
  constructor(private readonly deps: QueryEmbedderDeps) {}

  /** The text's vector, or undefined: no consent, limits, a failure, or not in time for this view. */
  async vectorFor(who: QueryOwner, text: string): Promise<number[] | undefined> {
    const d = this.deps;
    if (!text.trim() || !(await d.consent.hasConsent(who.platform, who.userId))) return undefined;
    const redaction = redact(text, { names: await d.namesOf(who.courseKey) });
    const key = `query:${d.embedderId}:${contentHash(redaction.text)}`;
    const cached = (await d.cache.getMany([key])).get(key);
    if (cached) return [...cached];
    const userKey = d.pseudonymOf(who.platform, who.userId);
    if (await limitReached(d.limits, { userKey, courseKey: who.courseKey, platform: who.platform }, d.provider))
      return undefined;
    const call = this.embed(who, userKey, key, redaction.text, redaction.counts);
    return Promise.race([call, delay(d.waitMs ?? 1500, undefined, { ref: false })]);
  }

  private async embed(
    who: QueryOwner,
    userKey: string,
    key: string,
    text: string,
    redactions: Record<string, number>,
  ): Promise<number[] | undefined> {
    const d = this.deps;
    try {
      const res = await d.provider.embed([text]);
      reportToBreaker(breakerOf(d.limits, d.provider));
      const vector = res.vectors[0];
      await d.cache.setMany([[key, vector]]);
      await d.limits?.budgets.spend(userKey, who.courseKey, res.usage.promptTokens);
      await d.audit?.record({
        courseKey: who.courseKey,
        activityId: who.activityId,
        user: userKey,
        lensId: 'embedding',
        text,
        result: {
          engine: 'ai',
          promptVersion: 'embedding',
          model: res.model,
          usage: { promptTokens: res.usage.promptTokens, completionTokens: 0 },
          latencyMs: res.latencyMs,
          calls: 1,
          redactions,
          answer: null,
        },
      });
      return vector;
    } catch (err) {
      reportToBreaker(breakerOf(d.limits, d.provider), err);
      d.onError?.(err);
      return undefined;
    }
  }
}
