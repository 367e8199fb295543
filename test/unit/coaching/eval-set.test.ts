/**
 * The coaching evaluation set (test/fixtures/coaching-eval/) is only worth its figures if its
 * labels hold: every item's template, prompt, values, tensions and catalog ids exist, and every
 * quoted piece of evidence is in the text it labels.
 */
import fs from 'node:fs';
import path from 'node:path';
import { BERAKHLAK_VALUES, GROW_PHASES } from '../../../src/domain/vocabulary';
import { projectRoot } from '../../../src/core/paths';
import { TENSION_KINDS } from '../../../src/ai/offline/analyser';

const DIR = path.join(projectRoot, 'test', 'fixtures', 'coaching-eval');
/** The kinds the reader finds are the kinds the set may label. */
const TENSIONS: readonly string[] = TENSION_KINDS;
const TOPICS = [
  'story',
  'action',
  'evidence',
  'value',
  'stakeholder',
  'measure',
  'feeling',
  'learning',
  'rule',
  'supervisor',
  'own-part',
];

interface EvalItem {
  id: string;
  template: string;
  entryKey: string;
  text: string;
  labels: {
    values: string[];
    valueEvidence: Record<string, string>;
    phase: string | null;
    tense: string;
    tensions: Array<{ kind: string; evidence: string }>;
    answeredQuestions: string[];
    answeredTopics: string[];
    goodQuestions: string[];
    relevantItems: string[];
    safety: string | null;
  };
}

const read = (files: RegExp): EvalItem[] =>
  fs
    .readdirSync(DIR)
    .filter((f) => files.test(f))
    .flatMap((f) => JSON.parse(fs.readFileSync(path.join(DIR, f), 'utf8')) as EvalItem[]);
/** The texts the reader was tuned on, and those held out from it. */
const items = read(/^part-.*\.json$/);
const heldOut = read(/^held-out-.*\.json$/);
const catalog = new Set(
  (
    JSON.parse(fs.readFileSync(path.join(projectRoot, 'config', 'catalog', 'sample.json'), 'utf8')) as {
      items: Array<{ id: string }>;
    }
  ).items.map((i) => i.id),
);
const promptsOf = (template: string): Set<string> => {
  const file = path.join(projectRoot, 'config', 'templates', `${template}.json`);
  if (!fs.existsSync(file)) return new Set();
  const t = JSON.parse(fs.readFileSync(file, 'utf8')) as { sections: Array<{ prompts: Array<{ id: string }> }> };
  return new Set(t.sections.flatMap((s) => s.prompts.map((p) => p.id)));
};

test('the set is large enough: at least 60 reflections over the four templates, 40 with relevant materials', () => {
  expect(items.length).toBeGreaterThanOrEqual(60);
  expect(new Set(items.map((i) => i.template))).toEqual(new Set(['berakhlak', 'aktualisasi', 'habituasi', 'bebas']));
  expect(items.filter((i) => i.labels.relevantItems.length > 0).length).toBeGreaterThanOrEqual(40);
  expect(new Set(items.map((i) => i.id)).size).toBe(items.length);
});

test('the held-out set covers the four templates, and shares no id or text with the tuned one', () => {
  expect(heldOut.length).toBeGreaterThanOrEqual(20);
  expect(new Set(heldOut.map((i) => i.template))).toEqual(new Set(['berakhlak', 'aktualisasi', 'habituasi', 'bebas']));
  const ids = new Set(items.map((i) => i.id));
  const texts = new Set(items.map((i) => i.text));
  expect(heldOut.filter((i) => ids.has(i.id) || texts.has(i.text))).toEqual([]);
  expect(new Set(heldOut.map((i) => i.id)).size).toBe(heldOut.length);
});

test('every label refers to something that exists, and every piece of evidence is in its text', () => {
  const problems: string[] = [];
  for (const item of [...items, ...heldOut]) {
    const say = (what: string) => problems.push(`${item.id}: ${what}`);
    const l = item.labels;
    if (!promptsOf(item.template).has(item.entryKey)) say(`no prompt ${item.template}/${item.entryKey}`);
    for (const v of l.values) if (!(BERAKHLAK_VALUES as readonly string[]).includes(v)) say(`value ${v}`);
    for (const [v, quote] of Object.entries(l.valueEvidence)) {
      if (!l.values.includes(v)) say(`evidence for a value not listed: ${v}`);
      if (!item.text.includes(quote)) say(`value evidence not in the text: ${quote}`);
    }
    for (const t of l.tensions) {
      if (!TENSIONS.includes(t.kind)) say(`tension ${t.kind}`);
      if (!item.text.includes(t.evidence)) say(`tension evidence not in the text: ${t.evidence}`);
    }
    if (l.phase !== null && !(GROW_PHASES as readonly string[]).includes(l.phase)) say(`phase ${l.phase}`);
    if (!['past', 'present', 'future'].includes(l.tense)) say(`tense ${l.tense}`);
    if (!Array.isArray(l.answeredTopics)) say('answeredTopics is not an array');
    else {
      for (const t of l.answeredTopics) if (!TOPICS.includes(t)) say(`answered topic ${t}`);
      if (new Set(l.answeredTopics).size !== l.answeredTopics.length) say('answered topics repeat');
    }
    for (const id of l.relevantItems) if (!catalog.has(id)) say(`catalog item ${id}`);
    if (l.goodQuestions.length < 1 || l.goodQuestions.length > 3) say('one to three good questions');
  }
  expect(problems).toEqual([]);
});
