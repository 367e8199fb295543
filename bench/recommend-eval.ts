/**
 * `npm run bench -- recommend-eval [--k 5] [--depth 10]`
 *
 * How well the recommender ranks the sample catalog (config/catalog/sample.json) for the labelled
 * reflections of test/fixtures/recommend-eval.json (written for this purpose; grades 2 = highly
 * relevant, 1 = relevant): nDCG@k (exponential gain, log2 discount) and MRR over the first --depth
 * results, for
 *  - plain BM25: lowercase words, no stopwords removed, no stemming (the baseline);
 *  - stemmed BM25: stopwords removed, Indonesian stemming (src/ai/offline/stemmer.ts);
 *  - hybrid: stemmed BM25 and HashingEmbedder vectors fused by reciprocal rank fusion (k = 60);
 *  - vectors only: the HashingEmbedder index alone, straight from VectorIndex.search (no rerank),
 *    to read the hybrid row against.
 * The first three go through the full recommend() (query with the case's phase, weak values and
 * criteria, the rerank and diversity), with the offline coach's value lexicon. The HashingEmbedder
 * is a deterministic stand-in (feature hashing of stems and character trigrams), not a semantic
 * model: its rows measure the plumbing, not what a real embedding model would add.
 *
 * Output: a table per variant, a table per case, and as the last line one JSON object.
 */
import fs from 'node:fs';
import { loadQuestionBank } from '../src/ai/offline/bank';
import { fromRoot } from '../src/core/paths';
import { plainAnalyzer, stemmedAnalyzer } from '../src/recommend/analyzer';
import { loadSampleCatalog } from '../src/recommend/catalog';
import {
  evaluateRanker,
  labelledSetProblems,
  recommendRanker,
  type Evaluation,
  type ReflectionCase,
} from '../src/recommend/eval';
import { buildCatalogIndex } from '../src/recommend/rank';
import { buildVectorIndex, HashingEmbedder } from '../src/recommend/vectors';
import { BenchError, parseFlags, round, runBench, table, type CommonOptions } from './harness';

const USAGE = 'Usage: npm run bench -- recommend-eval [--k 5] [--depth 10]';
export const EVAL_SET_FILE = fromRoot('test/fixtures/recommend-eval.json');

interface Options extends CommonOptions {
  k: number;
  depth: number;
}

function parseOptions(argv: string[]): Options {
  const { num, nodeEnv, profileDir } = parseFlags(argv, ['k', 'depth']);
  const k = num('k', 5, 1);
  const depth = num('depth', 10, 1);
  if (depth < k) throw new BenchError('--depth: at least --k');
  return { k, depth, timeoutSeconds: num('timeout', 120, 10), nodeEnv, profileDir };
}

/** The labelled set, checked against the catalog's ids. */
export function loadEvalSet(knownIds: ReadonlySet<string>): ReflectionCase[] {
  const doc = JSON.parse(fs.readFileSync(EVAL_SET_FILE, 'utf8')) as { cases?: ReflectionCase[] };
  const cases = doc.cases ?? [];
  const problems = labelledSetProblems(cases, knownIds);
  if (problems.length) throw new BenchError(`${EVAL_SET_FILE}:\n  ${problems.join('\n  ')}`);
  return cases;
}

export async function main(argv: string[]): Promise<number> {
  return runBench<Options>({
    bench: 'recommend-eval',
    usage: USAGE,
    argv,
    parse: parseOptions,
    scripts: [],
    profileNote: () => '',
    body: async (run, opts) => {
      const catalog = loadSampleCatalog();
      const items = catalog.items;
      const cases = loadEvalSet(new Set(items.map((i) => i.id)));
      const valueLexicon = loadQuestionBank().values;
      run.progress(`${items.length} sample items, ${cases.length} labelled reflections`);

      const embedder = new HashingEmbedder();
      const vectors = (await buildVectorIndex(items, embedder)).index;
      const plain = buildCatalogIndex(items, { analyzer: plainAnalyzer });
      const stemmed = buildCatalogIndex(items, { analyzer: stemmedAnalyzer });
      const hybrid = buildCatalogIndex(items, { analyzer: stemmedAnalyzer, vectors });
      const queryVectors = new Map(cases.map((c) => [c.id, embedder.embedOne(c.text)] as const));

      const evalOptions = { k: opts.k, mrrDepth: opts.depth };
      const variants: Array<{ key: string; name: string; result: Evaluation }> = [
        {
          key: 'plain',
          name: 'plain BM25 (no stemming, stopwords kept)',
          result: evaluateRanker(cases, recommendRanker(plain, { depth: opts.depth, valueLexicon }), evalOptions),
        },
        {
          key: 'stemmed',
          name: 'stemmed BM25 (stopwords out, Indonesian stems)',
          result: evaluateRanker(cases, recommendRanker(stemmed, { depth: opts.depth, valueLexicon }), evalOptions),
        },
        {
          key: 'hybrid',
          name: 'hybrid: stemmed BM25 + HashingEmbedder, RRF k=60',
          result: evaluateRanker(
            cases,
            recommendRanker(hybrid, { depth: opts.depth, valueLexicon, queryVectors }),
            evalOptions,
          ),
        },
        {
          key: 'vector',
          name: 'vectors only (HashingEmbedder, no rerank)',
          result: evaluateRanker(
            cases,
            (c) => vectors.search(queryVectors.get(c.id) as Float32Array, { limit: opts.depth }).map((h) => h.id),
            evalOptions,
          ),
        },
      ];

      const hitAt = (e: Evaluation, c: ReflectionCase, i: number) =>
        e.cases[i].ranked.slice(0, opts.k).some((id) => c.relevant.some((j) => j.id === id));
      const lines: string[] = [''];
      lines.push(
        `Recommendation quality on the sample catalog: ${items.length} items, ${cases.length} labelled reflections (test/fixtures/recommend-eval.json)`,
      );
      lines.push(
        `nDCG@${opts.k} (gain 2^grade − 1, log2 discount), MRR over the first ${opts.depth}, hit@${opts.k} = cases with a relevant item in the first ${opts.k}`,
      );
      lines.push(
        table(
          ['ranker', `nDCG@${opts.k}`, 'MRR', `hit@${opts.k}`],
          variants.map((v) => [
            v.name,
            v.result.ndcg.toFixed(3),
            v.result.mrr.toFixed(3),
            `${cases.filter((c, i) => hitAt(v.result, c, i)).length}/${cases.length}`,
          ]),
        ),
      );
      const [p, s, h] = variants.map((v) => v.result);
      lines.push('');
      lines.push(
        `stemming: nDCG@${opts.k} ${p.ndcg.toFixed(3)} → ${s.ndcg.toFixed(3)} (${s.ndcg >= p.ndcg ? '+' : ''}${(s.ndcg - p.ndcg).toFixed(3)}), ` +
          `better on ${s.cases.filter((x, i) => x.ndcg > p.cases[i].ndcg + 1e-9).length} cases, worse on ${s.cases.filter((x, i) => x.ndcg < p.cases[i].ndcg - 1e-9).length}`,
      );
      lines.push('');
      lines.push(`per case, nDCG@${opts.k} (first result of the stemmed ranker; * = a relevant item)`);
      lines.push(
        table(
          ['case', 'plain', 'stemmed', 'hybrid', 'stemmed #1'],
          cases.map((c, i) => {
            const first = s.cases[i].ranked[0] ?? '-';
            const mark = c.relevant.some((j) => j.id === first) ? '*' : ' ';
            return [
              c.id,
              p.cases[i].ndcg.toFixed(2),
              s.cases[i].ndcg.toFixed(2),
              h.cases[i].ndcg.toFixed(2),
              `${mark}${first}`,
            ];
          }),
        ),
      );
      lines.push('');
      const json: Record<string, number | string> = { bench: 'recommend-eval' };
      for (const v of variants) json[`${v.key}_ndcg${opts.k}`] = round(v.result.ndcg, 4);
      for (const v of variants) json[`${v.key}_mrr`] = round(v.result.mrr, 4);
      Object.assign(json, {
        cases: cases.length,
        items: items.length,
        k: opts.k,
        mrr_depth: opts.depth,
        embedder: embedder.id,
      });
      lines.push(JSON.stringify(json));
      run.report = lines.join('\n');
      return 0;
    },
  });
}
