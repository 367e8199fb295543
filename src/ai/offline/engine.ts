/**
 * Cermin's offline coach: answers when no AI provider is configured, the provider fails, the
 * budget is spent or the participant has not consented to AI. Deterministic and pure (no I/O: the
 * bank and its lens moves are passed in). The reader (analyser.ts) finds the sentences, values,
 * tense, GROW phase and tensions. Asked through a lens, the answer is that lens's move: a lead that
 * quotes the writer's sentence behind the strongest tension (or, with none, a telling sentence of
 * the phase) and the move's questions, then the bank's about what the text lacks; never a question
 * on a topic the text already answers, nor one asked before in the session. Without a lens (the
 * coach's draft, the cohort view) it asks about the gaps, the most important for the phase first.
 *
 * Like the AI mirror it stands in for, it asks and never grades: no scores, no verdicts. It says
 * it is Cermin's own question list, not an AI.
 */
import type { BankQuestion, Gap, Phase, QuestionBank, QuestionGap } from './bank';
import type { LensMove, MoveSituation, MoveTopic } from './moves';
import { LENS_IDS } from '../lenses';
import { PHASES } from './bank';
import { analyse, type Analysis, type Sentence } from './analyser';

export { loadQuestionBank, QuestionBankError, DEFAULT_BANK_FILE } from './bank';
export type { QuestionBank, BankQuestion, BankValue, BankText, Gap, Phase, QuestionGap, CueKind } from './bank';
export { stem, stemPhrase, tokenize, contentStems } from './stemmer';
export type { Token } from './stemmer';
export { analyse, quotableOffsets } from './analyser';
export type { Analysis, ValueSeen, Sentence, Tension, TensionKind, Tense } from './analyser';

export interface OfflineInput {
  text: string;
  locale: 'id' | 'en';
  /** The activity's template: questions bound to a template (the habituasi journal's) are preferred there. */
  template: { id: string; kind: 'sections' | 'journal' };
  phase?: Phase;
  /** A BerAKHLAK value id, when the prompt is about one. */
  value?: string;
  /** Question ids already asked in this session. */
  asked: string[];
  /** The lens asked through: with the bank's lens moves, the answer is that lens's own move. */
  lens?: string;
  /** The safety screen's hits on this text, when the caller already screened it (else screened here). */
  safetyHits?: ReadonlyArray<{ start: number; end: number }>;
}

export interface OfflineAnswer {
  engine: 'offline';
  bankVersion: number;
  /**
   * What the reflection is missing, most important first. `detail`: for `action`, `none` or
   * `vague` (an intention with no concrete step); for `value`, the value id the prompt is about;
   * for `story` (too short to read yet, the only gap then), the word count.
   */
  gaps: Array<{ gap: string; detail?: string }>;
  valuesSeen: Array<{ value: string; evidence: string }>;
  /**
   * `gap`: the bank's gap, or for a lens move the situation it answers (a tension or a phase);
   * `topic`: what the question asks about (never one the text already answers).
   */
  questions: Array<{ id: string; text: string; gap: string; topic?: string }>;
  /** A lens move's one sentence: the lens's reading of one of the writer's sentences, quoted. */
  lead?: string;
  /** One warm sentence saying this is Cermin's offline question list, not an AI. */
  note: string;
}

/** FNV-1a: a stable number from the text, to vary wording between texts while staying deterministic. */
function hashOf(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

interface Context {
  phase?: Phase;
  templateId?: string;
  value?: string;
  hash: number;
}

function allowed(q: BankQuestion, ctx: Context, gap: QuestionGap): boolean {
  if (q.gap !== gap) return false;
  if (q.phases && !(ctx.phase && q.phases.includes(ctx.phase))) return false;
  if (q.templates && !(ctx.templateId && q.templates.includes(ctx.templateId))) return false;
  if (q.value && !(gap === 'value' && q.value === ctx.value)) return false;
  return true;
}

/** The most specific questions first: for the value asked about, then the phase, then the template. */
const specificity = (q: BankQuestion) => (q.value ? 4 : 0) + (q.phases ? 2 : 0) + (q.templates ? 1 : 0);

function pick(
  bank: QuestionBank,
  gap: QuestionGap,
  ctx: Context,
  excluded: Set<string>,
  slot: number,
): BankQuestion | undefined {
  const pool = bank.questions.filter((q) => !excluded.has(q.id) && allowed(q, ctx, gap));
  if (!pool.length) return undefined;
  const top = Math.max(...pool.map(specificity));
  const tier = pool.filter((q) => specificity(q) === top);
  return tier[(ctx.hash + slot) % tier.length];
}

/** Phase and value of a template prompt from its id: `rancangan-will` → will; `akuntabel-2` → akuntabel. */
export function promptContext(promptId: string, bank: QuestionBank): { phase?: Phase; value?: string } {
  const phase = PHASES.find((p) => promptId.endsWith(`-${p}`));
  const base = promptId.replace(/-\d+$/, '');
  const value = bank.values.find((v) => v.id === base)?.id;
  return { ...(phase ? { phase } : {}), ...(value ? { value } : {}) };
}

/** The name of a value in the wanted language (the id when the bank does not know it). */
export function valueName(bank: QuestionBank, id: string, locale: 'id' | 'en'): string {
  const v = bank.values.find((x) => x.id === id);
  return v ? v.name[locale] || v.name.id : id;
}

/**
 * Two or three questions about what the reflection is missing (one gentle question when it is
 * very short), the most important gap for the phase first, none of them in `asked`. When every
 * question of a gap was asked it moves to the next gap, then to general questions; only when the
 * whole bank has been asked does it reuse questions, oldest first.
 */
export function answer(input: OfflineInput, bank: QuestionBank): OfflineAnswer {
  const locale: 'id' | 'en' = input.locale === 'en' ? 'en' : 'id';
  const text = typeof input.text === 'string' ? input.text : '';
  const a = analyse(text, bank, {
    ...(PHASES.includes(input.phase as Phase) ? { phase: input.phase } : {}),
    ...(Array.isArray(input.safetyHits) ? { safetyHits: input.safetyHits } : {}),
  });
  const asked = Array.isArray(input.asked) ? input.asked.filter((x): x is string => typeof x === 'string') : [];
  const phase = PHASES.includes(input.phase as Phase) ? input.phase : undefined;
  const value = bank.values.some((v) => v.id === input.value) ? input.value : undefined;
  const ctx: Context = {
    phase,
    templateId: typeof input.template?.id === 'string' ? input.template.id : undefined,
    value,
    // Each lens starts at its own place in a tier of equally fitting questions.
    hash:
      hashOf(a.tokens.map((t) => t.lower).join(' ')) +
      Math.max(0, (LENS_IDS as readonly string[]).indexOf(input.lens ?? '')),
  };

  const gaps: Array<{ gap: string; detail?: string }> = [];
  const short = a.words < bank.shortTextWords;
  if (short) {
    gaps.push({ gap: 'story', detail: `${a.words} words` });
  } else {
    const missing = new Map<Gap, string | undefined>();
    if (!a.has.action) missing.set('action', a.actionVague ? 'vague' : 'none');
    if (!a.has.evidence) missing.set('evidence', undefined);
    if (value ? !a.values.some((v) => v.value === value) : !a.has.value) missing.set('value', value);
    if (!a.has.stakeholder) missing.set('stakeholder', undefined);
    if (!a.has.measure) missing.set('measure', undefined);
    if (!a.has.feeling) missing.set('feeling', undefined);
    if (!a.has.learning) missing.set('learning', undefined);
    let order = bank.priorities[phase ?? 'default'];
    if (value && missing.has('value')) order = ['value', ...order.filter((g) => g !== 'value')];
    for (const g of order) {
      if (!missing.has(g)) continue;
      const detail = missing.get(g);
      gaps.push(detail === undefined ? { gap: g } : { gap: g, detail });
    }
  }

  const moved = short ? undefined : lensMoveAnswer(input, bank, a, locale, asked);
  const movedQuestions = moved?.questions ?? [];
  if (movedQuestions.length >= 2)
    return {
      engine: 'offline',
      bankVersion: bank.version,
      gaps,
      valuesSeen: a.values.map(({ value: v, evidence }) => ({ value: v, evidence })),
      questions: movedQuestions,
      ...(moved?.lead ? { lead: moved.lead } : {}),
      note: bank.note[locale] || bank.note.id,
    };

  // Under a lens's lead (with one question of its own, or none left), the bank's questions make up
  // two: only about what the text does not already say, nor the lens's question asks.
  const movedTopics = new Set(movedQuestions.map((q) => q.topic));
  const asking = moved ? gaps.filter((g) => !answeredTopic(a, g.gap as MoveTopic) && !movedTopics.has(g.gap)) : gaps;
  const target = short ? 1 : moved ? 2 - movedQuestions.length : asking.length >= 3 ? 3 : 2;
  const excluded = new Set(asked);
  const chosen: BankQuestion[] = [];
  const take = (gap: QuestionGap) => {
    if (chosen.length >= target) return;
    const q = pick(bank, gap, ctx, excluded, chosen.length);
    if (q) {
      chosen.push(q);
      excluded.add(q.id);
    }
  };
  if (short) {
    take('story');
    take('general');
  } else {
    for (const g of asking) take(g.gap as Gap);
    while (chosen.length < target) {
      const before = chosen.length;
      take('general');
      if (chosen.length === before) break;
    }
    for (let round = 0; chosen.length < target && round < 3; round++) {
      const before = chosen.length;
      for (const g of asking) take(g.gap as Gap);
      if (chosen.length === before) break;
    }
  }
  if (!chosen.length && !movedQuestions.length) {
    // The whole bank has been asked in this session: reuse, oldest first, a question that fits.
    const fits = (q: BankQuestion) =>
      allowed(q, ctx, short ? 'story' : 'general') || gaps.some((g) => allowed(q, ctx, g.gap as QuestionGap));
    const byId = new Map(bank.questions.map((q) => [q.id, q]));
    const reused =
      asked.map((id) => byId.get(id)).find((q): q is BankQuestion => !!q && fits(q)) ??
      bank.questions.find((q) =>
        allowed(q, { ...ctx, phase: undefined, templateId: undefined, value: undefined }, 'general'),
      );
    if (reused) chosen.push(reused);
  }

  return {
    engine: 'offline',
    bankVersion: bank.version,
    gaps,
    valuesSeen: a.values.map(({ value: v, evidence }) => ({ value: v, evidence })),
    questions: [...movedQuestions, ...chosen.map((q) => ({ id: q.id, text: q.text[locale] || q.text.id, gap: q.gap }))],
    ...(moved?.lead ? { lead: moved.lead } : {}),
    note: bank.note[locale] || bank.note.id,
  };
}

// --- Lens moves ------------------------------------------------------------------------------------

/** Whether the text already answers a question about this topic (such a question is never asked). */
function answeredTopic(a: Analysis, topic: MoveTopic): boolean {
  const tension = (kind: string) => a.tensions.some((t) => t.kind === kind);
  switch (topic) {
    case 'story':
      return a.tense === 'past' && a.words >= 40;
    case 'action':
      // A step planned, or (in a story) one the writer took.
      return (a.has.action || a.cues.actionVerbs.length > 0) && !tension('feeling-without-action');
    case 'rule':
      return (a.says.ruleStated && !tension('rule-vs-shortcut')) || a.says.ruleKnown;
    case 'evidence':
      return a.has.evidence;
    case 'value':
      return a.has.value;
    case 'stakeholder':
      return a.has.stakeholder && !tension('unnamed-stakeholder');
    case 'measure':
      // A story told with its facts has shown how it turned out; a plan needs its own measure.
      return (a.has.measure || (a.tense === 'past' && a.has.evidence)) && !tension('missing-measure');
    case 'feeling':
      return a.has.feeling;
    case 'learning':
      return a.has.learning;
    case 'supervisor':
      return a.says.supervisorTold && !tension('acted-without-supervisor');
    case 'own-part':
      return a.says.ownPartSentence !== undefined;
    default:
      return false;
  }
}

/** Longer sentences are not quoted whole: the lead would drown the question. */
const MAX_QUOTED_WORDS = 40;

/**
 * A sentence short enough to quote: whole up to MAX_QUOTED_WORDS words, else that many words
 * around the cue that showed the tension (from a few words before it), cut ends marked "…".
 */
function aroundCue(sentence: string, cue: string | undefined): string {
  const words = sentence.split(/\s+/);
  if (words.length <= MAX_QUOTED_WORDS) return sentence;
  const first = cue?.toLowerCase().split(/\s+/)[0];
  const at = first ? words.findIndex((w) => w.toLowerCase().includes(first)) : -1;
  const from = Math.max(0, Math.min(at - 8, words.length - MAX_QUOTED_WORDS));
  const to = from + MAX_QUOTED_WORDS;
  return `${from > 0 ? '… ' : ''}${words.slice(from, to).join(' ')}${to < words.length ? ' …' : ''}`;
}

/** The sentence a phase or story move quotes: the first that speaks in the entry's tense and holds a value, a plan or a fact. */
function tellingSentence(a: Analysis): number | undefined {
  const usable = a.sentences
    .map((s, i) => ({ s, i }))
    .filter(
      ({ s }) => s && !s.flagged && s.text.split(/\s+/).length >= 5 && s.text.split(/\s+/).length <= MAX_QUOTED_WORDS,
    );
  if (!usable.length) return undefined;
  const evidence = a.values[0]?.evidence;
  const withValue = evidence ? usable.find(({ s }) => s.text.includes(evidence)) : undefined;
  const forward =
    a.tense === 'future'
      ? usable.find(({ s }) => /\b(akan|mau|ingin|rencana|target|besok)\b/i.test(s.text))
      : undefined;
  return (forward ?? withValue ?? usable[0]).i;
}

/** The other party the text names, for the other-view lens ("Kasi", "warga"); a neutral phrase when none. */
function otherParty(a: Analysis, locale: 'id' | 'en'): string {
  const named = a.cues.stakeholder.find((c) => !/^(saya|kami|kita)$/i.test(c));
  return named ?? (locale === 'en' ? 'the other party' : 'pihak lain');
}

/**
 * The lens's own answer: for the strongest tension (else the phase, else the story), the lens's
 * lead around the writer's sentence that shows it, then that move's question and the next
 * tension's, none the text answers and none asked before in the session. Undefined when the bank
 * has no moves for the lens or every fitting question was asked (the bank's questions follow then).
 */
function lensMoveAnswer(
  input: OfflineInput,
  bank: QuestionBank,
  a: Analysis,
  locale: 'id' | 'en',
  asked: readonly string[],
): Pick<OfflineAnswer, 'questions' | 'lead'> | undefined {
  const lens = typeof input.lens === 'string' ? input.lens : undefined;
  const moves = lens ? bank.moves?.moves.filter((m) => m.lens === lens) : undefined;
  if (!moves?.length) return undefined;
  const moveOf = (when: MoveSituation) => moves.find((m) => m.when === when);
  const phaseSituation: MoveSituation = a.phase ? `phase:${a.phase}` : 'story';
  const situations: Array<{ move: LensMove; sentence?: number; cue?: string }> = [];
  for (const t of a.tensions) {
    const move = moveOf(t.kind);
    if (move) situations.push({ move, sentence: t.sentence, cue: t.cue });
  }
  const phaseMove = moveOf(phaseSituation);
  if (phaseMove) situations.push({ move: phaseMove, sentence: tellingSentence(a) });

  const excluded = new Set(asked);
  const other = otherParty(a, locale);
  const fill = (text: string) => text.split('{other}').join(other);
  const freshOf = ({ move }: { move: LensMove }) =>
    move.questions
      .map((q, i) => ({ q, id: `${move.lens}:${move.when}:${i + 1}`, move }))
      .filter(({ q, id }) => !excluded.has(id) && !answeredTopic(a, q.topic));
  // The lead comes from the first situation with a question left and a sentence to quote.
  const first = situations.find((x) => {
    const quoted = x.sentence !== undefined ? a.sentences[x.sentence] : undefined;
    return quoted && !quoted.flagged && freshOf(x).length > 0;
  });
  const leadOf = (x: { move: LensMove; sentence?: number; cue?: string }) => {
    const whole = (a.sentences[x.sentence as number] as Sentence).text.trim().replace(/^["“]|["”]$/g, '');
    const text = aroundCue(whole, x.cue);
    // The template is filled before the quote goes in: the writer's own "{other}" stays as written.
    return fill(x.move.lead[locale] || x.move.lead.id)
      .split('{quote}')
      .join(`"${text}"`);
  };
  if (!first) {
    // Every move's question is answered or asked: the phase's lead still reads the writer back,
    // and the bank's questions about what is missing follow it.
    const phase = situations.find((x) => x.move.when === phaseSituation);
    const quoted = phase?.sentence !== undefined ? a.sentences[phase.sentence] : undefined;
    return phase && quoted && !quoted.flagged ? { lead: leadOf(phase), questions: [] } : undefined;
  }
  const lead = leadOf(first);
  // Its first question, then the next tension's first (a second tension is worth more than a
  // follow-up), else its own second.
  const picks = [freshOf(first)[0]];
  const next = situations.find((x) => x !== first && x.move.when !== phaseSituation && freshOf(x).length > 0);
  // Of the next situation, a question on another topic than the first's when it has one.
  const nextFresh = next ? freshOf(next) : [];
  const second = next ? (nextFresh.find((x) => x.q.topic !== picks[0].q.topic) ?? nextFresh[0]) : freshOf(first)[1];
  if (second) picks.push(second);
  const chosen = picks.map(({ q, id, move }) => ({
    id,
    text: fill(q.text[locale] || q.text.id),
    gap: move.when,
    topic: q.topic,
  }));
  return { lead, questions: chosen };
}
