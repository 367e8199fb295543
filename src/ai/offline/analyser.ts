/**
 * The reflection reader shared by the offline coach, the recommendation reasons and the coach's
 * offline draft. Pure: the text and the question bank in, what a coach would notice out.
 *
 * - Words: Indonesian stemming (stemmer.ts); phrases are matched before single words; a negator up
 *   to two words before a signal denies it ("tidak ramah", "belum ada target"), but not when it only
 *   limits it ("tidak hanya ramah").
 * - Content words (`quotableOffsets`): what a reason may quote. Function words, fillers
 *   ("biasanya", "pokoknya"), vague verbs ("kenal", "bilang"), time expressions ("minggu depan",
 *   "di depan", "Rabu lalu") and numbers never are; nor is any word of a sentence that denies
 *   something or that the safety screen flagged ("saya tidak berguna" is not about "berguna").
 * - The BerAKHLAK values the writer's own actions show, each with the words that show it: the bank's
 *   signals, and its acts read where the writer is the doer ("saya jelaskan kepada pemohon"); never
 *   from quoted speech, a question, a plan, a denial or what another is asked to do.
 * - The gaps (action, evidence, stakeholder, measure, feeling, learning) the bank's cue lists fill.
 * - The entry's tense and GROW phase, from the prompt's phase (a Goal is written forward, a Reality
 *   in the present); without one, an entry tells what happened and has no phase, unless it plainly
 *   weighs choices (Options).
 * - Tensions a coach would take up, each with the writer's sentence that shows it, strongest
 *   first: a shortcut past the rule, acting without telling the supervisor, blame without one's own
 *   part, a feeling without a step, an outcome without a measure, "pihak terkait" instead of a name.
 *
 * The tension and options lexicons and the words that decide whose act it is are the reader's own
 * language knowledge and live here; the value signals and acts and the gap lexicons are the bank's,
 * which an author may extend.
 */
import type { CueKind, Phase, QuestionBank } from './bank';
import { CUE_KINDS } from './bank';
import { tokenize, type Token } from './stemmer';
import { screenReflection } from '../safety';

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
  sentences: Sentence[];
  tense: Tense;
  /** The GROW phase the entry is written in: the prompt's when it names one, Options for a text that weighs choices, else null. */
  phase: Phase | null;
  /** Strongest first; at most one of each kind. */
  tensions: Tension[];
  /** What the text already says about the matters the tensions turn on. */
  says: {
    /** The supervisor was told or asked: a sentence names them with telling and no denied telling. */
    supervisorTold: boolean;
    /** The first sentence where the writer names their own part ("kesalahan saya", "seharusnya saya"). */
    ownPartSentence?: number;
    /** A sentence names a rule or procedure without doubting, denying or bending it. */
    ruleStated: boolean;
    /** A sentence names the rule against what was done ("padahal aturannya…", "seharusnya sesuai SOP"). */
    ruleKnown: boolean;
  };
}

export type Tense = 'past' | 'present' | 'future';
export const TENSION_KINDS = [
  'rule-vs-shortcut',
  'acted-without-supervisor',
  'blame-without-own-part',
  'feeling-without-action',
  'missing-measure',
  'unnamed-stakeholder',
] as const;
export type TensionKind = (typeof TENSION_KINDS)[number];

export interface Tension {
  kind: TensionKind;
  /** Index into `sentences` of the sentence that shows it. */
  sentence: number;
  /** The words that showed it, as written. */
  cue: string;
}

export interface Sentence {
  start: number;
  end: number;
  /** As written, with its closing punctuation. */
  text: string;
  /** A negator stands in it (tidak, belum, bukan, tanpa…): its words are not a topic the writer claims. */
  negated: boolean;
  /** The safety screen found something in it. */
  flagged: boolean;
}

type Part =
  | { kind: 'num' }
  // `written`: for an entry with a hyphen, the whole word as written, so "=siapa-siapa" is the
  // reduplication and not any "siapa" (without one, "=nik" still finds "NIK-nya").
  | { kind: 'exact'; word: string; written?: string }
  | { kind: 'stem'; stem: string; word: string };
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
      parts.push(
        exact || t.number
          ? { kind: 'exact', word: t.lower, ...(piece.includes('-') ? { written: t.text.toLowerCase() } : {}) }
          : { kind: 'stem', stem: t.stem, word: t.lower },
      );
    }
  }
  return parts.length ? { group, parts } : undefined;
}

function keyOf(p: Part): string {
  return p.kind === 'num' ? 'n' : p.kind === 'exact' ? `w:${p.word}` : `s:${p.stem}`;
}

/** An index of lexicon entries by their first part, for matching at each token. */
function compileLexicon(groups: Iterable<[group: string, entries: readonly string[]]>): Compiled {
  const index = new Map<string, Entry[]>();
  for (const [group, entries] of groups) {
    for (const source of entries) {
      const e = compileEntry(source, group);
      if (!e) continue;
      const key = keyOf(e.parts[0]);
      const list = index.get(key) ?? [];
      list.push(e);
      index.set(key, list);
    }
  }
  return { index };
}

/** The bank's acts compiled: for each verb (by root or exact word), the values it shows and the words one of which must share its sentence. */
interface CompiledAct {
  value: string;
  verb: Part;
  with?: Compiled;
}
const compiledActs = new WeakMap<QuestionBank, Map<string, CompiledAct[]>>();

function compileActs(bank: QuestionBank): Map<string, CompiledAct[]> {
  const known = compiledActs.get(bank);
  if (known) return known;
  const index = new Map<string, CompiledAct[]>();
  for (const v of bank.values)
    for (const act of v.acts ?? []) {
      const withWords = act.with?.length ? compileLexicon([['with', act.with]]) : undefined;
      for (const source of act.verbs) {
        const verb = compileEntry(source, 'verb')?.parts[0];
        if (!verb) continue;
        const key = keyOf(verb);
        index.set(key, [...(index.get(key) ?? []), { value: v.id, verb, ...(withWords ? { with: withWords } : {}) }]);
      }
    }
  compiledActs.set(bank, index);
  return index;
}

function compile(bank: QuestionBank): Compiled {
  const known = compiledBanks.get(bank);
  if (known) return known;
  const compiled = compileLexicon([
    ...CUE_KINDS.map((k): [string, readonly string[]] => [k, bank.cues[k]]),
    ...bank.values.map((v): [string, readonly string[]] => [`value:${v.id}`, v.signals]),
  ]);
  compiledBanks.set(bank, compiled);
  return compiled;
}
function partMatches(p: Part, t: Token | undefined): boolean {
  if (!t) return false;
  if (p.kind === 'num') return t.number;
  if (p.kind === 'exact') return t.lower === p.word && (p.written === undefined || t.text.toLowerCase() === p.written);
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
    const list = perClause.get(c);
    if (list) list.push(r);
    else perClause.set(c, [r]);
  }
  let best: Array<[number, number]> = [];
  for (const list of perClause.values()) if (list.length > best.length) best = list;
  const clause = words[best[0][0]].clause;
  let from = best[0][0];
  let to = best.reduce((most, [, b]) => Math.max(most, b), best[0][1]);
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

/** Asking another to act: what follows the one asked is their act ("minta beliau mengajari saya"). */
const REQUESTS = new Set([
  'minta',
  'meminta',
  'mengajak',
  'ajak',
  'menyuruh',
  'suruh',
  'memohon',
  'ask',
  'asked',
  'invite',
  'invited',
]);
/** …unless what follows is the writer or the request's own object ("minta tolong", "minta izin"). */
const NOT_ANOTHER = new Set([
  'saya',
  'aku',
  'kami',
  'kita',
  'tolong',
  'bantuan',
  'izin',
  'maaf',
  'arahan',
  'masukan',
  'me',
  'us',
  'for',
]);
/** A plan or a need is not yet an act: "akan saya catat", "besok saya laporkan", "perlu saya latih". */
const PLANS = new Set([
  'akan',
  'mau',
  'ingin',
  'nanti',
  'besok',
  'lusa',
  'depan',
  'rencana',
  'berencana',
  'perlu',
  'harus',
  'will',
  'plan',
  'going',
  'should',
]);
/** A likeness, not an act: "rasanya seperti minta tolong". */
const LIKENESS = new Set(['seperti', 'bagaikan', 'ibarat', 'kayak', 'like']);
/**
 * Modals that carry a denial over the act after them: "tidak bisa saya bantu", "belum pernah saya
 * ajak". (perlu, harus, mau and ingin need no denial: they are plans, read by PLANS.)
 */
const MODALS = new Set(['pernah', 'sempat', 'bisa', 'boleh']);

/** Words that make a sentence ending in "ya" a question to oneself ("itu tanggung jawab siapa ya"). */
const ASKING = new Set(['siapa', 'apa', 'apakah', 'bagaimana', 'kenapa', 'mengapa', 'boleh', 'benar', 'bener']);

/** Sentences that ask rather than tell: a question mark (before any closing marks), or "…siapa ya." */
function questionSentences(tokens: Token[], sentences: Sentence[]): Set<number> {
  const out = new Set<number>();
  const asking = new Set(tokens.filter((t) => ASKING.has(t.lower)).map((t) => t.sentence));
  tokens.forEach((t, i) => {
    if (tokens[i + 1]?.sentence === t.sentence) return;
    const marked = /\?[\s"'”’)\]!.…]*$/.test(sentences[t.sentence]?.text ?? '');
    if (marked || (t.lower === 'ya' && asking.has(t.sentence))) out.add(t.sentence);
  });
  return out;
}

/**
 * Which tokens stand inside quotation marks: words the writer reports someone else saying ('bantu'
 * absen). Double quotes may hold apostrophes (Jum'at) and run long; single quotes are short and
 * open and close outside a word, so "Jum'at" or "teachers' room" opens none.
 */
function quotedTokens(source: string, tokens: Token[]): boolean[] {
  const ranges: Array<[number, number]> = [];
  const quote = /["“][^"”]{1,3000}?["”]|(?<![\p{L}\p{N}])['‘][^'’"“”\n]{1,300}?['’](?![\p{L}\p{N}])/gu;
  for (let m = quote.exec(source); m; m = quote.exec(source)) ranges.push([m.index, m.index + m[0].length]);
  let r = 0;
  return tokens.map((t) => {
    while (r < ranges.length && ranges[r][1] <= t.start) r++;
    return r < ranges.length && ranges[r][0] <= t.start && t.end <= ranges[r][1];
  });
}

/**
 * Whether the plan word at k belongs to a relative clause about someone named before it: "Nenek
 * yang ingin mengurus KTP saya bantu" (the wish is the grandmother's, the help is done), not "Yang
 * masih perlu saya latih…" (no one before "yang": the need is the writer's).
 */
function othersWish(tokens: Token[], k: number): boolean {
  const y = tokens[k - 1]?.lower === 'yang' ? k - 1 : tokens[k - 2]?.lower === 'yang' ? k - 2 : -1;
  return y > 0 && tokens[y - 1].clause === tokens[k].clause;
}

/**
 * Whether a value signal is the writer's own act and not someone else's, a likeness, a question or a
 * denial that reaches past a modal. The labels judge what the writer did; these are the cases where
 * the words of an act stand in a sentence without the writer having done it.
 */
function writersAct(
  tokens: Token[],
  questions: ReadonlySet<number>,
  quoted: boolean[],
  from: number,
  to: number,
): boolean {
  const first = tokens[from];
  for (let k = from; k < to; k++) if (quoted[k]) return false;
  if (questions.has(first.sentence)) return false;
  if (LIKENESS.has(tokens[from - 1]?.lower ?? '') && tokens[from - 1].clause === first.clause) return false;
  // The words that govern an act stand close before it; a bound keeps long clauses linear.
  for (let k = from - 1; k >= Math.max(0, from - 12) && tokens[k].clause === first.clause; k--) {
    const t = tokens[k];
    const asksAnother = REQUESTS.has(t.lower) && k + 1 < from && !NOT_ANOTHER.has(tokens[k + 1].lower);
    if (asksAnother) return false;
    if (NEGATORS.has(t.lower) && MODALS.has(tokens[k + 1]?.lower ?? '') && from - k <= 5) return false;
    if (PLANS.has(t.lower) && !othersWish(tokens, k)) return false;
  }
  return true;
}

/** The writer as the doer: "saya catat", "kami datangi". */
const AGENTS = new Set(['saya', 'kami', 'aku', 'i', 'we']);
/** …unless a person stands before it: "rekan saya menjelaskan" is the colleague acting. */
const OWNED = new Set(
  `rekan teman atasan kepala ibu bapak anak istri suami keluarga senior junior mentor kasi kabid pimpinan
  staf tim kolega adik kakak tetangga murid siswa guru dosen pembimbing sahabat pasangan orang`.split(/\s+/),
);
/** Words that may stand between the doer and the act: "saya sudah langsung mencatat", "saya yang mengantar". */
const BETWEEN = new Set(
  `sudah telah langsung lalu juga tetap sempat pun sendiri segera akhirnya kemudian lagi hanya cuma terus
  memang selalu sering yang coba mencoba berusaha mulai baru dulu pelan-pelan also then just`.split(/\s+/),
);
const MAX_BETWEEN = 3;

/** Whether the clause around a token tells rather than plans or denies (no akan, besok, tidak… in it). */
function clauseTells(tokens: Token[], i: number): boolean {
  const clause = tokens[i].clause;
  for (let k = i; k >= 0 && k > i - 12 && tokens[k].clause === clause; k--)
    if (PLANS.has(tokens[k].lower) || NEGATORS.has(tokens[k].lower)) return false;
  for (let k = i + 1; k < tokens.length && k < i + 12 && tokens[k].clause === clause; k++)
    if (PLANS.has(tokens[k].lower) || NEGATORS.has(tokens[k].lower)) return false;
  return true;
}

/**
 * The writer's acts: a verb right after the writer ("saya jelaskan", "saya sudah mencatat") or
 * opening a later clause of a sentence the writer acts in ("…, lalu saya catat", "saya bawa
 * alatnya, bantu nenek duduk"), read against the bank's acts. Each is [from, to) in tokens, with
 * the value it shows.
 */
function findActs(
  tokens: Token[],
  acts: Map<string, CompiledAct[]>,
): Array<{ value: string; from: number; to: number }> {
  const out: Array<{ value: string; from: number; to: number }> = [];
  if (!acts.size) return out;
  // For the acts that need a word beside them: the sentences holding one of each list's words,
  // found once per list (one pass over the text, however many times the writer acts).
  const sentencesHolding = new Map<Compiled, Set<number>>();
  const hasWith = (sentence: number, w: Compiled): boolean => {
    let found = sentencesHolding.get(w);
    if (!found) {
      found = new Set(findHits(tokens, w).map((h) => tokens[h.from].sentence));
      sentencesHolding.set(w, found);
    }
    return found.has(sentence);
  };
  let writerActsIn = -1;
  tokens.forEach((t, i) => {
    const owned = i > 0 && tokens[i - 1].clause === t.clause && OWNED.has(tokens[i - 1].lower);
    const agent = AGENTS.has(t.lower) && !owned;
    const clauseStart = i > 0 && tokens[i - 1].clause !== t.clause && writerActsIn === t.sentence;
    if (!agent && !clauseStart) return;
    let v = agent ? i + 1 : i;
    for (
      let skipped = 0;
      skipped < MAX_BETWEEN && BETWEEN.has(tokens[v]?.lower ?? '') && tokens[v].clause === t.clause;
      skipped++
    )
      v++;
    const verb = tokens[v];
    if (!verb || verb.sentence !== t.sentence) return;
    const found = [...(acts.get(`s:${verb.stem}`) ?? []), ...(acts.get(`w:${verb.lower}`) ?? [])].filter(
      (a) => partMatches(a.verb, verb) && (!a.with || hasWith(verb.sentence, a.with)),
    );
    // A later clause acts for the writer only where the writer's own clause tells an act done:
    // "besok saya akan membuat…, lalu mencatat…" plans both.
    if (agent) writerActsIn = clauseTells(tokens, i) ? t.sentence : -1;
    for (const value of new Set(found.map((a) => a.value))) out.push({ value, from: agent ? i : v, to: v + 1 });
  });
  return out;
}

/** Whether the words are the value's own name or a form of it (akuntabilitas, kolaborasi, adaptasi). */
function namesValue(written: string, v: QuestionBank['values'][number]): boolean {
  const prefixes = [v.name.id, v.name.en]
    .flatMap((n) => tokenize(n))
    .filter((t) => !t.stop)
    .map((t) => t.lower.slice(0, 5));
  // By the written form: "pelayanan" is the name's noun, "melayani" an act.
  const own = tokenize(written).filter((t) => !t.stop);
  return own.length > 0 && own.every((t) => prefixes.some((p) => t.lower.startsWith(p)));
}

/** Reads a reflection: tokens, roots, which gaps are filled, and the values it shows with the words that show them. */
export function analyse(
  text: string,
  bank: QuestionBank,
  context: {
    phase?: Phase;
    /** The safety screen's hits on this same text, when the caller already screened it. */
    safetyHits?: ReadonlyArray<{ start: number; end: number }>;
  } = {},
): Analysis {
  const source = typeof text === 'string' ? text : '';
  const tokens = tokenize(source);
  const sentences = sentencesOf(source, tokens, context.safetyHits);
  const { words, wordOf } = writtenWords(tokens);
  const hits = findHits(tokens, compile(bank));
  const quoted = quotedTokens(source, tokens);
  const questions = questionSentences(tokens, sentences);

  const cues = Object.fromEntries(CUE_KINDS.map((k) => [k, [] as string[]])) as Record<CueKind, string[]>;
  const sentencesWith = Object.fromEntries(CUE_KINDS.map((k) => [k, new Set<number>()])) as Record<
    CueKind,
    Set<number>
  >;
  const valueRanges = new Map<string, Array<[number, number]>>();
  const sorted = [...hits].sort((a, b) => a.from - b.from || b.to - a.to || a.group.localeCompare(b.group));
  for (const h of sorted) {
    if (h.negated && (h.group.startsWith('value:') || DENIABLE.has(h.group))) continue;
    // A sentence the safety screen flagged is never quoted back as a value shown.
    if (h.group.startsWith('value:') && sentences[tokens[h.from].sentence]?.flagged) continue;
    if (h.group.startsWith('value:') && !writersAct(tokens, questions, quoted, h.from, h.to)) continue;
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

  // An act whose verb a signal of the same value already covers adds nothing ("saya mendampingi"
  // is the signal "mendampingi" read twice): counted once, it does not outweigh another clause.
  const covered = new Set<string>();
  for (const [value, ranges] of valueRanges)
    for (const [a, b] of ranges) for (let w = a; w <= b; w++) covered.add(`${value}|${w}`);
  for (const act of findActs(tokens, compileActs(bank))) {
    const verb = act.to - 1;
    if (covered.has(`${act.value}|${wordOf[verb]}`)) continue;
    if (negatedAt(tokens, verb) || sentences[tokens[verb].sentence]?.flagged) continue;
    if (!writersAct(tokens, questions, quoted, verb, act.to)) continue;
    const list = valueRanges.get(act.value) ?? [];
    list.push([wordOf[act.from], wordOf[verb]]);
    valueRanges.set(act.value, list);
  }

  const numberTokens = tokens.filter((t) => t.number && !/\p{L}/u.test(t.lower));
  for (const t of numberTokens) sentencesWith.time.add(t.sentence);
  const intentSentences = [...sentencesWith.intent];
  const action = intentSentences.some((s) => sentencesWith.actionVerbs.has(s) || sentencesWith.time.has(s));

  const shape = readShape(
    source,
    tokens,
    sentences,
    action || cues.actionVerbs.length > 0,
    action,
    // A measure that can be checked: a figure beside a measure word, a percentage, or a target
    // or indicator named ("lebih cepat" alone is the hope, not its measure).
    tokens.some((t) => t.percent) ||
      cues.measure.some((c) => /target|indikator|ukur|persen/i.test(c)) ||
      numberTokens.some((t) => sentencesWith.measure.has(t.sentence)),
    context.phase,
    quoted,
  );

  const values: ValueSeen[] = [];
  for (const v of bank.values) {
    const ranges = valueRanges.get(v.id);
    if (!ranges?.length) continue;
    // Naming a value ("nilai Akuntabel saya wujudkan…") is not showing it: a name counts only
    // beside a signal of what the writer did.
    if (ranges.every(([a, b]) => namesValue(source.slice(words[a].start, words[b].end), v))) continue;
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
    sentences,
    ...shape,
  };
}

// --- Sentences, tense, phase and tensions --------------------------------------------------------

const words = (s: string) => s.split(/\s+/).filter(Boolean);

/** Words that weigh choices: two of them make a text without a prompt phase an Options. */
const OPTIONS_LEXICON: ReadonlyArray<[string, readonly string[]]> = [
  [
    'options',
    ['=pilihan', '=alternatif', '=opsi', 'cara lain', '=kemungkinan', 'ada dua cara', 'ada tiga cara', '=atau'],
  ],
];

/**
 * The tensions' cue phrases. A cue is read in its sentence; `supervisor` and `deny-tell` together
 * make acting without the supervisor, `shortcut` or a rule in doubt a shortcut past the rule.
 */
const TENSION_LEXICON: ReadonlyArray<[string, readonly string[]]> = [
  [
    'shortcut',
    [
      'jalan pintas',
      'orang dalam',
      'terima saja',
      'diterima saja',
      'isi saja',
      'bulatkan saja',
      '=tidak ketahuan',
      'ada yang periksa',
      'biasanya juga begitu',
      'yang begini',
      'tanda tangan scan',
      'tidak mencatat',
      'tidak dicatat',
      'di luar prosedur',
      'tidak sesuai prosedur',
      'tidak sesuai aturan',
      '=melanggar',
      '=mengakali',
      '=menyalahi',
      'tanpa dites',
      'tanpa diuji',
      'tanpa dicek',
      'tanpa diperiksa',
      'tanpa remedial',
      'katrol nilai',
      '=dengan akunnya',
      '=pakai akunnya',
      'akun orang lain',
    ],
  ],
  // Harmless alone ("teman saya yang senior", "grup WA kelurahan", "data pribadi warga aman"): a
  // shortcut only two together, or data with a verb that sends it.
  [
    'shortcut-weak',
    [
      'teman saya yang',
      'teman sma',
      'teman lama',
      '=kenalan',
      '=titip',
      'berikan saja',
      'bacakan saja',
      'masukkan saja',
      'tanda tangani saja',
      '=menyusul',
      'tanpa antre',
      'isi pakai',
      'minggu sebelumnya',
      'tangkapan layar',
      'grup wa',
    ],
  ],
  [
    'personal-data',
    ['nip dan tanggal lahir', 'data pribadi', '=nik', 'nomor hp', 'catatan penyakit', 'tangkapan layar'],
  ],
  [
    'send',
    ['=kirim', '=mengirim', '=dikirim', '=bagikan', '=membagikan', '=sebar', '=menyebarkan', '=unggah', '=share'],
  ],
  ['rule', ['=aturan', '=aturannya', '=prosedur', '=prosedurnya', '=sop', '=ketentuan', 'jalur resmi', '=regulasi']],
  ['doubt', ['tidak yakin', 'belum yakin', '=ragu', '=entah']],
  ['rule-known', ['=padahal', '=seharusnya', '=harusnya', '=mestinya', '=wajib']],
  [
    'supervisor',
    words(
      `=atasan =kasi =kabid =kasubag =kasubbag =kepala =pimpinan =mentor =pembimbing =sekdin =kadis =camat =lurah =kapus =karu =korwil`,
    ),
  ],
  // Told to no one, the supervisor included ("belum saya ceritakan ke siapa pun"); never a telling.
  ['anyone', ['siapa pun', '=siapapun', '=siapa-siapa']],
  [
    'deny-tell',
    [
      'belum cerita',
      'belum bercerita',
      'belum bilang',
      'tidak bilang',
      'belum saya sampaikan',
      'belum menyampaikan',
      'belum lapor',
      'belum melapor',
      'belum melaporkan',
      'tidak melapor',
      'belum membicarakan',
      'belum membicarakannya',
      'tanpa tanya',
      'tanpa bertanya',
      'tanpa izin',
      'tanpa sepengetahuan',
      'belum izin',
      'belum konsultasi',
      'belum saya ceritakan',
      'belum saya laporkan',
      'belum saya bilang',
      'belum saya beri tahu',
      'tanpa bilang',
      'tanpa memberi tahu',
      'tanpa memberitahu',
      'tanpa lapor',
      'tanpa melapor',
      'tidak saya teruskan',
      'belum saya teruskan',
      'tidak saya ganggu',
      'tidak saya kabari',
      'belum saya kabari',
      'tanpa mengabari',
      'nanti saja saya ceritakan',
      'nanti saja saya laporkan',
      'nanti saja saya sampaikan',
    ],
  ],
  [
    'tell',
    words(`lapor cerita bilang sampaikan konsultasi izin tanya diskusi bicara =minta_arahan`).map((w) =>
      w.replace(/_/g, ' '),
    ),
  ],
  // "Kabid belum tahu": only with the supervisor before it ("saya tidak tahu harus mulai dari mana" is no one's).
  ['not-know', ['belum tahu', 'tidak tahu']],
  [
    'blame',
    [
      '=gaptek',
      'salah jaringan',
      'tidak mau belajar',
      'mau disiplin',
      'lambat membalas',
      'bukan salah saya',
      'salah operator',
      'gara-gara',
      'salah mereka',
      'tidak becus',
      'susah diajak',
      'tidak mau repot',
      'bukan saya yang',
      'lebih karena',
      'di luar jangkauan',
      'di luar kendali',
      'susah diatur',
      'tidak ada yang salah dari saya',
      'tidak merasa ada yang salah',
    ],
  ],
  [
    'own-part',
    [
      'kesalahan saya',
      'salah saya',
      'saya juga salah',
      'bagian saya',
      'seharusnya saya',
      'saya kurang',
      'saya lupa',
      'saya lalai',
      'andil saya',
      'saya akui',
    ],
  ],
  [
    'feeling',
    [
      '=sedih',
      '=kesal',
      '=takut',
      '=sungkan',
      'tidak enak',
      'nggak enak',
      'gak enak',
      '=bingung',
      '=kecewa',
      '=malu',
      '=cemas',
      '=khawatir',
      'tidak tahu mau mulai',
      'diam saja',
      'cuma diam',
      '=menghindar',
      '=percuma',
      'tidak berguna',
      '=stres',
      '=lelah',
      '=capek',
      '=menyesal',
      'belum berani',
      'tidak berani',
      '=mengganjal',
    ],
  ],
  // A feeling that stays ("masih saya simpan sendiri", "sampai malam ini masih terbayang") is one
  // without a step about it, whatever else the entry plans.
  [
    'lingers',
    [
      'masih saya simpan',
      'sampai sekarang',
      'sampai malam ini',
      'masih terbayang',
      'kepikiran terus',
      'cuma bisa bertahan',
    ],
  ],
  [
    'vague-outcome',
    [
      'lebih lancar',
      'lebih cepat',
      'lebih bagus',
      'lebih puas',
      '=pokoknya',
      '=intinya',
      'sebanyak mungkin',
      '=harapannya',
      'kelihatan paham',
      '=saya rasa',
      'saya yakin',
      'sudah paham',
      'mulai berkurang',
      'jauh lebih',
      '=berhasil',
      '=bermanfaat',
      'jadi lebih',
    ],
  ],
  [
    'unnamed',
    [
      'pihak terkait',
      'pihak lain',
      // A party named by its side only: "pihak sekolah", "pihak-pihak terkait" (a coach asks who);
      // exact, for "memihak", "sepihak" are no party.
      '=pihak',
      'beberapa pihak',
      'berbagai pihak',
      'semua pihak',
      'instansi terkait',
      'instansi lain',
      'beberapa instansi',
      '=kalangan',
      'opd lain',
      'pihak desa',
      'pemangku kepentingan',
      '=stakeholder',
      'yang berwenang',
    ],
  ],
];

/** Cue groups that speak for the writer: in someone else's quoted words they are not the writer's. */
const WRITERS_OWN = new Set(['blame', 'own-part', 'feeling', 'lingers', 'vague-outcome']);
const SIDES = new Set(['kedua', 'dua', 'satu', 'belah', 'masing', 'para', 'both']);

const shapeLexicon = compileLexicon([...OPTIONS_LEXICON, ...TENSION_LEXICON]);

function sentencesOf(
  source: string,
  tokens: Token[],
  safetyHits: ReadonlyArray<{ start: number; end: number }> = screenReflection(source).hits,
): Sentence[] {
  const spans: Array<{ start: number; end: number; negated: boolean }> = [];
  tokens.forEach((t, i) => {
    const s = (spans[t.sentence] ??= { start: t.start, end: t.end, negated: false });
    s.end = t.end;
    const next = tokens[i + 1];
    const limited = next?.sentence === t.sentence && LIMITERS.has(next.lower);
    if (NEGATORS.has(t.lower) && !limited) s.negated = true;
  });
  // Each safety hit marks the sentences of the tokens it covers (one walk over both, in order).
  const hits = [...safetyHits].sort((a, b) => a.start - b.start);
  const flagged = new Set<number>();
  let h = 0;
  for (const t of tokens) {
    while (h < hits.length && hits[h].end <= t.start) h++;
    if (h < hits.length && hits[h].start < t.end) flagged.add(t.sentence);
  }
  // Closing punctuation and quotes belong to the sentence (read in place: no copy of the rest).
  const tail = /[.!?…"'”’)]*/y;
  const out: Sentence[] = [];
  spans.forEach((span, index) => {
    if (!span) return;
    tail.lastIndex = span.end;
    const end = span.end + (tail.exec(source)?.[0].length ?? 0);
    out[index] = {
      start: span.start,
      end,
      text: source.slice(span.start, end),
      negated: span.negated,
      flagged: flagged.has(index),
    };
  });
  return out;
}

function readShape(
  source: string,
  tokens: Token[],
  sentences: Sentence[],
  /** A step planned or taken. */
  hasAction: boolean,
  /** A step planned (an intent with a verb or a time). */
  hasPlan: boolean,
  hasMeasure: boolean,
  promptPhase: Phase | undefined,
  /** Tokens inside quotation marks: another's blame, feeling or hope is not the writer's. */
  quoted: boolean[],
): Pick<Analysis, 'tense' | 'phase' | 'tensions' | 'says'> {
  const hits = findHits(tokens, shapeLexicon);
  const bySentence = new Map<number, Map<string, string>>();
  const weakShortcuts = new Map<number, number>();
  const supervisorFirst = new Map<number, number>();
  const count = new Map<string, number>();
  for (const h of hits) {
    // "bukan salah saya" is no own part, "tidak lambat" no blame, "tidak ada pilihan lain" no choice.
    if (h.negated) continue;
    if (quoted[h.from] && WRITERS_OWN.has(h.group)) continue;
    // "kedua pihak", "salah satu pihak": the sides of a dispute, not a party left unnamed.
    const before = tokens[h.from - 1];
    if (h.group === 'unnamed' && before?.sentence === tokens[h.from].sentence && SIDES.has(before.lower)) continue;
    const at = tokens[h.from].sentence;
    const groups = bySentence.get(at) ?? new Map<string, string>();
    const written = source.slice(tokens[h.from].start, tokens[h.to - 1].end);
    if (!groups.has(h.group)) groups.set(h.group, written);
    if (h.group === 'shortcut-weak') weakShortcuts.set(at, (weakShortcuts.get(at) ?? 0) + 1);
    if (h.group === 'supervisor' && !supervisorFirst.has(at)) supervisorFirst.set(at, h.from);
    if (h.group === 'not-know' && (supervisorFirst.get(at) ?? Infinity) < h.from) groups.set('deny-tell', written);
    bySentence.set(at, groups);
    count.set(h.group, (count.get(h.group) ?? 0) + 1);
  }
  // The prompt's phase sets the tense it is answered in: a Goal or a Will looks forward, a Reality
  // or Options describe now. A free prompt is answered with what happened: counting tense markers
  // read worse than that on both the tuned and the held-out texts (bench coaching-eval), since a
  // story that ends "selanjutnya saya mau…" is still a story.
  const tense: Tense = promptPhase ? (promptPhase === 'goal' || promptPhase === 'will' ? 'future' : 'present') : 'past';
  let phase: Phase | null = promptPhase ?? null;
  // Without the prompt's word, only a text that plainly weighs choices has a phase.
  if (!promptPhase && (count.get('options') ?? 0) >= 2) phase = 'options';

  const found = new Map<TensionKind, Tension>();
  const note = (kind: TensionKind, sentence: number, cue: string) => {
    if (!found.has(kind)) found.set(kind, { kind, sentence, cue });
  };
  const sorted = [...bySentence.entries()].sort((a, b) => a[0] - b[0]);
  const ownPartAt = sorted.find(([, g]) => g.has('own-part'));
  const supervisorTold = sorted.some(([, g]) => g.has('supervisor') && g.has('tell') && !g.has('deny-tell'));
  // A doubt about the rule names the tension; the shortcut's own sentence shows it (the doubt's when none does).
  const ruleDoubt = sorted.find(([, g]) => g.has('rule') && g.has('doubt'));
  const shortcut = sorted.find(
    ([at, g]) => g.has('shortcut') || (weakShortcuts.get(at) ?? 0) >= 2 || (g.has('personal-data') && g.has('send')),
  );
  if (shortcut) {
    const g = shortcut[1];
    note(
      'rule-vs-shortcut',
      shortcut[0],
      (g.get('shortcut') ?? g.get('shortcut-weak') ?? g.get('personal-data')) as string,
    );
  } else if (ruleDoubt) note('rule-vs-shortcut', ruleDoubt[0], ruleDoubt[1].get('doubt') as string);
  for (const [at, g] of sorted) {
    // Told afterwards is still acted first ("tanpa tanya Kasi dulu … lalu saya lapor ke Kasi").
    if ((g.has('supervisor') || g.has('anyone')) && g.has('deny-tell'))
      note('acted-without-supervisor', at, g.get('deny-tell') as string);
    if (g.has('blame') && !ownPartAt) note('blame-without-own-part', at, g.get('blame') as string);
    if (g.has('feeling') && (g.has('lingers') || (!hasPlan && (!hasAction || (count.get('feeling') ?? 0) >= 2))))
      note('feeling-without-action', at, g.get('feeling') as string);
    if (g.has('vague-outcome') && !hasMeasure && !/\d/.test(sentences[at]?.text ?? ''))
      note('missing-measure', at, g.get('vague-outcome') as string);
    if (g.has('unnamed')) note('unnamed-stakeholder', at, g.get('unnamed') as string);
  }
  const tensions = TENSION_KINDS.map((k) => found.get(k)).filter((t): t is Tension => !!t);
  const ruleStated = sorted.some(
    ([at, g]) => g.has('rule') && !g.has('doubt') && !g.has('shortcut') && !sentences[at]?.negated,
  );
  // Named against what was done ("padahal aturannya…"): the writer knows which rule was bent.
  const ruleKnown = sorted.some(([, g]) => g.has('rule') && g.has('rule-known') && !g.has('doubt'));
  return {
    tense,
    phase,
    tensions,
    says: {
      supervisorTold,
      ...(ownPartAt ? { ownPartSentence: ownPartAt[0] } : {}),
      ruleStated,
      ruleKnown,
    },
  };
}

// --- What a reason may quote ----------------------------------------------------------------------

/** Words that say nothing about what a text is about, whatever they match. */
const FILLERS = new Set(
  words(`biasanya biasa pokoknya intinya memang rasanya kayaknya sepertinya kira kira-kira ya iya nah eh
  kenal tahu bilang lihat datang pergi buat bikin pakai kasih ambil taruh coba bisa dapat mau ingin
  selisih selisihnya benar-benar betul-betul sekali banget agak cukup lumayan hal sesuatu
  paling depan belakang mengenal dikenal melihat dilihat terlihat membuat dibuat memakai dipakai
  mengambil diambil mencoba dicoba mendapat didapat bilangnya tahunya kelihatan kelihatannya`),
);

/** Time words; "lalu", "ini", "nanti"… only after one of them or a preposition ("Rabu lalu", "hari ini"). */
const TIME_WORDS = new Set(
  words(`hari minggu pekan bulan tahun jam menit detik pagi siang sore malam subuh kemarin besok lusa tadi
  senin selasa rabu kamis jumat sabtu januari februari maret april mei juni juli agustus september
  oktober november desember waktu saat kali`),
);
const AFTER_TIME = new Set(['lalu', 'ini', 'itu', 'kemarin', 'nanti', 'kemudian', 'berikutnya', 'sebelumnya']);
const PREPOSITIONS = new Set(['di', 'ke', 'dari', 'pada']);

/** Whether a token is a content word: not a function word, filler, time expression or number. */
function isContentToken(tokens: readonly Token[], i: number): boolean {
  const t = tokens[i];
  // By the written form: "biasanya" is a filler, "kebiasaan" (its root's noun) a topic.
  if (t.stop || t.number || FILLERS.has(t.lower) || TIME_WORDS.has(t.lower)) return false;
  const before = tokens[i - 1];
  if (AFTER_TIME.has(t.lower) && before && (TIME_WORDS.has(before.lower) || PREPOSITIONS.has(before.lower)))
    return false;
  return /\p{L}/u.test(t.lower);
}

/**
 * The start offsets of the written words a reason may quote: content words outside sentences that
 * deny something or that the safety screen flagged.
 */
export function quotableOffsets(text: string): Set<number> {
  const source = typeof text === 'string' ? text : '';
  const tokens = tokenize(source);
  const sentences = sentencesOf(source, tokens);
  const out = new Set<number>();
  tokens.forEach((t, i) => {
    const s = sentences[t.sentence];
    if (s && !s.negated && !s.flagged && isContentToken(tokens, i)) out.add(t.start);
  });
  return out;
}
