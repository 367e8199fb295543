/**
 * A person's data through the demo LMS and the fake provider (real HTTP, real database): a
 * participant with records in every feature downloads all of them (JSON and a readable page),
 * then erases them; afterwards no collection holds anything of theirs but the grade delivery
 * records (without the comment), the grade is not sent again, the erasure is logged under a
 * pseudonym, and another participant's data is untouched.
 */
import mongoose from 'mongoose';
import { Browser, launchThroughDemo, ltikOf } from '../../sim/browser';
import {
  courseBaseOf,
  finalizeReview,
  placeOneActivity,
  writeAndSubmit,
  type PlacedActivity,
} from '../support/coaching';
import { startFakeOpenAI, type ChatRequest, type FakeOpenAI } from '../../sim/fake-openai';
import { startStack, type Stack } from '../support/stack';
import { until } from '../support/chromium';

let fake: FakeOpenAI;
let stack: Stack;
let placed: PlacedActivity;

const TEXT =
  'Rahasia pribadi Rahmi: minggu ini saya menata arsip surat masuk di kantor kecamatan dan melayani warga yang mengurus KTP dengan sabar.';
const COMMENT = 'Komentar coach untuk Rahmi yang harus hilang.';

const answer = (body: ChatRequest) => {
  void body;
  return JSON.stringify({
    observations: ['Anda menata arsip surat masuk.'],
    questions: ['Apa yang berubah bagi warga?'],
    values: [{ value: 'akuntabel', evidence: 'menata arsip surat masuk' }],
  });
};

beforeAll(async () => {
  fake = await startFakeOpenAI({ models: ['fake-model'] });
  fake.fallback = { respond: answer };
  stack = await startStack({
    AI_BASE_URL: fake.baseURL,
    AI_API_KEY: fake.apiKey,
    AI_MODEL: 'fake-model',
    GRADES_POLL_MS: '100',
  });
  placed = await placeOneActivity(stack, 'Refleksi kearsipan', 100);
}, 60_000);
afterAll(async () => {
  await stack.close();
  await fake.close();
});

/** Every collection's documents that mention `needle` anywhere. */
async function collectionsMentioning(needle: string): Promise<Record<string, number>> {
  const db = mongoose.connection.db;
  if (!db) throw new Error('no database');
  const found: Record<string, number> = {};
  for (const { name } of await db.listCollections().toArray()) {
    const docs = await db.collection(name).find({}).toArray();
    const n = docs.filter((d) => JSON.stringify(d).includes(needle)).length;
    if (n) found[name] = n;
  }
  return found;
}

test('everything a participant has in Cermin is in their download, then erased everywhere but the grade records', async () => {
  // A participant with data in every feature: consent, AI turn, versions, preference, recommendations, a reviewed and sent grade.
  const p = await writeAndSubmit(stack, 'u-p-004', placed.linkId, {}, { submit: false });
  const base = `${stack.baseUrl}${courseBaseOf(p.page)}`;
  await p.browser.go(`${base}/ai/consent`, { form: { ltik: p.ltik, choice: 'accept' } });
  await p.browser.go(`${p.activityUrl}/entries/refleksi`, {
    form: { ltik: p.ltik, baseRevision: '0', text: 'Draf pertama.' },
  });
  await p.browser.go(`${p.activityUrl}/entries/refleksi`, { form: { ltik: p.ltik, baseRevision: '1', text: TEXT } });
  await p.browser.go(`${p.activityUrl}/entries/refleksi/reflect`, { form: { ltik: p.ltik, lens: 'cermin' } });
  await p.browser.go(`${base}/recommend/data-saver`, { form: { ltik: p.ltik, dataSaver: 'on' } });
  const journal = await p.browser.go(`${p.activityUrl}?ltik=${encodeURIComponent(p.ltik)}`);
  const shown = /id="rec-([a-z0-9-]+)"/.exec(journal.body)?.[1] as string;
  await p.browser.go(`${base}/recommend/${shown}/mark`, { form: { ltik: p.ltik, mark: 'helpful' } });
  await p.browser.go(`${p.activityUrl}/submit`, { form: { ltik: p.ltik, confirm: '1' } });
  await finalizeReview(stack, placed, 'u-p-004', (levels) => levels[2], { comment: COMMENT });
  await until(
    () =>
      stack.demo.gradebook.received.some(
        (s) => s.userId === 'u-p-004' && s.scoreGiven !== undefined && s.comment?.includes(COMMENT),
      ) || null,
    'the grade in Moodle',
  );
  // Another participant, who must not be touched.
  await writeAndSubmit(
    stack,
    'u-p-005',
    placed.linkId,
    { refleksi: 'Tulisan peserta lain yang harus tetap ada.' },
    { submit: false },
  );

  const page = await p.browser.go(`${base}/privacy?ltik=${encodeURIComponent(p.ltik)}`);
  expect(page.status).toBe(200);
  expect(page.body).toContain('Data saya');
  const json = await p.browser.go(`${base}/privacy/export.json?ltik=${encodeURIComponent(p.ltik)}`);
  expect(json.headers.get('content-disposition')).toContain('attachment');
  const data = JSON.parse(json.body) as { sections: Record<string, Record<string, unknown[]>> };
  const sizes = Object.fromEntries(
    Object.entries(data.sections).flatMap(([s, c]) => Object.entries(c).map(([k, v]) => [`${s}.${k}`, v.length])),
  );
  for (const key of [
    'coaching.entries',
    'coaching.versions',
    'coaching.work',
    'coaching.reviews',
    'coaching.reviewDecisions',
    'coaching.aiTurns',
    'coaching.aiLatest',
    'ai.audit',
    'ai.usage',
    'consent.consents',
    'consent.events',
    'recommendations.history',
    'grades.deliveries',
    'lti.launches',
    'lti.launchTokens',
    'lti.contextTokens',
    'preferences.preferences',
  ]) {
    expect([key, sizes[key] ?? 0]).toEqual([key, expect.any(Number)]);
    expect([key, (sizes[key] ?? 0) > 0]).toEqual([key, true]);
  }
  expect(json.body).toContain(TEXT);
  expect(json.body).not.toContain('Tulisan peserta lain');
  const html = await p.browser.go(`${base}/privacy/export.html?ltik=${encodeURIComponent(p.ltik)}`);
  expect(html.body).toContain('Entri jurnal');
  expect(html.body).toContain('Rahasia pribadi Rahmi');

  // Erasing needs the confirmation ticked.
  expect((await p.browser.go(`${base}/privacy/erase`, { form: { ltik: p.ltik } })).status).toBe(400);
  const before = await collectionsMentioning('u-p-004');
  expect(Object.keys(before).length).toBeGreaterThan(10);
  const sentBefore = stack.demo.gradebook.received.length;
  const erased = await p.browser.go(`${base}/privacy/erase`, { form: { ltik: p.ltik, confirm: 'yes' } });
  expect(erased.status).toBe(200);
  expect(erased.body).toContain('Data Anda sudah dihapus');
  expect(erased.body).toContain('tetap ada di buku nilai Moodle');

  const after = await collectionsMentioning('u-p-004');
  // What stays: the grade records (to never send twice), the roster Moodle sends, the coach's own visit log.
  expect(Object.keys(after).filter((c) => !['grade_outbox', 'grade_deliveries', 'course_rosters'].includes(c))).toEqual(
    [],
  );
  expect(await collectionsMentioning('Rahasia pribadi Rahmi')).toEqual({});
  expect(await collectionsMentioning(COMMENT)).toEqual({});
  expect(await collectionsMentioning('Tulisan peserta lain yang harus tetap ada.')).toEqual({
    coaching_entries: 1,
    coaching_entry_versions: 1,
  });
  // The grade is not sent again; the erasure is logged, without the user id.
  await new Promise((r) => setTimeout(r, 500));
  expect(stack.demo.gradebook.received.length).toBe(sentBefore);
  const log = await mongoose.connection.db?.collection('privacy_erasures').find({}).toArray();
  expect(log).toHaveLength(1);
  expect(log?.[0].by.role).toBe('self');
  expect(JSON.stringify(log)).not.toContain('u-p-004');
  expect(log?.[0].counts.coaching.entries).toBe(1);
});

test('no one reaches the data pages without a launch; each page is about the person launched, no one else', async () => {
  expect((await new Browser().go(`${stack.baseUrl}${courseBaseOf(placed.coachPage)}/privacy`)).status).toBe(401);
  const coach = await launchThroughDemo(new Browser(), stack.demoBase, 'u-coach-1');
  const own = await new Browser().go(
    `${stack.baseUrl}${courseBaseOf(coach)}/privacy/export.json?ltik=${encodeURIComponent(ltikOf(coach))}`,
  );
  const data = JSON.parse(own.body) as { person: { userId: string } };
  expect(data.person.userId).toBe('u-coach-1');
  expect(own.body).not.toContain('u-p-005');
});

test('a grade the platform refused keeps its comment for "try again": erasure removes that comment too', async () => {
  const FAILED_COMMENT = 'Komentar untuk nilai yang ditolak Moodle, milik peserta ini.';
  const p = await writeAndSubmit(stack, 'u-p-006', placed.linkId, { refleksi: TEXT });
  await until(
    () => stack.demo.gradebook.received.find((s) => s.userId === 'u-p-006') ?? null,
    'the submission at the platform',
  );
  stack.demo.inject('ags', { status: 400, times: 1 });
  await finalizeReview(stack, placed, 'u-p-006', (levels) => levels[1], { comment: FAILED_COMMENT });
  await until(
    async () =>
      (await mongoose.connection.db
        ?.collection('grade_deliveries')
        .findOne({ userId: 'u-p-006', 'failed.kind': 'grade' })) ?? null,
    'the refusal on record',
  );
  expect(Object.keys(await collectionsMentioning(FAILED_COMMENT))).toContain('grade_deliveries');
  const base = `${stack.baseUrl}${courseBaseOf(p.page)}`;
  expect((await p.browser.go(`${base}/privacy/erase`, { form: { ltik: p.ltik, confirm: 'yes' } })).status).toBe(200);
  expect(await collectionsMentioning(FAILED_COMMENT)).toEqual({});
  // The refused grade itself stays on record (its second, its score), so nothing older is ever sent over it.
  expect(
    (await mongoose.connection.db?.collection('grade_deliveries').findOne({ userId: 'u-p-006' }))?.failed?.payload
      ?.scoreGiven,
  ).toEqual(expect.any(Number));
});

test('"Data saya", its readable export and the AI page lead back to where the person came from, never elsewhere', async () => {
  const p = await writeAndSubmit(stack, 'u-p-006', placed.linkId, {}, { submit: false });
  const base = `${stack.baseUrl}${courseBaseOf(p.page)}`;
  const activity = new URL(p.activityUrl).pathname;
  const q = (back: string) => `?ltik=${encodeURIComponent(p.ltik)}&back=${encodeURIComponent(back)}`;
  const backLink = (body: string) =>
    /<p class="crumbs"><a href="([^"]+)">Kembali<\/a>/.exec(body)?.[1]?.replace(/&amp;/g, '&');
  const privacy = await p.browser.go(`${base}/privacy${q(activity)}`);
  expect(new URL(backLink(privacy.body) as string, stack.baseUrl).pathname).toBe(activity);
  const exported = await p.browser.go(`${base}/privacy/export.html${q(activity)}`);
  const toPrivacy = new URL(backLink(exported.body) as string, stack.baseUrl);
  expect([toPrivacy.pathname, toPrivacy.searchParams.get('back')]).toEqual([
    `${courseBaseOf(p.page)}/privacy`,
    activity,
  ]);
  expect(exported.body).toMatch(/Dibuat \d{1,2} \w{3} \d{4}, \d{2}\.\d{2} WIB/); // in words and WIB, not ISO
  const about = await p.browser.go(`${base}/ai/about${q(activity)}`);
  expect(new URL(backLink(about.body) as string, stack.baseUrl).pathname).toBe(activity);
  // Another site, or a path outside this course, is no way back.
  for (const foreign of ['https://evil.example/x', '//evil.example/x', '/lti/app/courses/other/coach']) {
    expect(backLink((await p.browser.go(`${base}/privacy${q(foreign)}`)).body)).toBeUndefined();
  }
});
