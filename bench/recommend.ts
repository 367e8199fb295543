/**
 * `npm run bench -- recommend [--queries 300] [--warmup 50] [--max-size 100000] [--hybrid-max-size 100000] [--seed 1]`
 *
 * The recommender's cost (src/recommend): index build time, time per recommendation, memory, on
 * synthetic catalogs of 1,000 / 10,000 / 100,000 items. Target: p99 < 20 ms at 10,000 items.
 *
 * - Catalogs (deterministic from --seed): made from the sample catalog's own text, so term
 *   statistics look like a real catalog's: titles and descriptions walk word-bigram chains learnt
 *   from the sample titles and descriptions (25–70 words a description), tags, competencies,
 *   values, phases, types and sizes are drawn from the sample items', and 5 % of description words
 *   (10 % of titles) are replaced by pseudo-words drawn Zipf-like from 20,000 made of Indonesian
 *   syllables: the long tail of names and rare terms a real catalog has, which a 71-item
 *   vocabulary lacks (without it every term's postings would be unrealistically long).
 * - Queries: --queries reflections, the 40 labelled ones of test/fixtures/recommend-eval.json and
 *   more walked from the description chain (40–160 words), each with a random profile: 0–2 weak
 *   values, a GROW phase or none, 0–6 feedback marks and 0–3 curation marks on random items, data
 *   saver on a third of them, English locale on a tenth; value lexicon of the offline coach.
 * - Each timing is one full recommend() call (query building, BM25 over the whole catalog, the
 *   rerank, diversity, signals and reasons for 5 items), measured with process.hrtime.bigint()
 *   after --warmup calls. Hybrid (up to --hybrid-max-size items, all sizes by default): the HashingEmbedder vectors of all
 *   items are built first (timed apart), then each timing also includes embedding the reflection.
 * - Memory: heapUsed after a forced GC, and what the index adds (heap + typed-array buffers).
 *
 * Output: a table, and as the last line of stdout one JSON object. Exit 0 when p99 at 10,000
 * items (lexical) is under the target, 1 otherwise.
 */
import fs from 'node:fs';
import os from 'node:os';
import v8 from 'node:v8';
import vm from 'node:vm';
import { loadQuestionBank, PHASES, type Phase } from '../src/ai/offline/bank';
import { BERAKHLAK_VALUES } from '../src/domain/vocabulary';
import { fromRoot } from '../src/core/paths';
import { stemmedAnalyzer } from '../src/recommend/analyzer';
import { loadSampleCatalog, type CatalogItem } from '../src/recommend/catalog';
import {
  buildCatalogIndex,
  recommend,
  withVectors,
  type Curation,
  type ItemFeedback,
  type RecommendInput,
  type ValueLexiconEntry,
} from '../src/recommend/rank';
import { buildVectorIndex, HashingEmbedder } from '../src/recommend/vectors';
import {
  BenchError,
  parseFlags,
  percentile,
  round,
  runBench,
  seededRandom,
  table,
  type CommonOptions,
} from './harness';

const USAGE =
  'Usage: npm run bench -- recommend [--queries 300] [--warmup 50] [--max-size 100000] [--hybrid-max-size 100000] [--seed 1] [--timeout 300]';
const TARGET_MS = 20;
const SIZES = [1_000, 10_000, 100_000];
const PSEUDO_WORDS = 20_000;

interface Options extends CommonOptions {
  queries: number;
  warmup: number;
  maxSize: number;
  hybridMaxSize: number;
  seed: number;
}

function parseOptions(argv: string[]): Options {
  const { num, nodeEnv, profileDir } = parseFlags(argv, ['queries', 'warmup', 'max-size', 'hybrid-max-size', 'seed']);
  const opts: Options = {
    queries: num('queries', 300, 200),
    warmup: num('warmup', 50, 0),
    maxSize: num('max-size', 100_000, 1_000),
    hybridMaxSize: num('hybrid-max-size', 100_000, 0),
    seed: num('seed', 1, 0),
    timeoutSeconds: num('timeout', 300, 10),
    nodeEnv,
    profileDir,
  };
  return opts;
}

// ---------- deterministic inputs ----------

type Rand = () => number;

const pick = <T>(rand: Rand, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
const between = (rand: Rand, lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));

/** A word-bigram chain learnt from sentences. */
class Chain {
  private readonly next = new Map<string, string[]>();
  private readonly starts: string[] = [];

  constructor(texts: readonly string[]) {
    for (const text of texts) {
      const words = text.split(/\s+/).filter(Boolean);
      if (!words.length) continue;
      this.starts.push(words[0]);
      for (let i = 0; i + 1 < words.length; i++) {
        const list = this.next.get(words[i]) ?? [];
        list.push(words[i + 1]);
        this.next.set(words[i], list);
      }
    }
  }

  walk(rand: Rand, length: number): string[] {
    const out: string[] = [];
    let word = pick(rand, this.starts);
    while (out.length < length) {
      out.push(word);
      const options = this.next.get(word);
      word = options && rand() < 0.95 ? pick(rand, options) : pick(rand, this.starts);
    }
    return out;
  }
}

/** Pseudo-words of Indonesian syllables, and a Zipf-like draw over them (rank r with weight 1/r). */
function pseudoVocabulary(rand: Rand, count: number): { draw: (rand: Rand) => string } {
  const onsets = [
    'b',
    'c',
    'd',
    'g',
    'h',
    'j',
    'k',
    'l',
    'm',
    'n',
    'p',
    'r',
    's',
    't',
    'w',
    'y',
    'ng',
    'ny',
    'tr',
    'pr',
    'kl',
  ];
  const vowels = ['a', 'i', 'u', 'e', 'o'];
  const codas = ['', '', '', 'n', 'ng', 'r', 'k', 't', 's', 'l', 'h', 'm'];
  const words = new Set<string>();
  while (words.size < count) {
    const syllables = between(rand, 2, 4);
    let w = '';
    for (let s = 0; s < syllables; s++)
      w += pick(rand, onsets) + pick(rand, vowels) + (s === syllables - 1 ? pick(rand, codas) : '');
    words.add(w);
  }
  const list = [...words];
  // Cumulative 1/r weights for a binary-search draw.
  const cumulative = new Float64Array(list.length);
  let sum = 0;
  for (let r = 0; r < list.length; r++) cumulative[r] = sum += 1 / (r + 1);
  return {
    draw: (rng) => {
      const x = rng() * sum;
      let lo = 0;
      let hi = list.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cumulative[mid] < x) lo = mid + 1;
        else hi = mid;
      }
      return list[lo];
    },
  };
}

interface Generator {
  items(count: number): CatalogItem[];
  reflection(rand: Rand): string;
}

function generator(sample: readonly CatalogItem[], seed: number): Generator {
  const titles = new Chain(sample.map((i) => i.title));
  const descriptions = new Chain(sample.map((i) => i.description));
  const tags = [...new Set(sample.flatMap((i) => i.tags))];
  const competencies = [...new Set(sample.flatMap((i) => i.competencies))];
  const vocabulary = pseudoVocabulary(seededRandom(seed + 7), PSEUDO_WORDS);
  const sprinkle = (rand: Rand, words: string[], rate: number) =>
    words.map((w) => (rand() < rate ? vocabulary.draw(rand) : w));
  return {
    items(count) {
      const rand = seededRandom(seed);
      return Array.from({ length: count }, (_, n) => {
        const model = pick(rand, sample);
        const sizeKb = model.sizeKb === undefined ? undefined : Math.max(1, Math.round(model.sizeKb * (0.5 + rand())));
        const item: CatalogItem = {
          id: `syn-${n}`,
          title: sprinkle(rand, titles.walk(rand, between(rand, 3, 9)), 0.1)
            .join(' ')
            .slice(0, 200),
          description: sprinkle(rand, descriptions.walk(rand, between(rand, 25, 70)), 0.05)
            .join(' ')
            .slice(0, 2000),
          url: `https://lms.example.go.id/mod/resource/view.php?id=${100_000 + n}`,
          type: model.type,
          language: model.language,
          ...(sizeKb === undefined ? {} : { sizeKb }),
          ...(model.durationMinutes === undefined ? {} : { durationMinutes: model.durationMinutes }),
          values: rand() < 0.7 ? [...model.values] : [pick(rand, BERAKHLAK_VALUES)],
          competencies: Array.from({ length: between(rand, 1, 3) }, () => pick(rand, competencies)).filter(
            (c, i, a) => a.indexOf(c) === i,
          ),
          tags: Array.from({ length: between(rand, 2, 6) }, () =>
            rand() < 0.15 ? vocabulary.draw(rand) : pick(rand, tags),
          ).filter((c, i, a) => a.indexOf(c) === i),
          level: model.level,
          ...(model.phases ? { phases: [...model.phases] } : {}),
        };
        return item;
      });
    },
    reflection(rand) {
      return descriptions.walk(rand, between(rand, 40, 160)).join(' ');
    },
  };
}

interface Query {
  text: string;
  profile: Omit<RecommendInput, 'index' | 'reflection' | 'feedback' | 'curation' | 'queryVector'>;
  /** Indices of items to mark (resolved against each catalog, which all start with syn-0…). */
  feedback: Array<[number, ItemFeedback]>;
  curation: Array<[number, Curation]>;
}

function makeQueries(
  gen: Generator,
  labelled: readonly string[],
  count: number,
  seed: number,
  valueLexicon: readonly ValueLexiconEntry[],
): Query[] {
  const rand = seededRandom(seed + 99);
  const feedbackKinds: ItemFeedback[] = ['done', 'notHelpful', 'helpful'];
  const curationKinds: Curation[] = ['endorsed', 'hidden'];
  return Array.from({ length: count }, (_, i) => {
    const weakValues = Array.from({ length: between(rand, 0, 2) }, () => ({
      value: pick(rand, BERAKHLAK_VALUES),
      weight: 0.3 + 0.7 * rand(),
    }));
    const phase: Phase | undefined = rand() < 0.75 ? pick(rand, PHASES) : undefined;
    return {
      text: i < labelled.length ? labelled[i] : gen.reflection(rand),
      profile: {
        weakValues,
        ...(phase ? { phase } : {}),
        locale: rand() < 0.1 ? 'en' : 'id',
        dataSaver: rand() < 1 / 3,
        limit: 5,
        valueLexicon,
        ...(rand() < 0.3
          ? {
              weakCriteria: [
                pick(rand, [
                  'Bukti konkret',
                  'Rencana tindak lanjut',
                  'Kaitan dengan nilai BerAKHLAK',
                  'Kedalaman refleksi',
                ]),
              ],
            }
          : {}),
      },
      // Marks land on the first 1,000 items, so every catalog size has them.
      feedback: Array.from(
        { length: between(rand, 0, 6) },
        () => [between(rand, 0, 999), pick(rand, feedbackKinds)] as [number, ItemFeedback],
      ),
      curation: Array.from(
        { length: between(rand, 0, 3) },
        () => [between(rand, 0, 999), pick(rand, curationKinds)] as [number, Curation],
      ),
    };
  });
}

// ---------- measuring ----------

/** A forced GC (a bench-only switch: V8's --expose-gc, set at run time). */
function gcFunction(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

function memory(gc: () => void): { heap: number; buffers: number } {
  gc();
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, buffers: m.arrayBuffers };
}

const MB = 1024 * 1024;
const ms = (ns: bigint) => Number(ns) / 1e6;

function stats(xs: number[]): { p50: number; p99: number; max: number; mean: number } {
  const sorted = [...xs].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1],
    mean: xs.reduce((a, b) => a + b, 0) / xs.length,
  };
}

const label = (size: number) => (size >= 1000 ? `${size / 1000}k` : String(size));

interface SizeResult {
  size: number;
  terms: number;
  genMs: number;
  buildMs: number;
  heapMb: number;
  indexMb: number;
  lexical: ReturnType<typeof stats>;
  hybrid?: ReturnType<typeof stats> & { vectorBuildMs: number; vectorMb: number };
}

export async function main(argv: string[]): Promise<number> {
  return runBench<Options>({
    bench: 'recommend',
    usage: USAGE,
    argv,
    parse: parseOptions,
    scripts: [],
    profileNote: () => '',
    body: async (run, opts) => {
      const started = process.hrtime.bigint();
      const gc = gcFunction();
      const sample = loadSampleCatalog().items;
      const labelled = (
        JSON.parse(fs.readFileSync(fromRoot('test/fixtures/recommend-eval.json'), 'utf8')) as {
          cases: Array<{ text: string }>;
        }
      ).cases.map((c) => c.text);
      const valueLexicon = loadQuestionBank().values;
      const gen = generator(sample, opts.seed);
      const queries = makeQueries(gen, labelled, opts.queries, opts.seed, valueLexicon);
      const embedder = new HashingEmbedder();
      const sizes = SIZES.filter((s) => s <= opts.maxSize);
      if (!sizes.length) throw new BenchError('--max-size: at least 1000');
      const results: SizeResult[] = [];

      for (const size of sizes) {
        const g0 = process.hrtime.bigint();
        const items = gen.items(size);
        const genMs = ms(process.hrtime.bigint() - g0);
        const before = memory(gc);
        const b0 = process.hrtime.bigint();
        const index = buildCatalogIndex(items, { analyzer: stemmedAnalyzer });
        const buildMs = ms(process.hrtime.bigint() - b0);
        const after = memory(gc);
        run.progress(
          `${label(size)}: generated in ${genMs.toFixed(0)} ms, indexed in ${buildMs.toFixed(0)} ms (${index.lexical.termCount} terms)`,
        );

        const inputs = queries.map((q) => ({
          ...q.profile,
          index,
          reflection: q.text,
          feedback: new Map(q.feedback.map(([i, f]) => [items[i % size].id, f])),
          curation: new Map(q.curation.map(([i, c]) => [items[i % size].id, c])),
        }));
        let returned = 0;
        for (let i = 0; i < opts.warmup; i++) recommend(inputs[i % inputs.length]);
        const times: number[] = [];
        for (const input of inputs) {
          const t0 = process.hrtime.bigint();
          const rs = recommend(input);
          times.push(ms(process.hrtime.bigint() - t0));
          returned += rs.length;
        }
        if (returned === 0) throw new BenchError(`${label(size)}: no query returned anything`);
        const result: SizeResult = {
          size,
          terms: index.lexical.termCount,
          genMs,
          buildMs,
          lexical: stats(times),
          heapMb: after.heap / MB,
          indexMb: (after.heap + after.buffers - before.heap - before.buffers) / MB,
        };

        if (size <= opts.hybridMaxSize) {
          const beforeVectors = memory(gc);
          const v0 = process.hrtime.bigint();
          const vectors = (await buildVectorIndex(items, embedder, { batchSize: 256 })).index;
          const vectorBuildMs = ms(process.hrtime.bigint() - v0);
          const afterVectors = memory(gc);
          const hybrid = withVectors(index, vectors);
          const hybridInputs = inputs.map((input) => ({ ...input, index: hybrid }));
          for (let i = 0; i < opts.warmup; i++) {
            const input = hybridInputs[i % hybridInputs.length];
            recommend({ ...input, queryVector: embedder.embedOne(input.reflection) });
          }
          const hybridTimes: number[] = [];
          for (const input of hybridInputs) {
            const t0 = process.hrtime.bigint();
            recommend({ ...input, queryVector: embedder.embedOne(input.reflection) });
            hybridTimes.push(ms(process.hrtime.bigint() - t0));
          }
          result.hybrid = {
            ...stats(hybridTimes),
            vectorBuildMs,
            vectorMb: (afterVectors.heap + afterVectors.buffers - beforeVectors.heap - beforeVectors.buffers) / MB,
          };
          run.progress(`${label(size)}: vectors (${embedder.id}) built in ${vectorBuildMs.toFixed(0)} ms`);
        }
        results.push(result);
      }

      // ---- report ----
      const totalS = ms(process.hrtime.bigint() - started) / 1000;
      const at10k = results.find((r) => r.size === 10_000);
      const targetMet = at10k ? at10k.lexical.p99 < TARGET_MS : false;
      const lines: string[] = [''];
      lines.push(
        `Recommendation ranking: synthetic catalogs from the sample catalog's vocabulary (+${PSEUDO_WORDS.toLocaleString('en')} Zipf-drawn pseudo-words), seed ${opts.seed}`,
      );
      lines.push(
        `node ${process.version}; ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}); ${opts.queries} reflections (${Math.min(labelled.length, opts.queries)} labelled + generated, 40–160 words) with random profiles; ${opts.warmup} warm-up calls; limit 5`,
      );
      lines.push('');
      lines.push(
        'one recommend() call, stemmed BM25 (query, retrieval over the whole catalog, rerank, diversity, reasons):',
      );
      lines.push(
        table(
          ['items', 'terms', 'build ms', 'p50 ms', 'p99 ms', 'max ms', 'heap MB', 'index MB'],
          results.map((r) => [
            r.size.toLocaleString('en'),
            r.terms.toLocaleString('en'),
            r.buildMs.toFixed(0),
            r.lexical.p50.toFixed(3),
            r.lexical.p99.toFixed(3),
            r.lexical.max.toFixed(3),
            r.heapMb.toFixed(1),
            r.indexMb.toFixed(1),
          ]),
        ),
      );
      const hybrids = results.filter((r) => r.hybrid);
      if (hybrids.length) {
        lines.push('');
        lines.push(
          `hybrid: the same plus embedding the reflection (${embedder.id}) and a brute-force cosine scan, fused by RRF:`,
        );
        lines.push(
          table(
            ['items', 'vector build ms', 'p50 ms', 'p99 ms', 'max ms', 'vectors MB'],
            hybrids.map((r) => {
              const h = r.hybrid as NonNullable<SizeResult['hybrid']>;
              return [
                r.size.toLocaleString('en'),
                h.vectorBuildMs.toFixed(0),
                h.p50.toFixed(3),
                h.p99.toFixed(3),
                h.max.toFixed(3),
                h.vectorMb.toFixed(1),
              ];
            }),
          ),
        );
      }
      lines.push('');
      lines.push(
        at10k
          ? `p99 at 10,000 items: ${at10k.lexical.p99.toFixed(2)} ms lexical${at10k.hybrid ? `, ${at10k.hybrid.p99.toFixed(2)} ms hybrid` : ''} (target < ${TARGET_MS} ms: ${targetMet ? 'met' : 'NOT met'}); run took ${totalS.toFixed(1)} s`
          : `no 10,000-item run (--max-size ${opts.maxSize}); run took ${totalS.toFixed(1)} s`,
      );
      lines.push('');
      const json: Record<string, number | string | boolean> = { bench: 'recommend' };
      for (const r of results) json[`build_ms_${label(r.size)}`] = round(r.buildMs, 1);
      for (const r of results) {
        json[`p50_ms_${label(r.size)}`] = round(r.lexical.p50, 3);
        json[`p99_ms_${label(r.size)}`] = round(r.lexical.p99, 3);
      }
      for (const r of hybrids) {
        const h = r.hybrid as NonNullable<SizeResult['hybrid']>;
        json[`hybrid_p50_ms_${label(r.size)}`] = round(h.p50, 3);
        json[`hybrid_p99_ms_${label(r.size)}`] = round(h.p99, 3);
        json[`vector_build_ms_${label(r.size)}`] = round(h.vectorBuildMs, 1);
      }
      for (const r of results) json[`heap_mb_${label(r.size)}`] = round(r.heapMb, 1);
      for (const r of results) json[`index_mb_${label(r.size)}`] = round(r.indexMb, 1);
      Object.assign(json, {
        queries: opts.queries,
        target_ms: TARGET_MS,
        target_met: targetMet,
        seconds: round(totalS, 1),
      });
      lines.push(JSON.stringify(json));
      run.report = lines.join('\n');
      return targetMet || !at10k ? 0 : 1;
    },
  });
}
