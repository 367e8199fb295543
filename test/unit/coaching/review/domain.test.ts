/** The coach's review, pure: rubric score, the review form, comparison with the AI draft, gradebook comment. */
import type { ActivityDoc, ActivityRubricCriterion } from '../../../../src/coaching/models';
import {
  inBlindSample,
  reviewSecondsSince,
  compareWithDraft,
  draftScore,
  gradebookComment,
  MAX_COMMENT_CHARS,
  parseReviewForm,
  rubricScore,
  type ReviewDraft,
} from '../../../../src/coaching/review/domain';

type ScoredActivity = Pick<ActivityDoc, 'rubric' | 'maxScore'>;

function criterion(id: string, name: string, points: number[]): ActivityRubricCriterion {
  return { id, name, levels: points.map((p, i) => ({ points: p, label: `L${i}`, descriptor: `${name} level ${i}` })) };
}

/** Two criteria, 7 points in all: A (1, 2, 3) and B (0, 2, 4). */
function activity(maxScore = 100): ScoredActivity {
  return {
    maxScore,
    rubric: { criteria: [criterion('A', 'Analisis masalah', [1, 2, 3]), criterion('B', 'Refleksi diri', [0, 2, 4])] },
  };
}

function draft(overrides: Partial<ReviewDraft> = {}): ReviewDraft {
  return {
    engine: 'ai',
    model: 'gpt-test',
    promptVersion: 'v1',
    feedback: 'Refleksi Anda jelas.',
    levels: { A: { level: 2, evidence: 'saya menimbang dua pilihan' }, B: { level: 1 } },
    createdAt: new Date('2026-03-01T08:00:00Z'),
    ...overrides,
  };
}

/** A complete valid form: A → level 2 (3 pts), B → level 1 (2 pts): 5/7 of 100 = 71.43. */
function form(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { 'level.A': '2', 'level.B': '1', comment: 'Bagus.', revision: '0', ...overrides };
}

describe('rubricScore and draftScore', () => {
  test('points of the chosen levels scaled to maxScore, two decimals', () => {
    expect(rubricScore(activity(), { A: 2, B: 1 })).toBe(71.43);
    expect(rubricScore(activity(), { A: 0, B: 0 })).toBe(14.29);
    expect(rubricScore(activity(), { A: 2, B: 2 })).toBe(100);
    expect(rubricScore(activity(10), { A: 1, B: 1 })).toBe(5.71);
  });

  test('missing or out-of-range levels count as nothing', () => {
    expect(rubricScore(activity(), { A: 2 })).toBe(42.86);
    expect(rubricScore(activity(), { A: 9, B: 2 })).toBe(57.14);
    expect(rubricScore(activity(), {})).toBe(0);
  });

  test("the draft's suggested score; levels it left out count as nothing, unknown criteria are ignored", () => {
    expect(draftScore(activity(), draft())).toBe(71.43);
    expect(draftScore(activity(), draft({ levels: { A: { level: 2 } } }))).toBe(42.86);
    expect(draftScore(activity(), draft({ levels: { A: { level: 0 }, B: { level: 2 }, Z: { level: 2 } } }))).toBe(
      71.43,
    );
  });
});

describe('parseReviewForm', () => {
  test('comments beside entries: kept trimmed by entry key, empty ones dropped, a long one refused at its field', () => {
    const parsed = parseReviewForm(
      activity(),
      form({ 'entryComment.refleksi': '  Kuat.\r\n ', 'entryComment.lain': '   ', 'entryComment.a b': 'kunci aneh' }),
    );
    expect(parsed).toMatchObject({ ok: true, entryComments: { refleksi: 'Kuat.' } });
    expect(parseReviewForm(activity(), form({ 'entryComment.refleksi': 'x'.repeat(2001) }))).toEqual({
      ok: false,
      problems: [{ field: 'entryComment.refleksi', key: 'review.commentTooLong', vars: { max: '2000' } }],
    });
  });

  test('all levels chosen: ok, computed score scaled to maxScore', () => {
    expect(parseReviewForm(activity(), form({ comment: '  Bagus \r\n sekali  ', revision: '3' }))).toEqual({
      ok: true,
      levels: { A: 2, B: 1 },
      computedScore: 71.43,
      score: 71.43,
      override: undefined,
      comment: 'Bagus \n sekali',
      entryComments: {},
      release: 'now',
      expectedRevision: 3,
    });
  });

  test('scaled to a different maxScore', () => {
    const parsed = parseReviewForm(activity(4), form());
    expect(parsed).toMatchObject({ ok: true, computedScore: 2.86, score: 2.86 });
  });

  test('a missing level and an out-of-range level: one problem per criterion, naming it', () => {
    const parsed = parseReviewForm(activity(), { 'level.A': '3', comment: 'x' });
    expect(parsed).toEqual({
      ok: false,
      problems: [
        { field: 'level.A', key: 'review.chooseLevel', vars: { criterion: 'Analisis masalah' } },
        { field: 'level.B', key: 'review.chooseLevel', vars: { criterion: 'Refleksi diri' } },
      ],
    });
  });

  test.each(['', '-1', '1.0', 'abc', ' 1', '1000'])('level value %j is not a level', (value) => {
    expect(parseReviewForm(activity(), form({ 'level.B': value }))).toEqual({
      ok: false,
      problems: [{ field: 'level.B', key: 'review.chooseLevel', vars: { criterion: 'Refleksi diri' } }],
    });
  });

  test('override with a comma decimal "85,5"', () => {
    expect(
      parseReviewForm(activity(), form({ override: ' 85,5 ', overrideReason: '  Konteks tugas lapangan  ' })),
    ).toEqual({
      ok: true,
      levels: { A: 2, B: 1 },
      computedScore: 71.43,
      override: { score: 85.5, reason: 'Konteks tugas lapangan' },
      score: 85.5,
      comment: 'Bagus.',
      entryComments: {},
      release: 'now',
      expectedRevision: 0,
    });
  });

  test('override equal to maxScore and zero are accepted', () => {
    expect(parseReviewForm(activity(), form({ override: '100', overrideReason: 'Sangat baik' }))).toMatchObject({
      ok: true,
      score: 100,
    });
    expect(parseReviewForm(activity(), form({ override: '0', overrideReason: 'Tidak sesuai' }))).toMatchObject({
      ok: true,
      score: 0,
    });
    expect(parseReviewForm(activity(), form({ override: '12.25', overrideReason: 'Dua desimal' }))).toMatchObject({
      ok: true,
      score: 12.25,
    });
  });

  test('an empty override is no override, whatever the reason says', () => {
    const parsed = parseReviewForm(activity(), form({ override: '   ', overrideReason: 'x' }));
    expect(parsed).toMatchObject({ ok: true, score: 71.43 });
    expect(parsed.ok && parsed.override).toBeUndefined();
  });

  test.each(['100.01', '100,01', '101', '85.555', '85,555', '-5', '1e2', 'delapan'])(
    'override %j is refused',
    (value) => {
      expect(parseReviewForm(activity(), form({ override: value, overrideReason: 'Alasan yang cukup' }))).toEqual({
        ok: false,
        problems: [{ field: 'override', key: 'review.badOverride', vars: { max: '100' } }],
      });
    },
  );

  test('an override needs a reason of 5 to 1000 characters', () => {
    const needsReason = { ok: false, problems: [{ field: 'overrideReason', key: 'review.overrideNeedsReason' }] };
    expect(parseReviewForm(activity(), form({ override: '85' }))).toEqual(needsReason);
    expect(parseReviewForm(activity(), form({ override: '85', overrideReason: '   ' }))).toEqual(needsReason);
    expect(parseReviewForm(activity(), form({ override: '85', overrideReason: 'abcd' }))).toEqual(needsReason);
    expect(parseReviewForm(activity(), form({ override: '85', overrideReason: 'r'.repeat(1001) }))).toEqual(
      needsReason,
    );
    expect(parseReviewForm(activity(), form({ override: '85', overrideReason: 'abcde' }))).toMatchObject({
      ok: true,
      score: 85,
    });
    expect(parseReviewForm(activity(), form({ override: '85', overrideReason: 'r'.repeat(1000) }))).toMatchObject({
      ok: true,
      score: 85,
    });
  });

  test('a bad override without a reason gives both problems', () => {
    expect(parseReviewForm(activity(), form({ override: '150' }))).toEqual({
      ok: false,
      problems: [
        { field: 'override', key: 'review.badOverride', vars: { max: '100' } },
        { field: 'overrideReason', key: 'review.overrideNeedsReason' },
      ],
    });
  });

  test('a comment over 4000 characters is a problem; 4000 is fine', () => {
    expect(MAX_COMMENT_CHARS).toBe(4000);
    expect(parseReviewForm(activity(), form({ comment: 'k'.repeat(4001) }))).toEqual({
      ok: false,
      problems: [{ field: 'comment', key: 'review.commentTooLong', vars: { max: '4000' } }],
    });
    expect(parseReviewForm(activity(), form({ comment: `  ${'k'.repeat(4000)}  ` }))).toMatchObject({
      ok: true,
      comment: 'k'.repeat(4000),
    });
  });

  test('every problem is listed at once', () => {
    const parsed = parseReviewForm(activity(), { 'level.A': '9', comment: 'k'.repeat(4001), override: '85,555' });
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? [] : parsed.problems.map((p) => p.field)).toEqual([
      'level.A',
      'level.B',
      'comment',
      'override',
      'overrideReason',
    ]);
  });

  test.each<[string, unknown]>([
    ['a number as a level', form({ 'level.A': 2 })],
    ['a null comment', form({ comment: null })],
    ['an array override', form({ override: ['85'] })],
    ['an unknown release', form({ release: 'later' })],
    ['a non-numeric revision', form({ revision: 'abc' })],
    ['an empty revision', form({ revision: '' })],
    ['null body', null],
    ['a string body', 'level.A=2'],
    ['an array body', [form()]],
  ])('%s is a bad form', (_label, body) => {
    expect(parseReviewForm(activity(), body)).toEqual({
      ok: false,
      problems: [{ field: 'form', key: 'review.badForm' }],
    });
  });

  test("release 'held' is kept; 'now' or none means now", () => {
    expect(parseReviewForm(activity(), form({ release: 'held' }))).toMatchObject({ ok: true, release: 'held' });
    expect(parseReviewForm(activity(), form({ release: 'now' }))).toMatchObject({ ok: true, release: 'now' });
    expect(parseReviewForm(activity(), form())).toMatchObject({ ok: true, release: 'now' });
  });

  test('revision is parsed as the expected revision; absent means 0', () => {
    expect(parseReviewForm(activity(), form({ revision: '12' }))).toMatchObject({ ok: true, expectedRevision: 12 });
    expect(parseReviewForm(activity(), form({ revision: '007' }))).toMatchObject({ ok: true, expectedRevision: 7 });
    const { revision: _omit, ...noRevision } = form();
    expect(parseReviewForm(activity(), noRevision)).toMatchObject({ ok: true, expectedRevision: 0 });
  });

  test('no comment gives an empty comment', () => {
    const { comment: _omit, ...noComment } = form();
    expect(parseReviewForm(activity(), noComment)).toMatchObject({ ok: true, comment: '' });
  });
});

describe('compareWithDraft', () => {
  test('unchanged: accepted unchanged, scoreDelta 0', () => {
    expect(
      compareWithDraft(activity(), draft(), { levels: { A: 2, B: 1 }, score: 71.43, comment: 'Refleksi Anda jelas.' }),
    ).toEqual({
      engine: 'ai',
      levelsChanged: 0,
      criteria: 2,
      commentChanged: false,
      scoreDelta: 0,
      suggestedScore: 71.43,
      acceptedUnchanged: true,
    });
  });

  test('whitespace around the comment is not a change', () => {
    expect(
      compareWithDraft(activity(), draft(), {
        levels: { A: 2, B: 1 },
        score: 71.43,
        comment: '  Refleksi Anda jelas.\n',
      }),
    ).toMatchObject({ commentChanged: false, acceptedUnchanged: true });
  });

  test('one level raised: levelsChanged 1, exact scoreDelta', () => {
    expect(
      compareWithDraft(activity(), draft(), { levels: { A: 2, B: 2 }, score: 100, comment: 'Refleksi Anda jelas.' }),
    ).toEqual({
      engine: 'ai',
      levelsChanged: 1,
      criteria: 2,
      commentChanged: false,
      scoreDelta: 28.57,
      suggestedScore: 71.43,
      acceptedUnchanged: false,
    });
  });

  test('one level lowered: negative exact scoreDelta', () => {
    expect(
      compareWithDraft(activity(), draft(), { levels: { A: 1, B: 1 }, score: 57.14, comment: 'Refleksi Anda jelas.' }),
    ).toMatchObject({ levelsChanged: 1, scoreDelta: -14.29, acceptedUnchanged: false });
  });

  test('comment edited: commentChanged, not accepted unchanged', () => {
    expect(
      compareWithDraft(activity(), draft(), {
        levels: { A: 2, B: 1 },
        score: 71.43,
        comment: 'Refleksi Anda jelas. Tambahkan contoh.',
      }),
    ).toEqual({
      engine: 'ai',
      levelsChanged: 0,
      criteria: 2,
      commentChanged: true,
      scoreDelta: 0,
      suggestedScore: 71.43,
      acceptedUnchanged: false,
    });
  });

  test('an override alone moves the score', () => {
    expect(
      compareWithDraft(activity(), draft(), { levels: { A: 2, B: 1 }, score: 75, comment: 'Refleksi Anda jelas.' }),
    ).toMatchObject({ levelsChanged: 0, commentChanged: false, scoreDelta: 3.57, acceptedUnchanged: false });
  });

  test('a criterion the draft left out counts as changed; the offline engine is named', () => {
    expect(
      compareWithDraft(activity(), draft({ engine: 'offline', levels: { A: { level: 2 } } }), {
        levels: { A: 2, B: 0 },
        score: 42.86,
        comment: 'Refleksi Anda jelas.',
      }),
    ).toEqual({
      engine: 'offline',
      levelsChanged: 1,
      criteria: 2,
      commentChanged: false,
      scoreDelta: 0,
      acceptedUnchanged: false,
    });
  });
});

describe('blind sample and review time', () => {
  test('the blind sample is a stable share of (activity, participant) pairs', () => {
    const pairs = Array.from({ length: 4000 }, (_, i) => [`act-${i % 40}`, `u-${i}`] as const);
    const inSample = pairs.filter(([a, u]) => inBlindSample(a, u, 0.05));
    expect(inSample.length).toBeGreaterThan(140); // 5 % of 4,000 is 200; the hash spreads them
    expect(inSample.length).toBeLessThan(260);
    expect(pairs.filter(([a, u]) => inBlindSample(a, u, 0.05)).map(([a, u]) => a + u)).toEqual(
      inSample.map(([a, u]) => a + u),
    );
    expect(pairs.some(([a, u]) => inBlindSample(a, u, 0))).toBe(false);
    expect(pairs.every(([a, u]) => inBlindSample(a, u, 1))).toBe(true);
  });

  test("review time from the form's opening: plausible values only", () => {
    const now = new Date('2026-11-25T10:00:00Z');
    expect(reviewSecondsSince(String(now.getTime() - 95_000), now)).toBe(95);
    expect(reviewSecondsSince(String(now.getTime() + 5_000), now)).toBeUndefined(); // from the future
    expect(reviewSecondsSince(String(now.getTime() - 9 * 3600_000), now)).toBeUndefined(); // a form left open overnight
    expect(reviewSecondsSince('soon', now)).toBeUndefined();
    expect(reviewSecondsSince(undefined, now)).toBeUndefined();
  });
});

describe('gradebookComment', () => {
  test('a name ending in a degree does not end the sentence with two full stops', () => {
    expect(gradebookComment('id', '', 'Dr. Siti Rahmawati, M.Pd.', { engine: 'ai' })).toBe(
      'Umpan balik disusun dengan bantuan AI dan disetujui oleh Dr. Siti Rahmawati, M.Pd.',
    );
  });

  test('Indonesian, AI draft: names the AI and the coach', () => {
    expect(gradebookComment('id', 'Refleksi Anda jelas.', 'Ibu Sari', { engine: 'ai' })).toBe(
      'Refleksi Anda jelas.\n\n— Umpan balik disusun dengan bantuan AI dan disetujui oleh Ibu Sari.',
    );
  });

  test('English, AI draft', () => {
    expect(gradebookComment('en', 'Clear reflection.', 'Ms Sari', { engine: 'ai' })).toBe(
      'Clear reflection.\n\n— Feedback drafted with AI assistance and approved by Ms Sari.',
    );
  });

  test('offline engine or no draft does not mention AI', () => {
    expect(gradebookComment('id', 'Bagus.', 'Ibu Sari', { engine: 'offline' })).toBe(
      'Bagus.\n\n— Ditinjau dan dinilai oleh Ibu Sari.',
    );
    expect(gradebookComment('id', 'Bagus.', 'Ibu Sari')).toBe('Bagus.\n\n— Ditinjau dan dinilai oleh Ibu Sari.');
    expect(gradebookComment('en', 'Good.', 'Ms Sari', { engine: 'offline' })).toBe(
      'Good.\n\n— Reviewed and scored by Ms Sari.',
    );
    expect(gradebookComment('en', 'Good.', 'Ms Sari')).toBe('Good.\n\n— Reviewed and scored by Ms Sari.');
    for (const text of [
      gradebookComment('id', 'Bagus.', 'Ibu Sari', { engine: 'offline' }),
      gradebookComment('en', 'Good.', 'Ms Sari'),
    ]) {
      expect(text).not.toMatch(/\bAI\b/);
    }
  });

  test('an empty comment gives only the signature', () => {
    expect(gradebookComment('id', '', 'Ibu Sari')).toBe('Ditinjau dan dinilai oleh Ibu Sari.');
    expect(gradebookComment('id', '', 'Ibu Sari', { engine: 'ai' })).toBe(
      'Umpan balik disusun dengan bantuan AI dan disetujui oleh Ibu Sari.',
    );
    expect(gradebookComment('en', '', 'Ms Sari', { engine: 'ai' })).toBe(
      'Feedback drafted with AI assistance and approved by Ms Sari.',
    );
  });
});
