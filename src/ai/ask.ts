/**
 * Asking the provider for one structured JSON answer, the way every AI task in Cermin does
 * (a participant's lens, a coach's draft): the limits first (rate, budgets, then the circuit
 * breaker), the call, one repair when the answer breaks its schema, and the breaker told how the
 * provider did. What it cost is counted whatever the outcome, so budgets and the audit see the
 * calls that failed too.
 */
import type { AiAudit, AuditEntry } from './audit';
import type { CircuitBreaker, CircuitBreakers, LimitReason, RateLimiter, TokenBudgets } from './limits';
import { ProviderError, type AiProvider, type ChatMessage } from './provider';

export interface Limits {
  breakers: CircuitBreakers;
  rate: RateLimiter;
  budgets: TokenBudgets;
}

/** A provider, or where to get the one in force now for a platform (its admin may switch it while Cermin runs). */
export type ProviderRef = AiProvider | ((platform: string) => Promise<AiProvider | undefined>);

export async function resolveProvider(ref: ProviderRef | undefined, platform: string): Promise<AiProvider | undefined> {
  return typeof ref === 'function' ? ref(platform) : ref;
}

/** Who asks: for the rate limit and budgets (the person's pseudonym, their course, their platform's key). */
export interface Asker {
  userKey: string;
  courseKey: string;
  platform: string;
}

/** The breaker of the provider this call would go to. */
export function breakerOf(limits: Limits | undefined, provider: AiProvider): CircuitBreaker | undefined {
  return limits?.breakers.for(provider.settings.baseUrl);
}

/** Why a call to `provider` may not be made now, or undefined when it may. */
export async function limitReached(
  limits: Limits | undefined,
  who: Asker,
  provider: AiProvider,
): Promise<LimitReason | undefined> {
  if (!limits) return undefined;
  if (!limits.rate.take(who.userKey)) return 'rateLimited';
  const budget = await limits.budgets.check(who.userKey, who.courseKey, who.platform);
  if (budget !== 'ok') return budget;
  // Last: in half-open state this lets exactly one call through, which must then report.
  if (!limits.breakers.for(provider.settings.baseUrl).allow()) return 'breakerOpen';
  return undefined;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; errors: string[] };

export interface AskStats {
  usage: { promptTokens: number; completionTokens: number };
  calls: number;
  latencyMs: number;
  model: string;
}

export type AskResult<T> =
  | { kind: 'answered'; value: T; stats: AskStats }
  | { kind: 'invalid'; errors: string[]; stats: AskStats }
  | { kind: 'failed'; error: ProviderError; stats: AskStats };

export interface AskRequest<T> {
  messages: ChatMessage[];
  maxTokens: number;
  temperature: number;
  parse(raw: string): Parsed<T>;
  /** Stream the first call's text here as it arrives (a repair always answers whole). */
  onDelta?(delta: string): void;
  /** Told before a repair, so whoever showed the first answer can withdraw it. */
  onRepair?(): void;
}

/**
 * After any AI task, whichever engine answered: what its calls cost goes on the person's and the
 * course's budgets, and the task goes in the audit.
 */
export async function settle(deps: { limits?: Limits; audit?: AiAudit }, entry: AuditEntry): Promise<void> {
  const { result } = entry;
  if (result.calls > 0 && deps.limits && result.usage) {
    await deps.limits.budgets.spend(
      entry.user,
      entry.courseKey,
      result.usage.promptTokens + result.usage.completionTokens,
    );
  }
  await deps.audit?.record(entry);
}

/** Failures that say the provider itself is in trouble; one request it refuses (too long, filtered) does not. */
const BREAKER_KINDS = new Set(['unreachable', 'timeout', 'server', 'rateLimited', 'auth']);

/** Tells the breaker how a provider call ended (no error: it answered). */
export function reportToBreaker(breaker: CircuitBreaker | undefined, err?: unknown): void {
  if (err instanceof ProviderError && BREAKER_KINDS.has(err.kind)) breaker?.failed();
  else breaker?.succeeded();
}

export async function askJson<T>(
  provider: AiProvider,
  breaker: CircuitBreaker | undefined,
  request: AskRequest<T>,
): Promise<AskResult<T>> {
  const stats: AskStats = {
    usage: { promptTokens: 0, completionTokens: 0 },
    calls: 0,
    latencyMs: 0,
    model: provider.settings.model,
  };
  const options = { json: true, maxTokens: request.maxTokens, temperature: request.temperature };
  const call = async (messages: ChatMessage[], stream: boolean): Promise<string> => {
    stats.calls += 1;
    let completion;
    try {
      completion =
        stream && request.onDelta
          ? await provider.stream(messages, request.onDelta, options)
          : await provider.complete(messages, options);
      reportToBreaker(breaker);
    } catch (err) {
      reportToBreaker(breaker, err);
      throw err;
    }
    stats.usage.promptTokens += completion.usage.promptTokens;
    stats.usage.completionTokens += completion.usage.completionTokens;
    stats.latencyMs += completion.latencyMs;
    stats.model = completion.model;
    return completion.content;
  };
  try {
    const raw = await call(request.messages, true);
    const first = request.parse(raw);
    if (first.ok) return { kind: 'answered', value: first.value, stats };
    // One repair: the model sees what was wrong and answers again, as JSON only.
    request.onRepair?.();
    const again = request.parse(
      await call(
        [
          ...request.messages,
          { role: 'assistant', content: raw.slice(0, 8000) },
          {
            role: 'user',
            content: `Jawaban tadi tidak sesuai skema JSON yang diminta: ${first.errors.slice(0, 5).join('; ')}. Jawab lagi hanya dengan satu objek JSON yang sesuai skema.`,
          },
        ],
        false,
      ),
    );
    return again.ok
      ? { kind: 'answered', value: again.value, stats }
      : { kind: 'invalid', errors: again.errors, stats };
  } catch (err) {
    if (!(err instanceof ProviderError)) throw err;
    return { kind: 'failed', error: err, stats };
  }
}
