/**
 * Coaching without AI (issue "Coaching quality without AI"): the offline coach's lens answers, the
 * recommendation reasons and the coach's offline draft, on the labelled set
 * (test/fixtures/coaching-eval) and on the three situations the issue found wrong. The floors are
 * what `npm run bench -- coaching-eval` measured when they were set; a change that lowers one fails.
 */
import { measureCoaching, loadCoachingSet, quotesWriter } from '../../../bench/coaching-eval';
import { offlineDraft } from '../../../src/ai/coach-draft';
import { analyse, answer, loadQuestionBank, type OfflineAnswer } from '../../../src/ai/offline/engine';
import { LENS_IDS } from '../../../src/ai/lenses';
import { loadSampleCatalog } from '../../../src/recommend/catalog';
import { participantProfile } from '../../../src/recommend/profile';
import { buildCatalogIndex, recommend, itemFields } from '../../../src/recommend/rank';
import { stemmedAnalyzer } from '../../../src/recommend/analyzer';

const bank = loadQuestionBank();
const set = loadCoachingSet();
const entry = (id: string) => {
  const found = set.find((i) => i.id === id);
  if (!found) throw new Error(`no ${id} in the set`);
  return found;
};
const catalog = loadSampleCatalog().items;
const index = buildCatalogIndex(catalog);

function lensAnswers(text: string, extra: { phase?: 'goal' | 'reality' | 'options' | 'will' } = {}) {
  return Object.fromEntries(
    LENS_IDS.map((lens) => [
      lens,
      answer({ text, locale: 'id', template: { id: 'bebas', kind: 'sections' }, asked: [], lens, ...extra }, bank),
    ]),
  ) as Record<(typeof LENS_IDS)[number], OfflineAnswer>;
}

/** The reasons' quoted words for a text, through the participant's profile as the page builds it. */
function reasonsFor(text: string, entryKey = 'refleksi') {
  const profile = participantProfile({
    activity: {
      templateId: 'bebas',
      sections: [{ id: 'bebas', prompts: [{ id: entryKey }] }],
      rubric: { criteria: [] },
    },
    entries: [{ key: entryKey, text, updatedAt: new Date(0) }],
    bank,
  } as unknown as Parameters<typeof participantProfile>[0]);
  return recommend({
    index,
    reflection: profile.reflection,
    weakValues: profile.weakValues,
    locale: 'id',
    valueLexicon: bank.values,
  });
}

describe('the labelled set: floors', () => {
  const { figures } = measureCoaching(5);

  test('the reader: values, phase and tense', () => {
    // Goal 0.85: not reached (0.39 before the reader, on today's labels; the tuned set grew by two
    // sets written blind to test it, which it reads less well). The floor keeps what was won.
    expect(figures.value_f1).toBeGreaterThanOrEqual(0.64);
    expect(figures.phase_accuracy).toBeGreaterThanOrEqual(0.89);
    expect(figures.tense_accuracy).toBeGreaterThanOrEqual(0.79);
  });

  test('the lens answers: about the tension, quoting the writer, each lens its own', () => {
    expect(figures.tension_recall).toBeGreaterThanOrEqual(0.77);
    expect(figures.quoting_share).toBe(1);
    expect(figures.lens_shared).toBeLessThanOrEqual(0.1);
    // Goal 0: the rest are what the reader cannot yet tell (an insight told without "belajar", a
    // rule learnt from a colleague's answer).
    expect(figures.answered_share).toBeLessThanOrEqual(0.065);
  });

  test('the reasons: true words, a value named only when it does not show, stable, ranking kept', () => {
    expect(figures.reason_precision).toBeGreaterThanOrEqual(0.95);
    expect(figures.unstable_reasons).toBe(0);
    expect(figures.false_value_absent).toBeLessThanOrEqual(63);
    expect(figures.ndcg_recommend_eval).toBeGreaterThanOrEqual(0.795);
  });
});

describe('the held-out texts (never tuned on): floors', () => {
  // Lower than the tuned set's: these are the figures an agency's own writing is likelier to meet.
  const { figures } = measureCoaching(5, 'held-out');

  test('the reader', () => {
    expect(figures.value_f1).toBeGreaterThanOrEqual(0.46);
    expect(figures.phase_accuracy).toBeGreaterThanOrEqual(0.95);
    expect(figures.tense_accuracy).toBeGreaterThanOrEqual(0.85);
  });

  test('the lens answers and the reasons', () => {
    expect(figures.tension_recall).toBeGreaterThanOrEqual(0.52);
    expect(figures.quoting_share).toBe(1);
    expect(figures.lens_shared).toBeLessThanOrEqual(0.1);
    expect(figures.answered_share).toBeLessThanOrEqual(0.16);
    expect(figures.reason_precision).toBeGreaterThanOrEqual(0.95);
    expect(figures.unstable_reasons).toBe(0);
  });
});

describe('the Disdukcapil clerk who took a shortcut through a friend at the kelurahan', () => {
  const item = entry('ev-a-15');
  const answers = lensAnswers(item.text);

  test('every lens asks about the shortcut or the supervisor not told, quoting the sentence that shows it', () => {
    for (const [lens, a] of Object.entries(answers)) {
      const topics = a.questions.map((q) => q.topic);
      expect({
        lens,
        tension: topics.some((t) => ['rule', 'supervisor', 'other-view', 'assumption'].includes(t ?? '')),
      }).toEqual({
        lens,
        tension: true,
      });
      expect(a.questions.every((q) => q.gap === 'rule-vs-shortcut' || q.gap === 'acted-without-supervisor')).toBe(true);
      expect(quotesWriter(a.lead ?? '', item.text)).toBe(true);
      expect(a.lead).toContain('teman SMA saya');
    }
    // The critique asks for evidence of the rule, the strongest form asks what would test it.
    expect(answers.kritik.questions[0].topic).toBe('rule');
    expect(answers.steelman.questions[0].topic).toBe('rule');
    expect(answers.cermin.questions.map((q) => q.topic)).toEqual(['rule', 'supervisor']);
  });

  test('no question the story answers, none of the generic ones the issue saw', () => {
    const all = Object.values(answers).flatMap((a) => a.questions);
    for (const q of all) expect(item.labels.answeredTopics).not.toContain(q.topic);
    const texts = all.map((q) => q.text);
    expect(texts).not.toContain('Apa yang ingin Anda jadikan kebiasaan?');
    expect(texts).not.toContain('Bagaimana perasaan Anda sekarang?');
    expect(texts.some((t) => /sebenarnya dibutuhkan orang yang Anda layani/.test(t))).toBe(false);
  });

  test('the five lenses share no question and no lead', () => {
    const questions = Object.values(answers).flatMap((a) => a.questions.map((q) => q.text));
    expect(new Set(questions).size).toBe(questions.length);
    const leads = Object.values(answers).map((a) => a.lead);
    expect(new Set(leads).size).toBe(LENS_IDS.length);
  });

  test("the coach's offline draft names the tension with the writer's whole sentence", () => {
    const draft = offlineDraft(bank, { templateId: 'bebas', locale: 'id' }, item.text);
    const sentence = analyse(item.text, bank).sentences.find((s) => s.text.includes('teman SMA'))?.text;
    expect(sentence).toBeDefined();
    expect(draft.feedback).toContain(`("${sentence}")`);
    expect(draft.feedback).toMatch(/di luar prosedur resmi/);
  });
});

describe("the coach's offline draft", () => {
  const rubric = {
    criteria: ['Bukti konkret dan peran sendiri', 'Rencana tindak lanjut', 'Ketepatan penilaian'].map((name, i) => ({
      id: `c${i}`,
      name,
      levels: [1, 2, 3, 4].map((points) => ({ label: `L${points}`, descriptor: '', points })),
    })),
  };

  test('never quotes a sentence the safety screen flagged, not even as a value shown', () => {
    const text =
      'Saya melayani warga dengan ramah setiap hari tapi kadang saya ingin mati saja rasanya. Minggu ini saya menyelesaikan 12 berkas.';
    const draft = offlineDraft(bank, { templateId: 'bebas', locale: 'id', rubric }, text);
    expect(draft.feedback).not.toContain('ingin mati');
    for (const level of Object.values(draft.levels)) expect(level.evidence).not.toContain('ingin mati');
  });

  test('suggests a level only with the sentence that supports it, never the top, and reads whole words', () => {
    const text =
      'Saya melihat masalah antrean di loket setiap pagi. Tindakan saya kemarin kurang tepat. ' +
      'Saya akui saya lupa mengecek jadwal. Senin depan saya akan membuat daftar periksa untuk petugas loket.';
    const { levels } = offlineDraft(bank, { templateId: 'bebas', locale: 'id', rubric }, text);
    // "Ketepatan penilaian" is no criterion about values ("nilai" inside "penilaian"); the plan's
    // sentence is the one that plans, not "Tindakan …" ("akan" inside a word).
    expect(Object.keys(levels).sort()).toEqual(['c0', 'c1']);
    expect(levels.c1).toMatchObject({
      level: 1,
      evidence: 'Senin depan saya akan membuat daftar periksa untuk petugas loket.',
    });
    for (const { level, evidence } of Object.values(levels)) {
      expect(level).toBeLessThan(3);
      expect(text.split(/(?<=\.) /)).toContain(evidence);
    }
  });
});

describe('a plain service story (the RSUD clerk and the father from Pulau Lepar)', () => {
  const item = entry('ev-a-16');

  test('its value is seen, so no reason says it does not show yet, on every reload', () => {
    expect(analyse(item.text, bank).values.map((v) => v.value)).toContain('berorientasi-pelayanan');
    const first = reasonsFor(item.text);
    expect(first.map((r) => r.signals.weakValue)).not.toContain('berorientasi-pelayanan');
    expect(first.flatMap((r) => r.reasons).join(' ')).not.toMatch(/tanda nilai Berorientasi Pelayanan/);
    expect(reasonsFor(item.text).map((r) => r.reasons)).toEqual(first.map((r) => r.reasons));
  });

  test('the lenses fit a past story: no question about what it already tells', () => {
    for (const a of Object.values(lensAnswers(item.text)))
      for (const q of a.questions) expect(item.labels.answeredTopics).not.toContain(q.topic ?? q.gap);
  });
});

describe('reasons without filler', () => {
  /** Every quoted word's root is in what the participant reads about the item. */
  function expectTrue(text: string, never: string[]) {
    const recs = reasonsFor(text);
    expect(recs.length).toBeGreaterThan(0);
    for (const r of recs) {
      const itemStems = new Set(
        stemmedAnalyzer.terms([itemFields(r.item).title, itemFields(r.item).tags, r.item.description].join(' ')),
      );
      for (const phrase of r.signals.matchedWords) {
        for (const word of phrase.split(/\s+/)) {
          expect(never).not.toContain(word.toLowerCase());
          for (const stem of stemmedAnalyzer.terms(word))
            expect({ word, item: r.id, inItem: itemStems.has(stem) }).toEqual({
              word,
              item: r.id,
              inItem: true,
            });
        }
      }
    }
  }

  test('"minggu depan", "biasanya", "kenal": time words and fillers are never the reason', () => {
    expectTrue(entry('ev-c-02').text, ['depan', 'biasanya', 'kenal']);
    expectTrue(
      'Biasanya saya kenal semua pemohon. Minggu depan saya mau menata ulang antrean di loket supaya warga tidak menunggu lama.',
      ['depan', 'biasanya', 'kenal', 'minggu'],
    );
  });

  test('"selisihnya" (a difference in figures) is not a conflict', () => {
    expectTrue(entry('ev-c-14').text, ['selisihnya', 'selisih']);
    expect(reasonsFor(entry('ev-c-14').text).flatMap((r) => r.signals.matchedWords)).not.toContain('selisihnya');
  });

  test('"saya tidak berguna": no word of that sentence becomes a reason', () => {
    for (const id of ['ev-a-17', 'ev-c-13', 'ev-b-21']) {
      const words = reasonsFor(entry(id).text).flatMap((r) => r.signals.matchedWords.map((w) => w.toLowerCase()));
      expect({ id, words: words.filter((w) => /guna/.test(w)) }).toEqual({ id, words: [] });
    }
  });
});

describe('an aktualisasi Goal entry', () => {
  const item = entry('ev-b-15');

  test('is read as a Goal in the future, and every lens asks forward, never about a past event', () => {
    const a = analyse(item.text, bank, { phase: 'goal' });
    expect(a.phase).toBe('goal');
    expect(a.tense).toBe('future');
    for (const [lens, ans] of Object.entries(lensAnswers(item.text, { phase: 'goal' }))) {
      expect({ lens, gaps: ans.questions.map((q) => q.gap).filter((g) => g === 'story') }).toEqual({ lens, gaps: [] });
      expect(ans.questions.map((q) => q.topic)).not.toContain('story');
    }
  });
});
