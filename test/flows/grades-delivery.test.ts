/**
 * Grade passback through the demo LMS over real HTTP: a submission sends Submitted/PendingManual,
 * the coach finalizes a review and the score (with a comment naming the coach) reaches the
 * gradebook; the worker gets a new token on 401, creates the column an activity lacks, retries
 * 5xx with backoff, reports a refusal with the platform's reason and sends it again on request,
 * and a later grade supersedes an earlier one not yet sent. Also who may see these pages.
 */
import { Work } from '../../src/coaching/models';
import mongoose from 'mongoose';
import { Browser, launchThroughDemo, ltikOf, type Page } from '../../sim/browser';
import {
  courseBaseOf,
  finalizeReview,
  placeOneActivity,
  reviewUrlOf,
  writeAndSubmit,
  type PlacedActivity,
} from '../support/coaching';
import { startSecondPlatform, startStack, type Stack } from '../support/stack';
import { until } from '../support/chromium';
import { Delivery, OutboxItem, type DeliveryDoc } from '../../src/grades/models';
import { ReviewService } from '../../src/coaching/review/service';
import { GradeOutbox } from '../../src/grades/outbox';
import { Activity, type ActivityDoc } from '../../src/coaching/models';
import type { DemoScore } from '../../sim/lms/ags';
import { decisionId } from '../../src/coaching/ids';

let stack: Stack;
let placed: PlacedActivity;
let linkId: string;
let activityId: string;
let lineItemId: string;
let coach: Browser;
let coachPage: Page;

const TEXT =
  'Minggu ini saya menunda surat penting karena takut salah. Setelah berbicara dengan atasan, saya menyusun daftar periksa dan mengirimnya tepat waktu.';

beforeAll(async () => {
  stack = await startStack();
  placed = await placeOneActivity(stack, 'Refleksi minggu 1', 50);
  ({ linkId, activityId, lineItemId, coach, coachPage } = placed);
});
afterAll(async () => {
  await stack.close();
});

const courseBase = courseBaseOf;
const reviewUrl = (userId: string) => reviewUrlOf(stack, placed, userId);
const received = (userId: string, item = lineItemId): DemoScore[] =>
  stack.demo.gradebook.received.filter((s) => s.userId === userId && s.lineItemId === item);
const finalize = (userId: string, choose: (levels: number[]) => number, extra: Record<string, string> = {}) =>
  finalizeReview(stack, placed, userId, choose, extra);

async function deliveryOf(userId: string): Promise<DeliveryDoc | null> {
  const docs = await Delivery.find({ activityId, userId }).lean<DeliveryDoc[]>();
  return docs[0] ?? null;
}

describe('grade passback', () => {
  test('submitting sends Submitted/PendingManual; finalizing sends the FullyGraded score with a comment naming the coach', async () => {
    await writeAndSubmit(stack, 'u-p-001', linkId, { refleksi: TEXT });
    const progress = await until(() => received('u-p-001')[0], 'the submitted progress at the platform');
    expect(progress).toMatchObject({
      activityProgress: 'Submitted',
      gradingProgress: 'PendingManual',
      scoreMaximum: 50,
    });
    expect(progress.scoreGiven).toBeUndefined();

    const done = await finalize('u-p-001', (levels) => levels[levels.length - 1]); // top level on every criterion
    expect(done.status).toBe(200);
    expect(done.body).toContain('Tinjauan difinalisasi');
    const grade = await until(
      () => received('u-p-001').find((s) => s.gradingProgress === 'FullyGraded'),
      'the grade at the platform',
    );
    expect(grade).toMatchObject({ scoreGiven: 50, scoreMaximum: 50, activityProgress: 'Completed' });
    expect(grade.comment).toContain('Refleksi yang jujur.');
    expect(grade.comment).toContain('Ditinjau dan dinilai oleh'); // no AI draft was in front of the coach
    expect(Date.parse(grade.timestamp)).toBeGreaterThan(Date.parse(progress.timestamp));
    const page = await until(async () => {
      const p = await coach.go(`${reviewUrl('u-p-001')}?ltik=${encodeURIComponent(ltikOf(coachPage))}`);
      return p.body.includes('Nilai terkirim') ? p : null;
    }, 'the review page saying sent');
    expect(page.body).toContain('50 dari 50');
  });

  test('an AI draft is kept apart from the decision, and the gradebook comment says AI helped and who approved', async () => {
    await writeAndSubmit(stack, 'u-p-002', linkId, { refleksi: TEXT });
    const activity = await Activity.findById(activityId).lean<ActivityDoc>();
    const reviews = new ReviewService({ outbox: new GradeOutbox() });
    await reviews.saveDraft(
      activity as ActivityDoc,
      { id: 'u-p-002' },
      {
        engine: 'ai',
        model: 'uji-model',
        promptVersion: 'kritik@1',
        feedback: 'Draf: ceritanya jelas, ukuran keberhasilan belum ada.',
        levels: {
          kedalaman: { level: 2, evidence: 'takut salah' },
          'bukti-peran': { level: 1 },
          rencana: { level: 1 },
        },
        createdAt: new Date(),
      },
    );
    const page = await coach.go(`${reviewUrl('u-p-002')}?ltik=${encodeURIComponent(ltikOf(coachPage))}`);
    expect(page.body).toContain('Draf umpan balik dari AI');
    expect(page.body).toContain('Ini draf, bukan keputusan');
    expect(page.body).toContain('kritik@1');
    // The form does not start from the draft unless the coach asks for it.
    expect(page.body).not.toMatch(/name="level\.kedalaman" value="2" checked/);
    const fromDraft = await coach.go(
      `${reviewUrl('u-p-002')}?ltik=${encodeURIComponent(ltikOf(coachPage))}&useDraft=1`,
    );
    expect(fromDraft.body).toMatch(/name="level\.kedalaman" value="2" checked/);

    const done = await finalize('u-p-002', () => 1, { 'level.kedalaman': '2' });
    expect(done.status).toBe(200);
    const grade = await until(() => received('u-p-002').find((s) => s.gradingProgress === 'FullyGraded'), 'the grade');
    expect(grade.comment).toContain('Umpan balik disusun dengan bantuan AI dan disetujui oleh');
    const stored = await mongoose.connection.db
      ?.collection('coaching_reviews')
      .findOne({ activityId, userId: 'u-p-002' });
    expect(stored?.draft?.feedback).toContain('Draf: ceritanya jelas');
    expect(stored?.decision?.draft).toMatchObject({
      engine: 'ai',
      levelsChanged: 0,
      commentChanged: true,
      acceptedUnchanged: false,
    });
  });

  test('a bad review form answers 400 with every problem named, and sends nothing', async () => {
    await writeAndSubmit(stack, 'u-p-003', linkId, { refleksi: TEXT });
    await until(() => received('u-p-003')[0], 'progress');
    const before = stack.demo.gradebook.received.length;
    const page = await coach.go(`${reviewUrl('u-p-003')}/finalize`, {
      form: { ltik: ltikOf(coachPage), revision: '0', override: '75', comment: 'x' },
    });
    expect(page.status).toBe(400);
    expect(page.body).toContain('Pilih satu tingkat untuk kriteria');
    expect(page.body).toContain('Nilai pengganti harus angka antara 0 dan 50');
    expect(page.body).toContain('Tuliskan alasan mengganti nilai');
    await new Promise((r) => setTimeout(r, 300));
    expect(stack.demo.gradebook.received.length).toBe(before);
    expect(await OutboxItem.countDocuments({ activityId, userId: 'u-p-003', kind: 'grade' })).toBe(0);
  });

  test('a work not yet submitted cannot be finalized (409)', async () => {
    await writeAndSubmit(stack, 'u-p-004', linkId, { refleksi: TEXT }, { submit: false });
    const page = await coach.go(`${reviewUrl('u-p-004')}/finalize`, {
      form: {
        ltik: ltikOf(coachPage),
        revision: '0',
        'level.kedalaman': '0',
        'level.bukti-peran': '0',
        'level.rencana': '0',
      },
    });
    expect(page.status).toBe(409);
    expect(page.body).toContain('belum dikumpulkan peserta');
  });

  test('a revoked access token (401) is replaced once and the grade still arrives', async () => {
    await writeAndSubmit(stack, 'u-p-005', linkId, { refleksi: TEXT });
    await until(() => received('u-p-005')[0], 'progress');
    stack.demo.revokeAccessTokens();
    const tokensBefore = stack.demo.tokenRequests;
    await finalize('u-p-005', () => 0);
    const grade = await until(
      () => received('u-p-005').find((s) => s.gradingProgress === 'FullyGraded'),
      'the grade after a 401',
    );
    expect(grade.scoreGiven).toBe(Math.round(((9 + 9 + 8) / 100) * 50 * 100) / 100);
    expect(stack.demo.tokenRequests).toBe(tokensBefore + 1);
  });

  test('500s are retried with backoff until the platform accepts; the history shows each attempt', async () => {
    await writeAndSubmit(stack, 'u-p-006', linkId, { refleksi: TEXT });
    await until(() => received('u-p-006')[0], 'progress');
    stack.demo.inject('ags', { status: 500, times: 3 });
    await finalize('u-p-006', () => 1);
    await until(
      () => received('u-p-006').find((s) => s.gradingProgress === 'FullyGraded'),
      'the grade after three 500s',
    );
    const record = await until(async () => {
      const d = await deliveryOf('u-p-006');
      return d?.sentKind === 'grade' ? d : null;
    }, 'the delivery record');
    const outcomes = record.history.map((h) => h.outcome);
    expect(outcomes.slice(-4)).toEqual(['retry', 'retry', 'retry', 'sent']);
    expect(record.history.slice(-4, -1).every((h) => /500/.test(h.detail ?? ''))).toBe(true);
    expect(received('u-p-006').filter((s) => s.gradingProgress === 'FullyGraded')).toHaveLength(1);
  });

  test('a refusal (400) is reported with the platform\'s reason; "try again" sends it as a later score', async () => {
    await writeAndSubmit(stack, 'u-p-007', linkId, { refleksi: TEXT });
    await until(() => received('u-p-007')[0], 'progress');
    stack.demo.inject('ags', { status: 400, times: 1 });
    await finalize('u-p-007', () => 2);
    const failedPage = await until(async () => {
      const p = await coach.go(`${reviewUrl('u-p-007')}?ltik=${encodeURIComponent(ltikOf(coachPage))}`);
      return p.body.includes('Gagal:') ? p : null;
    }, 'the failure shown to the coach');
    expect(failedPage.body).toContain('injected fault (400)');
    expect(failedPage.body).toContain('Coba kirim lagi');
    expect(received('u-p-007').some((s) => s.gradingProgress === 'FullyGraded')).toBe(false);
    const roster = await coach.go(
      `${stack.baseUrl}${courseBase(coachPage)}/roster?ltik=${encodeURIComponent(ltikOf(coachPage))}&status=failed`,
    );
    expect(roster.status).toBe(200);
    expect(roster.body).toContain('Kevin Santoso'); // u-p-007
    expect(roster.body).toContain('Pengiriman gagal');
    expect(roster.body).not.toContain('Ahmad Fauzi'); // u-p-001's grade was sent: filtered out

    const retried = await coach.go(`${reviewUrl('u-p-007')}/retry-delivery`, { form: { ltik: ltikOf(coachPage) } });
    expect(retried.status).toBe(200);
    const grade = await until(
      () => received('u-p-007').find((s) => s.gradingProgress === 'FullyGraded'),
      'the grade after retry',
    );
    expect(grade.scoreGiven).toBe(Math.round(((27 + 27 + 23) / 100) * 50 * 100) / 100);
    const again = await coach.go(`${reviewUrl('u-p-007')}/retry-delivery`, { form: { ltik: ltikOf(coachPage) } });
    await until(async () => (await deliveryOf('u-p-007'))?.failed === undefined || null, 'failure cleared');
    expect(again.status).toBe(409);
  });

  test('a later grade supersedes one not yet sent: the platform gets only the latest, once', async () => {
    await writeAndSubmit(stack, 'u-p-008', linkId, { refleksi: TEXT });
    await until(() => received('u-p-008')[0], 'progress');
    await stack.cermin.gradeWorker.stop();
    try {
      expect((await finalize('u-p-008', () => 0)).status).toBe(200);
      expect((await finalize('u-p-008', () => 3)).status).toBe(200);
      expect(await OutboxItem.countDocuments({ activityId, userId: 'u-p-008' })).toBe(2);
    } finally {
      stack.cermin.gradeWorker.start();
    }
    await until(
      async () => (await OutboxItem.countDocuments({ activityId, userId: 'u-p-008' })) === 0 || null,
      'the outbox emptied',
    );
    const grades = received('u-p-008').filter((s) => s.gradingProgress === 'FullyGraded');
    expect(grades).toHaveLength(1);
    expect(grades[0].scoreGiven).toBe(50);
  });

  test('an activity without a gradebook column (a link bound by hand) gets one created, once', async () => {
    const handCoach = new Browser();
    const setup = await launchThroughDemo(handCoach, stack.demoBase, 'u-coach-1', { link: '12' });
    const bound = await handCoach.go(`${stack.baseUrl}${courseBase(setup)}/setup`, {
      form: { ltik: ltikOf(setup), templateId: 'bebas' },
    });
    expect(bound.status).toBe(200);
    const itemsBefore = stack.demo.gradebook.lineItems.length;
    await Promise.all(['u-p-010', 'u-p-011', 'u-p-012'].map((u) => writeAndSubmit(stack, u, '12', { refleksi: TEXT })));
    const created = await until(
      () => stack.demo.gradebook.lineItems.slice(itemsBefore).find((li) => li.resourceLinkId === '12'),
      'a created line item',
    );
    await until(
      () => ['u-p-010', 'u-p-011', 'u-p-012'].every((u) => received(u, created.id).length === 1) || null,
      'three submissions on the new column',
    );
    expect(stack.demo.gradebook.lineItems.slice(itemsBefore).filter((li) => li.resourceLinkId === '12')).toHaveLength(
      1,
    );
    expect(created.tag).toBe('cermin:bebas');
  });
});

describe('who may review', () => {
  test('a participant gets 403 on the roster, a review page and finalize', async () => {
    const participant = await launchThroughDemo(new Browser(), stack.demoBase, 'u-p-020', { link: linkId });
    const ltik = encodeURIComponent(ltikOf(participant));
    const base = courseBase(participant);
    for (const path of [`${base}/roster`, `${base}/activities/${activityId}/submissions/u-p-001`]) {
      const res = await new Browser().go(`${stack.baseUrl}${path}?ltik=${ltik}`);
      expect(res.status).toBe(403);
      expect(res.body).toContain('tidak memiliki akses');
    }
    const post = await new Browser().go(
      `${stack.baseUrl}${base}/activities/${activityId}/submissions/u-p-001/finalize`,
      { form: { ltik: ltikOf(participant), revision: '1' } },
    );
    expect(post.status).toBe(403);
  });

  test("a coach of another course (another platform) gets 403 with this course's addresses", async () => {
    const other = await startSecondPlatform(stack);
    try {
      const otherCoach = await launchThroughDemo(new Browser(), other.base, 'u-coach-1');
      const ltik = encodeURIComponent(ltikOf(otherCoach));
      for (const path of [
        `${courseBase(coachPage)}/roster`,
        `${courseBase(coachPage)}/activities/${activityId}/submissions/u-p-001`,
      ]) {
        const res = await new Browser().go(`${stack.baseUrl}${path}?ltik=${ltik}`);
        expect(res.status).toBe(403);
      }
      const retry = await new Browser().go(
        `${stack.baseUrl}${courseBase(coachPage)}/activities/${activityId}/submissions/u-p-007/retry-delivery`,
        { form: { ltik: ltikOf(otherCoach) } },
      );
      expect(retry.status).toBe(403);
    } finally {
      await other.close();
    }
  });
});

describe('decisions that time has overtaken', () => {
  test('a refused grade is not retried over a newer one', async () => {
    await writeAndSubmit(stack, 'u-p-013', linkId, { refleksi: TEXT });
    await until(() => received('u-p-013')[0], 'progress');
    stack.demo.inject('ags', { status: 400, times: 1 });
    await finalize('u-p-013', () => 0);
    await until(async () => (await deliveryOf('u-p-013'))?.failed ?? null, 'the refusal');
    await finalize('u-p-013', () => 3);
    await until(() => received('u-p-013').find((s) => s.gradingProgress === 'FullyGraded'), 'the newer grade');
    const retry = await coach.go(`${reviewUrl('u-p-013')}/retry-delivery`, { form: { ltik: ltikOf(coachPage) } });
    expect(retry.status).toBe(409);
    await new Promise((r) => setTimeout(r, 400));
    const grades = received('u-p-013').filter((s) => s.gradingProgress === 'FullyGraded');
    expect(grades.map((g) => g.scoreGiven)).toEqual([50]);
  });

  test('a participant takes a submission back until a coach has begun on it; Moodle is told each time', async () => {
    const participant = await writeAndSubmit(stack, 'u-p-016', linkId, { refleksi: TEXT });
    await until(() => received('u-p-016')[0], 'Submitted at the platform');
    const journal = await participant.browser.go(
      `${participant.activityUrl}?ltik=${encodeURIComponent(participant.ltik)}`,
    );
    expect(journal.body).toContain('Tarik kembali untuk melanjutkan menulis');
    const back = await participant.browser.go(`${participant.activityUrl}/withdraw`, {
      form: { ltik: participant.ltik },
    });
    expect(back.status).toBe(200);
    expect(back.body).toContain('Tugas ditarik kembali');
    expect((await Work.findOne({ userId: 'u-p-016' }).lean())?.status).toBe('draft');
    await until(
      () => received('u-p-016').find((s) => s.activityProgress === 'InProgress' && s.gradingProgress === 'NotReady'),
      'InProgress at the platform',
    );
    // Twice is refused (nothing submitted), and so is a withdrawal after the coach decided.
    expect(
      (await participant.browser.go(`${participant.activityUrl}/withdraw`, { form: { ltik: participant.ltik } }))
        .status,
    ).toBe(409);
    await participant.browser.go(`${participant.activityUrl}/submit`, {
      form: { ltik: participant.ltik, confirm: '1' },
    });
    expect((await finalize('u-p-016', () => 1)).status).toBe(200);
    const late = await participant.browser.go(`${participant.activityUrl}/withdraw`, {
      form: { ltik: participant.ltik },
    });
    expect(late.status).toBe(409);
    expect(late.body).toContain('sudah mulai meninjau');
    expect((await Work.findOne({ userId: 'u-p-016' }).lean())?.status).toBe('submitted');
  });

  test('a held grade is not released once the work was reopened and submitted again', async () => {
    const participant = await writeAndSubmit(stack, 'u-p-014', linkId, { refleksi: TEXT });
    await until(() => received('u-p-014')[0], 'progress');
    expect((await finalize('u-p-014', () => 1, { release: 'held' })).status).toBe(200);
    const reopened = await coach.go(`${reviewUrl('u-p-014')}/reopen`, {
      form: { ltik: ltikOf(coachPage), reason: 'Tambahkan ukuran keberhasilan.' },
    });
    expect(reopened.status).toBe(200);
    const again = await participant.browser.go(`${participant.activityUrl}/submit`, {
      form: { ltik: participant.ltik, confirm: '1' },
    });
    expect(again.status).toBe(200);
    await until(() => received('u-p-014').length === 2 || null, 'the second submission at the platform');
    const released = await coach.go(`${stack.baseUrl}${courseBase(coachPage)}/roster/release`, {
      form: { ltik: ltikOf(coachPage) },
    });
    expect(released.body).not.toMatch(/[1-9]\d* nilai dimasukkan ke antrean/);
    await new Promise((r) => setTimeout(r, 400));
    expect(received('u-p-014').some((s) => s.gradingProgress === 'FullyGraded')).toBe(false);
  });

  test('a "send now" decision whose score never reached the outbox (a crash) is sent when the review is next read', async () => {
    await writeAndSubmit(stack, 'u-p-015', linkId, { refleksi: TEXT });
    await until(() => received('u-p-015')[0], 'progress');
    // What a crash right after writing the decision leaves: the decision, no outbox record, no pointer.
    await mongoose.connection.db?.collection('coaching_review_decisions').insertOne({
      _id: decisionId(activityId, 'u-p-015', 1) as unknown as never,
      courseKey: (await Activity.findById(activityId).lean<ActivityDoc>())?.courseKey,
      activityId,
      userId: 'u-p-015',
      decision: {
        revision: 1,
        levels: { kedalaman: 1, 'bukti-peran': 1, rencana: 1 },
        computedScore: 25.5,
        score: 25.5,
        comment: 'Tersimpan sebelum gangguan.',
        release: 'now',
        by: { id: 'u-coach-1', name: 'Coach' },
        at: new Date(),
      },
    });
    const page = await coach.go(`${reviewUrl('u-p-015')}?ltik=${encodeURIComponent(ltikOf(coachPage))}`);
    expect(page.body).toContain('25.5 dari 50');
    expect(page.body).not.toContain('ditahan, belum dikirim');
    const grade = await until(
      () => received('u-p-015').find((s) => s.gradingProgress === 'FullyGraded'),
      'the recovered grade',
    );
    expect(grade.scoreGiven).toBe(25.5);
    await coach.go(`${reviewUrl('u-p-015')}?ltik=${encodeURIComponent(ltikOf(coachPage))}`);
    await new Promise((r) => setTimeout(r, 300));
    expect(received('u-p-015').filter((s) => s.gradingProgress === 'FullyGraded')).toHaveLength(1);
  });
});
