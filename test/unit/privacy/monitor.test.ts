/**
 * The automation-bias monitor and the cohort insight, pure: a seeded set of decisions whose every
 * figure is worked out by hand in the comments (three coaches, two cohorts, both engines, blind
 * re-marks, a fact that cannot be a score), the edges (nothing to count, thresholds, bad
 * numbers, NaN never out), the adapter from stored decisions, and the cohort insight's small-group
 * rules on reflections whose analysis is known.
 */
import { loadQuestionBank } from '../../../src/ai/offline/engine';
import type { ActivityDoc } from '../../../src/coaching/models';
import { compareWithDraft, type ReviewDecision, type ReviewDraft } from '../../../src/coaching/review/domain';
import { cohortInsight, type ReflectionFact } from '../../../src/privacy/cohort-insight';
import {
  blindFigures,
  checkFacts,
  coachFigures,
  cohortFigures,
  decisionFact,
  fairness,
  type DecisionFact,
  type DraftFigures,
} from '../../../src/privacy/monitor';

// ---------------------------------------------------------------------------------------------
// The seeded data set.

const ANI = { id: 'c-ani', name: 'Ani Wijaya' };
const BUDI = { id: 'c-budi', name: 'Budi Santoso' };
const CITRA = { id: 'c-citra', name: 'Citra Lestari' };

type Where = Pick<DecisionFact, 'courseKey' | 'cohort' | 'activityId' | 'activityTitle' | 'maxScore'>;
const ACT1: Where = {
  courseKey: 'k1',
  cohort: 'Angkatan I',
  activityId: 'act-1',
  activityTitle: 'Rancangan Aktualisasi',
  maxScore: 100,
};
const ACT2: Where = {
  courseKey: 'k1',
  cohort: 'Angkatan I',
  activityId: 'act-2',
  activityTitle: 'Jurnal Habituasi',
  maxScore: 10,
};
// Same title as act-1, another course: the fairness rows are then ordered by id.
const ACT3: Where = {
  courseKey: 'k2',
  cohort: 'Angkatan II',
  activityId: 'act-3',
  activityTitle: 'Rancangan Aktualisasi',
  maxScore: 100,
};

const T0 = Date.UTC(2026, 2, 2, 8);
let minute = 0;

function decided(
  where: Where,
  coach: DecisionFact['coach'],
  participantId: string,
  finalScore: number,
  rest: Partial<DecisionFact> = {},
): DecisionFact {
  minute += 1;
  return { ...where, coach, participantId, finalScore, at: new Date(T0 + minute * 60_000), ...rest };
}

type Draft = NonNullable<DecisionFact['draft']>;
const unchanged = (engine: Draft['engine'], suggestedScore: number, criteria: number): Draft => ({
  engine,
  suggestedScore,
  levelsChanged: 0,
  criteria,
  commentChanged: false,
  acceptedUnchanged: true,
});
const edited = (
  engine: Draft['engine'],
  suggestedScore: number | undefined,
  criteria: number,
  levelsChanged: number,
  commentChanged: boolean,
): Draft => ({
  engine,
  ...(suggestedScore !== undefined ? { suggestedScore } : {}),
  levelsChanged,
  criteria,
  commentChanged,
  acceptedUnchanged: false,
});

const id = (p: string, i: number) => `${p}${String(i).padStart(2, '0')}`;

/**
 * Ani (Angkatan I), 25 decisions:
 *   a01..a19 act-1 (max 100, 3 criteria): AI suggests 80, she accepts unchanged, 30 s each;
 *   a20      act-1: AI suggests 70, final 80, 1 of 3 levels and the comment changed, 300 s;
 *   a01..a05 act-2 (max 10): offline drafts, all 3 levels and the comment changed, final 7.5
 *            (75 %), 240 s; a01..a03 carry a suggested 5 (50 %), a04..a05 none (the offline
 *            engine as it is today: no rubric levels, so no score).
 * The last of them is dated latest and carries her new name "Dr. Ani Wijaya".
 */
function aniFacts(): DecisionFact[] {
  const out: DecisionFact[] = [];
  for (let i = 1; i <= 19; i++)
    out.push(decided(ACT1, ANI, id('a', i), 80, { draft: unchanged('ai', 80, 3), reviewSeconds: 30 }));
  out.push(decided(ACT1, ANI, 'a20', 80, { draft: edited('ai', 70, 3, 1, true), reviewSeconds: 300 }));
  for (let i = 1; i <= 5; i++)
    out.push(
      decided(ACT2, ANI, id('a', i), 7.5, {
        draft: edited('offline', i <= 3 ? 5 : undefined, 3, 3, true),
        reviewSeconds: 240,
      }),
    );
  // Renamed in Moodle: this decision is the latest, though not the last in the input.
  out[3] = { ...out[3], coach: { id: ANI.id, name: 'Dr. Ani Wijaya' }, at: new Date(T0 + 10_000 * 60_000) };
  return out;
}

/**
 * Budi (Angkatan II, act-3: max 100, 4 criteria), 15 decisions:
 *   b01..b02: AI suggests 60, accepted unchanged, 120 s each;
 *   b03..b07: AI suggests 60, final 75, 2 of 4 levels and the comment changed;
 *   b08..b12: AI suggests 60, final 70, 1 of 4 levels and the comment changed;
 *             times of b03..b12: 300, 300, 300, 300, 360, 500, 500, 500, 500, 500;
 *   b13: blind mark 80, then the AI draft revealed (60), final 78 (2 of 4 levels, comment changed), time unknown;
 *   b14: blind mark 70, AI revealed 55, final 70 (1 of 4 levels, comment changed), time unknown;
 *   b15: blind mark 65, no draft was made, final 65.
 */
function budiFacts(): DecisionFact[] {
  const times = [300, 300, 300, 300, 360, 500, 500, 500, 500, 500];
  const out: DecisionFact[] = [
    decided(ACT3, BUDI, 'b01', 60, { draft: unchanged('ai', 60, 4), reviewSeconds: 120 }),
    decided(ACT3, BUDI, 'b02', 60, { draft: unchanged('ai', 60, 4), reviewSeconds: 120 }),
  ];
  for (let i = 3; i <= 7; i++)
    out.push(decided(ACT3, BUDI, id('b', i), 75, { draft: edited('ai', 60, 4, 2, true), reviewSeconds: times[i - 3] }));
  for (let i = 8; i <= 12; i++)
    out.push(decided(ACT3, BUDI, id('b', i), 70, { draft: edited('ai', 60, 4, 1, true), reviewSeconds: times[i - 3] }));
  out.push(decided(ACT3, BUDI, 'b13', 78, { blind: { score: 80 }, draft: edited('ai', 60, 4, 2, true) }));
  out.push(decided(ACT3, BUDI, 'b14', 70, { blind: { score: 70 }, draft: edited('ai', 55, 4, 1, true) }));
  out.push(decided(ACT3, BUDI, 'b15', 65, { blind: { score: 65 } }));
  return out;
}

/**
 * Citra (Angkatan II, act-3), 4 decisions and one fact that cannot be counted:
 *   c01: AI suggests 50, accepted unchanged, 45 s;
 *   c02: AI suggests 65, final 60, 1 of 4 levels changed, comment kept, 200 s;
 *   c03: no draft, final 90, 600 s;
 *   c04: blind mark 50, AI revealed 70, final 55 (1 of 4 levels, comment changed);
 *   c05: maxScore 0 (an activity saved before its score was set): skipped.
 */
function citraFacts(): DecisionFact[] {
  return [
    decided(ACT3, CITRA, 'c01', 50, { draft: unchanged('ai', 50, 4), reviewSeconds: 45 }),
    decided(ACT3, CITRA, 'c02', 60, { draft: edited('ai', 65, 4, 1, false), reviewSeconds: 200 }),
    decided(ACT3, CITRA, 'c03', 90, { reviewSeconds: 600 }),
    decided(ACT3, CITRA, 'c04', 55, { blind: { score: 50 }, draft: edited('ai', 70, 4, 1, true) }),
    decided({ ...ACT3, maxScore: 0 }, CITRA, 'c05', 0, { draft: unchanged('ai', 0, 4), reviewSeconds: 10 }),
  ];
}

const FACTS: DecisionFact[] = [...aniFacts(), ...budiFacts(), ...citraFacts()];

const NO_DRAFTS: DraftFigures = {
  drafts: 0,
  acceptedUnchanged: 0,
  acceptedShare: undefined,
  levelsChangedShare: undefined,
  commentEditedShare: undefined,
  scored: 0,
  drift: undefined,
  absDrift: undefined,
  medianReviewSeconds: undefined,
};

/** Every number anywhere in the value is finite (no NaN, no Infinity leaks to a page). */
function expectAllFinite(value: unknown, where = '$'): void {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`${where} is ${value}`);
  } else if (Array.isArray(value)) value.forEach((v, i) => expectAllFinite(v, `${where}[${i}]`));
  else if (value && typeof value === 'object' && !(value instanceof Date)) {
    for (const [k, v] of Object.entries(value)) expectAllFinite(v, `${where}.${k}`);
  }
}

// ---------------------------------------------------------------------------------------------

describe('coachFigures on the seeded set', () => {
  const rows = coachFigures(FACTS);
  const by = (coachId: string) => rows.find((r) => r.coach.id === coachId)!;

  test('one row per coach, by the name on their latest decision', () => {
    // "Budi Santoso" < "Citra Lestari" < "Dr. Ani Wijaya".
    expect(rows.map((r) => r.coach)).toEqual([BUDI, CITRA, { id: 'c-ani', name: 'Dr. Ani Wijaya' }]);
  });

  test('Ani passes 19 of 20 AI drafts through: warned, though offline drafts dilute her overall share', () => {
    // Sighted drafts: 20 AI + 5 offline = 25; unchanged 19 → 76.0 % (below 90: no warning on that alone).
    // Levels changed: (19 × 0 + 1/3 + 5 × 3/3) ÷ 25 = 5.333/25 = 21.3 %. Comment edited: 6/25 = 24.0 %.
    // Scored: 20 AI + a01..a03 offline = 23; deltas in %: 19 × 0, +10 (70 → 80), 3 × +25 (50 → 75):
    // 85/23 = 3.696 → 3.7 both signed and absolute. Times of the 25: 19 × 30, 5 × 240, 300: median 30.
    // AI alone: 19/20 = 95.0 % ≥ 90 % with 20 ≥ 10 drafts → acceptsNearlyAll.
    // Levels (1/3)/20 = 1.7 %; comment 1/20 = 5.0 %; drift 10/20 = 0.5.
    // Offline alone: 0/5 unchanged; levels 100 %; comment 100 %; scored 3, drift 25.0; median 240.
    expect(by('c-ani')).toEqual({
      coach: { id: 'c-ani', name: 'Dr. Ani Wijaya' },
      decisions: 25,
      skipped: 0,
      blindMarks: 0,
      timed: 25,
      medianReviewSeconds: 30,
      drafts: {
        drafts: 25,
        acceptedUnchanged: 19,
        acceptedShare: 76,
        levelsChangedShare: 21.3,
        commentEditedShare: 24,
        scored: 23,
        drift: 3.7,
        absDrift: 3.7,
        medianReviewSeconds: 30,
      },
      byEngine: {
        ai: {
          drafts: 20,
          acceptedUnchanged: 19,
          acceptedShare: 95,
          levelsChangedShare: 1.7,
          commentEditedShare: 5,
          scored: 20,
          drift: 0.5,
          absDrift: 0.5,
          medianReviewSeconds: 30,
        },
        offline: {
          drafts: 5,
          acceptedUnchanged: 0,
          acceptedShare: 0,
          levelsChangedShare: 100,
          commentEditedShare: 100,
          scored: 3,
          drift: 25,
          absDrift: 25,
          medianReviewSeconds: 240,
        },
      },
      warning: 'acceptsNearlyAll',
    });
  });

  test('Budi edits most drafts: no warning; blind re-marks are not sighted drafts', () => {
    // Sighted: b01..b12 (b13, b14 were marked blind first, b15 had no draft). Unchanged 2/12 = 16.7 %.
    // Levels: (0 + 0 + 5 × 2/4 + 5 × 1/4) ÷ 12 = 375/12 = 31.25 → 31.3 (half away from zero).
    // Comment: 10/12 = 83.3 %. Deltas: 0, 0, 5 × 15, 5 × 10 = 125/12 = 10.4.
    // Times: 120, 120, 300 × 4, 360, 500 × 5 → 12 values, median (300 + 360)/2 = 330.
    expect(by('c-budi')).toEqual({
      coach: BUDI,
      decisions: 15,
      skipped: 0,
      blindMarks: 3,
      timed: 12,
      medianReviewSeconds: 330,
      drafts: {
        drafts: 12,
        acceptedUnchanged: 2,
        acceptedShare: 16.7,
        levelsChangedShare: 31.3,
        commentEditedShare: 83.3,
        scored: 12,
        drift: 10.4,
        absDrift: 10.4,
        medianReviewSeconds: 330,
      },
      byEngine: {
        ai: {
          drafts: 12,
          acceptedUnchanged: 2,
          acceptedShare: 16.7,
          levelsChangedShare: 31.3,
          commentEditedShare: 83.3,
          scored: 12,
          drift: 10.4,
          absDrift: 10.4,
          medianReviewSeconds: 330,
        },
        offline: NO_DRAFTS,
      },
    });
    expect(by('c-budi').warning).toBeUndefined();
  });

  test('Citra has too few sighted drafts to judge; her unscoreable fact is skipped, not counted', () => {
    // Counted: c01..c04 (c05 has maxScore 0). Sighted: c01, c02. Unchanged 1/2 = 50 %.
    // Levels (0 + 1/4)/2 = 12.5 %; comment 0/2; deltas 0 and −5: drift −2.5, absolute 2.5.
    // Times: 45, 200, 600 (c04 unknown): median 200; of the sighted drafts (45 + 200)/2 = 122.5.
    expect(by('c-citra')).toEqual({
      coach: CITRA,
      decisions: 4,
      skipped: 1,
      blindMarks: 1,
      timed: 3,
      medianReviewSeconds: 200,
      drafts: {
        drafts: 2,
        acceptedUnchanged: 1,
        acceptedShare: 50,
        levelsChangedShare: 12.5,
        commentEditedShare: 0,
        scored: 2,
        drift: -2.5,
        absDrift: 2.5,
        medianReviewSeconds: 122.5,
      },
      byEngine: {
        ai: {
          drafts: 2,
          acceptedUnchanged: 1,
          acceptedShare: 50,
          levelsChangedShare: 12.5,
          commentEditedShare: 0,
          scored: 2,
          drift: -2.5,
          absDrift: 2.5,
          medianReviewSeconds: 122.5,
        },
        offline: NO_DRAFTS,
      },
      warning: 'tooFew',
    });
  });

  test('no figure is NaN or infinite', () => {
    expectAllFinite(rows);
  });
});

describe('cohortFigures on the seeded set', () => {
  const rows = cohortFigures(FACTS);

  test('Angkatan I is Ani alone: the same figures, the same warning', () => {
    const { coach: _coach, ...ani } = coachFigures(FACTS).find((r) => r.coach.id === 'c-ani')!;
    expect(rows[0]).toEqual({ cohort: 'Angkatan I', coaches: 1, ...ani });
  });

  test('Angkatan II pools Budi and Citra', () => {
    // Counted 15 + 4 = 19, skipped 1 (c05), blind 3 + 1 = 4. Times: Budi's 12 and Citra's 45, 200, 600
    // → 15 values, sorted 45, 120, 120, 200, 300, 300, 300, 300, 360, 500 × 5, 600: median (8th) 300.
    // Sighted: 12 + 2 = 14; unchanged 3 → 21.4 %. Levels (375 + 0 + 25)/14 = 28.6 %. Comment 10/14 = 71.4 %.
    // Deltas: 125 + 0 − 5 = 120/14 = 8.6; absolute 125 + 5 = 130/14 = 9.3.
    // Sighted times: 45, 120, 120, 200, 300 × 4, 360, 500 × 5 → 14 values, median (300 + 300)/2 = 300.
    const two = {
      drafts: 14,
      acceptedUnchanged: 3,
      acceptedShare: 21.4,
      levelsChangedShare: 28.6,
      commentEditedShare: 71.4,
      scored: 14,
      drift: 8.6,
      absDrift: 9.3,
      medianReviewSeconds: 300,
    };
    expect(rows[1]).toEqual({
      cohort: 'Angkatan II',
      coaches: 2,
      decisions: 19,
      skipped: 1,
      blindMarks: 4,
      timed: 15,
      medianReviewSeconds: 300,
      drafts: two,
      byEngine: { ai: two, offline: NO_DRAFTS },
    });
    expect(rows[1].warning).toBeUndefined();
    expect(rows).toHaveLength(2);
  });
});

describe('fairness on the seeded set', () => {
  test('by cohort: the AI suggests lower scores for Angkatan II than coaches give', () => {
    // Angkatan I, facts with a suggestion: 20 AI + a01..a03 offline = 23, participants a01..a20 = 20.
    //   suggested: (19 × 80 + 70 + 3 × 50)/23 = 1740/23 = 75.65 → 75.7; final: (20 × 80 + 3 × 75)/23 = 1825/23 = 79.3;
    //   delta 85/23 = 3.7; unchanged 19 of the 23 sighted = 82.6 %.
    // Angkatan II: Budi's 12 sighted + b13, b14 (blind, suggestion revealed after) + Citra's c01, c02, c04 = 17.
    //   suggested: (12 × 60 + 60 + 55 + 50 + 65 + 70)/17 = 1020/17 = 60.0;
    //   final: (2 × 60 + 5 × 75 + 5 × 70 + 78 + 70 + 50 + 60 + 55)/17 = 1158/17 = 68.1; delta 138/17 = 8.1;
    //   unchanged 3 of 14 sighted = 21.4 %.
    expect(fairness(FACTS, 'cohort')).toEqual([
      {
        key: 'Angkatan I',
        label: 'Angkatan I',
        n: 23,
        participants: 20,
        scored: 23,
        withheld: false,
        suggested: 75.7,
        final: 79.3,
        delta: 3.7,
        unchangedShare: 82.6,
      },
      {
        key: 'Angkatan II',
        label: 'Angkatan II',
        n: 17,
        participants: 17,
        scored: 17,
        withheld: false,
        suggested: 60,
        final: 68.1,
        delta: 8.1,
        unchangedShare: 21.4,
      },
    ]);
  });

  test('by activity: a group of 3 participants is withheld; equal titles ordered by id', () => {
    // act-1: 20 facts, suggested 1590/20 = 79.5, final 80, delta 0.5, unchanged 95 %.
    // act-2: a01..a03 (3 < 5 participants): means withheld. act-3: as Angkatan II above.
    expect(fairness(FACTS, 'activity')).toEqual([
      { key: 'act-2', label: 'Jurnal Habituasi', n: 3, participants: 3, scored: 3, withheld: true },
      {
        key: 'act-1',
        label: 'Rancangan Aktualisasi',
        n: 20,
        participants: 20,
        scored: 20,
        withheld: false,
        suggested: 79.5,
        final: 80,
        delta: 0.5,
        unchangedShare: 95,
      },
      {
        key: 'act-3',
        label: 'Rancangan Aktualisasi',
        n: 17,
        participants: 17,
        scored: 17,
        withheld: false,
        suggested: 60,
        final: 68.1,
        delta: 8.1,
        unchangedShare: 21.4,
      },
    ]);
  });

  test('by engine: AI against offline; the offline row shows the final scores of the work it drafted', () => {
    // AI: 20 + 17 = 37 facts and participants; suggested (1590 + 1020)/37 = 70.5; final (1600 + 1158)/37 = 74.5;
    // delta 148/37 = 4.0; unchanged (19 + 3)/(20 + 14) = 64.7 %.
    // Offline: a01..a05 (act-2), 5 participants: final 7.5/10 = 75 %; sighted, none unchanged: 0 %.
    // Only a01..a03 carry a suggestion: 3 < 5 participants, so its mean and the delta are withheld.
    expect(fairness(FACTS, 'engine')).toEqual([
      {
        key: 'ai',
        label: 'ai',
        n: 37,
        participants: 37,
        scored: 37,
        withheld: false,
        suggested: 70.5,
        final: 74.5,
        delta: 4,
        unchangedShare: 64.7,
      },
      {
        key: 'offline',
        label: 'offline',
        n: 5,
        participants: 5,
        scored: 3,
        withheld: false,
        final: 75,
        unchangedShare: 0,
      },
    ]);
    expect(Object.keys(fairness(FACTS, 'engine')[1])).not.toContain('suggested');
    // With minGroup 3 the three suggestions count: 50 %, and the same three finals 75 %: delta 25.
    expect(fairness(FACTS, 'engine', { minGroup: 3 })[1]).toEqual({
      key: 'offline',
      label: 'offline',
      n: 5,
      participants: 5,
      scored: 3,
      withheld: false,
      suggested: 50,
      final: 75,
      delta: 25,
      unchangedShare: 0,
    });
  });

  test('minGroup is a setting: 3 is enough when the admin says so', () => {
    // act-2: suggested 50, final 75, delta 25; sighted offline drafts, none unchanged.
    expect(fairness(FACTS, 'activity', { minGroup: 3 })[0]).toEqual({
      key: 'act-2',
      label: 'Jurnal Habituasi',
      n: 3,
      participants: 3,
      scored: 3,
      withheld: false,
      suggested: 50,
      final: 75,
      delta: 25,
      unchangedShare: 0,
    });
  });

  test('a withheld group leaks no mean at all', () => {
    const withheld = fairness(FACTS, 'activity').find((r) => r.key === 'act-2')!;
    expect(withheld.withheld).toBe(true);
    expect(Object.keys(withheld).sort()).toEqual(['key', 'label', 'n', 'participants', 'scored', 'withheld']);
  });
});

describe('blindFigures on the seeded set', () => {
  const blind = blindFigures(FACTS);

  test('per coach: blind marks against the revealed suggestion and against their sighted drafts', () => {
    // Citra: c04 blind 50 vs AI 70: gap 20, drift −20. Sighted gaps: c01 0, c02 5 → 2.5. Anchoring 20 − 2.5 = 17.5.
    // Budi: b13 80 vs 60 → 20; b14 70 vs 55 → 15: gap 17.5, drift 17.5 (b15 had no draft: marked, not compared).
    //   Sighted gaps: 125/12 = 10.42 → 10.4. Anchoring 17.5 − 10.417 = 7.08 → 7.1.
    expect(blind.perCoach).toEqual([
      {
        coach: BUDI,
        blindMarks: 3,
        compared: 2,
        blindGap: 17.5,
        blindDrift: 17.5,
        sighted: 12,
        sightedGap: 10.4,
        anchoring: 7.1,
      },
      {
        coach: CITRA,
        blindMarks: 1,
        compared: 1,
        blindGap: 20,
        blindDrift: -20,
        sighted: 2,
        sightedGap: 2.5,
        anchoring: 17.5,
      },
    ]);
  });

  test("overall and matched: sighted gaps weighted by each coach's blind marks", () => {
    // All: 4 blind marks, 3 compared; gap (20 + 15 + 20)/3 = 18.3; drift (20 + 15 − 20)/3 = 5.0.
    // Matched (Budi and Citra both have sighted drafts): sighted (2 × 10.417 + 1 × 2.5)/3 = 7.78 → 7.8;
    // anchoring 18.333 − 7.778 = 10.56 → 10.6 (from the unrounded figures, not 18.3 − 7.8).
    expect(blind).toMatchObject({
      blindMarks: 4,
      compared: 3,
      blindGap: 18.3,
      blindDrift: 5,
      matched: { coaches: 2, blindMarks: 3, blindGap: 18.3, sightedGap: 7.8, anchoring: 10.6 },
    });
    expectAllFinite(blind);
  });

  test('a coach with blind marks but no sighted drafts is shown, outside the matched comparison', () => {
    const only = [decided(ACT3, CITRA, 'x1', 40, { blind: { score: 40 }, draft: edited('ai', 60, 4, 2, true) })];
    expect(blindFigures(only)).toEqual({
      blindMarks: 1,
      compared: 1,
      blindGap: 20,
      blindDrift: -20,
      matched: { coaches: 0, blindMarks: 0, blindGap: undefined, sightedGap: undefined, anchoring: undefined },
      perCoach: [
        {
          coach: CITRA,
          blindMarks: 1,
          compared: 1,
          blindGap: 20,
          blindDrift: -20,
          sighted: 0,
          sightedGap: undefined,
          anchoring: undefined,
        },
      ],
    });
  });
});

describe('edges', () => {
  test('nothing to count gives empty lists and zero counts, never NaN', () => {
    expect(coachFigures([])).toEqual([]);
    expect(cohortFigures([])).toEqual([]);
    for (const by of ['cohort', 'activity', 'engine'] as const) expect(fairness([], by)).toEqual([]);
    const blind = blindFigures([]);
    expect(blind).toEqual({
      blindMarks: 0,
      compared: 0,
      blindGap: undefined,
      blindDrift: undefined,
      matched: { coaches: 0, blindMarks: 0, blindGap: undefined, sightedGap: undefined, anchoring: undefined },
      perCoach: [],
    });
    expectAllFinite(blind);
  });

  test('a coach who never saw a draft: zero drafts, no shares, too few to judge', () => {
    const facts = Array.from({ length: 12 }, (_, i) => decided(ACT1, BUDI, id('n', i), 70));
    const [row] = coachFigures(facts);
    expect(row).toEqual({
      coach: BUDI,
      decisions: 12,
      skipped: 0,
      blindMarks: 0,
      timed: 0,
      medianReviewSeconds: undefined,
      drafts: NO_DRAFTS,
      byEngine: { ai: NO_DRAFTS, offline: NO_DRAFTS },
      warning: 'tooFew',
    });
    expectAllFinite(row);
    // No draft carries a suggestion, so the fairness view has nothing to compare.
    expect(fairness(facts, 'cohort')).toEqual([]);
  });

  test('the warning threshold: 9 of 10 warns (at the threshold), 8 of 10 does not, 9 drafts are too few', () => {
    const coachWith = (accepted: number, total: number) =>
      Array.from({ length: total }, (_, i) =>
        decided(ACT1, ANI, id('w', i), 80, {
          draft: i < accepted ? unchanged('ai', 80, 3) : edited('ai', 80, 3, 0, true),
        }),
      );
    expect(coachFigures(coachWith(9, 10))[0].warning).toBe('acceptsNearlyAll');
    expect(coachFigures(coachWith(8, 10))[0].warning).toBeUndefined();
    expect(coachFigures(coachWith(9, 9))[0].warning).toBe('tooFew');
    // Options are the admin's: stricter share, more drafts needed.
    expect(coachFigures(coachWith(9, 10), { acceptWarnShare: 0.95 })[0].warning).toBeUndefined();
    expect(coachFigures(coachWith(19, 20), { minDecisions: 25 })[0].warning).toBe('tooFew');
  });

  test('numbers that cannot be a score are refused with the reason, and counted as skipped', () => {
    const good = decided(ACT1, ANI, 'g', 80, { draft: unchanged('ai', 80, 3) });
    const bad: DecisionFact[] = [
      { ...good, maxScore: 0 },
      { ...good, maxScore: Number.NaN },
      { ...good, finalScore: 120 },
      { ...good, finalScore: -1 },
      { ...good, draft: { ...unchanged('ai', 80, 3), suggestedScore: Number.POSITIVE_INFINITY } },
      { ...good, draft: { ...unchanged('ai', 80, 3), levelsChanged: 4 } },
      { ...good, blind: { score: Number.NaN } },
    ];
    expect(checkFacts([good, ...bad]).skipped).toEqual([
      { index: 1, reason: 'badMaxScore' },
      { index: 2, reason: 'badMaxScore' },
      { index: 3, reason: 'badFinalScore' },
      { index: 4, reason: 'badFinalScore' },
      { index: 5, reason: 'badSuggestedScore' },
      { index: 6, reason: 'badDraft' },
      { index: 7, reason: 'badBlindScore' },
    ]);
    const [row] = coachFigures([good, ...bad]);
    expect(row).toMatchObject({ decisions: 1, skipped: 7, drafts: { drafts: 1, acceptedUnchanged: 1, drift: 0 } });
    expectAllFinite(row);
    expect(fairness([good, ...bad], 'cohort')).toEqual([
      { key: 'Angkatan I', label: 'Angkatan I', n: 1, participants: 1, scored: 1, withheld: true },
    ]);
    expectAllFinite(blindFigures(bad));
  });

  test('an unknown or impossible review time is left out, not counted as zero', () => {
    const facts = [
      decided(ACT1, ANI, 't1', 80, { reviewSeconds: 100 }),
      decided(ACT1, ANI, 't2', 80, { reviewSeconds: -5 }),
      decided(ACT1, ANI, 't3', 80, { reviewSeconds: Number.NaN }),
      decided(ACT1, ANI, 't4', 80),
    ];
    expect(coachFigures(facts)[0]).toMatchObject({ decisions: 4, timed: 1, medianReviewSeconds: 100 });
  });

  test('rounding is half away from zero, below zero too', () => {
    // Deltas −2 and −2.5: mean −2.25 → −2.3 (a plain Math.round would give −2.2, unlike +2.25 → 2.3).
    const facts = [
      decided(ACT1, ANI, 'r1', 78, { draft: edited('ai', 80, 3, 1, false) }),
      decided(ACT1, ANI, 'r2', 77.5, { draft: edited('ai', 80, 3, 1, false) }),
    ];
    expect(coachFigures(facts)[0].drafts).toMatchObject({ drift: -2.3, absDrift: 2.3 });
  });

  test('a draft on a rubric without criteria has no levels share', () => {
    const facts = [decided(ACT1, ANI, 'z', 80, { draft: { ...unchanged('ai', 80, 0) } })];
    expect(coachFigures(facts)[0].drafts).toMatchObject({
      drafts: 1,
      levelsChangedShare: undefined,
      acceptedShare: 100,
    });
  });
});

describe('decisionFact: a stored decision as a fact', () => {
  const activity: Pick<ActivityDoc, '_id' | 'courseKey' | 'title' | 'rubric' | 'maxScore'> = {
    _id: 'act-9',
    courseKey: 'k9',
    title: 'Rancangan',
    maxScore: 100,
    rubric: {
      criteria: [
        {
          id: 'A',
          name: 'Analisis',
          levels: [
            { points: 1, label: 'L0', descriptor: 'a0' },
            { points: 2, label: 'L1', descriptor: 'a1' },
            { points: 3, label: 'L2', descriptor: 'a2' },
          ],
        },
        {
          id: 'B',
          name: 'Refleksi',
          levels: [
            { points: 0, label: 'L0', descriptor: 'b0' },
            { points: 2, label: 'L1', descriptor: 'b1' },
            { points: 4, label: 'L2', descriptor: 'b2' },
          ],
        },
      ],
    },
  };
  // Draft: A level 2 (3 pts) + B level 1 (2 pts) = 5 of 7 → 71.43.
  const aiDraft: ReviewDraft = {
    engine: 'ai',
    feedback: 'Bagus.',
    levels: { A: { level: 2 }, B: { level: 1 } },
    createdAt: new Date(T0),
  };
  const decisionOn = (
    draft: ReviewDraft,
    levels: Record<string, number>,
    score: number,
    comment: string,
  ): ReviewDecision => ({
    revision: 1,
    levels,
    computedScore: score,
    score,
    comment,
    release: 'now',
    by: BUDI,
    at: new Date(T0 + 3_600_000),
    draft: compareWithDraft(activity, draft, { levels, score, comment }),
  });

  test("an AI draft accepted as drafted: the suggested score is the draft's", () => {
    const decision = decisionOn(aiDraft, { A: 2, B: 1 }, 71.43, 'Bagus.');
    expect(
      decisionFact({
        activity,
        cohort: 'Angkatan IX',
        participantId: 'p',
        decision,
        draft: aiDraft,
        reviewSeconds: 90,
      }),
    ).toEqual({
      courseKey: 'k9',
      cohort: 'Angkatan IX',
      activityId: 'act-9',
      activityTitle: 'Rancangan',
      participantId: 'p',
      coach: BUDI,
      at: new Date(T0 + 3_600_000),
      maxScore: 100,
      finalScore: 71.43,
      reviewSeconds: 90,
      draft: {
        engine: 'ai',
        suggestedScore: 71.43,
        levelsChanged: 0,
        criteria: 2,
        commentChanged: false,
        acceptedUnchanged: true,
      },
    });
  });

  test('an offline draft suggests no levels, so no score (not a score of 0)', () => {
    const offline: ReviewDraft = { engine: 'offline', feedback: 'Terima kasih.', levels: {}, createdAt: new Date(T0) };
    const fact = decisionFact({
      activity,
      participantId: 'p',
      decision: decisionOn(offline, { A: 1, B: 1 }, 57.14, 'Terima kasih.'),
      draft: offline,
    });
    expect(fact.cohort).toBe('k9');
    expect(fact.draft).toEqual({
      engine: 'offline',
      levelsChanged: 2,
      criteria: 2,
      commentChanged: false,
      acceptedUnchanged: false,
    });
  });

  test('the suggestion recorded with the decision stands even after the draft is replaced', () => {
    const decision = decisionOn(aiDraft, { A: 2, B: 2 }, 100, 'Sangat baik.');
    const newer: ReviewDraft = { ...aiDraft, levels: { A: { level: 0 }, B: { level: 0 } } };
    expect(decision.draft?.suggestedScore).toBe(71.43);
    expect(decisionFact({ activity, participantId: 'p', decision, draft: newer }).draft?.suggestedScore).toBe(71.43);
    expect(decisionFact({ activity, participantId: 'p', decision }).draft).toMatchObject({
      engine: 'ai',
      levelsChanged: 1,
      suggestedScore: 71.43,
    });
  });

  test('an older decision without a recorded suggestion: recovered from the unchanged draft, never from a replaced one', () => {
    const recorded = decisionOn(aiDraft, { A: 2, B: 2 }, 100, 'Sangat baik.');
    const { suggestedScore: _recorded, ...comparison } = recorded.draft as NonNullable<ReviewDecision['draft']>;
    const decision: ReviewDecision = { ...recorded, draft: comparison };
    const newer: ReviewDraft = { ...aiDraft, levels: { A: { level: 0 }, B: { level: 0 } } };
    expect(
      decisionFact({ activity, participantId: 'p', decision, draft: newer }).draft?.suggestedScore,
    ).toBeUndefined();
    expect(decisionFact({ activity, participantId: 'p', decision, draft: aiDraft }).draft?.suggestedScore).toBe(71.43);
  });

  test('a blind decision: its mark is the blind mark, and the draft asked for after it is the revealed suggestion', () => {
    const decision: ReviewDecision = {
      revision: 1,
      levels: { A: 0, B: 1 },
      computedScore: 42.86,
      score: 42.86,
      comment: '',
      release: 'held',
      by: CITRA,
      at: new Date(T0),
      blind: true,
      reviewSeconds: 300,
    };
    const fact = decisionFact({ activity, participantId: 'b', decision, draft: aiDraft });
    expect(fact.blind).toEqual({ score: 42.86 });
    expect(fact.draft?.suggestedScore).toBe(71.43);
    expect(fact.reviewSeconds).toBe(300);
    expect(decisionFact({ activity, participantId: 'b', decision }).draft).toBeUndefined();
  });

  test('no draft, and a blind mark, carry through', () => {
    const decision: ReviewDecision = {
      revision: 2,
      levels: { A: 0, B: 0 },
      computedScore: 14.29,
      score: 14.29,
      comment: '',
      release: 'held',
      by: CITRA,
      at: new Date(T0),
    };
    const fact = decisionFact({ activity, participantId: 'q', decision, blind: { score: 20 } });
    expect(fact.draft).toBeUndefined();
    expect(fact.blind).toEqual({ score: 20 });
    expect(checkFacts([fact]).skipped).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('cohortInsight', () => {
  const bank = loadQuestionBank();
  /**
   * What the offline engine reads in each text (checked by hand against `analyse`):
   *   T1: pelayanan, kompeten; evidence (kemarin), stakeholder (warga), learning (belajar)
   *   T2: pelayanan, akuntabel (jujur), kompeten; evidence, stakeholder, learning
   *   T3: pelayanan, kolaboratif (bekerja sama); stakeholder (rekan kerja), feeling (merasa)
   *   T3b: kolaboratif; stakeholder
   *   T4: pelayanan, kolaboratif (bersama atasan, told: a plan shows no value); action (besok … akan menyusun), stakeholder
   *   T5: pelayanan; stakeholder, feeling
   *   T6: pelayanan; feeling — 4 words; T6b: kolaboratif; stakeholder (tim) — 13 words: 17 in all, not too short
   */
  const T = {
    T1: 'Kemarin saya melayani warga di loket dengan ramah. Saya belajar mengasah keterampilan menjelaskan agar mereka terbantu.',
    T2: 'Kemarin saya melayani warga di loket dengan ramah dan jujur soal biaya. Saya belajar bahwa keterbukaan membangun kepercayaan.',
    T3: 'Saya melayani pemohon dengan sabar, lalu bekerja sama dengan rekan kerja di loket sebelah. Saya merasa senang.',
    T3b: 'Saya mengajak rekan berkolaborasi menyusun jadwal piket, kami bekerja sama dengan baik sekali minggu ini.',
    T4: 'Saya melayani warga, tetapi unit kami lambat. Kemarin saya memilah berkas bersama atasan, dan besok saya akan menyusun daftar periksa agar warga tidak menunggu lama.',
    T5: 'Saya mencoba melayani warga dengan senyum setiap pagi, meskipun antrean panjang dan saya merasa lelah sekali.',
    T6: 'Saya senang bisa melayani.',
    T6b: 'Minggu lalu saya bekerja sama dengan tim di kantor kecamatan untuk merapikan arsip.',
  };
  const SIX: ReflectionFact[] = [
    { participantId: 'P1', text: T.T1, shared: true },
    { participantId: 'P2', text: T.T2, shared: false },
    { participantId: 'P3', text: T.T3, shared: true },
    { participantId: 'P3', text: T.T3b, shared: false },
    { participantId: 'P4', text: T.T4, shared: true },
    { participantId: 'P5', text: T.T5, shared: false },
    { participantId: 'P6', text: T.T6, shared: true },
    { participantId: 'P6', text: T.T6b, shared: false },
  ];

  test('4 participants: everything withheld', () => {
    const four = SIX.filter((r) => ['P1', 'P2', 'P3', 'P4'].includes(r.participantId));
    expect(cohortInsight(four, bank)).toEqual({
      participants: 4,
      withheld: true,
      minGroup: 5,
      values: [],
      gaps: [],
      quotes: [],
    });
  });

  test('5 people of whom one wrote nothing are 4 participants: withheld', () => {
    const five = [
      ...SIX.filter((r) => ['P1', 'P2', 'P3', 'P4'].includes(r.participantId)),
      { participantId: 'P9', text: '   \n ', shared: true },
    ];
    expect(cohortInsight(five, bank)).toMatchObject({ participants: 4, withheld: true });
  });

  test('6 participants: counted by person; 0 and "all" shown, any side of 1..4 withheld', () => {
    const insight = cohortInsight(SIX, bank);
    expect(insight.participants).toBe(6);
    expect(insight.withheld).toBe(false);
    // pelayanan 6/0 shown; akuntabel 1 (P2), kompeten 2 (P1, P2), kolaboratif 3 (P3 twice counts once, P4, P6):
    // groups of 1..4 → withheld; harmonis, loyal, adaptif 0/6 shown.
    expect(insight.values).toEqual([
      { value: 'berorientasi-pelayanan', shownBy: 6, notShownBy: 0, suppressed: false },
      { value: 'akuntabel', suppressed: true },
      { value: 'kompeten', suppressed: true },
      { value: 'harmonis', shownBy: 0, notShownBy: 6, suppressed: false },
      { value: 'loyal', shownBy: 0, notShownBy: 6, suppressed: false },
      { value: 'adaptif', shownBy: 0, notShownBy: 6, suppressed: false },
      { value: 'kolaboratif', suppressed: true },
    ]);
    // Missing — action: all but P4 = 5, but the 1 who has it is a group of 1 → withheld; evidence 4; value 0;
    // stakeholder 0 (P6 through T6b); measure 6 (nobody); feeling 3 (P1, P2, P4); learning 4; story 0.
    expect(insight.gaps).toEqual([
      { gap: 'action', suppressed: true },
      { gap: 'evidence', suppressed: true },
      { gap: 'value', participants: 0, suppressed: false },
      { gap: 'stakeholder', participants: 0, suppressed: false },
      { gap: 'measure', participants: 6, suppressed: false },
      { gap: 'feeling', suppressed: true },
      { gap: 'learning', suppressed: true },
      { gap: 'story', participants: 0, suppressed: false },
    ]);
  });

  test('quotes: shared texts only, the evidence snippet only, one per value, a new voice preferred', () => {
    const { quotes } = cohortInsight(SIX, bank);
    // pelayanan: P1 (first shared). akuntabel: only P2's unshared text shows it → none.
    // kompeten: P1 is the only shared text showing it (P2 did not share). kolaboratif: P3's shared T3
    // (not yet quoted) before P4; P3's T3b and P6's T6b were not shared.
    expect(quotes).toEqual([
      { value: 'berorientasi-pelayanan', text: 'melayani warga di loket dengan ramah' },
      { value: 'kompeten', text: 'mengasah keterampilan menjelaskan agar' },
      { value: 'kolaboratif', text: 'lalu bekerja sama dengan' },
    ]);
    for (const q of quotes) expect([T.T1, T.T3, T.T4, T.T6].some((t) => t.includes(q.text))).toBe(true);

    // Once P2 shares, akuntabel gets a quote from P2; kompeten then has only voices already
    // heard (P1, P2), so the first of them, P1.
    const shared = cohortInsight(
      SIX.map((r) => (r.participantId === 'P2' ? { ...r, shared: true } : r)),
      bank,
    ).quotes;
    expect(shared).toEqual([
      { value: 'berorientasi-pelayanan', text: 'melayani warga di loket dengan ramah' },
      { value: 'akuntabel', text: 'dan jujur soal biaya' },
      { value: 'kompeten', text: 'mengasah keterampilan menjelaskan agar' },
      { value: 'kolaboratif', text: 'lalu bekerja sama dengan' },
    ]);

    // P3 first: P3 speaks for pelayanan, so kolaboratif goes to P4 though P3's text comes first.
    const p3First = cohortInsight(
      [...SIX.filter((r) => r.participantId === 'P3'), ...SIX.filter((r) => r.participantId !== 'P3')],
      bank,
    ).quotes;
    expect(p3First).toEqual([
      { value: 'berorientasi-pelayanan', text: 'Saya melayani pemohon dengan' },
      { value: 'kompeten', text: 'mengasah keterampilan menjelaskan agar' },
      { value: 'kolaboratif', text: 'memilah berkas bersama atasan' },
    ]);
  });

  test("quotes go through the caller's redaction", () => {
    const { quotes } = cohortInsight(SIX, bank, { redactQuote: (t) => t.replace('warga', '[WARGA]') });
    expect(quotes[0]).toEqual({ value: 'berorientasi-pelayanan', text: 'melayani [WARGA] di loket dengan ramah' });
  });

  test('the boundary: 5 of 10 is shown on both sides; 5 of 9 is not (the other side is 4)', () => {
    const serves =
      'Saya melayani warga yang datang ke kantor kelurahan dan menjawab pertanyaan mereka tentang syarat surat pindah.';
    const plain = 'Hari ini saya mengikuti apel pagi lalu mengerjakan tugas administrasi di meja saya sampai sore.';
    const ten: ReflectionFact[] = Array.from({ length: 10 }, (_, i) => ({
      participantId: `Q${i}`,
      text: i < 5 ? serves : plain,
      shared: false,
    }));
    const a = cohortInsight(ten, bank);
    expect(a.values[0]).toEqual({ value: 'berorientasi-pelayanan', shownBy: 5, notShownBy: 5, suppressed: false });
    expect(a.gaps.find((g) => g.gap === 'value')).toEqual({ gap: 'value', participants: 5, suppressed: false });
    expect(a.quotes).toEqual([]);
    const b = cohortInsight(ten.slice(0, 9), bank);
    expect(b.values[0]).toEqual({ value: 'berorientasi-pelayanan', suppressed: true });
    expect(b.gaps.find((g) => g.gap === 'value')).toEqual({ gap: 'value', suppressed: true });
  });

  test('writing too short to read counts under story only', () => {
    const short = 'Saya senang bisa melayani.';
    const long = 'Hari ini saya mengikuti apel pagi lalu mengerjakan tugas administrasi di meja saya sampai sore.';
    const facts: ReflectionFact[] = Array.from({ length: 10 }, (_, i) => ({
      participantId: `S${i}`,
      text: i < 5 ? short : long,
      shared: false,
    }));
    const gaps = Object.fromEntries(cohortInsight(facts, bank).gaps.map((g) => [g.gap, g.participants]));
    // The 5 short writers miss only `story`; the 5 long ones miss everything the plain text lacks.
    expect(gaps).toMatchObject({
      story: 5,
      action: 5,
      evidence: 5,
      value: 5,
      stakeholder: 5,
      measure: 5,
      feeling: 5,
      learning: 5,
    });
  });
});
