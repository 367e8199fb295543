/** Coaching templates: the real files load with the structure coaches rely on; a bad file is refused with every problem named. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  loadTemplates,
  localize,
  TemplateError,
  type CoachingTemplate,
  type LocalizedText,
} from '../../../src/coaching/templates';
import { projectRoot } from '../../../src/core/paths';

const REAL_DIR = path.join(projectRoot, 'config', 'templates');
const VALUES = ['berorientasi-pelayanan', 'akuntabel', 'kompeten', 'harmonis', 'loyal', 'adaptif', 'kolaboratif'];
const PHASES = ['rancangan', 'pelaksanaan', 'laporan'];

const templates = loadTemplates();
const byId = (id: string): CoachingTemplate => {
  const t = templates.find((x) => x.id === id);
  if (!t) throw new Error(`template ${id} not loaded`);
  return t;
};
const promptsOf = (t: CoachingTemplate) => t.sections.flatMap((s) => s.prompts);

/** Every LocalizedText in a template, found by shape. */
function texts(value: unknown, out: LocalizedText[] = []): LocalizedText[] {
  if (Array.isArray(value)) value.forEach((v) => texts(v, out));
  else if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (typeof o.id === 'string' && typeof o.en === 'string') out.push(o as unknown as LocalizedText);
    else Object.values(o).forEach((v) => texts(v, out));
  }
  return out;
}

describe('the real templates', () => {
  test('all four load, in the order coaches see them, with the default AI modes', () => {
    expect(templates.map((t) => t.id)).toEqual(['berakhlak', 'aktualisasi', 'habituasi', 'bebas']);
    expect(Object.fromEntries(templates.map((t) => [t.id, t.aiMode]))).toEqual({
      berakhlak: 'all',
      aktualisasi: 'all',
      habituasi: 'mirror',
      bebas: 'mirror',
    });
    for (const t of templates) expect((t as unknown as Record<string, unknown>).$schema).toBeUndefined();
  });

  test('berakhlak: one section per core value, in order, each with a description and two prompts', () => {
    const t = byId('berakhlak');
    expect(t.kind).toBe('sections');
    expect(t.sections.map((s) => s.id)).toEqual(VALUES);
    expect(t.sections[0].title.id).toBe('Berorientasi Pelayanan');
    for (const s of t.sections) {
      expect(s.description?.id.length).toBeGreaterThan(80);
      expect(s.prompts).toHaveLength(2);
      // Reflection on the participant's own work, addressed as "Anda", never a quiz.
      for (const p of s.prompts) expect(p.text.id).toMatch(/\bAnda\b/);
    }
    expect(t.completion.minEntries).toBe(14);
  });

  test('aktualisasi: three phases, each with the GROW prompts, a values prompt and a checkpoint', () => {
    const t = byId('aktualisasi');
    expect(t.kind).toBe('sections');
    expect(t.sections.map((s) => s.id)).toEqual(PHASES);
    for (const s of t.sections) {
      expect(s.prompts.map((p) => p.id)).toEqual(
        ['goal', 'reality', 'options', 'will', 'nilai'].map((g) => `${s.id}-${g}`),
      );
      expect(s.checkpoint?.id).toMatch(/coach/);
      expect(s.checkpoint?.en.length).toBeGreaterThan(100);
      const nilai = s.prompts[4];
      expect(nilai.text.id).toMatch(/BerAKHLAK/);
      expect(nilai.text.id).toMatch(/kata-kata Anda sendiri/);
    }
    expect(t.completion.minEntries).toBe(promptsOf(t).length);
  });

  test('habituasi: a journal with one daily section of 3-4 guiding prompts, 10 entries of 80 words', () => {
    const t = byId('habituasi');
    expect(t.kind).toBe('journal');
    expect(t.sections.map((s) => s.id)).toEqual(['harian']);
    expect(t.sections[0].prompts.length).toBeGreaterThanOrEqual(3);
    expect(t.sections[0].prompts.length).toBeLessThanOrEqual(4);
    expect(t.completion).toEqual({ minEntries: 10, minWords: 80 });
    // The instructions state the same numbers the completion check uses.
    expect(t.instructions.id).toContain(`${t.completion.minEntries} catatan`);
    expect(t.instructions.id).toContain(`${t.completion.minWords} kata`);
  });

  test('bebas: one prompt whose hint tells the coach to replace it', () => {
    const t = byId('bebas');
    expect(t.sections.map((s) => s.id)).toEqual(['bebas']);
    expect(t.sections[0].prompts).toHaveLength(1);
    expect(t.sections[0].prompts[0].hint?.id).toMatch(/coach/i);
    expect(t.sections[0].prompts[0].hint?.id).toMatch(/[Gg]anti/);
    expect(t.sections[0].prompts[0].hint?.en).toMatch(/[Rr]eplace/);
  });

  test.each(['berakhlak', 'aktualisasi', 'habituasi', 'bebas'])(
    '%s: rubric of 3-5 criteria, 4 ascending levels each, adding up to maxScore 100',
    (id) => {
      const t = byId(id);
      expect(t.maxScore).toBe(100);
      expect(t.rubric.criteria.length).toBeGreaterThanOrEqual(3);
      expect(t.rubric.criteria.length).toBeLessThanOrEqual(5);
      let total = 0;
      for (const c of t.rubric.criteria) {
        expect(c.levels).toHaveLength(4);
        const points = c.levels.map((l) => l.points);
        expect([...points].sort((a, b) => a - b)).toEqual(points);
        expect(new Set(points).size).toBe(4);
        total += points[3];
      }
      expect(total).toBe(t.maxScore);
    },
  );

  test.each(['berakhlak', 'aktualisasi', 'habituasi', 'bebas'])(
    '%s: Indonesian and English everywhere, distinct, and Indonesian addresses the reader as "Anda"',
    (id) => {
      const t = byId(id);
      for (const x of texts(t)) {
        expect(x.id.trim()).not.toBe('');
        expect(x.en.trim()).not.toBe('');
      }
      expect(t.instructions.id).toMatch(/\bAnda\b/);
      expect(t.instructions.id).not.toMatch(/\b(kamu|kau|engkau|anda)\b/);
      expect(t.instructions.en).not.toBe(t.instructions.id);
      // The AI is a mirror, the coach decides.
      if (t.aiMode !== 'off') expect(t.instructions.id).toMatch(/cermin/);
      expect(t.instructions.id).toMatch(/coach/);
    },
  );

  test('localize picks the language and falls back to Indonesian', () => {
    expect(localize({ id: 'Akuntabel', en: 'Accountable' }, 'en')).toBe('Accountable');
    expect(localize({ id: 'Akuntabel', en: 'Accountable' }, 'id')).toBe('Akuntabel');
    expect(localize({ id: 'Akuntabel', en: '' }, 'en')).toBe('Akuntabel');
  });
});

describe('a bad template file', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cermin-templates-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const readReal = (id: string) =>
    JSON.parse(fs.readFileSync(path.join(REAL_DIR, `${id}.json`), 'utf8')) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

  function errorOf(write: () => void): TemplateError {
    write();
    try {
      loadTemplates(dir);
    } catch (err) {
      if (err instanceof TemplateError) return err;
      throw err;
    }
    throw new Error('expected a TemplateError');
  }
  const writeDoc = (file: string, doc: unknown) => fs.writeFileSync(path.join(dir, file), JSON.stringify(doc, null, 2));

  test('an unchanged copy loads (the injected errors below are the only cause)', () => {
    for (const id of ['bebas', 'habituasi']) writeDoc(`${id}.json`, readReal(id));
    expect(loadTemplates(dir).map((t) => t.id)).toEqual(['habituasi', 'bebas']);
  });

  test('an unknown key, anywhere', () => {
    const err = errorOf(() => {
      const doc = readReal('bebas');
      doc.colour = 'blue';
      doc.sections[0].prompts[0].weight = 2;
      writeDoc('bebas.json', doc);
    });
    expect(err.message).toContain('bebas.json');
    expect(err.problems).toEqual(
      expect.arrayContaining(['$.colour: unknown key', '$.sections[0].prompts[0].weight: unknown key']),
    );
  });

  test('a missing or blank English string', () => {
    const err = errorOf(() => {
      const doc = readReal('berakhlak');
      delete doc.sections[2].prompts[1].text.en;
      doc.rubric.criteria[0].levels[3].label.en = '   ';
      writeDoc('berakhlak.json', doc);
    });
    expect(err.message).toContain('berakhlak.json');
    expect(err.message).toContain('$.sections[2].prompts[1].text.en: missing');
    expect(err.message).toContain('$.rubric.criteria[0].levels[3].label.en: must not be blank');
  });

  test('a duplicate prompt id, even in another section', () => {
    const err = errorOf(() => {
      const doc = readReal('aktualisasi');
      doc.sections[2].prompts[0].id = 'rancangan-goal';
      writeDoc('aktualisasi.json', doc);
    });
    expect(err.message).toContain('aktualisasi.json');
    expect(err.message).toContain(
      '$.sections[2].prompts[0].id: duplicate prompt id "rancangan-goal" (first at $.sections[0].prompts[0].id)',
    );
  });

  test('a rubric that does not add up to maxScore, and levels out of order', () => {
    const err = errorOf(() => {
      const doc = readReal('habituasi');
      doc.rubric.criteria[1].levels[3].points = 20;
      doc.rubric.criteria[2].levels[1].points = doc.rubric.criteria[2].levels[0].points;
      writeDoc('habituasi.json', doc);
    });
    expect(err.message).toContain('habituasi.json');
    expect(err.message).toContain('$.rubric.criteria: the top levels add up to 95, but maxScore is 100');
    expect(err.message).toMatch(
      /\$\.rubric\.criteria\[2\]\.levels\[1\]\.points: 6 must be more than the level before it \(6\)/,
    );
  });

  test('a file name that differs from the id', () => {
    const err = errorOf(() => writeDoc('refleksi.json', readReal('bebas')));
    expect(err.message).toContain('refleksi.json');
    expect(err.problems).toEqual(['$.id: "bebas" differs from the file name "refleksi.json" (they must be equal)']);
  });

  test('invalid JSON, with where it breaks', () => {
    const err = errorOf(() => {
      writeDoc('bebas.json', readReal('bebas'));
      const text = fs.readFileSync(path.join(dir, 'bebas.json'), 'utf8');
      fs.writeFileSync(path.join(dir, 'bebas.json'), text.replace('"maxScore": 100,', '"maxScore": 100,,'));
    });
    expect(err.message).toContain('bebas.json');
    expect(err.message).toMatch(/invalid JSON: .*line \d+/);
  });

  test('more entries required than a sections template has prompts, a bad id and a bad enum, all at once', () => {
    const err = errorOf(() => {
      const doc = readReal('bebas');
      doc.completion.minEntries = 3;
      doc.sections[0].id = 'Bebas Sekali';
      doc.aiMode = 'always';
      writeDoc('bebas.json', doc);
    });
    expect(err.problems).toEqual(
      expect.arrayContaining([
        '$.completion.minEntries: 3 is more than the 1 prompt(s) of this template',
        '$.sections[0].id: must match ^[a-z0-9][a-z0-9-]{0,40}$',
        '$.aiMode: must be one of "off", "mirror", "all"',
      ]),
    );
  });

  test('a missing folder', () => {
    expect(() => loadTemplates(path.join(dir, 'nope'))).toThrow(TemplateError);
  });
});
