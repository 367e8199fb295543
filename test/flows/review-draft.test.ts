/**
 * The coach's AI draft on the review page, through the demo LMS and the fake provider over real
 * HTTP: asked by the coach, made by the AI only with the participant's consent and only from
 * entries the coach may see, shown as a draft (labelled, with evidence and reasons), used as the
 * form's starting point only when the coach asks, and a grade only after the coach finalizes.
 */
import mongoose from 'mongoose';
import { type Browser, ltikOf, type Page } from '../../sim/browser';
import {
  BEBAS_DRAFT_CRITERIA,
  courseBaseOf,
  placeOneActivity,
  reviewUrlOf,
  writeAndSubmit,
  type PlacedActivity,
} from '../support/coaching';
import { startFakeOpenAI, type ChatRequest, type FakeOpenAI } from '../../sim/fake-openai';
import { startStack, type Stack } from '../support/stack';
import { until } from '../support/chromium';

let fake: FakeOpenAI;
let stack: Stack;
let linkId: string;
let placed: PlacedActivity;
let coach: Browser;
let coachPage: Page;

const TEXT =
  'Hari Senin Sahat Simanjuntak meminta saya menggantikannya di loket. Saya melayani warga dengan ramah dan menjelaskan persyaratan satu per satu. ' +
  'Minggu depan saya akan membuat daftar persyaratan tertulis bersama rekan loket.';

const draftAnswer = (body: ChatRequest) => {
  const user = body.messages.find((m) => m.role === 'user')?.content as string;
  const person = /\[NAMA_\d+\]/.exec(user)?.[0] ?? 'rekan';
  return JSON.stringify({
    feedback: `Anda menceritakan dengan jujur saat menggantikan ${person} di loket. Perdalam apa yang warga rasakan, lalu tuliskan ukuran keberhasilan daftar persyaratan Anda.`,
    criteria: BEBAS_DRAFT_CRITERIA,
  });
};

beforeAll(async () => {
  fake = await startFakeOpenAI({ models: ['fake-model'] });
  stack = await startStack({ AI_BASE_URL: fake.baseURL, AI_API_KEY: fake.apiKey, AI_MODEL: 'fake-model' });
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
const gradesOf = async (userId: string) =>
  (await mongoose.connection.db?.collection('grade_outbox').find({ userId, kind: 'grade' }).toArray()) ?? [];

test('with consent: the AI drafts from the redacted submission; a draft on the page, never a grade until the coach finalizes', async () => {
  const participant = await writeAndSubmit(stack, 'u-p-001', linkId, {}, { submit: false });
  await participant.browser.go(`${stack.baseUrl}${courseBaseOf(participant.page)}/ai/consent`, {
    form: { ltik: participant.ltik, choice: 'accept' },
  });
  await writeAndSubmit(stack, 'u-p-001', linkId, { refleksi: TEXT });

  fake.reply({ respond: draftAnswer });
  const ltik = ltikOf(coachPage);
  const drafted = await coach.go(`${reviewUrl('u-p-001')}/draft`, { form: { ltik } });
  expect(drafted.status).toBe(200);
  expect(drafted.body).toContain('Draf baru sudah siap');
  expect(drafted.body).toContain('Draf umpan balik dari AI');
  expect(drafted.body).toContain('umpan-balik@1');
  expect(drafted.body).toContain('Anda menceritakan dengan jujur saat menggantikan Sahat Simanjuntak di loket'); // the name put back as written
  expect(drafted.body).toContain('<q>membuat daftar persyaratan tertulis bersama rekan loket</q>');
  expect(drafted.body).toContain('Rencana konkret, belum dengan ukuran.');
  expect(drafted.body).toContain('Buat draf baru');
  const sent = JSON.stringify(fake.requests.at(-1)?.body);
  expect(sent).not.toContain('Sahat');
  expect(sent).toContain('Ceritakan satu kejadian pelayanan minggu ini.');
  expect(await gradesOf('u-p-001')).toHaveLength(0); // a draft is not a grade

  // The form starts from the draft only when the coach asks: suggested levels checked, feedback in the comment.
  const plain = await coach.go(`${reviewUrl('u-p-001')}?ltik=${encodeURIComponent(ltik)}`);
  expect(plain.body).not.toMatch(/value="1" checked/);
  const fromDraft = await coach.go(`${reviewUrl('u-p-001')}?ltik=${encodeURIComponent(ltik)}&useDraft=1`);
  expect(fromDraft.body).toMatch(/name="level\.kedalaman" value="1" checked/);
  expect(fromDraft.body).toMatch(/name="level\.rencana" value="2" checked/);
  expect(fromDraft.body).toContain('Perdalam apa yang warga rasakan');

  // The coach changes one level and decides: only now is there a grade, and it is the coach's.
  const finalized = await coach.go(`${reviewUrl('u-p-001')}/finalize`, {
    form: {
      ltik,
      revision: '0',
      'level.kedalaman': '2',
      'level.bukti-peran': '2',
      'level.rencana': '2',
      comment: 'Refleksi yang jujur. Tuliskan ukuran keberhasilannya.',
      release: 'now',
    },
  });
  expect(finalized.status).toBe(200);
  // The worker may deliver (and clear the outbox) at once: what counts is what reaches Moodle.
  const delivered = await until(
    () => stack.demo.gradebook.received.find((g) => g.userId === 'u-p-001' && g.scoreGiven !== undefined) ?? null,
    'the grade in Moodle',
  );
  expect(delivered.comment).toContain('Umpan balik disusun dengan bantuan AI dan disetujui oleh');
  expect(
    stack.demo.gradebook.received.filter((g) => g.userId === 'u-p-001' && g.scoreGiven !== undefined),
  ).toHaveLength(1);
  const review = await mongoose.connection.db?.collection('coaching_reviews').findOne({ userId: 'u-p-001' });
  expect(review?.decision.draft).toMatchObject({
    engine: 'ai',
    levelsChanged: 1,
    criteria: 3,
    acceptedUnchanged: false,
  });
});

test("without the participant's consent the offline engine drafts (a level only where it can quote), saying why; nothing is sent", async () => {
  await writeAndSubmit(stack, 'u-p-002', linkId, { refleksi: TEXT });
  const before = fake.requests.length;
  const drafted = await coach.go(`${reviewUrl('u-p-002')}/draft`, { form: { ltik: ltikOf(coachPage) } });
  expect(drafted.status).toBe(200);
  expect(drafted.body).toContain('Draf umpan balik dari mesin luring (tanpa AI)');
  expect(drafted.body).toContain('Mengapa tanpa AI: peserta belum menyetujui bantuan AI.');
  // The plan's level, from the participant's whole sentence and labelled as Cermin's without AI.
  expect(drafted.body).toContain('Saran Cermin tanpa AI: ada langkah berikutnya yang konkret.');
  expect(drafted.body).toContain(
    '<q>Minggu depan saya akan membuat daftar persyaratan tertulis bersama rekan loket.</q>',
  );
  expect(drafted.body).toContain('Terima kasih atas refleksi Anda.');
  expect(fake.requests.length).toBe(before);
});

test('a private entry is never drafted from; a participant, or a draft before submission, is refused', async () => {
  const p3 = await writeAndSubmit(stack, 'u-p-003', linkId, { refleksi: TEXT }, { submit: false });
  await p3.browser.go(`${p3.activityUrl}/entries/refleksi/visibility`, {
    form: { ltik: p3.ltik, visibility: 'private' },
  });
  const early = await coach.go(`${reviewUrl('u-p-003')}/draft`, { form: { ltik: ltikOf(coachPage) } });
  expect(early.status).toBe(409);
  await p3.browser.go(`${p3.activityUrl}/submit`, { form: { ltik: p3.ltik, confirm: '1' } });
  const before = fake.requests.length;
  const nothing = await coach.go(`${reviewUrl('u-p-003')}/draft`, { form: { ltik: ltikOf(coachPage) } });
  expect(nothing.status).toBe(409);
  expect(nothing.body).toContain('Belum ada entri yang dapat Anda lihat untuk dibuatkan draf.');
  expect(fake.requests.length).toBe(before);

  // A participant cannot ask for a draft (of anyone's work), nor send fields the form does not have.
  const asParticipant = await p3.browser.go(`${reviewUrl('u-p-001')}/draft`, { form: { ltik: p3.ltik } });
  expect(asParticipant.status).toBe(403);
  const extra = await coach.go(`${reviewUrl('u-p-001')}/draft`, {
    form: { ltik: ltikOf(coachPage), engine: 'ai', levels: '3' },
  });
  expect(extra.status).toBe(400);
  expect(fake.requests.length).toBe(before);
});
