/**
 * Analyzers: how a text becomes index terms, for both the catalog and the participant's reflection.
 * Two, so the evaluation can show what Indonesian morphology costs a naive index:
 *
 *  - `plain`: the lowercase words, nothing removed, nothing stemmed (the baseline). melayani,
 *    pelayanan and dilayani are three unrelated terms.
 *  - `stemmed`: stopwords removed and each word reduced to its root with our own stemmer
 *    (src/ai/offline/stemmer.ts), so all three become `layan`. The stemmer's STOPWORDS are kept
 *    small on purpose (the offline coach's cue phrases need words like "akan" and "ingin"); for
 *    retrieval a few more words are dropped (RETRIEVAL_STOPWORDS): roots so common in any
 *    reflection that they say nothing about which material fits (jadi, lebih, sering, cara,
 *    ingin…), and English function words for the English items and reflections.
 *
 * Both split words with the stemmer's tokenizer, so they differ only in what they keep and how
 * they normalize. Numbers are dropped by both: "2024" or "08.00" says nothing about which
 * material fits. Each token keeps the participant's own written form and its offsets, so an
 * explanation can quote the words the participant wrote rather than roots they never typed.
 */
import { tokenize } from '../ai/offline/stemmer';

export type AnalyzerId = 'plain' | 'stemmed';

export interface AnalyzedToken {
  /** The index term. */
  term: string;
  /** The word as written (a compound's parts share it). */
  text: string;
  start: number;
  end: number;
  /** Clause number in the text: words of different clauses are never quoted as one phrase. */
  clause: number;
  /** Sentence number in the text (a reason reads the sentence a word stands in). */
  sentence: number;
  /** A function word (dan, yang, untuk): never quoted as the reason for a match. */
  stop: boolean;
}

export interface Analyzer {
  readonly id: AnalyzerId;
  /** The tokens of a text, in order, with their written form. */
  tokens(text: string): AnalyzedToken[];
  /** Just the terms, in order (repeats kept: they are term frequencies). */
  terms(text: string): string[];
}

function plainTokens(text: string): AnalyzedToken[] {
  const out: AnalyzedToken[] = [];
  let last: { start: number; lower: string } | undefined;
  for (const t of tokenize(text)) {
    if (t.number) continue;
    // A compound (kerjasama) comes out of the tokenizer as one token per root with the same written
    // word; the plain analyzer keeps the written word once.
    if (last && last.start === t.start && last.lower === t.lower) continue;
    last = { start: t.start, lower: t.lower };
    out.push({
      term: t.lower,
      text: t.text,
      start: t.start,
      end: t.end,
      clause: t.clause,
      sentence: t.sentence,
      stop: t.stop,
    });
  }
  return out;
}

/**
 * Dropped by the stemmed analyzer besides the stemmer's STOPWORDS, compared after stemming. Only
 * words that are generic in any Indonesian text (as in common Indonesian IR stop lists), not words
 * that happen to mislead on a particular catalog; words with a topical sense are kept even when
 * frequent (rasa: perasaan; beri: pemberian; tahu: pengetahuan; baru: sistem baru; biasa: kebiasaan;
 * laku: perilaku; guna: pengguna; orang: orang tua).
 */
export const RETRIEVAL_STOPWORDS: ReadonlySet<string> = new Set(
  `per satu jadi lebih sering tetap dulu cara siapa kali ingin kira bilang kata mulai sampai masing buat minta
  punya kembali cukup memang sekarang kemarin besok lama pertama dua tiga empat lima enam tujuh delapan
  sembilan sepuluh puluh ratus ribu
  the a an of to and or in on at for with is are was were be been being it its this that these those
  i we you he she they my our your their me us them from by as not no do did does done have has had
  will would can could should may might must one more most about into than then so if but what which
  who how when where why there here also just only very some any all every each`
    .split(/\s+/)
    .filter(Boolean),
);

function stemmedTokens(text: string): AnalyzedToken[] {
  const out: AnalyzedToken[] = [];
  for (const t of tokenize(text)) {
    if (t.number || t.stop || RETRIEVAL_STOPWORDS.has(t.stem) || RETRIEVAL_STOPWORDS.has(t.lower)) continue;
    out.push({
      term: t.stem,
      text: t.text,
      start: t.start,
      end: t.end,
      clause: t.clause,
      sentence: t.sentence,
      stop: false,
    });
  }
  return out;
}

/**
 * terms() through a memo of whitespace-separated chunks. The tokenizer costs a few microseconds a
 * word (token objects, sentence and clause tracking that terms do not need), which made indexing
 * 100,000 items take over half a minute; catalogs repeat their words, so each distinct chunk
 * ("warga," "pelayanan.") is tokenized once. Same terms as tokens(): a token never spans
 * whitespace (but for "80 %", a number, which both analyzers drop). Bounded: cleared when full.
 */
function memoizedTerms(tokensOf: (text: string) => AnalyzedToken[]): (text: string) => string[] {
  const memo = new Map<string, readonly string[]>();
  const LIMIT = 100_000;
  return (text) => {
    const out: string[] = [];
    for (const chunk of text.split(/\s+/)) {
      if (!chunk) continue;
      let terms = memo.get(chunk);
      if (terms === undefined) {
        terms = tokensOf(chunk).map((t) => t.term);
        if (memo.size >= LIMIT) memo.clear();
        memo.set(chunk, terms);
      }
      for (const t of terms) out.push(t);
    }
    return out;
  };
}

export const plainAnalyzer: Analyzer = {
  id: 'plain',
  tokens: plainTokens,
  terms: memoizedTerms(plainTokens),
};

export const stemmedAnalyzer: Analyzer = {
  id: 'stemmed',
  tokens: stemmedTokens,
  terms: memoizedTerms(stemmedTokens),
};
