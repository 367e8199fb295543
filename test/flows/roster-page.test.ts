/**
 * The coach's roster for a course of 1,000 participants, read from the demo LMS's NRPS over real
 * HTTP: every member, paged in the page; search, status filter and sort; members who left kept and
 * marked; what is new since the coach's last visit; held grades released together.
 */
import mongoose from 'mongoose';
import { ltikOf, type Browser, type Page } from '../../sim/browser';
import {
  courseBaseOf,
  finalizeReview,
  placeOneActivity,
  writeAndSubmit,
  type PlacedActivity,
} from '../support/coaching';
import { startStack, type Stack } from '../support/stack';
import { until } from '../support/chromium';

let stack: Stack;
let placed: PlacedActivity;
let linkId: string;
let lineItemId: string;
let coach: Browser;
let coachPage: Page;

beforeAll(async () => {
  stack = await startStack({ DEMO_PARTICIPANTS: '1000' });
  placed = await placeOneActivity(stack, 'Refleksi minggu 3', 100);
  ({ linkId, lineItemId, coach, coachPage } = placed);
}, 60_000);
afterAll(async () => {
  await stack.close();
});

const courseBase = () => courseBaseOf(coachPage);
const rosterUrl = (q: Record<string, string> = {}) =>
  `${stack.baseUrl}${courseBase()}/roster?${new URLSearchParams({ ltik: ltikOf(coachPage), ...q })}`;
const rowNames = (page: Page) => [...page.body.matchAll(/<th scope="row">([^<]+)/g)].map((m) => m[1].trim());

test('every member read from NRPS (all pages), 1,000 participants paged 50 at a time, sorted by name', async () => {
  const page = await coach.go(rosterUrl());
  expect(page.status).toBe(200);
  // 1,000 participants + coach, assistant, mentor; the site admin is not enrolled.
  expect(page.body).toContain('(1003 anggota)');
  expect(page.body).toContain('1000 peserta · halaman 1 dari 20');
  const names = rowNames(page);
  expect(names).toHaveLength(50);
  expect([...names].sort((a, b) => a.localeCompare(b, 'id', { sensitivity: 'base' }))).toEqual(names);
  const last = await coach.go(rosterUrl({ page: '20' }));
  expect(rowNames(last)).toHaveLength(50);
  expect(rowNames(last).some((n) => names.includes(n))).toBe(false);
  expect(last.body).toContain('rel="prev"');
  expect(last.body).not.toContain('rel="next"');
});

test('search ignores case and accents; a bad filter is refused with a clear message', async () => {
  const found = await coach.go(rosterUrl({ q: 'NI LUH' }));
  expect(rowNames(found)).toEqual(['Ni Luh Putu Ayu Lestari']);
  const bad = await coach.go(rosterUrl({ status: 'dinilai-ai' }));
  expect(bad.status).toBe(400);
  expect(bad.body).toContain('Pencarian atau filter tidak dikenali');
});

test('statuses per activity; what is new since the last visit; members who left are marked, not dropped', async () => {
  // Make the coach's last visit two hours old, so this one starts a new visit.
  await mongoose.connection.db
    ?.collection('coach_visits')
    .updateMany({}, { $set: { lastSeenAt: new Date(Date.now() - 2 * 3600_000) } });
  await writeAndSubmit(stack, 'u-p-001', linkId, { refleksi: 'Saya belajar mendengar warga sebelum menjawab.' });
  await writeAndSubmit(stack, 'u-p-002', linkId, { refleksi: 'Draf pertama saya.' }, { submit: false });
  const page = await coach.go(rosterUrl({ status: 'submitted' }));
  expect(rowNames(page)).toEqual(['Ahmad Fauzi Hidayat']);
  expect(page.body).toContain('1 tugas baru dikumpulkan');
  expect(page.body).toMatch(/Dikumpulkan, perlu ditinjau<\/a> <strong class="new">baru<\/strong>/);
  const drafts = await coach.go(rosterUrl({ status: 'draft' }));
  expect(rowNames(drafts)).toEqual(['Ni Luh Putu Ayu Lestari']);

  stack.demo.removeMember('u-p-003');
  const refreshed = await coach.go(rosterUrl({ refresh: '1', q: 'Sahat' }));
  expect(refreshed.body).toContain('(1002 anggota)');
  expect(refreshed.body).toMatch(
    /Sahat Maruli Tua Simanjuntak <span class="hint">\(sudah keluar dari kursus\)<\/span>/,
  );
  const left = await coach.go(rosterUrl({ status: 'left' }));
  expect(rowNames(left)).toEqual(['Sahat Maruli Tua Simanjuntak']);
  // Still listed by default, after everyone still in the course.
  const lastPage = await coach.go(rosterUrl({ page: '21' }));
  expect(rowNames(lastPage).at(-1)).toBe('Sahat Maruli Tua Simanjuntak');
});

test('grades held at review are sent together with "send all reviewed grades"', async () => {
  await writeAndSubmit(stack, 'u-p-004', linkId, { refleksi: 'Saya mencatat setiap keluhan warga.' });
  await until(() => stack.demo.gradebook.received.find((s) => s.userId === 'u-p-004'), 'the submitted progress');
  const held = await finalizeReview(stack, placed, 'u-p-004', () => 2, { comment: 'Bagus.', release: 'held' });
  expect(held.body).toContain('nilainya ditahan');
  await new Promise((r) => setTimeout(r, 500));
  expect(stack.demo.gradebook.received.some((s) => s.userId === 'u-p-004' && s.gradingProgress === 'FullyGraded')).toBe(
    false,
  );
  const roster = await coach.go(rosterUrl({ status: 'reviewed' }));
  expect(rowNames(roster)).toEqual(['Rahmi Fitriani Chaniago']);
  expect(roster.body).toContain('1 nilai sudah ditinjau tetapi ditahan');

  const released = await coach.go(`${stack.baseUrl}${courseBase()}/roster/release`, {
    form: { ltik: ltikOf(coachPage) },
  });
  expect(released.status).toBe(200);
  expect(released.body).toContain('1 nilai dimasukkan ke antrean');
  const grade = await until(
    () =>
      stack.demo.gradebook.received.find(
        (s) => s.userId === 'u-p-004' && s.lineItemId === lineItemId && s.gradingProgress === 'FullyGraded',
      ),
    'the released grade',
  );
  expect(grade.scoreGiven).toBe(77);
  const sent = await until(async () => {
    const p = await coach.go(rosterUrl({ status: 'sent' }));
    return rowNames(p).includes('Rahmi Fitriani Chaniago') ? p : null;
  }, 'the roster to show the grade sent');
  expect(sent.body).not.toContain('ditahan (belum dikirim');
});
