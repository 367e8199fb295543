/**
 * Cermin's offline coach: answers when no AI provider is configured, the provider fails, the
 * budget is spent or the participant has not consented to AI. Deterministic and pure (no I/O: the
 * bank is passed in). It reads the reflection (Indonesian stemming, the BerAKHLAK lexicon, cue
 * lexicons), finds what is missing (a concrete action, evidence, a value, a stakeholder, a measure
 * of success, a feeling, a lesson) and asks two or three questions about it, the most important
 * gap for the GROW phase first, never one already asked in the session.
 *
 * Like the AI mirror it stands in for, it asks and never grades: no scores, no verdicts. It says
 * it is Cermin's own question list, not an AI, and it quotes the participant's words only as the
 * evidence of a value they already show.
 */
import type { BankQuestion, CueKind, Gap, Phase, QuestionBank, QuestionGap } from './bank';
import { CUE_KINDS, PHASES } from './bank';
import { tokenize, type Token } from './stemmer';

export { loadQuestionBank, QuestionBankError, DEFAULT_BANK_FILE } from './bank';
export type { QuestionBank, BankQuestion, BankValue, BankText, Gap, Phase, QuestionGap, CueKind } from './bank';
export { stem, stemPhrase, tokenize, contentStems } from './stemmer';
export type { Token } from './stemmer';

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
  questions: Array<{ id: string; text: string; gap: string }>;
  /** One warm sentence saying this is Cermin's offline question list, not an AI. */
  note: string;
}

export interface ValueSeen {
  value: string;
  /** The participant's own words around the signal, exactly as written (a slice of the text). */
  evidence: string;
  /** The signalling words as written. */
  terms: string[];
}

export interface Analysis {
  /** Words as written (numbers count; compounds count once). */
  words: number;
  tokens: Token[];
  /** Content roots: stopwords and numbers left out. */
  stems: string[];
  /** Numbers as written (25, 08.00, 12/3, 80%). */
  numbers: string[];
  has: {
    /** A sentence with an intent cue and an action verb or a time cue. */
    action: boolean;
    /** Any intent cue (akan, rencana, langkah…), concrete or not. */
    intent: boolean;
    evidence: boolean;
    stakeholder: boolean;
    measure: boolean;
    feeling: boolean;
    learning: boolean;
    /** Any BerAKHLAK value signalled. */
    value: boolean;
  };
  /** Intent without a concrete step ("saya akan lebih baik lagi"). */
  actionVague: boolean;
  /** For each cue list, the participant's words that matched it, in order. */
  cues: Record<CueKind, string[]>;
  values: ValueSeen[];
}

type Part = { kind: 'num' } | { kind: 'exact'; word: string } | { kind: 'stem'; stem: string; word: string };
interface Entry {
  group: string;
  parts: Part[];
}
interface Compiled {
  index: Map<string, Entry[]>;
}

const compiledBanks = new WeakMap<QuestionBank, Compiled>();

function compileEntry(source: string, group: string): Entry | undefined {
  const exact = source.startsWith('=');
  const body = exact ? source.slice(1) : source;
  const parts: Part[] = [];
  for (const piece of body.trim().split(/\s+/)) {
    if (piece === '#') {
      parts.push({ kind: 'num' });
      continue;
    }
    for (const t of tokenize(piece)) {
      parts.push(exact || t.number ? { kind: 'exact', word: t.lower } : { kind: 'stem', stem: t.stem, word: t.lower });
    }
  }
  return parts.length ? { group, parts } : undefined;
}

function keyOf(p: Part): string {
  return p.kind === 'num' ? 'n' : p.kind === 'exact' ? `w:${p.word}` : `s:${p.stem}`;
}

function compile(bank: QuestionBank): Compiled {
  const known = compiledBanks.get(bank);
  if (known) return known;
  const index = new Map<string, Entry[]>();
  const add = (source: string, group: string) => {
    const e = compileEntry(source, group);
    if (!e) return;
    const key = keyOf(e.parts[0]);
    const list = index.get(key) ?? [];
    list.push(e);
    index.set(key, list);
  };
  for (const kind of CUE_KINDS) for (const s of bank.cues[kind]) add(s, kind);
  for (const v of bank.values) for (const s of v.signals) add(s, `value:${v.id}`);
  const compiled = { index };
  compiledBanks.set(bank, compiled);
  return compiled;
}

function partMatches(p: Part, t: Token | undefined): boolean {
  if (!t) return false;
  if (p.kind === 'num') return t.number;
  if (p.kind === 'exact') return t.lower === p.word;
  return t.stem === p.stem || t.lower === p.word;
}

interface Hit {
  group: string;
  from: number;
  to: number;
  negated: boolean;
}

/** Words that deny what follows within two words: "tidak ramah", "belum ada target", "tanpa data". */
const NEGATORS = new Set([
  'tidak',
  'tak',
  'tdk',
  'belum',
  'bukan',
  'tanpa',
  'kurang',
  'jarang',
  'enggak',
  'nggak',
  'gak',
  'no',
  'not',
  'without',
]);
/** …unless they only limit it: "tidak hanya ramah", "bukan sekadar data". */
const LIMITERS = new Set(['hanya', 'sekadar', 'cuma', 'saja', 'only', 'just']);
/** Cue kinds a denial empties (a denied feeling, plan or lesson is still one). */
const DENIABLE = new Set(['evidence', 'measure']);

function negatedAt(tokens: Token[], i: number): boolean {
  for (let k = i - 1; k >= Math.max(0, i - 2); k--) {
    if (tokens[k].clause !== tokens[i].clause) return false;
    if (NEGATORS.has(tokens[k].lower) && !LIMITERS.has(tokens[k + 1]?.lower ?? '')) return true;
  }
  return false;
}

function findHits(tokens: Token[], compiled: Compiled): Hit[] {
  const hits: Hit[] = [];
  const seen = new Set<string>();
  tokens.forEach((t, i) => {
    const keys = [`s:${t.stem}`, `w:${t.lower}`];
    if (t.number) keys.push('n');
    const tried = new Set<Entry>();
    for (const key of keys) {
      for (const e of compiled.index.get(key) ?? []) {
        if (tried.has(e)) continue;
        tried.add(e);
        // A phrase lies within one clause: "target. Saya" is not "target saya".
        if (!e.parts.every((p, k) => partMatches(p, tokens[i + k]) && tokens[i + k].clause === t.clause)) continue;
        const id = `${e.group}|${i}|${e.parts.length}`;
        if (seen.has(id)) continue;
        seen.add(id);
        hits.push({ group: e.group, from: i, to: i + e.parts.length, negated: negatedAt(tokens, i) });
      }
    }
  });
  return hits;
}

/** The written words (compound parts merged back), for spans and word counts. */
interface Word {
  start: number;
  end: number;
  clause: number;
}

function writtenWords(tokens: Token[]): { words: Word[]; wordOf: number[] } {
  const words: Word[] = [];
  const wordOf: number[] = [];
  for (const t of tokens) {
    const last = words[words.length - 1];
    if (last && last.start === t.start) wordOf.push(words.length - 1);
    else {
      words.push({ start: t.start, end: t.end, clause: t.clause });
      wordOf.push(words.length - 1);
    }
  }
  return { words, wordOf };
}

const MIN_SPAN_WORDS = 4;
const MAX_SPAN_WORDS = 12;

/**
 * The participant's words around a value's signals: the clause with the most signals of that value
 * (the first such clause on a tie), from its first to its last signal, widened to a few words of
 * the same clause, one to the right then one to the left.
 */
function evidenceSpan(text: string, words: Word[], ranges: Array<[number, number]>): string {
  const perClause = new Map<number, Array<[number, number]>>();
  for (const r of ranges) {
    const c = words[r[0]].clause;
    perClause.set(c, [...(perClause.get(c) ?? []), r]);
  }
  let best: Array<[number, number]> = [];
  for (const list of perClause.values()) if (list.length > best.length) best = list;
  const clause = words[best[0][0]].clause;
  let from = best[0][0];
  let to = Math.max(...best.map(([, b]) => b));
  if (to - from + 1 > MAX_SPAN_WORDS) to = from + MAX_SPAN_WORDS - 1;
  for (let grew = true; grew && to - from + 1 < MIN_SPAN_WORDS;) {
    grew = false;
    if (to + 1 < words.length && words[to + 1].clause === clause) {
      to++;
      grew = true;
    }
    if (to - from + 1 < MIN_SPAN_WORDS && from > 0 && words[from - 1].clause === clause) {
      from--;
      grew = true;
    }
  }
  return text.slice(words[from].start, words[to].end);
}

/** Reads a reflection: tokens, roots, which gaps are filled, and the values it shows with the words that show them. */
export function analyse(text: string, bank: QuestionBank): Analysis {
  const source = typeof text === 'string' ? text : '';
  const tokens = tokenize(source);
  const { words, wordOf } = writtenWords(tokens);
  const hits = findHits(tokens, compile(bank));

  const cues = Object.fromEntries(CUE_KINDS.map((k) => [k, [] as string[]])) as Record<CueKind, string[]>;
  const sentencesWith = Object.fromEntries(CUE_KINDS.map((k) => [k, new Set<number>()])) as Record<
    CueKind,
    Set<number>
  >;
  const valueRanges = new Map<string, Array<[number, number]>>();
  const sorted = [...hits].sort((a, b) => a.from - b.from || b.to - a.to || a.group.localeCompare(b.group));
  for (const h of sorted) {
    if (h.negated && (h.group.startsWith('value:') || DENIABLE.has(h.group))) continue;
    const range: [number, number] = [wordOf[h.from], wordOf[h.to - 1]];
    const written = source.slice(words[range[0]].start, words[range[1]].end);
    if (h.group.startsWith('value:')) {
      const id = h.group.slice('value:'.length);
      const list = valueRanges.get(id) ?? [];
      list.push(range);
      valueRanges.set(id, list);
    } else {
      const kind = h.group as CueKind;
      if (!cues[kind].includes(written)) cues[kind].push(written);
      sentencesWith[kind].add(tokens[h.from].sentence);
    }
  }

  const numberTokens = tokens.filter((t) => t.number && !/\p{L}/u.test(t.lower));
  for (const t of numberTokens) sentencesWith.time.add(t.sentence);
  const intentSentences = [...sentencesWith.intent];
  const action = intentSentences.some((s) => sentencesWith.actionVerbs.has(s) || sentencesWith.time.has(s));

  const values: ValueSeen[] = [];
  for (const v of bank.values) {
    const ranges = valueRanges.get(v.id);
    if (!ranges?.length) continue;
    const terms = [...new Set(ranges.map(([a, b]) => source.slice(words[a].start, words[b].end)))];
    values.push({ value: v.id, evidence: evidenceSpan(source, words, ranges), terms });
  }

  return {
    words: words.length,
    tokens,
    stems: tokens.filter((t) => !t.stop && !t.number).map((t) => t.stem),
    numbers: numberTokens.map((t) => t.text),
    has: {
      action,
      intent: intentSentences.length > 0,
      evidence: numberTokens.length > 0 || cues.evidence.length > 0,
      stakeholder: cues.stakeholder.length > 0,
      measure: cues.measure.length > 0 || tokens.some((t) => t.percent),
      feeling: cues.feeling.length > 0,
      learning: cues.learning.length > 0,
      value: values.length > 0,
    },
    actionVague: intentSentences.length > 0 && !action,
    cues,
    values,
  };
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
  const a = analyse(text, bank);
  const asked = Array.isArray(input.asked) ? input.asked.filter((x): x is string => typeof x === 'string') : [];
  const phase = PHASES.includes(input.phase as Phase) ? input.phase : undefined;
  const value = bank.values.some((v) => v.id === input.value) ? input.value : undefined;
  const ctx: Context = {
    phase,
    templateId: typeof input.template?.id === 'string' ? input.template.id : undefined,
    value,
    hash: hashOf(a.tokens.map((t) => t.lower).join(' ')),
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

  const target = short ? 1 : gaps.length >= 3 ? 3 : 2;
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
    for (const g of gaps) take(g.gap as Gap);
    while (chosen.length < target) {
      const before = chosen.length;
      take('general');
      if (chosen.length === before) break;
    }
    for (let round = 0; chosen.length < target && round < 3; round++) {
      const before = chosen.length;
      for (const g of gaps) take(g.gap as Gap);
      if (chosen.length === before) break;
    }
  }
  if (!chosen.length) {
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
    questions: chosen.map((q) => ({ id: q.id, text: q.text[locale] || q.text.id, gap: q.gap })),
    note: bank.note[locale] || bank.note.id,
  };
}
