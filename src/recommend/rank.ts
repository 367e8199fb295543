/**
 * The recommender: from a participant's latest reflection and profile to a few catalog items, each
 * with its reasons. Pure: the indexes, the text, the profile and the preferences come in; nothing
 * is read or written. The storage layer keeps feedback, curation and profiles; the page shows
 * `reasons`.
 *
 * 1. Query. The reflection's terms (repeats dampened: 1 + ln count), plus what the participant still
 *    lacks: each weak value's name (×1.0 × its weight) and, when a value lexicon is given (the
 *    offline coach's `bank.values`), its signal words (×0.2 × weight, many small nudges); weak
 *    rubric criteria's words (×0.5); the GROW phase's words (×0.3). All through the index's own
 *    analyzer, so `plain` and `stemmed` indexes get comparable queries.
 * 2. Retrieval. BM25's top 50 (RANK_TUNING.candidates, or 10 × limit). With a query vector, also
 *    the vector index's top 50, fused by reciprocal rank fusion (k = 60): rank-based, so BM25 scores and cosines need no common
 *    scale. Hidden, done and not-helpful items are filtered out here, before the cut, so they do
 *    not take candidate places. Endorsed items join the candidates even without a match.
 * 3. Adaptive rerank, on relevance normalized to 0..1 (the best candidate = 1), additive so each
 *    rule's effect is easy to read: endorsed +0.3; covers a weak value +0.15 × weight; suits the
 *    phase +0.05; marked helpful before −0.15 (seen already, may stay but lower); other language
 *    than the locale −0.2; data saver: small items (≤ 500 KB) +0.05, larger ones down to −0.35 on a
 *    log scale of size (a 200 MB video gets the full penalty) and videos another −0.1.
 * 4. Diversity, greedy over the reranked list: among the first 5, at most 2 items with the same
 *    primary value (the item's first value); and an item of the same type as the previous pick
 *    gives way to the best item of another type scoring within 0.1 of it. Both are skipped when no
 *    candidate satisfies them, so diversity never empties the list.
 * 5. Signals and reasons for the picked items only (src/recommend/explain.ts).
 *
 * The reasons quote the participant's own words: they are plain text, to be rendered escaped.
 */
import type { BerakhlakValue } from '../domain/vocabulary';
import type { Phase } from '../ai/offline/bank';
import type { Locale } from '../domain/launch';
import { RETRIEVAL_STOPWORDS, stemmedAnalyzer, type AnalyzedToken, type Analyzer } from './analyzer';
import { Bm25Index, DEFAULT_FIELD_WEIGHTS } from './bm25';
import type { CatalogItem } from './catalog';
import { explain, type RecommendationSignals } from './explain';
import { LRUCache } from 'lru-cache';
import { quotableOffsets } from '../ai/offline/analyser';
import { VALUE_NAMES } from '../domain/vocabulary';
import type { VectorIndex } from './vectors';

export type ItemFeedback = 'done' | 'notHelpful' | 'helpful';
export type Curation = 'endorsed' | 'hidden';

/** A value the participant's writing does not show yet, with how much it matters (0..1). */
export interface WeakValue {
  value: BerakhlakValue;
  weight: number;
}

/** A value's words (the offline coach's bank.values has this shape). `=word` entries count as the word. */
export interface ValueLexiconEntry {
  id: string;
  name: { id: string; en: string };
  signals: readonly string[];
}

/** The catalog ready for ranking: the items and their indexes, all in the same order. */
export interface CatalogIndex {
  readonly items: readonly CatalogItem[];
  readonly lexical: Bm25Index;
  readonly vectors?: VectorIndex;
}

export interface RecommendInput {
  index: CatalogIndex;
  /** The participant's recent reflection text. */
  reflection: string;
  weakValues?: readonly WeakValue[];
  /** Names of the rubric criteria the participant is weak on (e.g. "Bukti konkret"). */
  weakCriteria?: readonly string[];
  /** The activity's GROW phase. */
  phase?: Phase;
  locale?: Locale;
  /** The participant's feedback per item id. */
  feedback?: ReadonlyMap<string, ItemFeedback>;
  /** The coach's curation per item id. */
  curation?: ReadonlyMap<string, Curation>;
  /** Data saver preference or a slow connection: prefer small items. */
  dataSaver?: boolean;
  /** How many to return (default 5). */
  limit?: number;
  /** The reflection embedded with the same embedder as index.vectors: turns on the hybrid ranking. */
  queryVector?: ArrayLike<number>;
  /** Signal words per value, to widen the query for weak values. */
  valueLexicon?: readonly ValueLexiconEntry[];
}

export interface Recommendation {
  id: string;
  item: CatalogItem;
  /** The reranked score (relevance 0..1 plus adjustments): for logs and tests, not for display. */
  score: number;
  signals: RecommendationSignals;
  /** Short sentences in the locale's language, most telling first. */
  reasons: string[];
}

/** The knobs of the rerank, named so a test or a note can refer to them. */
export const RANK_TUNING = {
  candidates: 50,
  rrfK: 60,
  reflectionWeight: 1,
  valueNameWeight: 1,
  valueSignalWeight: 0.2,
  criterionWeight: 0.5,
  phaseWordWeight: 0.3,
  endorsedBoost: 0.3,
  weakValueBoost: 0.15,
  phaseBoost: 0.05,
  helpfulPenalty: 0.15,
  languagePenalty: 0.2,
  smallItemKb: 500,
  smallItemBonus: 0.05,
  dataSaverMaxPenalty: 0.35,
  dataSaverFullPenaltyKb: 200 * 1024,
  videoDataSaverPenalty: 0.1,
  /** A video with a duration but no size: KB per minute (about 360p). */
  videoKbPerMinute: 5 * 1024,
  diversityWindow: 5,
  maxSamePrimaryValue: 2,
  typeSwapMargin: 0.1,
  maxMatchedWords: 3,
} as const;

/** Words that say what each GROW phase is about (as an item describing it would). */
const PHASE_WORDS: Readonly<Record<Phase, string>> = {
  goal: 'tujuan sasaran target terukur goal',
  reality: 'kenyataan kondisi keadaan data masalah penyebab reality',
  options: 'pilihan alternatif gagasan solusi options',
  will: 'langkah rencana tindak lanjut jadwal komitmen will',
};

/** The fields an item is indexed under (the BM25 field weights name them). */
export function itemFields(item: CatalogItem): Record<string, string> {
  return {
    title: item.title,
    tags: item.tags.join(', '),
    values: item.values.join(' '),
    competencies: item.competencies.join(', '),
    description: item.description,
  };
}

/**
 * Indexes a catalog. The vector index, when given, must hold the same items in the same order
 * (build it with buildVectorIndex over the same list).
 */
export function buildCatalogIndex(
  items: readonly CatalogItem[],
  options: { analyzer?: Analyzer; fieldWeights?: Readonly<Record<string, number>>; vectors?: VectorIndex } = {},
): CatalogIndex {
  const lexical = Bm25Index.build(
    items.map((item) => ({ id: item.id, fields: itemFields(item) })),
    {
      analyzer: options.analyzer ?? stemmedAnalyzer,
      fieldWeights: options.fieldWeights ?? DEFAULT_FIELD_WEIGHTS,
    },
  );
  const index: CatalogIndex = { items, lexical };
  return options.vectors ? withVectors(index, options.vectors) : index;
}

/**
 * The same catalog index with a vector index added (vectors are built asynchronously, often after
 * the lexical index is already serving). The vectors must hold the same items in the same order.
 */
export function withVectors(index: CatalogIndex, vectors: VectorIndex): CatalogIndex {
  if (vectors.size !== index.items.length || vectors.ids.some((id, i) => id !== index.items[i].id)) {
    throw new Error('withVectors: the vector index must hold the same items in the same order');
  }
  return { items: index.items, lexical: index.lexical, vectors };
}

export interface RecommendQuery {
  /** Term → weight, for BM25. */
  terms: Map<string, number>;
  /** The reflection's tokens (for quoting the participant's own words). */
  reflectionTokens: AnalyzedToken[];
}

const clampWeight = (w: number) => (Number.isFinite(w) ? Math.min(1, Math.max(0, w)) : 0);

/** Step 1: the weighted query. */
export function buildQuery(
  input: Pick<RecommendInput, 'reflection' | 'weakValues' | 'weakCriteria' | 'phase' | 'valueLexicon'>,
  analyzer: Analyzer,
): RecommendQuery {
  const terms = new Map<string, number>();
  const add = (text: string, weight: number) => {
    if (!(weight > 0)) return;
    for (const term of analyzer.terms(text)) terms.set(term, (terms.get(term) ?? 0) + weight);
  };
  const reflectionTokens = analyzer.tokens(input.reflection);
  const counts = new Map<string, number>();
  for (const t of reflectionTokens) counts.set(t.term, (counts.get(t.term) ?? 0) + 1);
  for (const [term, c] of counts) terms.set(term, RANK_TUNING.reflectionWeight * (1 + Math.log(c)));
  for (const { value, weight } of input.weakValues ?? []) {
    const w = clampWeight(weight);
    add(VALUE_NAMES[value]?.id ?? value, RANK_TUNING.valueNameWeight * w);
    const entry = input.valueLexicon?.find((e) => e.id === value);
    if (entry) {
      // Each distinct signal term once: a lexicon listing "laporan" in five phrases is not five times as strong.
      const signalTerms = new Set(entry.signals.flatMap((s) => analyzer.terms(s.replace(/^=/, ''))));
      for (const term of signalTerms) terms.set(term, (terms.get(term) ?? 0) + RANK_TUNING.valueSignalWeight * w);
    }
  }
  for (const criterion of input.weakCriteria ?? []) add(criterion, RANK_TUNING.criterionWeight);
  if (input.phase) add(PHASE_WORDS[input.phase], RANK_TUNING.phaseWordWeight);
  return { terms, reflectionTokens };
}

/**
 * Reciprocal rank fusion: score(id) = Σ over lists of 1 / (k + rank), rank from 1. Best first;
 * ties keep the order of first appearance (earlier lists first).
 */
export function reciprocalRankFusion(
  lists: ReadonlyArray<readonly string[]>,
  k: number = RANK_TUNING.rrfK,
): Array<{ id: string; score: number }> {
  const scores = new Map<string, number>();
  for (const list of lists) list.forEach((id, i) => scores.set(id, (scores.get(id) ?? 0) + 1 / (k + i + 1)));
  return [...scores].map(([id, score]) => ({ id, score })).sort((a, b) => b.score - a.score);
}

/** The download size used by data saver: the size, or a video's estimate from its duration. */
export function effectiveSizeKb(item: CatalogItem): number | undefined {
  if (item.sizeKb !== undefined) return item.sizeKb;
  if (item.type === 'video' && item.durationMinutes !== undefined)
    return item.durationMinutes * RANK_TUNING.videoKbPerMinute;
  return undefined;
}

/** Data saver's adjustment for one item, and its size when it counts as small. */
export function dataSaverAdjustment(item: CatalogItem): { delta: number; smallKb?: number } {
  const t = RANK_TUNING;
  const size = effectiveSizeKb(item);
  const videoPenalty = item.type === 'video' ? t.videoDataSaverPenalty : 0;
  if (size === undefined) return { delta: -videoPenalty - (item.type === 'video' ? t.dataSaverMaxPenalty : 0) };
  if (size <= t.smallItemKb) return { delta: t.smallItemBonus - videoPenalty, smallKb: size };
  const scale = Math.min(1, Math.log(size / t.smallItemKb) / Math.log(t.dataSaverFullPenaltyKb / t.smallItemKb));
  return { delta: -t.dataSaverMaxPenalty * scale - videoPenalty };
}

interface Candidate {
  doc: number;
  item: CatalogItem;
  /** Relevance from retrieval, 0..1. */
  relevance: number;
  /** Position in the retrieval order (ties on score fall back to it). */
  order: number;
  score: number;
  helpfulBefore: boolean;
  endorsed: boolean;
  smallKb?: number;
}

/** Step 4: greedy selection with the primary-value cap and type alternation. */
function diversify(ranked: Candidate[], limit: number): Candidate[] {
  const t = RANK_TUNING;
  const remaining = [...ranked];
  const picked: Candidate[] = [];
  const perValue = new Map<string, number>();
  const capOk = (c: Candidate) =>
    picked.length >= t.diversityWindow || (perValue.get(c.item.values[0]) ?? 0) < t.maxSamePrimaryValue;
  while (picked.length < limit && remaining.length) {
    let at = remaining.findIndex(capOk);
    if (at < 0) at = 0;
    const previous = picked[picked.length - 1];
    if (previous && remaining[at].item.type === previous.item.type) {
      const floor = remaining[at].score - t.typeSwapMargin;
      const alt = remaining.findIndex(
        (c, i) => i > at && c.score >= floor && c.item.type !== previous.item.type && capOk(c),
      );
      if (alt >= 0) at = alt;
    }
    const [c] = remaining.splice(at, 1);
    picked.push(c);
    perValue.set(c.item.values[0], (perValue.get(c.item.values[0]) ?? 0) + 1);
  }
  return picked;
}

/**
 * Terms of what a participant reads about an item (title, tags, description), for the explanation
 * of the few picked items: a reason never cites a word only the item's value or competency codes hold.
 */
function itemTerms(item: CatalogItem, analyzer: Analyzer): Set<string> {
  return new Set([item.title, item.tags.join(', '), item.description].flatMap((text) => analyzer.terms(text)));
}

/**
 * The participant's own words that the item is about: runs of matching reflection words written
 * next to each other (only spaces between, up to 3 words, quoted as written, e.g. "keluhan warga"),
 * the most specific (highest summed IDF) first, at most `max`, then put back in the order they
 * were written. Only words the reflection reader calls quotable (`quotable`: content
 * words outside denying or safety-flagged sentences) are quoted, whatever the analyzer kept.
 */
export function matchedSurfaceWords(
  text: string,
  tokens: readonly AnalyzedToken[],
  itemTermSet: ReadonlySet<string>,
  idf: (term: string) => number,
  max: number,
  quotable: (t: AnalyzedToken) => boolean = quotableWords(text, tokens),
): string[] {
  const runs: Array<{ start: number; end: number; weight: number; words: number }> = [];
  let run: { start: number; end: number; weight: number; words: number } | undefined;
  let lastStart = -1;
  const close = () => {
    if (run) runs.push(run);
    run = undefined;
  };
  for (const t of tokens) {
    if (t.start === lastStart) continue; // the second root of a compound: same written word
    lastStart = t.start;
    const ok =
      quotable(t) && !t.stop && !RETRIEVAL_STOPWORDS.has(t.term) && !RETRIEVAL_STOPWORDS.has(t.text.toLowerCase());
    if (!ok || !itemTermSet.has(t.term)) {
      close();
      continue;
    }
    if (run && run.words < 3 && /^\s+$/.test(text.slice(run.end, t.start))) {
      run.end = t.end;
      run.weight += idf(t.term);
      run.words++;
    } else {
      close();
      run = { start: t.start, end: t.end, weight: idf(t.term), words: 1 };
    }
  }
  close();
  // Heaviest first; a phrase already said (or said inside a longer one: "bidang" after "bidang bekerja") is skipped.
  const chosen: string[] = [];
  const best = runs
    .sort((a, b) => b.weight - a.weight || a.start - b.start)
    .filter((r) => {
      const key = text.slice(r.start, r.end).toLowerCase();
      if (chosen.some((c) => c.includes(key) || key.includes(c))) return false;
      chosen.push(key);
      return true;
    })
    .slice(0, max);
  return best.sort((a, b) => a.start - b.start).map((r) => text.slice(r.start, r.end));
}

/** Quotable word offsets per sentence as read, by the sentence's text. */
const sentenceReadings = new LRUCache<string, number[]>({ max: 5000 });

/**
 * Whether the reflection reader lets a reason quote a word: a content word outside a sentence that
 * denies something or that the safety screen flags. The reader runs only on the sentences a
 * candidate word stands in, each once (a whole 4,000-character reflection read again for every
 * recommendation doubled its cost), from the end of the sentence before to the start of the next,
 * so the words the analyzer dropped ("tidak", "belum") are read too. A participant's journal page
 * asks again with the same sentences at every view: each reading is kept (bounded, in this
 * process only, like the stemmer's roots).
 */
export function quotableWords(text: string, tokens: readonly AnalyzedToken[]): (t: AnalyzedToken) => boolean {
  const bounds = new Map<number, { first: AnalyzedToken; last: AnalyzedToken }>();
  for (const t of tokens) {
    const b = bounds.get(t.sentence);
    if (b) b.last = t;
    else bounds.set(t.sentence, { first: t, last: t });
  }
  const order = [...bounds.keys()].sort((a, b) => a - b);
  const read = new Map<number, Set<number>>();
  return (t) => {
    let starts = read.get(t.sentence);
    if (!starts) {
      const at = order.indexOf(t.sentence);
      const from = at > 0 ? (bounds.get(order[at - 1]) as { last: AnalyzedToken }).last.end : 0;
      const to =
        at + 1 < order.length ? (bounds.get(order[at + 1]) as { first: AnalyzedToken }).first.start : text.length;
      const slice = text.slice(from, to);
      let relative = sentenceReadings.get(slice);
      if (!relative) {
        relative = [...quotableOffsets(slice)];
        sentenceReadings.set(slice, relative);
      }
      starts = new Set(relative.map((s) => s + from));
      read.set(t.sentence, starts);
    }
    return starts.has(t.start);
  };
}

/** The few items that fit the reflection and the profile, best first, each with its reasons. */
export function recommend(input: RecommendInput): Recommendation[] {
  const t = RANK_TUNING;
  const { index } = input;
  const { lexical, items } = index;
  const locale: Locale = input.locale ?? 'id';
  const limit = Math.max(0, Math.floor(input.limit ?? 5));
  if (limit === 0 || items.length === 0) return [];
  if (input.queryVector && !index.vectors)
    throw new Error('recommend: a query vector needs a catalog index with vectors');

  // Removed for good: hidden by the coach, done, or not helpful.
  const excluded = new Set<number>();
  const exclude = (id: string) => {
    const d = lexical.docOf(id);
    if (d !== undefined) excluded.add(d);
  };
  for (const [id, c] of input.curation ?? []) if (c === 'hidden') exclude(id);
  for (const [id, f] of input.feedback ?? []) if (f === 'done' || f === 'notHelpful') exclude(id);
  const filter = excluded.size ? (d: number) => !excluded.has(d) : undefined;

  const query = buildQuery(input, lexical.analyzer);
  const pool = Math.max(t.candidates, limit * 10);
  const lexicalHits = lexical.search(query.terms, { limit: pool, filter });

  // Retrieval: relevance per doc, 0..1, and the retrieval order.
  const retrieved: Array<{ doc: number; score: number }> = [];
  if (input.queryVector && index.vectors) {
    const vectorHits = index.vectors.search(input.queryVector, { limit: pool, filter });
    const fused = reciprocalRankFusion([lexicalHits.map((h) => h.id), vectorHits.map((h) => h.id)]);
    for (const f of fused) retrieved.push({ doc: lexical.docOf(f.id) as number, score: f.score });
  } else {
    for (const h of lexicalHits) retrieved.push({ doc: h.doc, score: h.score });
  }
  const top = retrieved.length ? retrieved[0].score : 0;
  const candidates = new Map<number, Candidate>();
  const addCandidate = (doc: number, raw: number, order: number) => {
    const item = items[doc];
    candidates.set(doc, {
      doc,
      item,
      relevance: top > 0 ? raw / top : 0,
      order,
      score: 0,
      helpfulBefore: input.feedback?.get(item.id) === 'helpful',
      endorsed: input.curation?.get(item.id) === 'endorsed',
    });
  };
  retrieved.forEach((r, i) => addCandidate(r.doc, r.score, i));
  for (const [id, c] of input.curation ?? []) {
    const d = lexical.docOf(id);
    if (c === 'endorsed' && d !== undefined && !excluded.has(d) && !candidates.has(d))
      addCandidate(d, 0, retrieved.length + d);
  }

  // Adaptive rerank.
  const weakWeight = new Map<string, number>();
  for (const w of input.weakValues ?? [])
    weakWeight.set(w.value, Math.max(weakWeight.get(w.value) ?? 0, clampWeight(w.weight)));
  for (const c of candidates.values()) {
    let s = c.relevance;
    if (c.endorsed) s += t.endorsedBoost;
    const covered = Math.max(0, ...c.item.values.map((v) => weakWeight.get(v) ?? 0));
    s += t.weakValueBoost * covered;
    if (input.phase && c.item.phases?.includes(input.phase)) s += t.phaseBoost;
    if (c.helpfulBefore) s -= t.helpfulPenalty;
    if (c.item.language !== locale) s -= t.languagePenalty;
    if (input.dataSaver) {
      const ds = dataSaverAdjustment(c.item);
      s += ds.delta;
      if (ds.smallKb !== undefined) c.smallKb = ds.smallKb;
    }
    c.score = s;
  }
  const ranked = [...candidates.values()].sort((a, b) => b.score - a.score || a.order - b.order);
  const picked = diversify(ranked, limit);

  // Signals and reasons for the picked few.
  const analyzer = lexical.analyzer;
  const criteriaTerms = (input.weakCriteria ?? []).map((name) => ({
    name,
    terms: [
      ...new Set(
        analyzer
          .tokens(name)
          .filter((x) => !x.stop)
          .map((x) => x.term),
      ),
    ],
  }));
  const quotable = quotableWords(input.reflection, query.reflectionTokens);
  return picked.map((c) => {
    const terms = itemTerms(c.item, analyzer);
    let weakValue: BerakhlakValue | undefined;
    for (const v of c.item.values) {
      const w = weakWeight.get(v) ?? 0;
      if (w > 0 && (!weakValue || w > (weakWeight.get(weakValue) ?? 0))) weakValue = v;
    }
    const criterion = criteriaTerms.find(
      (k) => k.terms.length > 0 && k.terms.filter((x) => terms.has(x)).length * 2 >= k.terms.length,
    )?.name;
    const signals: RecommendationSignals = {
      matchedWords: matchedSurfaceWords(
        input.reflection,
        query.reflectionTokens,
        terms,
        (x) => lexical.idf(x),
        t.maxMatchedWords,
        quotable,
      ),
      endorsed: c.endorsed,
      helpfulBefore: c.helpfulBefore,
      ...(weakValue ? { weakValue } : {}),
      ...(criterion ? { criterion } : {}),
      ...(c.smallKb !== undefined ? { smallSizeKb: c.smallKb } : {}),
      ...(input.phase && c.item.phases?.includes(input.phase) ? { phase: input.phase } : {}),
    };
    return { id: c.item.id, item: c.item, score: c.score, signals, reasons: explain(signals, locale) };
  });
}
