/**
 * One coaching turn: the participant's reflection seen through a lens. With a provider and the
 * participant's consent the AI answers — the text redacted before it leaves the server, the
 * answer parsed, validated against the lens schema (one repair attempt), screened (no grades, no
 * personal data, no placeholder it was never sent, quotes only of the participant) and the names
 * put back. Otherwise, or whenever any of that fails, the offline engine answers; the result
 * always says which engine answered and why.
 */
import type { AiMode } from '../coaching/models';
import type { LensAnswer, LensLibrary } from './lenses';
import { screenOutput } from './lenses';
import { answer as offlineAnswer, type OfflineAnswer, type QuestionBank } from './offline/engine';
import type { Phase as GrowStep } from './offline/bank';
import { JsonLeafStream, pathText } from './json-stream';
import { buildMessages, type Phase } from './prompt';
import { ProviderError, type AiProvider, type ChatMessage } from './provider';
import { redact, restore, restoreDeep, type KnownPerson, type NameMatcher, type RedactionKind } from './redaction';
import type { BerakhlakValue } from './lenses';
import type { AiAudit } from './audit';
import type { CircuitBreaker, LimitReason, RateLimiter, TokenBudgets } from './limits';
import { screenReflection, type SafetyResult } from './safety';

export type OfflineReason = 'safety' | 'noProvider' | 'noConsent' | 'aiOff' | 'lensNotAllowed' | 'providerFailed' | 'invalidAnswer' | 'screened' | LimitReason;

export interface TurnInput {
  /** Where and who, for the limits and the audit: the course, the activity, the person's pseudonym. */
  courseKey: string;
  activityId: string;
  userKey: string;
  lensId: string;
  aiMode: AiMode;
  consented: boolean;
  activity: { templateId: string; title: string; kind: 'sections' | 'journal'; locale: 'id' | 'en' };
  promptText: string;
  text: string;
  phase?: { stage?: Phase['stage']; grow?: GrowStep };
  value?: BerakhlakValue;
  locale: 'id' | 'en';
  /** The course roster's names, matched once per course. */
  names: NameMatcher;
  self?: KnownPerson;
  /** Offline question ids already asked in this session (never asked twice). */
  asked: string[];
  /** The text's safety screening when the caller already ran it (else it runs here). */
  safety?: SafetyResult;
}

export interface AiTurn {
  engine: 'ai';
  lensId: string;
  promptVersion: string;
  model: string;
  answer: LensAnswer;
  usage: { promptTokens: number; completionTokens: number };
  latencyMs: number;
  /** How many things of each kind were replaced before the text left the server. */
  redactions: Record<RedactionKind, number>;
  /** Provider calls made (2 when the first answer needed a repair). */
  calls: number;
  /** Medium safety hits (the coach is told; the AI may still answer). */
  safety?: SafetyResult;
}

export interface OfflineTurn {
  engine: 'offline';
  reason: OfflineReason;
  /** The provider's failure, for the audit (never shown raw to the participant). */
  detail?: string;
  answer: OfflineAnswer;
  redactions?: Record<RedactionKind, number>;
  usage?: { promptTokens: number; completionTokens: number };
  calls: number;
  /** Any safety hit: the coach is told; with `stepBack` the page shows a caring message, not questions. */
  safety?: SafetyResult;
}

export type TurnResult = AiTurn | OfflineTurn;

/**
 * Who watches a turn as it streams: each whole string of the AI's answer, screened and with the
 * names put back, as soon as it has arrived; and word that the first answer was refused and a
 * repair is under way (what was shown so far is withdrawn). The result of `turn()` is still what
 * counts: it may be the offline engine's even after pieces were shown.
 */
export interface TurnListener {
  piece(piece: { path: string; text: string }): void;
  restart(): void;
}

export interface CoachEngineDeps {
  lenses: LensLibrary;
  bank: QuestionBank;
  /** Absent: no provider configured (the offline engine answers every turn). */
  provider?: AiProvider;
  limits?: { breaker: CircuitBreaker; rate: RateLimiter; budgets: TokenBudgets };
  audit?: AiAudit;
}

const BREAKER_KINDS = new Set(['unreachable', 'timeout', 'server', 'rateLimited', 'auth']);

export class CoachEngine {
  constructor(private readonly deps: CoachEngineDeps) {}

  private offline(input: TurnInput, reason: OfflineReason, extra: Partial<OfflineTurn> = {}): OfflineTurn {
    const answer = offlineAnswer({
      text: input.text, locale: input.locale, template: { id: input.activity.templateId, kind: input.activity.kind },
      phase: input.phase?.grow, value: input.value, asked: input.asked,
    }, this.deps.bank);
    return { engine: 'offline', reason, answer, calls: 0, ...extra };
  }

  /** A turn, recorded in the audit whichever engine answered. */
  async turn(input: TurnInput, listener?: TurnListener): Promise<TurnResult> {
    const result = await this.answer(input, listener);
    if (result.calls > 0 && this.deps.limits && result.usage) {
      await this.deps.limits.budgets.spend(input.userKey, input.courseKey, result.usage.promptTokens + result.usage.completionTokens);
    }
    await this.deps.audit?.record({ courseKey: input.courseKey, activityId: input.activityId, user: input.userKey, lensId: input.lensId, result, text: input.text });
    return result;
  }

  private async limitReached(input: TurnInput): Promise<LimitReason | undefined> {
    const limits = this.deps.limits;
    if (!limits) return undefined;
    if (!limits.rate.take(input.userKey)) return 'rateLimited';
    const budget = await limits.budgets.check(input.userKey, input.courseKey);
    if (budget !== 'ok') return budget;
    // Last: in half-open state this lets exactly one turn through, which must then report.
    if (!limits.breaker.allow()) return 'breakerOpen';
    return undefined;
  }

  private async answer(input: TurnInput, listener?: TurnListener): Promise<TurnResult> {
    // Before anything else, and whatever the engine: a person in danger gets care, not a lens.
    const safety = input.safety ?? screenReflection(input.text);
    const result = await this.lensAnswer(input, safety.hits.length ? safety : undefined, listener);
    return safety.hits.length ? { ...result, safety } : result;
  }

  private async lensAnswer(input: TurnInput, safety: SafetyResult | undefined, listener?: TurnListener): Promise<TurnResult> {
    if (safety?.stepBack) return this.offline(input, 'safety');
    const lens = this.deps.lenses.get(input.lensId);
    if (input.aiMode === 'off') return this.offline(input, 'aiOff');
    if (!lens || !this.deps.lenses.lensesFor(input.aiMode).some((l) => l.id === lens.id)) return this.offline(input, 'lensNotAllowed');
    if (!this.deps.provider) return this.offline(input, 'noProvider');
    if (!input.consented) return this.offline(input, 'noConsent');
    // The prompt is built before the limits: in half-open state the breaker lets one turn through,
    // which must then reach the provider and report.
    const redaction = redact(input.text, { names: input.names, self: input.self });
    const built = buildMessages({
      lens, activity: input.activity, phase: input.phase, value: input.value,
      promptText: input.promptText, text: redaction.text, locale: input.locale,
    });
    const limit = await this.limitReached(input);
    if (limit) return this.offline(input, limit);
    const breaker = this.deps.limits?.breaker;
    const usage = { promptTokens: 0, completionTokens: 0 };
    let calls = 0;
    let latencyMs = 0;
    const provider = this.deps.provider;
    let model = provider.settings.model;
    const screenContext = { text: redaction.text, placeholders: Object.keys(redaction.map) };
    // Only the first call streams: a repair answers whole, after the page was told to wait.
    const streamed = (messages: ChatMessage[], watcher: TurnListener) => {
      const leaves = new JsonLeafStream();
      return provider.stream(messages, (delta) => {
        for (const leaf of leaves.push(delta)) {
          const key = leaf.path[leaf.path.length - 1];
          // Value codes are not prose; a piece that fails screening is never shown (the end result will say why).
          if (leaf.path[0] === 'values' && key === 'value') continue;
          if (screenOutput(key === 'evidence' ? { evidence: leaf.value } : [leaf.value], screenContext).length) continue;
          watcher.piece({ path: pathText(leaf.path), text: restore(leaf.value, redaction.map) });
        }
      }, { json: true, maxTokens: built.maxTokens, temperature: built.temperature });
    };
    const ask = async (messages: ChatMessage[]) => {
      calls += 1;
      let completion;
      try {
        completion = listener && calls === 1
          ? await streamed(messages, listener)
          : await provider.complete(messages, { json: true, maxTokens: built.maxTokens, temperature: built.temperature });
        breaker?.succeeded();
      } catch (err) {
        // Only the provider's own trouble opens the breaker; one entry it refuses (too long, filtered) does not.
        if (err instanceof ProviderError && BREAKER_KINDS.has(err.kind)) breaker?.failed();
        else breaker?.succeeded();
        throw err;
      }
      usage.promptTokens += completion.usage.promptTokens;
      usage.completionTokens += completion.usage.completionTokens;
      latencyMs += completion.latencyMs;
      model = completion.model;
      return completion.content;
    };
    const extra = () => ({ redactions: redaction.counts, usage: { ...usage }, calls });
    try {
      let raw = await ask(built.messages);
      let parsed = this.deps.lenses.parse(lens.id, raw);
      if (!parsed.ok) {
        // One repair: the model sees what was wrong and answers again, as JSON only.
        listener?.restart();
        raw = await ask([...built.messages, { role: 'assistant', content: raw.slice(0, 8000) }, {
          role: 'user',
          content: `Jawaban tadi tidak sesuai skema JSON lensa ini: ${parsed.errors.slice(0, 5).join('; ')}. Jawab lagi hanya dengan satu objek JSON yang sesuai skema.`,
        }]);
        parsed = this.deps.lenses.parse(lens.id, raw);
        if (!parsed.ok) return this.offline(input, 'invalidAnswer', { ...extra(), detail: parsed.errors.slice(0, 3).join('; ') });
      }
      const problems = screenOutput(parsed.value, screenContext);
      if (problems.length) return this.offline(input, 'screened', { ...extra(), detail: problems.map((p) => `${p.kind} ${p.path}`).join('; ') });
      return {
        engine: 'ai', lensId: lens.id, promptVersion: built.promptVersion, model, answer: restoreDeep(parsed.value, redaction.map),
        usage, latencyMs, redactions: redaction.counts, calls,
      };
    } catch (err) {
      if (!(err instanceof ProviderError)) throw err;
      return this.offline(input, 'providerFailed', { ...extra(), detail: `${err.kind}: ${err.reason}` });
    }
  }
}
