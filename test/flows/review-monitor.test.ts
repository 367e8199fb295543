/**
 * Blind re-marking and the automation-bias monitor through the demo LMS and the fake provider:
 * with every submission in the blind sample, the coach's first mark is made with no draft in view
 * (and the gradebook comment does not credit the AI); the draft can be asked for after; the
 * monitor page then shows the coach's figures, the blind comparison and the review time; only
 * coaches and admins reach it.
 */
import mongoose from 'mongoose';
import { Browser, launchThroughDemo, ltikOf, type Page } from '../../sim/browser';
import {
  BEBAS_DRAFT_CRITERIA,
  courseBaseOf,
  placeOneActivity,
  reviewUrlOf,
  writeAndSubmit,
  type PlacedActivity,
} from '../support/coaching';
import { startFakeOpenAI, type FakeOpenAI } from '../../sim/fake-openai';
import { startStack, type Stack } from '../support/stack';
import { until } from '../support/chromium';

let fake: FakeOpenAI;
let stack: Stack;
let coach: Browser;
let coachPage: Page;
let placed: PlacedActivity;
let linkId: string;

const TEXT =
  'Minggu ini saya melayani warga dengan ramah dan menjelaskan persyaratan satu per satu. Minggu depan saya akan membuat daftar persyaratan tertulis bersama rekan loket.';
const DRAFT = JSON.stringify({
  feedback:
    'Anda melayani warga dengan ramah dan sudah punya rencana konkret. Tuliskan juga ukuran keberhasilan daftar persyaratan itu.',
  criteria: BEBAS_DRAFT_CRITERIA,
});

beforeAll(async () => {
  fake = await startFakeOpenAI({ models: ['fake-model'] });
  stack = await startStack({
    AI_BASE_URL: fake.baseURL,
    AI_API_KEY: fake.apiKey,
    AI_MODEL: 'fake-model',
    REVIEW_BLIND_SHARE: '1',
  });
  placed = await placeOneActivity(stack, 'Refleksi pelayanan', 100, {
    aiMode: 'all',
    'prompt.refleksi': 'Ceritakan satu kejadian pelayanan minggu ini.',
  });
  ({ coach, coachPage, linkId } = placed);
}, 60_000);
afterAll(async () => {
  await stack.close();
  await fake.close();
});

const reviewUrl = (userId: string) => reviewUrlOf(stack, placed, userId);
const levels = { 'level.kedalaman': '1', 'level.bukti-peran': '2', 'level.rencana': '2' };

test('the first mark is blind; the draft comes after; the monitor compares them and shows review time', async () => {
  const p = await writeAndSubmit(stack, 'u-p-001', linkId, {}, { submit: false });
  await p.browser.go(`${stack.baseUrl}${courseBaseOf(p.page)}/ai/consent`, {
    form: { ltik: p.ltik, choice: 'accept' },
  });
  await writeAndSubmit(stack, 'u-p-001', linkId, { refleksi: TEXT });
  const ltik = ltikOf(coachPage);

  const blindPage = await coach.go(`${reviewUrl('u-p-001')}?ltik=${encodeURIComponent(ltik)}`);
  expect(blindPage.body).toContain('Penilaian buta');
  expect(blindPage.body).not.toContain('Minta draf umpan balik');
  expect(blindPage.body).not.toContain('ai-draft');
  const openedAt = /name="openedAt" value="(\d+)"/.exec(blindPage.body)?.[1] as string;
  expect(Number(openedAt)).toBeGreaterThan(Date.now() - 60_000);
  // The coach spent a minute and a half on it.
  const blind = await coach.go(`${reviewUrl('u-p-001')}/finalize`, {
    form: {
      ltik,
      revision: '0',
      openedAt: String(Number(openedAt) - 90_000),
      ...levels,
      comment: 'Rencana Anda konkret.',
      release: 'now',
    },
  });
  expect(blind.status).toBe(200);
  const first = await mongoose.connection.db
    ?.collection('coaching_review_decisions')
    .findOne({ userId: 'u-p-001', 'decision.revision': 1 });
  expect(first?.decision).toMatchObject({ blind: true, score: expect.any(Number) });
  expect(first?.decision.reviewSeconds).toBeGreaterThanOrEqual(90);
  expect(first?.decision.draft).toBeUndefined();
  await until(
    () => stack.demo.gradebook.received.find((s) => s.userId === 'u-p-001' && s.scoreGiven !== undefined) ?? null,
    'the blind grade in Moodle',
  );
  expect(
    stack.demo.gradebook.received.find((s) => s.userId === 'u-p-001' && s.scoreGiven !== undefined)?.comment,
  ).toContain('Ditinjau dan dinilai oleh');

  // After the blind decision the draft can be asked for, and a sighted decision taken on it.
  fake.reply({ content: DRAFT });
  const drafted = await coach.go(`${reviewUrl('u-p-001')}/draft`, { form: { ltik } });
  expect(drafted.body).toContain('Draf umpan balik dari AI');
  const sighted = await coach.go(`${reviewUrl('u-p-001')}/finalize`, {
    form: {
      ltik,
      revision: '1',
      openedAt: String(Date.now() - 30_000),
      ...levels,
      comment: JSON.parse(DRAFT).feedback as string,
      release: 'held',
    },
  });
  expect(sighted.status).toBe(200);
  const second = await mongoose.connection.db
    ?.collection('coaching_review_decisions')
    .findOne({ userId: 'u-p-001', 'decision.revision': 2 });
  expect(second?.decision.blind).toBeUndefined();
  expect(second?.decision.draft).toMatchObject({
    engine: 'ai',
    acceptedUnchanged: true,
    suggestedScore: expect.any(Number),
  });

  const monitor = await coach.go(`${stack.baseUrl}${courseBaseOf(coachPage)}/monitor?ltik=${encodeURIComponent(ltik)}`);
  expect(monitor.status).toBe(200);
  expect(monitor.body).toContain('Pemantau bias otomasi');
  expect(monitor.body).toContain('2 keputusan tinjauan');
  expect(monitor.body).toMatch(/<td>1<\/td><td>100 %<\/td>/); // one AI draft seen, accepted as drafted
  expect(monitor.body).toContain('Terlalu sedikit draf');
  expect(monitor.body).toMatch(/1 penilaian buta, 1 dengan saran AI/);
  expect(monitor.body).toContain('kurang dari 5 peserta');
  expect(monitor.body).toContain('Ditampilkan setelah sedikitnya 5 peserta menulis.');
});

test('participants cannot open the monitor', async () => {
  const p = await launchThroughDemo(new Browser(), stack.demoBase, 'u-p-002', { link: linkId });
  expect(
    (await new Browser().go(`${stack.baseUrl}${courseBaseOf(p)}/monitor?ltik=${encodeURIComponent(ltikOf(p))}`)).status,
  ).toBe(403);
});

test("the fairness view by engine shows the offline engine's row: final scores of the work it drafted, no suggestion", async () => {
  const ltik = ltikOf(coachPage);
  // Five participants without AI consent: the coach marks blind, then the draft (offline) is revealed and a sighted mark taken.
  for (const userId of ['u-p-003', 'u-p-004', 'u-p-005', 'u-p-006', 'u-p-007']) {
    await writeAndSubmit(stack, userId, linkId, { refleksi: TEXT });
    const blind = await coach.go(`${reviewUrl(userId)}/finalize`, {
      form: { ltik, revision: '0', ...levels, comment: 'Rencana Anda konkret.', release: 'held' },
    });
    expect(blind.status).toBe(200);
    const drafted = await coach.go(`${reviewUrl(userId)}/draft`, { form: { ltik } });
    expect(drafted.status).toBe(200);
    const sighted = await coach.go(`${reviewUrl(userId)}/finalize`, {
      form: { ltik, revision: '1', ...levels, comment: 'Rencana Anda konkret.', release: 'held' },
    });
    expect(sighted.status).toBe(200);
  }
  const drafts = await mongoose.connection.db
    ?.collection('coaching_review_decisions')
    .find({ userId: { $in: ['u-p-003', 'u-p-007'] }, 'decision.revision': 2 })
    .toArray();
  expect(drafts?.map((d) => d.decision.draft?.engine)).toEqual(['offline', 'offline']);
  const monitor = await coach.go(`${stack.baseUrl}${courseBaseOf(coachPage)}/monitor?ltik=${encodeURIComponent(ltik)}`);
  const engineTable = /<caption>AI dibanding mesin luring<\/caption>([\s\S]*?)<\/table>/.exec(monitor.body)?.[1] ?? '';
  const offlineRow = /<th scope="row">Mesin luring<\/th>(.*?)<\/tr>/.exec(engineTable)?.[1] ?? '';
  // Ten decisions (blind and sighted) of five participants; levels 1, 2, 2 give the same final score to all.
  expect(offlineRow).toMatch(/^<td>10<\/td>/);
  expect(offlineRow).toContain('tidak menyarankan nilai');
  expect(offlineRow).toMatch(/<td>\d+(,\d)? %<\/td>/);
  expect(offlineRow).not.toContain('kurang dari 5 peserta');
});

test("a refused finalize keeps the time the review began, so the monitor's review time does not restart", async () => {
  const ltik = ltikOf(coachPage);
  await writeAndSubmit(stack, 'u-p-008', linkId, { refleksi: TEXT });
  const began = String(Date.now() - 120_000);
  const refused = await coach.go(`${reviewUrl('u-p-008')}/finalize`, {
    form: { ltik, revision: '0', openedAt: began, comment: 'Belum memilih tingkat.', release: 'held' },
  });
  expect(refused.status).toBe(400);
  expect(refused.body).toContain(`name="openedAt" value="${began}"`);
});
