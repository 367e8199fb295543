/**
 * Offline evaluation of a ranker against a labelled set: nDCG@k and MRR, pure.
 *
 * nDCG uses graded relevance with the exponential gain 2^grade − 1 (grade 2 "highly relevant" is
 * worth 3, grade 1 "relevant" 1) and the log2 discount 1 / log2(rank + 1); the ideal ordering is
 * all labelled items sorted by grade. Exponential gain makes putting the item a reflection is
 * really about first count for more than filling the list with loosely related ones.
 * MRR: 1 / rank of the first item with grade ≥ 1 within the first `mrrDepth` results, else 0.
 *
 * `recommendRanker` turns the real recommend() into a ranker over labelled reflections, so the
 * evaluation measures what participants would see (rerank and diversity included).
 */
import type { BerakhlakValue } from '../domain/vocabulary';
import type { Phase } from '../ai/offline/bank';
import type { Locale } from '../domain/launch';
import { recommend, type CatalogIndex, type ValueLexiconEntry } from './rank';

export interface Judgement {
  id: string;
  /** 2 = highly relevant, 1 = relevant. */
  grade: number;
}

export interface LabelledCase {
  id: string;
  relevant: readonly Judgement[];
}

export type Grades = ReadonlyMap<string, number>;

export function gradesOf(relevant: readonly Judgement[]): Map<string, number> {
  return new Map(relevant.map((j) => [j.id, j.grade]));
}

const gain = (grade: number) => 2 ** grade - 1;

/** DCG of the first k results. */
export function dcgAt(ranked: readonly string[], grades: Grades, k: number): number {
  let dcg = 0;
  for (let i = 0; i < Math.min(k, ranked.length); i++) dcg += gain(grades.get(ranked[i]) ?? 0) / Math.log2(i + 2);
  return dcg;
}

/** nDCG@k in 0..1; 0 when nothing is labelled relevant. */
export function ndcgAt(ranked: readonly string[], grades: Grades, k: number): number {
  const ideal = [...grades]
    .filter(([, g]) => g > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([id]) => id);
  const idcg = dcgAt(ideal, grades, k);
  return idcg > 0 ? dcgAt(ranked, grades, k) / idcg : 0;
}

/** 1 / rank of the first relevant result within `depth`, else 0. */
export function reciprocalRank(ranked: readonly string[], grades: Grades, depth: number = ranked.length): number {
  for (let i = 0; i < Math.min(depth, ranked.length); i++) if ((grades.get(ranked[i]) ?? 0) > 0) return 1 / (i + 1);
  return 0;
}

export interface CaseResult {
  id: string;
  ndcg: number;
  reciprocalRank: number;
  ranked: readonly string[];
}

export interface Evaluation {
  /** Mean nDCG@k over the cases. */
  ndcg: number;
  /** Mean reciprocal rank. */
  mrr: number;
  k: number;
  cases: CaseResult[];
}

/** Runs the ranker on every case and averages the metrics. */
export function evaluateRanker<C extends LabelledCase>(
  cases: readonly C[],
  ranker: (c: C) => readonly string[],
  options: { k?: number; mrrDepth?: number } = {},
): Evaluation {
  const k = options.k ?? 5;
  const mrrDepth = options.mrrDepth ?? 10;
  const results = cases.map((c) => {
    const ranked = ranker(c);
    const grades = gradesOf(c.relevant);
    return {
      id: c.id,
      ndcg: ndcgAt(ranked, grades, k),
      reciprocalRank: reciprocalRank(ranked, grades, mrrDepth),
      ranked,
    };
  });
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  return { ndcg: mean(results.map((r) => r.ndcg)), mrr: mean(results.map((r) => r.reciprocalRank)), k, cases: results };
}

/**
 * What is wrong with a labelled set against a catalog: unknown item ids, grades other than 1 or 2,
 * cases without judgements, duplicate case ids. Empty when the set is usable.
 */
export function labelledSetProblems(cases: readonly LabelledCase[], knownIds: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  const caseIds = new Set<string>();
  cases.forEach((c, i) => {
    if (caseIds.has(c.id)) problems.push(`cases[${i}] (${c.id}): duplicate case id`);
    caseIds.add(c.id);
    if (!c.relevant.length) problems.push(`cases[${i}] (${c.id}): no relevant items`);
    const seen = new Set<string>();
    c.relevant.forEach((j, n) => {
      if (!knownIds.has(j.id)) problems.push(`cases[${i}] (${c.id}).relevant[${n}]: "${j.id}" is not in the catalog`);
      if (j.grade !== 1 && j.grade !== 2) problems.push(`cases[${i}] (${c.id}).relevant[${n}]: grade must be 1 or 2`);
      if (seen.has(j.id)) problems.push(`cases[${i}] (${c.id}).relevant[${n}]: "${j.id}" judged twice`);
      seen.add(j.id);
    });
  });
  return problems;
}

/** A labelled reflection (test/fixtures/recommend-eval.json). */
export interface ReflectionCase extends LabelledCase {
  text: string;
  phase?: Phase;
  weakValues?: ReadonlyArray<{ value: BerakhlakValue; weight: number }>;
  weakCriteria?: readonly string[];
  locale?: Locale;
}

/**
 * recommend() as a ranker: the ids of the top `depth` items for a case. With `queryVectors` (case
 * id → the reflection's vector) and an index with vectors, the hybrid ranking.
 */
export function recommendRanker(
  index: CatalogIndex,
  options: {
    depth: number;
    valueLexicon?: readonly ValueLexiconEntry[];
    queryVectors?: ReadonlyMap<string, ArrayLike<number>>;
  },
): (c: ReflectionCase) => string[] {
  return (c) => {
    const queryVector = options.queryVectors?.get(c.id);
    return recommend({
      index,
      reflection: c.text,
      limit: options.depth,
      ...(c.phase ? { phase: c.phase } : {}),
      ...(c.weakValues ? { weakValues: c.weakValues } : {}),
      ...(c.weakCriteria ? { weakCriteria: c.weakCriteria } : {}),
      ...(c.locale ? { locale: c.locale } : {}),
      ...(options.valueLexicon ? { valueLexicon: options.valueLexicon } : {}),
      ...(queryVector ? { queryVector } : {}),
    }).map((r) => r.id);
  };
}
