/** Pure coaching rules: entry text, words, dated keys, completion, visibility, settings form. */
import {
  applySettingsForm,
  canSee,
  checkEntryText,
  endOfDayWib,
  journalKey,
  progressOf,
  scaledScore,
  settingsFromTemplate,
  wordCount,
} from '../../../src/coaching/domain';
import { loadTemplates } from '../../../src/coaching/templates';

const templates = loadTemplates();
const byId = (id: string) => templates.find((t) => t.id === id)!;
const now = new Date('2026-11-25T05:00:00Z');

test('entry text: normalised, or refused whole with the reason', () => {
  expect(checkEntryText('baris satu\r\nbaris dua')).toEqual({ ok: true, text: 'baris satu\nbaris dua' });
  expect(checkEntryText('e\u0301')).toEqual({ ok: true, text: '\u00e9' }); // NFC
  expect(checkEntryText('tab\tboleh')).toMatchObject({ ok: true });
  expect(checkEntryText('bel\u0007')).toEqual({ ok: false, problem: 'controlChars' });
  expect(checkEntryText('rusak \uFFFD')).toEqual({ ok: false, problem: 'badEncoding' });
  expect(checkEntryText('setengah \uD800 surrogate')).toEqual({ ok: false, problem: 'badEncoding' });
  expect(checkEntryText('😀'.repeat(20000))).toMatchObject({ ok: true }); // counted in characters, not UTF-16 units
  expect(checkEntryText('a'.repeat(20001))).toEqual({ ok: false, problem: 'tooLong' });
});

test('words are counted the way a reader would', () => {
  expect(wordCount('')).toBe(0);
  expect(wordCount('  Saya   melayani\nwarga.  ')).toBe(3);
  expect(wordCount("anak-anak ASN's tugas, 2026 — selesai!")).toBe(5);
});

test('dated journal keys: real days, not far in the future or the past', () => {
  expect(journalKey('2026-11-25', now)).toBe('d-2026-11-25');
  expect(journalKey('2026-11-26', now)).toBe('d-2026-11-26'); // tomorrow: time zones
  expect(journalKey('2026-11-28', now)).toBeUndefined();
  expect(journalKey('2026-02-30', now)).toBeUndefined();
  expect(journalKey('2023-01-01', now)).toBeUndefined();
  expect(journalKey('25-11-2026', now)).toBeUndefined();
});

test('completion counts shared entries long enough', () => {
  const p = progressOf({ completion: { minEntries: 2, minWords: 3 } }, [
    { key: 'a', words: 5, visibility: 'coach' },
    { key: 'b', words: 2, visibility: 'coach' },
    { key: 'c', words: 9, visibility: 'private' },
  ]);
  expect(p).toMatchObject({ done: 1, required: 2, met: false });
  expect(p.entries.c.counts).toBe(false);
});

test("visibility: owner always, coach unless private, mentor only their own mentee's mentor-shared", () => {
  expect(canSee({ visibility: 'private' }, { kind: 'owner' })).toBe(true);
  expect(canSee({ visibility: 'private' }, { kind: 'coach' })).toBe(false);
  expect(canSee({ visibility: 'coach' }, { kind: 'coach' })).toBe(true);
  expect(canSee({ visibility: 'coach' }, { kind: 'mentor', ofThisParticipant: true })).toBe(false);
  expect(canSee({ visibility: 'mentor' }, { kind: 'mentor', ofThisParticipant: true })).toBe(true);
  expect(canSee({ visibility: 'mentor' }, { kind: 'mentor', ofThisParticipant: false })).toBe(false);
});

test('settings form: edits applied, structure kept, every problem listed', () => {
  const base = settingsFromTemplate(byId('berakhlak'), 'id', now);
  expect(base.dueAt?.toISOString()).toBe(endOfDayWib(new Date(now.getTime() + 14 * 86400000)).toISOString());
  const ok = applySettingsForm(
    base,
    {
      title: ' Refleksi ',
      maxScore: '10',
      aiMode: 'off',
      dueAt: '2026-12-31',
      'criterion.0.name': 'Kedalaman',
      'prompt.akuntabel-1': 'Pertanyaan baru?',
    },
    now,
  );
  if (!ok.ok) throw new Error(JSON.stringify(ok.problems));
  expect(ok.settings.title).toBe('Refleksi');
  expect(ok.settings.maxScore).toBe(10);
  expect(ok.settings.rubric.criteria[0].name).toBe('Kedalaman');
  expect(ok.settings.rubric.criteria).toHaveLength(base.rubric.criteria.length);
  const edited = ok.settings.sections.flatMap((s) => s.prompts).find((p) => p.id === 'akuntabel-1');
  expect(edited).toEqual({ id: 'akuntabel-1', text: 'Pertanyaan baru?' });
  expect(ok.settings.dueAt?.toISOString()).toBe('2026-12-31T16:59:00.000Z');

  const bad = applySettingsForm(
    base,
    {
      title: '',
      maxScore: '2.5',
      aiMode: 'oracle',
      dueAt: '2020-01-01',
      'criterion.1.level.2.points': '1',
      'prompt.akuntabel-1': '   ',
    },
    now,
  );
  expect(bad.ok).toBe(false);
  if (bad.ok) return;
  expect(bad.problems.map((p) => p.key).sort()).toEqual([
    'settings.aiModeInvalid',
    'settings.dueAtInvalid',
    'settings.levelsAscending',
    'settings.maxScoreInvalid',
    'settings.promptRequired',
    'settings.titleRequired',
  ]);
});

test('rubric points are scaled to the maximum score', () => {
  const rubric = settingsFromTemplate(byId('bebas'), 'id', now).rubric;
  expect(scaledScore(100, rubric, 10)).toBe(10);
  expect(scaledScore(50, rubric, 10)).toBe(5);
  expect(scaledScore(33, rubric, 100)).toBe(33);
});
