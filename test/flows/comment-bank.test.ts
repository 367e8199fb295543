/**
 * A coach's comment bank and the worklist's CSV, over HTTP: a comment kept while finalizing shows
 * on the next review page, the same text twice is one entry, another staff member cannot remove it,
 * and the export carries each decision's levels and comment.
 */
import mongoose from 'mongoose';
import { Browser, launchThroughDemo, ltikOf } from '../../sim/browser';
import {
  courseBaseOf,
  finalizeReview,
  placeOneActivity,
  reviewUrlOf,
  writeAndSubmit,
  type PlacedActivity,
} from '../support/coaching';
import { startStack, type Stack } from '../support/stack';

let stack: Stack;
let placed: PlacedActivity;
const TEXT =
  'Saya membantu warga mengisi formulir dan menjelaskan persyaratan satu per satu sampai jelas, lalu mencatat pertanyaan yang sering muncul.';
const KEPT = 'Refleksi yang jujur. Tambahkan ukuran keberhasilan.';

beforeAll(async () => {
  stack = await startStack({ GRADES_POLL_MS: '100' });
  placed = await placeOneActivity(stack, 'Refleksi bank komentar', 100);
  for (const u of ['u-p-001', 'u-p-002', 'u-p-003']) await writeAndSubmit(stack, u, placed.linkId, { refleksi: TEXT });
}, 60_000);
afterAll(async () => {
  await stack.close();
});

const bankOnPage = (body: string) => [...body.matchAll(/<span class="bank-text">([^<]*)<\/span>/g)].map((m) => m[1]);

test('a kept comment is offered on the next review, once however often it is kept; another staff member cannot remove it', async () => {
  expect((await finalizeReview(stack, placed, 'u-p-001', () => 2, { comment: KEPT, saveToBank: '1' })).status).toBe(
    200,
  );
  expect((await finalizeReview(stack, placed, 'u-p-002', () => 1, { comment: KEPT, saveToBank: '1' })).status).toBe(
    200,
  );
  const ltik = ltikOf(placed.coachPage);
  const next = await placed.coach.go(`${reviewUrlOf(stack, placed, 'u-p-003')}?ltik=${encodeURIComponent(ltik)}`);
  expect(bankOnPage(next.body)).toEqual([KEPT]);
  const id = /name="id" value="([^"]+)"/.exec(next.body)?.[1] as string;

  // The admin of the same platform is staff too, with a bank of their own: this one is not theirs.
  const admin = new Browser();
  const adminPage = await launchThroughDemo(admin, stack.demoBase, 'u-admin-1', { link: placed.linkId });
  const course = courseBaseOf(placed.coachPage);
  const notTheirs = await admin.go(`${stack.baseUrl}${course}/comment-bank/delete`, {
    form: { ltik: ltikOf(adminPage), id },
  });
  expect(notTheirs.status).toBe(200); // back to a page, nothing removed
  expect(await mongoose.connection.db?.collection('coaching_comment_bank').countDocuments({ _id: id as never })).toBe(
    1,
  );
  // A participant cannot reach it at all.
  const p = await writeAndSubmit(stack, 'u-p-004', placed.linkId, {}, { submit: false });
  expect(
    (await p.browser.go(`${stack.baseUrl}${course}/comment-bank/delete`, { form: { ltik: p.ltik, id } })).status,
  ).toBe(403);
  // An open redirect is not offered: a foreign "back" goes to the roster.
  const removed = await placed.coach.go(`${stack.baseUrl}${course}/comment-bank/delete`, {
    form: { ltik, id, back: 'https://evil.example/' },
  });
  expect(new URL(removed.url).pathname).toBe(`${course}/roster`);
  expect(await mongoose.connection.db?.collection('coaching_comment_bank').countDocuments({})).toBe(0);
});

test("the worklist's CSV lists every participant with work, decided ones with their levels and comment", async () => {
  const ltik = ltikOf(placed.coachPage);
  const csv = await placed.coach.go(
    `${stack.baseUrl}${courseBaseOf(placed.coachPage)}/activities/${placed.activityId}/worklist.csv?ltik=${encodeURIComponent(ltik)}`,
  );
  expect(csv.status).toBe(200);
  expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
  expect(csv.headers.get('content-disposition')).toMatch(/attachment; filename="cermin-nilai.csv"/);
  const lines = csv.body
    .replace(/^\uFEFF/, '')
    .trim()
    .split(/\r?\n/);
  expect(lines[0]).toMatch(/^Nama,ID pengguna,Status,Kemajuan,Nilai,Nilai maksimal,Kedalaman refleksi,/);
  expect(lines).toHaveLength(1 + 3); // u-p-004 opened the journal but wrote nothing: no work, no row
  const decided = lines.filter((l) => l.includes(KEPT));
  expect(decided).toHaveLength(2);
  expect(lines.some((l) => l.includes('u-p-003') && l.includes('Dikumpulkan, perlu ditinjau'))).toBe(true);
});

test('a comment beside an entry reaches the participant beside that entry; one too long is refused at its field; one on no entry is dropped', async () => {
  const p = await writeAndSubmit(stack, 'u-p-005', placed.linkId, { refleksi: TEXT });
  const tooLong = await finalizeReview(stack, placed, 'u-p-005', () => 2, {
    'entryComment.refleksi': 'x'.repeat(2001),
  });
  expect(tooLong.status).toBe(400);
  expect(tooLong.body).toContain('id="ec-refleksi"');
  expect(tooLong.body).toMatch(/<details class="entry-comment" open>/);
  const note = 'Bagian ini kuat: Anda menyebut langkah konkret.';
  const done = await finalizeReview(stack, placed, 'u-p-005', () => 2, {
    'entryComment.refleksi': note,
    'entryComment.bukan-entri': 'tidak disimpan',
  });
  expect(done.status).toBe(200);
  const decision = (await mongoose.connection.db?.collection('coaching_reviews').findOne({ userId: 'u-p-005' }))
    ?.decision as { entryComments?: Record<string, string> };
  expect(decision.entryComments).toEqual({ refleksi: note });
  const journal = await p.browser.go(`${p.activityUrl}?ltik=${encodeURIComponent(p.ltik)}`);
  expect(journal.body).toMatch(
    /<div class="coach-note"><strong>Komentar coach:<\/strong><div class="pre">Bagian ini kuat/,
  );
  expect(journal.body).toContain('Umpan balik coach');
});

test('several works reopened from the worklist with one reason; none without a reason or a tick; only submitted work of this activity', async () => {
  const ltik = ltikOf(placed.coachPage);
  const url = `${stack.baseUrl}${courseBaseOf(placed.coachPage)}/activities/${placed.activityId}/worklist/reopen`;
  const manage = await placed.coach.go(
    `${stack.baseUrl}${courseBaseOf(placed.coachPage)}/activities/${placed.activityId}/manage?ltik=${encodeURIComponent(ltik)}&show=all`,
  );
  expect(manage.body).toContain('form="bulk-reopen" name="userId" value="u-p-001"');
  expect(manage.body).toMatch(/aria-current="page">Semua yang menulis \(\d+\)<\/a>/); // the filter in view is marked
  expect((await placed.coach.go(url, { form: { ltik, reason: 'Perbaiki.', userId: [] } })).status).toBe(400);
  expect((await placed.coach.go(url, { form: { ltik, reason: '  ', userId: 'u-p-001' } })).status).toBe(400);
  const reason = 'Tambahkan ukuran keberhasilan pada rencana Anda.';
  const done = await placed.coach.go(url, {
    form: { ltik, reason, userId: ['u-p-001', 'u-p-003', 'u-p-999'] as never },
  });
  expect(done.status).toBe(200);
  expect(done.body).toContain('2 tugas dibuka kembali');
  const works = await mongoose.connection.db
    ?.collection('coaching_work')
    .find({ userId: { $in: ['u-p-001', 'u-p-002', 'u-p-003'] } })
    .sort({ userId: 1 })
    .toArray();
  expect(works?.map((w) => [w.userId, w.status, w.reopenReason ?? null])).toEqual([
    ['u-p-001', 'draft', reason],
    ['u-p-002', 'submitted', null],
    ['u-p-003', 'draft', reason],
  ]);
});
