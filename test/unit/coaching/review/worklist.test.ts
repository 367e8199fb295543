import {
  filterWorklist,
  neighboursOf,
  orderWorklist,
  worklistCounts,
  type WorklistRow,
} from '../../../../src/coaching/review/worklist';
import { worklistCsv } from '../../../../src/coaching/review/export';
import { translator } from '../../../../src/http/i18n';
import type { ReviewDoc } from '../../../../src/coaching/review/service';
import type { CellStatus } from '../../../../src/coaching/review/roster-view';

const row = (userId: string, name: string, status: CellStatus, extra: Partial<WorklistRow> = {}): WorklistRow => ({
  userId,
  name,
  status,
  progress: { done: 1, required: 1 },
  incomplete: false,
  ...extra,
});

const CLASS = [
  row('u5', 'Eka', 'sent', { score: 80 }),
  row('u2', 'Bagus', 'submitted'),
  row('u4', 'dedi', 'draft'),
  row('u1', 'Ayu', 'reviewed', { score: 70 }),
  row('u3', 'Citra', 'submitted'),
  row('u6', 'Fajar', 'failed', { score: 60 }),
];

describe('the worklist', () => {
  test('to review first (by name, case and accents aside), then the roster status order, then by name', () => {
    expect(orderWorklist(CLASS).map((r) => r.name)).toEqual(['Bagus', 'Citra', 'Fajar', 'Ayu', 'dedi', 'Eka']);
  });

  test('the "to review" filter keeps submitted, undecided work only; counts say both', () => {
    expect(filterWorklist(CLASS, 'todo').map((r) => r.userId)).toEqual(['u2', 'u3']);
    expect(filterWorklist(CLASS, 'all')).toHaveLength(6);
    expect(worklistCounts(CLASS)).toEqual({ todo: 2, all: 6 });
  });

  test('previous and next within the filter, with the place in it', () => {
    expect(neighboursOf(CLASS, 'todo', 'u2')).toMatchObject({
      previous: undefined,
      next: { userId: 'u3' },
      position: 1,
      total: 2,
    });
    expect(neighboursOf(CLASS, 'all', 'u6')).toMatchObject({
      previous: { userId: 'u3' },
      next: { userId: 'u1' },
      position: 3,
    });
    expect(neighboursOf(CLASS, 'todo', 'u3').next).toBeUndefined();
  });

  test('one just decided (out of "to review") still has the one after them as next', () => {
    const decided = CLASS.map((r) => (r.userId === 'u2' ? { ...r, status: 'waiting' as const } : r));
    expect(neighboursOf(decided, 'todo', 'u2')).toMatchObject({ next: { userId: 'u3' }, position: 0, total: 1 });
  });

  test('someone not in the worklist at all starts at its top', () => {
    expect(neighboursOf(CLASS, 'todo', 'nobody')).toMatchObject({ next: { userId: 'u2' }, position: 0 });
  });
});

describe('the CSV export', () => {
  const activity = {
    maxScore: 100,
    rubric: {
      criteria: [
        {
          id: 'a',
          name: 'Kedalaman',
          levels: [
            { label: 'Awal', points: 1, descriptor: '' },
            { label: 'Baik', points: 2, descriptor: '' },
          ],
        },
      ],
    },
  } as never;
  const review = (userId: string, comment: string): ReviewDoc =>
    ({
      userId,
      decision: {
        levels: { a: 1 },
        comment,
        by: { id: 'c', name: 'Bu Rina' },
        at: new Date('2026-12-06T03:00:00Z'),
        score: 70,
      },
    }) as never;

  test('one row per participant in worklist order; levels and comment only of a decision that applies; formulas quoted as text', () => {
    const csv = worklistCsv(
      activity,
      [row('u1', '=HYPERLINK("x")', 'reviewed', { score: 70 }), row('u2', 'Bagus', 'submitted')],
      [review('u1', '+62 812 komentar'), review('u2', 'lama, dibuka kembali')],
      translator('id'),
      'id',
    );
    const lines = csv
      .replace(/^\uFEFF/, '')
      .trim()
      .split(/\r?\n/);
    expect(lines[0]).toBe(
      'Nama,ID pengguna,Status,Kemajuan,Nilai,Nilai maksimal,Kedalaman,Komentar,Ditinjau oleh,Waktu tinjauan',
    );
    expect(lines[1]).toBe('Bagus,u2,"Dikumpulkan, perlu ditinjau",1/1,,100,,,,');
    expect(lines[2]).toMatch(
      /^"'=HYPERLINK\(""x""\)",u1,Ditinjau \(ditahan\),1\/1,70,100,Baik,'\+62 812 komentar,Bu Rina,"6 Des 2026, 10\.00 WIB"$/,
    );
    expect(csv.startsWith('\uFEFF')).toBe(true);
  });
});
