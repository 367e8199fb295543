/**
 * One coaching turn: the participant's reflection seen through a lens. With a provider and the
 * participant's consent the AI answers — the text redacted before it leaves the server, the
 * answer parsed, validated against the lens schema (one repair attempt), screened (no grades, no
 * personal data, no placeholder it was never sent, quotes only of the participant) and the names
 * put back. Otherwise, or whenever any of that fails, the offline engine answers; the result
 * always says which engine answered and why.
 */
import type { AiMode } from '../domain/vocabulary';
import type { LensAnswer, LensLibrary } from './lenses';
import { screenOutput } from './lenses';
import { answer as offlineAnswer, type OfflineAnswer, type QuestionBank } from './offline/engine';
import type { Phase as GrowStep } from './offline/bank';
import { JsonLeafStream, pathText } from './json-stream';
import { buildMessages, type Phase } from './prompt';
import { askJson, breakerOf, limitReached, resolveProvider, settle, type Limits, type ProviderRef } from './ask';
import { redact, restore, restoreDeep, type KnownPerson, type NameMatcher, type RedactionKind } from './redaction';
import type { BerakhlakValue } from '../domain/vocabulary';
import type { AiAudit } from './audit';
import type { LimitReason } from './limits';
import { screenReflection, type SafetyResult } from './safety';

export type OfflineReason =
  | 'safety'
  | 'noProvider'
  | 'noConsent'
  | 'aiOff'
  | 'lensNotAllowed'
  | 'providerFailed'
  | 'invalidAnswer'
  | 'screened'
  | LimitReason;

export interface TurnInput {
  /** Where and who, for the provider, the limits and the audit: the platform's key, the course, the activity, the person's pseudonym. */
  platform: string;
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
  /** Lenses an admin turned off for everyone. */
  disabledLenses?: ReadonlySet<string>;
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
  /** Absent (or resolving to none): no provider (the offline engine answers every turn). */
  provider?: ProviderRef;
  limits?: Limits;
  audit?: AiAudit;
}

export class CoachEngine {
  constructor(private readonly deps: CoachEngineDeps) {}

  private offline(input: TurnInput, reason: OfflineReason, extra: Partial<OfflineTurn> = {}): OfflineTurn {
    const answer = offlineAnswer(
      {
        text: input.text,
        locale: input.locale,
        template: { id: input.activity.templateId, kind: input.activity.kind },
        phase: input.phase?.grow,
        value: input.value,
        asked: input.asked,
        // The lens's own move, unless the lens itself was refused.
        ...(reason === 'lensNotAllowed' ? {} : { lens: input.lensId }),
        ...(input.safety ? { safetyHits: input.safety.hits } : {}),
      },
      this.deps.bank,
    );
    return { engine: 'offline', reason, answer, calls: 0, ...extra };
  }

  /** A turn, recorded in the audit whichever engine answered. */
  async turn(input: TurnInput, listener?: TurnListener): Promise<TurnResult> {
    const result = await this.answer(input, listener);
    await settle(this.deps, {
      courseKey: input.courseKey,
      activityId: input.activityId,
      user: input.userKey,
      lensId: input.lensId,
      result,
      text: input.text,
    });
    return result;
  }

  private async answer(input: TurnInput, listener?: TurnListener): Promise<TurnResult> {
    // Before anything else, and whatever the engine: a person in danger gets care, not a lens.
    const safety = input.safety ?? screenReflection(input.text);
    // The offline engine reads the same screening rather than screening again.
    const result = await this.lensAnswer({ ...input, safety }, safety.hits.length ? safety : undefined, listener);
    return safety.hits.length ? { ...result, safety } : result;
  }

  private async lensAnswer(
    input: TurnInput,
    safety: SafetyResult | undefined,
    listener?: TurnListener,
  ): Promise<TurnResult> {
    if (safety?.stepBack) return this.offline(input, 'safety');
    const lens = this.deps.lenses.get(input.lensId);
    if (input.aiMode === 'off') return this.offline(input, 'aiOff');
    if (
      !lens ||
      input.disabledLenses?.has(lens.id) ||
      !this.deps.lenses.lensesFor(input.aiMode).some((l) => l.id === lens.id)
    )
      return this.offline(input, 'lensNotAllowed');
    const provider = await resolveProvider(this.deps.provider, input.platform);
    if (!provider) return this.offline(input, 'noProvider');
    if (!input.consented) return this.offline(input, 'noConsent');
    // The prompt is built before the limits: in half-open state the breaker lets one turn through,
    // which must then reach the provider and report.
    const redaction = redact(input.text, { names: input.names, self: input.self });
    const built = buildMessages({
      lens,
      activity: input.activity,
      phase: input.phase,
      value: input.value,
      promptText: input.promptText,
      text: redaction.text,
      locale: input.locale,
    });
    const limit = await limitReached(this.deps.limits, input, provider);
    if (limit) return this.offline(input, limit);
    const screenContext = { text: redaction.text, placeholders: Object.keys(redaction.map) };
    const leaves = new JsonLeafStream();
    const asked = await askJson(provider, breakerOf(this.deps.limits, provider), {
      messages: built.messages,
      maxTokens: built.maxTokens,
      temperature: built.temperature,
      parse: (raw) => this.deps.lenses.parse(lens.id, raw),
      // Each whole string, as it arrives: value codes are not prose, and a piece that fails
      // screening is never shown (the end result will say why).
      onDelta:
        listener &&
        ((delta) => {
          for (const leaf of leaves.push(delta)) {
            const key = leaf.path[leaf.path.length - 1];
            if (leaf.path[0] === 'values' && key === 'value') continue;
            if (screenOutput(key === 'evidence' ? { evidence: leaf.value } : [leaf.value], screenContext).length)
              continue;
            listener.piece({ path: pathText(leaf.path), text: restore(leaf.value, redaction.map) });
          }
        }),
      onRepair: listener && (() => listener.restart()),
    });
    const { usage, calls, latencyMs, model } = asked.stats;
    const extra = { redactions: redaction.counts, usage: { ...usage }, calls };
    if (asked.kind === 'failed')
      return this.offline(input, 'providerFailed', { ...extra, detail: `${asked.error.kind}: ${asked.error.reason}` });
    if (asked.kind === 'invalid')
      return this.offline(input, 'invalidAnswer', { ...extra, detail: asked.errors.slice(0, 3).join('; ') });
    const problems = screenOutput(asked.value, screenContext);
    if (problems.length)
      return this.offline(input, 'screened', {
        ...extra,
        detail: problems.map((p) => `${p.kind} ${p.path}`).join('; '),
      });
    return {
      engine: 'ai',
      lensId: lens.id,
      promptVersion: built.promptVersion,
      model,
      answer: restoreDeep(asked.value, redaction.map),
      usage,
      latencyMs,
      redactions: redaction.counts,
      calls,
    };
  }
}
