/**
 * An activity's maximum score against Moodle's grade column. Moodle rescales a column whose
 * maximum a tool changes and records 0 for every row without a grade (docs/moodle.md); the demo
 * LMS does the same, so these tests see what a real Moodle gradebook would show. Cermin changes
 * the column only while nobody is graded in it, or when the coach ticks the choice that says what
 * Moodle will do; otherwise scores carry their own maximum and Moodle scales them to its column.
 */
import { ltikOf, type Page } from '../../sim/browser';
import { finalizeReview, placeOneActivity, writeAndSubmit, type PlacedActivity } from '../support/coaching';
import { until } from '../support/chromium';
import { startStack, type Stack } from '../support/stack';
import type { DemoLineItem, DemoScore } from '../../sim/lms/ags';
import { isLearner } from '../../sim/lms/roster';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack.close();
});

const TEXT =
  'Minggu ini saya menunda surat penting karena takut salah. Setelah berbicara dengan atasan, saya menyusun daftar periksa.';

const columnOf = (placed: PlacedActivity): DemoLineItem => {
  const column = stack.demo.gradebook.lineItems.find((li) => li.id === placed.lineItemId);
  if (!column) throw new Error(`no column ${placed.lineItemId} at the demo LMS`);
  return column;
};
const rowsOf = (placed: PlacedActivity): DemoScore[] =>
  stack.demo.gradebook.scores.filter((s) => s.lineItemId === placed.lineItemId);
/** What Moodle's gradebook shows in the column, in the column's own points (it scales a score to its maximum). */
const shownInMoodle = (placed: PlacedActivity, userId: string): number | undefined => {
  const row = rowsOf(placed).find((s) => s.userId === userId);
  if (row?.scoreGiven === undefined) return undefined;
  return (row.scoreGiven * columnOf(placed).scoreMaximum) / (row.scoreMaximum ?? columnOf(placed).scoreMaximum);
};

async function manage(placed: PlacedActivity): Promise<{ page: Page; url: string; ltik: string; revision: string }> {
  const ltik = ltikOf(placed.coachPage);
  const url = `${new URL(placed.coachPage.url).origin}${new URL(placed.coachPage.url).pathname.replace(/\/manage$/, '')}/manage`;
  const page = await placed.coach.go(`${url}?ltik=${encodeURIComponent(ltik)}`);
  expect(page.status).toBe(200);
  const revision = /name="revision" value="(\d+)"/.exec(page.body)?.[1] as string;
  return { page, url, ltik, revision };
}

async function saveMaximum(
  placed: PlacedActivity,
  maxScore: number,
  extra: Record<string, string> = {},
): Promise<Page> {
  const { url, ltik, revision } = await manage(placed);
  const saved = await placed.coach.go(url, {
    form: {
      ltik,
      revision,
      title: columnOf(placed).label,
      maxScore: String(maxScore),
      instructions: 'Tulis dengan jujur.',
      ...extra,
    },
  });
  expect(saved.status).toBe(200);
  return saved;
}

async function graded(placed: PlacedActivity, userId: string): Promise<void> {
  await writeAndSubmit(stack, userId, placed.linkId, { refleksi: TEXT });
  const done = await finalizeReview(stack, placed, userId, (levels) => levels[levels.length - 1]);
  expect(done.status).toBe(200);
  await until(
    () => rowsOf(placed).find((s) => s.userId === userId && s.scoreGiven !== undefined),
    `${userId}'s grade at the platform`,
  );
}

test('the demo LMS rescales like Moodle: a changed maximum keeps percentages and writes 0 where there was no grade', async () => {
  const placed = await placeOneActivity(stack, 'Simulator', 40);
  await graded(placed, 'u-p-001');
  expect(shownInMoodle(placed, 'u-p-001')).toBe(40);
  const { page } = await manage(placed);
  expect(page.body).toContain('Ubah juga nilai maksimal kolom nilai di Moodle');
  expect(page.body).toContain('mencatat 0 untuk baris yang belum berisi nilai'); // what Moodle will do, said before the choice

  const saved = await saveMaximum(placed, 20, { moodleColumn: 'update' });
  expect(saved.body).toContain('kini bernilai maksimal 20');
  expect(columnOf(placed).scoreMaximum).toBe(20);
  expect(shownInMoodle(placed, 'u-p-001')).toBe(20); // 100% stays 100%
  const learners = stack.demo.users
    .filter(isLearner)
    .map((u) => u.id)
    .filter((id) => id !== 'u-p-001');
  for (const id of learners) expect(shownInMoodle(placed, id)).toBe(0); // what the coach was warned of
  expect(rowsOf(placed).filter((s) => s.byPlatform === 'rescaled')).toHaveLength(learners.length);
});

test('a column nobody is graded in follows the new maximum, and nobody gets a grade', async () => {
  const placed = await placeOneActivity(stack, 'Kolom kosong', 80);
  const saved = await saveMaximum(placed, 60);
  expect(saved.body).toContain('kolom nilai di Moodle kini bernilai maksimal 60');
  expect(columnOf(placed).scoreMaximum).toBe(60);
  expect(columnOf(placed).label).toBe('Kolom kosong');
  expect(rowsOf(placed)).toEqual([]);
  expect(saved.body).toContain('Kolom nilai Moodle: sesuai.');
});

describe('a column that holds grades', () => {
  let placed: PlacedActivity;
  beforeAll(async () => {
    placed = await placeOneActivity(stack, 'Kolom berisi', 80);
    await graded(placed, 'u-p-002');
    await writeAndSubmit(stack, 'u-p-003', placed.linkId, { refleksi: TEXT }); // submitted, not graded: an empty row in Moodle
    await until(
      () => rowsOf(placed).find((s) => s.userId === 'u-p-003'),
      "u-p-003's submitted progress at the platform",
    );
  });

  test('keeps its maximum unless the coach chooses; nobody gets a 0; later scores are scaled by Moodle', async () => {
    const saved = await saveMaximum(placed, 100);
    expect(saved.body).toContain('Kolom nilai di Moodle sudah berisi nilai, jadi nilai maksimalnya tidak diubah');
    expect(saved.body).toContain('Kolom nilai Moodle: nilai maksimalnya dibiarkan');
    expect(saved.body).toContain('name="moodleColumn"');
    expect(columnOf(placed).scoreMaximum).toBe(80);
    expect(rowsOf(placed).some((s) => s.byPlatform === 'rescaled')).toBe(false);
    expect(shownInMoodle(placed, 'u-p-002')).toBe(80);
    expect(shownInMoodle(placed, 'u-p-003')).toBeUndefined();

    // The next grade goes out of Cermin's new maximum; Moodle shows it in its column's points.
    const done = await finalizeReview(stack, placed, 'u-p-003', (levels) => levels[levels.length - 1]);
    expect(done.status).toBe(200);
    const grade = await until(
      () =>
        stack.demo.gradebook.received.find(
          (s) => s.lineItemId === placed.lineItemId && s.userId === 'u-p-003' && s.scoreGiven !== undefined,
        ),
      "u-p-003's grade",
    );
    expect(grade).toMatchObject({ scoreGiven: 100, scoreMaximum: 100 });
    expect(shownInMoodle(placed, 'u-p-003')).toBe(80);
  });

  test('a grade entered in Moodle itself (not sent by Cermin) also keeps the column as it is', async () => {
    const other = await placeOneActivity(stack, 'Dinilai di Moodle', 50);
    stack.demo.gradebook.scores.push({
      lineItemId: other.lineItemId,
      userId: 'u-p-004',
      scoreGiven: 45,
      scoreMaximum: 50,
      activityProgress: 'Completed',
      gradingProgress: 'FullyGraded',
      timestamp: new Date().toISOString(),
      receivedAt: new Date().toISOString(),
    });
    const saved = await saveMaximum(other, 70);
    expect(saved.body).toContain('sudah berisi nilai');
    expect(columnOf(other).scoreMaximum).toBe(50);
    expect(shownInMoodle(other, 'u-p-005')).toBeUndefined();
  });

  test('when the platform cannot say whether the column holds grades, nothing is changed and the coach sees why', async () => {
    const other = await placeOneActivity(stack, 'Platform diam', 50);
    stack.demo.inject('ags', { status: 503, times: 1 });
    const saved = await saveMaximum(other, 70);
    expect(saved.body).toContain('kolom nilai Moodle belum diperbarui');
    expect(columnOf(other).scoreMaximum).toBe(50);
    // Saving again retries (the column is behind) and, the platform answering, catches up.
    const again = await saveMaximum(other, 70);
    expect(again.body).toContain('kini bernilai maksimal 70');
    expect(columnOf(other).scoreMaximum).toBe(70);
  });
});
