/**
 * `npm run bench -- coaching-eval [--k 5]`
 *
 * How well Cermin coaches without AI, on the labelled reflections of test/fixtures/coaching-eval/
 * (what each label means is in its README): the Latsar entries over the four templates that the
 * reader's lexicons were tuned on, and, side by side, the held-out entries written later by someone
 * who had not seen the reader (the fairer figure):
 *
 *  - value detection: micro precision, recall and F1 of the BerAKHLAK values the reader finds
 *    against the labelled ones;
 *  - phase and tense accuracy: the GROW phase (or none) and the tense the reader gives the entry;
 *  - for each of the five lenses, the offline answer:
 *    - tension recall: the share of labelled tensions a question of the answer is about: its
 *      topic is the tension's (rule, supervisor, measure, stakeholder, action after a feeling, own
 *      part), or it is one of the questions a lens move asks for that tension (the other party's
 *      view of the shortcut, the assumption under it);
 *    - already answered: the share of questions whose topic the text already answers
 *      (`answeredTopics`), except the topic a labelled tension says is missing (a next step after
 *      a feeling, a measure, a name, the supervisor, one's own part);
 *    - quoting: the share of answers that quote the writer (four or more words, verbatim);
 *    - lens distinctness: over every pair of lenses on the same text, the share of the smaller
 *      answer's questions the other lens asks too (0 = every lens asks its own);
 *  - the recommendation reasons, five items per entry on the sample catalog (the same profile and
 *    ranking the participant's page uses):
 *    - reason precision: the share of quoted words that are content words (not a stop-word,
 *      filler, time expression or number by the judge's own list below) whose root is in the
 *      item's title, tags or description, and not in a negated or safety-flagged sentence;
 *    - false "value not shown": reasons saying a value does not show where the labels say it does;
 *    - stable: the same text gives the same reasons twice;
 *    - nDCG@k of this set's relevant items, and on test/fixtures/recommend-eval.json (the
 *      recommend-eval bench's stemmed ranker: kept at or above 0.796).
 *
 * Output: the figures as a table, the worst texts per measure, and as the last line one JSON object.
 */
import fs from 'node:fs';
import { loadQuestionBank } from '../src/ai/offline/bank';
import * as engine from '../src/ai/offline/engine';
import { screenReflection } from '../src/ai/safety';
import { lensContext } from '../src/ai/prompt';
import { fromRoot } from '../src/core/paths';
import { loadTemplates } from '../src/coaching/templates';
import { stemmedAnalyzer } from '../src/recommend/analyzer';
import { loadSampleCatalog, type CatalogItem } from '../src/recommend/catalog';
import { evaluateRanker, gradesOf, ndcgAt, recommendRanker } from '../src/recommend/eval';
import { participantProfile } from '../src/recommend/profile';
import { buildCatalogIndex, itemFields, recommend, type Recommendation } from '../src/recommend/rank';
import { tokenize } from '../src/ai/offline/stemmer';
import { loadEvalSet } from './recommend-eval';
import { parseFlags, round, runBench, table, type CommonOptions } from './harness';

const USAGE = 'Usage: npm run bench -- coaching-eval [--k 5]';
const SET_DIR = fromRoot('test/fixtures/coaching-eval');
export const LENSES = ['cermin', 'steelman', 'kritik', 'sudut-pandang', 'narasi'] as const;

/** What a question must be about to take up a tension. */
export const TENSION_TOPIC: Readonly<Record<string, string>> = {
  'rule-vs-shortcut': 'rule',
  'acted-without-supervisor': 'supervisor',
  'missing-measure': 'measure',
  'unnamed-stakeholder': 'stakeholder',
  'feeling-without-action': 'action',
  'blame-without-own-part': 'own-part',
};

/**
 * The judge's own list of words that are never a reason to read something: function words,
 * fillers, vague verbs and time words, as a coach would strike them. Kept here, apart from the
 * reader's lists, so the measure does not grade the reader by its own rules.
 */
const NOT_CONTENT = new Set(
  `yang dan di ke dari untuk dengan pada dalam ini itu saya kami kita anda dia beliau mereka akan sudah
  belum tidak bukan juga saja lagi masih sangat lebih paling agar supaya karena jadi kalau jika bila
  tapi tetapi namun atau serta oleh bagi tentang seperti hanya cuma pun lah kah sih kok deh dong kan toh
  biasanya biasa pokoknya intinya memang rasanya kayaknya sepertinya kira ya iya nah eh
  ada adalah ialah merupakan bisa dapat harus perlu mau ingin boleh kenal tahu bilang lihat datang pergi
  buat bikin pakai kasih ambil taruh coba
  hari minggu pekan bulan tahun depan lalu kemarin besok lusa tadi nanti sekarang pagi siang sore malam
  jam menit detik senin selasa rabu kamis jumat sabtu januari februari maret april mei juni juli
  agustus september oktober november desember kali waktu saat selisih`
    .split(/\s+/)
    .filter(Boolean),
);

export interface Labels {
  values: string[];
  phase: string | null;
  tense: string;
  tensions: Array<{ kind: string; evidence: string }>;
  answeredTopics?: string[];
  relevantItems: string[];
  safety: string | null;
}
export interface EvalItem {
  id: string;
  template: string;
  entryKey: string;
  text: string;
  labels: Labels;
}

/** The shape of an offline answer, read loosely so the bench measures older engines too. */
interface LooseAnswer {
  lead?: string;
  questions: Array<{ id: string; text: string; gap?: string; topic?: string }>;
}
interface LooseReading {
  values: Array<{ value: string }>;
  phase?: string | null;
  tense?: string;
}

/**
 * The labelled set: the texts the reader's lexicons were tuned on (`part-*.json`), or the held-out
 * texts written later by someone who had not seen the reader (`held-out-*.json`).
 */
export type CoachingSet = 'tuned' | 'held-out';
export function loadCoachingSet(which: CoachingSet = 'tuned'): EvalItem[] {
  const files = which === 'tuned' ? /^part-.*\.json$/ : /^held-out-.*\.json$/;
  return fs
    .readdirSync(SET_DIR)
    .filter((f) => files.test(f))
    .sort()
    .flatMap((f) => JSON.parse(fs.readFileSync(`${SET_DIR}/${f}`, 'utf8')) as EvalItem[]);
}

/** The words of a text quoted in an answer: any run of four or more of the writer's words, verbatim. */
export function quotesWriter(answerText: string, text: string): boolean {
  const words = text.split(/\s+/).filter(Boolean);
  const flat = answerText.replace(/\s+/g, ' ');
  for (let i = 0; i + 4 <= words.length; i++) if (flat.includes(words.slice(i, i + 4).join(' '))) return true;
  return false;
}

const topicOf = (q: LooseAnswer['questions'][number]) => q.topic ?? q.gap ?? 'general';

/** The sentences of a text (split as the tokenizer splits them), with their offsets. */
function sentenceSpans(text: string): Array<{ start: number; end: number }> {
  const spans: Array<{ start: number; end: number }> = [];
  for (const t of tokenize(text)) {
    const s = spans[t.sentence];
    if (s) s.end = t.end;
    else spans[t.sentence] = { start: t.start, end: t.end };
  }
  return spans.filter(Boolean);
}

const NEGATION = /\b(tidak|tak|tdk|belum|bukan|tanpa|enggak|nggak|gak)\b/i;

/** The measures over the whole set (what each means: the module comment), with the misses behind them. */
export function measureCoaching(
  k = 5,
  which: CoachingSet = 'tuned',
): {
  figures: Record<string, number>;
  counts: Record<string, number>;
  misses: Record<string, string[]>;
} {
  const bank = loadQuestionBank();
  const items = loadCoachingSet(which);
  const templates = new Map(loadTemplates().map((t) => [t.id, t]));
  const catalog = loadSampleCatalog().items;
  const byId = new Map(catalog.map((i) => [i.id, i]));
  const index = buildCatalogIndex(catalog);

  const analyse = engine.analyse as unknown as (text: string, b: typeof bank, ctx?: unknown) => LooseReading;
  const answer = engine.answer as unknown as (input: Record<string, unknown>, b: typeof bank) => LooseAnswer;

  let tp = 0;
  let fp = 0;
  let fn = 0;
  let phaseRight = 0;
  let tenseRight = 0;
  let tensionsLabelled = 0;
  let tensionsAsked = 0;
  let questions = 0;
  let answered = 0;
  let answers = 0;
  let quoting = 0;
  let pairShare = 0;
  let pairs = 0;
  let quoted = 0;
  let quotedGood = 0;
  let falseAbsent = 0;
  let absentClaims = 0;
  let unstable = 0;
  let ndcgSum = 0;
  let ndcgCases = 0;
  const misses: Record<string, string[]> = { values: [], phase: [], tension: [], answered: [], reason: [] };

  for (const item of items) {
    const template = templates.get(item.template);
    const section = template?.sections.find((s) => s.prompts.some((p) => p.id === item.entryKey));
    const context = section ? lensContext(item.template, section.id, item.entryKey) : {};
    const grow = context.phase?.grow;
    const kind = template?.kind ?? 'sections';

    // Reading.
    const reading = analyse(item.text, bank, { ...(grow ? { phase: grow } : {}) });
    const found = new Set(reading.values.map((v) => v.value));
    const wanted = new Set(item.labels.values);
    for (const v of found) {
      if (wanted.has(v)) tp++;
      else {
        fp++;
        misses.values.push(`${item.id} +${v}`);
      }
    }
    for (const v of wanted) {
      if (found.has(v)) continue;
      fn++;
      misses.values.push(`${item.id} -${v}`);
    }
    const phase = reading.phase !== undefined ? reading.phase : (grow ?? null);
    if (phase === item.labels.phase) phaseRight++;
    else misses.phase.push(`${item.id} ${phase ?? '-'} (label ${item.labels.phase ?? '-'})`);
    if ((reading.tense ?? 'past') === item.labels.tense) tenseRight++;

    // Each lens's offline answer.
    const perLens: string[][] = [];
    const answeredTopics = new Set(item.labels.answeredTopics ?? []);
    // A labelled tension says the text lacks its topic, whatever the topic labels say of the rest of
    // the text: after "saya belum cerita ke siapa-siapa", a next step is not answered by the steps
    // the story tells. A shortcut is the exception: its rule can be known and still bent.
    const lacking = new Set(
      item.labels.tensions.filter((t) => t.kind !== 'rule-vs-shortcut').map((t) => TENSION_TOPIC[t.kind]),
    );
    for (const lens of LENSES) {
      const a = answer(
        {
          text: item.text,
          locale: 'id',
          template: { id: item.template, kind },
          ...(grow ? { phase: grow } : {}),
          ...(context.value ? { value: context.value } : {}),
          asked: [],
          lens,
        },
        bank,
      );
      answers++;
      const all = [a.lead ?? '', ...a.questions.map((q) => q.text)].join(' ');
      if (quotesWriter(all, item.text)) quoting++;
      const topics = new Set(a.questions.map(topicOf));
      const situations = new Set(a.questions.map((q) => q.gap));
      for (const t of item.labels.tensions) {
        tensionsLabelled++;
        if (topics.has(TENSION_TOPIC[t.kind]) || situations.has(t.kind)) tensionsAsked++;
        else misses.tension.push(`${item.id} ${lens} ${t.kind}`);
      }
      for (const q of a.questions) {
        questions++;
        if (!answeredTopics.has(topicOf(q)) || lacking.has(topicOf(q))) continue;
        answered++;
        misses.answered.push(`${item.id} ${lens} ${topicOf(q)}`);
      }
      perLens.push(a.questions.map((q) => q.text));
    }
    for (let i = 0; i < perLens.length; i++)
      for (let j = i + 1; j < perLens.length; j++) {
        const smaller = Math.min(perLens[i].length, perLens[j].length);
        if (!smaller) continue;
        pairs++;
        pairShare += perLens[i].filter((q) => perLens[j].includes(q)).length / smaller;
      }

    // Reasons, as the participant's page makes them.
    if (!section || !template) continue;
    const activity = {
      templateId: item.template,
      sections: template.sections.map((s) => ({ id: s.id, prompts: s.prompts.map((p) => ({ id: p.id })) })),
      rubric: { criteria: [] },
    } as unknown as Parameters<typeof participantProfile>[0]['activity'];
    const recs = (): Recommendation[] => {
      const profile = participantProfile({
        activity,
        entries: [{ key: item.entryKey, text: item.text, updatedAt: new Date(0) }],
        bank,
      });
      return recommend({
        index,
        reflection: profile.reflection,
        weakValues: profile.weakValues,
        weakCriteria: profile.weakCriteria,
        phase: profile.phase,
        locale: 'id',
        limit: k,
        valueLexicon: bank.values,
      });
    };
    const first = recs();
    if (JSON.stringify(first.map((r) => r.reasons)) !== JSON.stringify(recs().map((r) => r.reasons))) unstable++;
    if (item.labels.relevantItems.length) {
      ndcgCases++;
      ndcgSum += ndcgAt(
        first.map((r) => r.id),
        gradesOf(item.labels.relevantItems.map((id) => ({ id, grade: 1 }))),
        k,
      );
    }
    const spans = sentenceSpans(item.text);
    const safety = screenReflection(item.text).hits;
    const badSentences = spans.filter(
      (s) => NEGATION.test(item.text.slice(s.start, s.end)) || safety.some((h) => h.start < s.end && h.end > s.start),
    );
    for (const r of first) {
      const itemStems = itemStemsOf(byId.get(r.id) as CatalogItem);
      for (const phrase of r.signals.matchedWords) {
        for (const word of phrase.split(/\s+/).filter(Boolean)) {
          quoted++;
          const lower = word.toLowerCase().replace(/[^\p{L}\p{N}-]/gu, '');
          const stems = stemmedAnalyzer.terms(word);
          const content = !NOT_CONTENT.has(lower) && !/^\d/.test(lower) && stems.length > 0;
          const inItem = stems.length > 0 && stems.every((s) => itemStems.has(s));
          const bad = onlyWrittenIn(item.text, badSentences, phrase);
          if (content && inItem && !bad) quotedGood++;
          else misses.reason.push(`${item.id} "${word}" → ${r.id}`);
        }
      }
      if (r.signals.weakValue) {
        absentClaims++;
        if (item.labels.values.includes(r.signals.weakValue)) falseAbsent++;
      }
    }
  }

  const precision = tp + fp ? tp / (tp + fp) : 0;
  const recall = tp + fn ? tp / (tp + fn) : 0;
  const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
  const recommendCases = loadEvalSet(new Set(catalog.map((i) => i.id)));
  const kept = evaluateRanker(recommendCases, recommendRanker(index, { depth: 10, valueLexicon: bank.values }), {
    k: k,
    mrrDepth: 10,
  }).ndcg;

  const figures = {
    value_precision: precision,
    value_recall: recall,
    value_f1: f1,
    phase_accuracy: phaseRight / items.length,
    tense_accuracy: tenseRight / items.length,
    tension_recall: tensionsLabelled ? tensionsAsked / tensionsLabelled : 0,
    answered_share: questions ? answered / questions : 0,
    quoting_share: answers ? quoting / answers : 0,
    lens_shared: pairs ? pairShare / pairs : 0,
    reason_precision: quoted ? quotedGood / quoted : 1,
    false_value_absent: falseAbsent,
    value_absent_claims: absentClaims,
    unstable_reasons: unstable,
    ndcg_set: ndcgCases ? ndcgSum / ndcgCases : 0,
    ndcg_recommend_eval: kept,
  };
  return {
    figures,
    counts: {
      texts: items.length,
      tensionsLabelled,
      questions,
      answers,
      pairs,
      quoted,
      falseAbsent,
      absentClaims,
      unstable,
      ndcgCases,
    },
    misses,
  };
}

interface Options extends CommonOptions {
  k: number;
}

export async function main(argv: string[]): Promise<number> {
  return runBench<Options>({
    bench: 'coaching-eval',
    usage: USAGE,
    argv,
    parse: (args) => {
      const { num, nodeEnv, profileDir } = parseFlags(args, ['k']);
      return { k: num('k', 5, 1), timeoutSeconds: num('timeout', 120, 10), nodeEnv, profileDir };
    },
    scripts: [],
    profileNote: () => '',
    body: async (run, opts) => {
      const tuned = measureCoaching(opts.k, 'tuned');
      run.progress(`${tuned.counts.texts} labelled reflections, ${LENSES.length} lenses`);
      const held = measureCoaching(opts.k, 'held-out');
      run.progress(`${held.counts.texts} held-out reflections`);
      const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
      const both = (
        measure: string,
        show: (m: ReturnType<typeof measureCoaching>) => string,
        goal: string,
      ): string[] => [measure, show(tuned), show(held), goal];
      const f = (m: ReturnType<typeof measureCoaching>) => m.figures;
      const c = (m: ReturnType<typeof measureCoaching>) => m.counts;
      const lines = [
        '',
        `Coaching without AI, ${LENSES.length} lenses each, on the labelled reflections of test/fixtures/coaching-eval:`,
        `the ${tuned.counts.texts} the reader was tuned on, and ${held.counts.texts} held out (written without seeing the reader)`,
        table(
          ['measure', 'tuned set', 'held out', 'goal'],
          [
            both(
              'value detection F1 (P / R)',
              (m) =>
                `${f(m).value_f1.toFixed(3)} (${f(m).value_precision.toFixed(2)} / ${f(m).value_recall.toFixed(2)})`,
              '≥ 0.85',
            ),
            both('phase accuracy', (m) => pct(f(m).phase_accuracy), ''),
            both('tense accuracy', (m) => pct(f(m).tense_accuracy), ''),
            both(
              'tension recall (lens × tension)',
              (m) => `${pct(f(m).tension_recall)} of ${c(m).tensionsLabelled}`,
              '≥ 70 %',
            ),
            both('questions already answered', (m) => `${pct(f(m).answered_share)} of ${c(m).questions}`, '0'),
            both('answers quoting the writer', (m) => `${pct(f(m).quoting_share)} of ${c(m).answers}`, '100 %'),
            both(
              'questions shared between two lenses',
              (m) => `${pct(f(m).lens_shared)} of ${c(m).pairs} pairs`,
              '≤ 10 %',
            ),
            both(
              'reason precision (quoted words)',
              (m) => `${f(m).reason_precision.toFixed(3)} of ${c(m).quoted}`,
              '≥ 0.95',
            ),
            both(
              '"no sign of value X yet" said of a labelled value',
              (m) => `${c(m).falseAbsent} of ${c(m).absentClaims}`,
              '0',
            ),
            both('texts whose reasons change on a second read', (m) => String(c(m).unstable), '0'),
            both(
              `nDCG@${opts.k} of the set's relevant items`,
              (m) => `${f(m).ndcg_set.toFixed(3)} (${c(m).ndcgCases} texts)`,
              '',
            ),
            [
              `nDCG@${opts.k}, recommend-eval set (stemmed)`,
              tuned.figures.ndcg_recommend_eval.toFixed(3),
              '',
              '≥ 0.796',
            ],
          ],
        ),
        '',
      ];
      for (const [name, m] of [
        ['tuned', tuned],
        ['held-out', held],
      ] as const)
        for (const [what, list] of Object.entries(m.misses))
          if (list.length)
            lines.push(
              `${name} ${what} misses (${list.length}): ${list.slice(0, 12).join('; ')}${list.length > 12 ? ' …' : ''}`,
            );
      lines.push('');
      const json: Record<string, number | string> = { bench: 'coaching-eval', texts: tuned.counts.texts };
      for (const [key, v] of Object.entries(tuned.figures)) json[key] = round(v, 4);
      json.heldout_texts = held.counts.texts;
      for (const [key, v] of Object.entries(held.figures))
        if (key !== 'ndcg_recommend_eval') json[`heldout_${key}`] = round(v, 4);
      lines.push(JSON.stringify(json));
      run.report = lines.join('\n');
      return 0;
    },
  });
}

function itemStemsOf(item: CatalogItem): Set<string> {
  const f = itemFields(item);
  return new Set(stemmedAnalyzer.terms([f.title, f.tags, f.description].join(' ')));
}

/** Whether every place the phrase is written (case aside) lies in one of these sentences. */
function onlyWrittenIn(
  text: string,
  sentences: ReadonlyArray<{ start: number; end: number }>,
  phrase: string,
): boolean {
  const lower = text.toLowerCase();
  const p = phrase.toLowerCase();
  let found = false;
  for (let at = lower.indexOf(p); at >= 0; at = lower.indexOf(p, at + 1)) {
    found = true;
    if (!sentences.some((s) => at >= s.start && at < s.end)) return false;
  }
  return found;
}
