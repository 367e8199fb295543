/**
 * The automation-bias monitor's figures, as pure functions over plain facts (no I/O, no clock):
 * how often coaches pass the engine's draft through unchanged, how much they edit it, how far the
 * final score drifts from the suggested one, how long a review takes; a fairness view comparing
 * suggested and final scores across cohorts, activities and engines; and blind re-marking, which
 * compares a coach's mark made without the draft with the draft's suggestion.
 *
 * Why: AI never sets a grade alone, but a human who approves every draft in seconds is no check
 * at all. Reviewers are known to accept wrong AI grades more readily when told an AI made them;
 * these figures are how Cermin shows whether review is real. The definitions written above each
 * figure are meant to be shown to admins next to it, so they say exactly what is counted.
 *
 * Conventions for every figure:
 *   - percentages are numbers 0..100 (drifts −100..100) rounded to one decimal, half away from zero;
 *     scores are expressed in % of the activity's maximum score so activities with different
 *     maxima can be pooled;
 *   - a mean or share over nothing is `undefined`, never NaN; counts over nothing are 0;
 *   - a fact whose numbers cannot be a score on its scale (maximum score not above 0, a final,
 *     suggested or blind score outside 0..maximum, a draft changing more criteria than it has) is
 *     left out of every figure and counted as `skipped`: a percentage of it would be meaningless,
 *     and silently clamping it would hide a storage bug. `checkFacts` says which and why;
 *   - the caller decides which facts to pass: every decision (each is a review act; decisions are
 *     insert-only, one per revision), a period, one course. Nothing here reads a clock.
 */
import { compareWithDraft, draftScore, type ReviewDecision, type ReviewDraft } from '../coaching/review/domain';
import type { ActivityDoc } from '../coaching/models';

export type DraftEngine = ReviewDraft['engine'];

/** One coach decision on one submission, with what the coach saw. */
export interface DecisionFact {
  courseKey: string;
  /** The course, or a group label the caller chooses (a Latsar class, an angkatan). */
  cohort: string;
  activityId: string;
  activityTitle?: string;
  /** A stable id of the person (the fairness view counts distinct participants by it). */
  participantId: string;
  coach: { id: string; name: string };
  at: Date;
  maxScore: number;
  /** The coach's decision (after any override). */
  finalScore: number;
  /**
   * The engine's draft and how the decision compares with it (a `DraftComparison`).
   * `suggestedScore`: the score the draft's rubric levels give; absent when the draft did not
   * suggest a level for every criterion (the offline engine suggests none), as a partial
   * suggestion is no score. Without `blind`, the coach saw this draft before marking.
   */
  draft?: {
    engine: DraftEngine;
    suggestedScore?: number;
    levelsChanged: number;
    criteria: number;
    commentChanged: boolean;
    acceptedUnchanged: boolean;
  };
  /** Seconds from opening the review page to finalizing, when known (negative or non-finite: unknown). */
  reviewSeconds?: number;
  /**
   * Blind re-marking: the coach's first mark, made without seeing any draft. The draft (if one
   * was made) is in `draft` and was revealed only after this mark; `finalScore` is the decision
   * made after that.
   */
  blind?: { score: number };
}

export interface MonitorOptions {
  /** Fewer sighted drafts than this: no acceptance warning, `tooFew` instead. */
  minDecisions: number;
  /** Share (0..1) of sighted drafts accepted unchanged at or above which a coach is warned. */
  acceptWarnShare: number;
  /** Fewer distinct participants than this in a fairness group: its means are withheld. */
  minGroup: number;
}

const DEFAULT_MONITOR_OPTIONS: Readonly<MonitorOptions> = { minDecisions: 10, acceptWarnShare: 0.9, minGroup: 5 };

export type SkipReason = 'badMaxScore' | 'badFinalScore' | 'badSuggestedScore' | 'badBlindScore' | 'badDraft';

/** Figures about the drafts coaches saw before marking (one engine, or both together). */
export interface DraftFigures {
  /** Sighted drafts: decisions where the coach saw the engine's draft before deciding (blind re-marks are not sighted). */
  drafts: number;
  /** Sighted drafts the coach finalized with every rubric level, the comment and the score exactly as drafted. */
  acceptedUnchanged: number;
  /** acceptedUnchanged ÷ drafts, in %. */
  acceptedShare?: number;
  /** Mean, over sighted drafts of a rubric with at least one criterion, of (criteria whose level the coach changed ÷ criteria), in %. */
  levelsChangedShare?: number;
  /** Share of sighted drafts whose feedback comment the coach changed, in %. */
  commentEditedShare?: number;
  /** Sighted drafts that suggested a complete score (the drift figures are over these). */
  scored: number;
  /** Mean of (final score − suggested score) ÷ maximum score, in points of %: above 0, the coach gives more than the draft suggested. */
  drift?: number;
  /** Mean of |final score − suggested score| ÷ maximum score, in points of %: how far, in either direction, the coach moves from the draft. */
  absDrift?: number;
  /** Median review time, in seconds, of the sighted drafts whose time is known. */
  medianReviewSeconds?: number;
}

/** The figures of a set of decisions (one coach's, or one cohort's). */
export interface ReviewFigures {
  /** Decisions counted (facts that passed `checkFacts`). */
  decisions: number;
  /** Facts left out because their numbers cannot be a score (see `checkFacts`). */
  skipped: number;
  /** Decisions whose first mark was made blind (without the draft). */
  blindMarks: number;
  /** Decisions whose review time is known. */
  timed: number;
  /** Median seconds from opening the review to finalizing, over the timed decisions (with or without a draft). */
  medianReviewSeconds?: number;
  /** Sighted drafts of both engines together. */
  drafts: DraftFigures;
  byEngine: Record<DraftEngine, DraftFigures>;
  /**
   * `acceptsNearlyAll`: at least `minDecisions` sighted drafts and a share accepted unchanged
   * of at least `acceptWarnShare`, judged on both engines together and on each engine alone (so
   * offline drafts, which today suggest no rubric levels and so are never accepted unchanged,
   * cannot hide a coach who passes every AI draft through). `tooFew`: fewer than
   * `minDecisions` sighted drafts, too few to judge. Otherwise none.
   */
  warning?: 'acceptsNearlyAll' | 'tooFew';
}

export interface CoachFigures extends ReviewFigures {
  /** The coach's id and the name on their latest decision. */
  coach: { id: string; name: string };
}

export interface CohortFigures extends ReviewFigures {
  cohort: string;
  /** Distinct coaches who decided in the cohort. */
  coaches: number;
}

export type FairnessBy = 'cohort' | 'activity' | 'engine';

/**
 * One group of the fairness view. By cohort or activity: the facts whose draft suggested a complete
 * score (sighted or revealed after a blind mark). By engine: every drafted fact, as the offline
 * engine suggests no score (a few levels at most): its row still shows the final scores of the work
 * it drafted.
 */
export interface FairnessRow {
  /** The cohort label, the activity id, or the engine. */
  key: string;
  /** What to show: the cohort, the activity's latest title (its id when none), the engine. */
  label: string;
  /** Decisions in the group. */
  n: number;
  /** Distinct participants among them. */
  participants: number;
  /** Decisions among them whose draft suggested a score (all of them, but by engine). */
  scored: number;
  /** Fewer than `minGroup` participants: the means below are withheld (undefined). */
  withheld: boolean;
  /** Mean suggested score, in % of the maximum; also withheld (undefined) when fewer than `minGroup` participants had one. */
  suggested?: number;
  /** Mean final score, in % of the maximum. */
  final?: number;
  /** Mean (final − suggested) over the decisions with a suggestion, in points of %: below 0, the engine suggested more than coaches gave (kinder than the coaches); above 0, harsher. */
  delta?: number;
  /** Share of the group's sighted drafts accepted unchanged, in %: a delta near 0 means little where this is high. */
  unchangedShare?: number;
}

export interface BlindCoachFigures {
  coach: { id: string; name: string };
  /** The coach's blind marks. */
  blindMarks: number;
  /** Blind marks whose (later revealed) draft suggested a complete score. */
  compared: number;
  /** Mean |blind mark − suggested score| ÷ maximum, in points of %, over `compared`. */
  blindGap?: number;
  /** Mean (blind mark − suggested score) ÷ maximum, in points of %: above 0, the engine suggests less than the coach gives unseen. */
  blindDrift?: number;
  /** The coach's sighted drafts with a suggested score. */
  sighted: number;
  /** Mean |final score − suggested score| ÷ maximum, in points of %, over `sighted`. */
  sightedGap?: number;
  /** blindGap − sightedGap: above 0, the coach's marks sit closer to the draft when they see it first, a sign of anchoring. */
  anchoring?: number;
}

export interface BlindFigures {
  /** Every blind mark. */
  blindMarks: number;
  /** Blind marks whose draft suggested a complete score. */
  compared: number;
  /** Mean |blind − suggested| ÷ maximum, in points of %, over every compared blind mark. */
  blindGap?: number;
  /** Mean (blind − suggested) ÷ maximum, in points of %, over every compared blind mark. */
  blindDrift?: number;
  /**
   * The like-for-like comparison, over the coaches who have both compared blind marks and
   * sighted drafts with a suggested score, so both sides speak for the same coaches:
   * `blindGap` is the mean over their compared blind marks; `sightedGap` is each coach's
   * sighted mean weighted by that coach's compared blind marks; `anchoring` = blindGap −
   * sightedGap (above 0: closer to the draft when it is seen first).
   */
  matched: { coaches: number; blindMarks: number; blindGap?: number; sightedGap?: number; anchoring?: number };
  /** Coaches with at least one blind mark, by name. */
  perCoach: BlindCoachFigures[];
}

// ---------------------------------------------------------------------------------------------
// Arithmetic that never yields NaN.

/** One decimal, half away from zero (so −2.25 and 2.25 round alike); −0 becomes 0. */
function round1(x: number): number {
  const r = (Math.sign(x) * Math.round(Math.abs(x) * 10 + 1e-9)) / 10;
  return r === 0 ? 0 : r;
}

function mean(xs: number[]): number | undefined {
  return xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : undefined;
}

function median(xs: number[]): number | undefined {
  if (!xs.length) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

const rounded = (x: number | undefined): number | undefined => (x === undefined ? undefined : round1(x));
const share = (part: number, whole: number): number | undefined =>
  whole > 0 ? round1((part / whole) * 100) : undefined;
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const onScale = (x: unknown, max: number): boolean => isNum(x) && x >= 0 && x <= max;

/** A score in % of the fact's maximum. */
const pctOf = (f: DecisionFact, score: number): number => (score / f.maxScore) * 100;

function byLabel<T>(label: (t: T) => string, key: (t: T) => string): (a: T, b: T) => number {
  return (a, b) => label(a).localeCompare(label(b)) || (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
}

// ---------------------------------------------------------------------------------------------

/** Why a fact cannot be counted (undefined: it can). */
function skipReason(f: DecisionFact): SkipReason | undefined {
  if (!isNum(f.maxScore) || f.maxScore <= 0) return 'badMaxScore';
  if (!onScale(f.finalScore, f.maxScore)) return 'badFinalScore';
  if (f.draft) {
    const d = f.draft;
    if (
      !Number.isInteger(d.criteria) ||
      d.criteria < 0 ||
      !Number.isInteger(d.levelsChanged) ||
      d.levelsChanged < 0 ||
      d.levelsChanged > d.criteria
    )
      return 'badDraft';
    if (d.suggestedScore !== undefined && !onScale(d.suggestedScore, f.maxScore)) return 'badSuggestedScore';
  }
  if (f.blind && !onScale(f.blind.score, f.maxScore)) return 'badBlindScore';
  return undefined;
}

/** The facts every figure counts, and those it leaves out with the reason (by their index in the input). */
export function checkFacts(facts: readonly DecisionFact[]): {
  usable: DecisionFact[];
  skipped: Array<{ index: number; reason: SkipReason }>;
} {
  const usable: DecisionFact[] = [];
  const skipped: Array<{ index: number; reason: SkipReason }> = [];
  facts.forEach((f, index) => {
    const reason = skipReason(f);
    if (reason) skipped.push({ index, reason });
    else usable.push(f);
  });
  return { usable, skipped };
}

function options(opts?: Partial<MonitorOptions>): MonitorOptions {
  return { ...DEFAULT_MONITOR_OPTIONS, ...(opts ?? {}) };
}

const timeOf = (f: DecisionFact): number | undefined =>
  isNum(f.reviewSeconds) && f.reviewSeconds >= 0 ? f.reviewSeconds : undefined;
const isSighted = (f: DecisionFact): boolean => !!f.draft && !f.blind;

function draftFigures(facts: DecisionFact[]): DraftFigures {
  const sighted = facts.filter(isSighted);
  const drafts = sighted.map((f) => f.draft!);
  const accepted = drafts.filter((d) => d.acceptedUnchanged).length;
  const scored = sighted.filter((f) => f.draft!.suggestedScore !== undefined);
  const deltas = scored.map((f) => pctOf(f, f.finalScore) - pctOf(f, f.draft!.suggestedScore!));
  const withCriteria = drafts.filter((d) => d.criteria > 0);
  const times = sighted.map(timeOf).filter(isNum);
  return {
    drafts: drafts.length,
    acceptedUnchanged: accepted,
    acceptedShare: share(accepted, drafts.length),
    levelsChangedShare: rounded(mean(withCriteria.map((d) => (d.levelsChanged / d.criteria) * 100))),
    commentEditedShare: share(drafts.filter((d) => d.commentChanged).length, drafts.length),
    scored: scored.length,
    drift: rounded(mean(deltas)),
    absDrift: rounded(mean(deltas.map(Math.abs))),
    medianReviewSeconds: rounded(median(times)),
  };
}

function reviewFigures(usable: DecisionFact[], skipped: number, opts: MonitorOptions): ReviewFigures {
  const times = usable.map(timeOf).filter(isNum);
  const drafts = draftFigures(usable);
  const byEngine = {
    ai: draftFigures(usable.filter((f) => f.draft?.engine === 'ai')),
    offline: draftFigures(usable.filter((f) => f.draft?.engine === 'offline')),
  };
  // The exact ratio, not the rounded %: 0.8995 must not pass a 0.9 threshold by rounding.
  const nearlyAll = (d: DraftFigures) =>
    d.drafts >= opts.minDecisions && d.acceptedUnchanged / d.drafts >= opts.acceptWarnShare;
  const warning = [drafts, byEngine.ai, byEngine.offline].some(nearlyAll)
    ? ('acceptsNearlyAll' as const)
    : drafts.drafts < opts.minDecisions
      ? ('tooFew' as const)
      : undefined;
  return {
    decisions: usable.length,
    skipped,
    blindMarks: usable.filter((f) => f.blind).length,
    timed: times.length,
    medianReviewSeconds: rounded(median(times)),
    drafts,
    byEngine,
    ...(warning ? { warning } : {}),
  };
}

interface Group {
  usable: DecisionFact[];
  skipped: number;
}

function grouped(facts: readonly DecisionFact[], keyOf: (f: DecisionFact) => string): Map<string, Group> {
  const groups = new Map<string, Group>();
  for (const f of facts) {
    const key = keyOf(f);
    const g = groups.get(key) ?? { usable: [], skipped: 0 };
    if (skipReason(f)) g.skipped += 1;
    else g.usable.push(f);
    groups.set(key, g);
  }
  return groups;
}

/** The name on a coach's latest decision (names are edited in Moodle; the latest is the one they go by). */
function latestName(facts: DecisionFact[], fallback: { id: string; name: string }): string {
  let best: DecisionFact | undefined;
  for (const f of facts) if (!best || new Date(f.at).getTime() > new Date(best.at).getTime()) best = f;
  return (best ?? { coach: fallback }).coach.name;
}

/** The figures of each coach who decided anything in `facts`, sorted by name. */
export function coachFigures(facts: readonly DecisionFact[], opts?: Partial<MonitorOptions>): CoachFigures[] {
  const o = options(opts);
  const rows: CoachFigures[] = [];
  for (const [id, g] of grouped(facts, (f) => f.coach.id)) {
    const all = facts.filter((f) => f.coach.id === id);
    rows.push({ coach: { id, name: latestName(all, all[0].coach) }, ...reviewFigures(g.usable, g.skipped, o) });
  }
  return rows.sort(
    byLabel(
      (r) => r.coach.name,
      (r) => r.coach.id,
    ),
  );
}

/** The same figures for each cohort, sorted by label. */
export function cohortFigures(facts: readonly DecisionFact[], opts?: Partial<MonitorOptions>): CohortFigures[] {
  const o = options(opts);
  const rows: CohortFigures[] = [];
  for (const [cohort, g] of grouped(facts, (f) => f.cohort)) {
    rows.push({
      cohort,
      coaches: new Set(g.usable.map((f) => f.coach.id)).size,
      ...reviewFigures(g.usable, g.skipped, o),
    });
  }
  return rows.sort(
    byLabel(
      (r) => r.cohort,
      (r) => r.cohort,
    ),
  );
}

/**
 * Suggested against final scores per cohort, activity or engine. Counts every fact whose draft
 * suggested a complete score, sighted or revealed after a blind mark (blind ones are the
 * fairest evidence, as the coach's mark did not lean on the draft); by engine, every drafted
 * fact, so that the offline engine (no suggested score) has a row of final scores to set
 * beside the AI's. A group with fewer than `minGroup` distinct participants shows its size but
 * not its means: a mean of two people's scores is nearly their scores, and too noisy to judge an
 * engine by; for the same reason the suggestion's mean needs `minGroup` participants of its own.
 */
export function fairness(
  facts: readonly DecisionFact[],
  by: FairnessBy,
  opts?: Partial<MonitorOptions>,
): FairnessRow[] {
  const o = options(opts);
  const hasSuggestion = (f: DecisionFact) => f.draft?.suggestedScore !== undefined;
  const counted = checkFacts(facts).usable.filter((f) => (by === 'engine' ? f.draft !== undefined : hasSuggestion(f)));
  const keyOf = (f: DecisionFact): string =>
    by === 'cohort' ? f.cohort : by === 'activity' ? f.activityId : f.draft!.engine;
  const participantsOf = (fs: DecisionFact[]) => new Set(fs.map((f) => f.participantId)).size;
  const rows: FairnessRow[] = [];
  for (const [key, g] of grouped(counted, keyOf)) {
    const fs = g.usable;
    const scored = fs.filter(hasSuggestion);
    const participants = participantsOf(fs);
    const withheld = participants < o.minGroup;
    let label = key;
    if (by === 'activity') {
      const titled = fs
        .filter((f) => f.activityTitle)
        .sort((a, b) => new Date(b.at).getTime() - new Date(a.at).getTime());
      label = titled[0]?.activityTitle ?? key;
    }
    const row: FairnessRow = { key, label, n: fs.length, participants, scored: scored.length, withheld };
    if (!withheld) {
      row.final = rounded(mean(fs.map((f) => pctOf(f, f.finalScore))));
      if (participantsOf(scored) >= o.minGroup) {
        const suggested = mean(scored.map((f) => pctOf(f, f.draft!.suggestedScore!)));
        const finalOfScored = mean(scored.map((f) => pctOf(f, f.finalScore)));
        row.suggested = rounded(suggested);
        row.delta =
          suggested !== undefined && finalOfScored !== undefined ? round1(finalOfScored - suggested) : undefined;
      }
      const sighted = fs.filter(isSighted);
      row.unchangedShare = share(sighted.filter((f) => f.draft!.acceptedUnchanged).length, sighted.length);
    }
    rows.push(row);
  }
  return rows.sort(
    byLabel(
      (r) => r.label,
      (r) => r.key,
    ),
  );
}

interface BlindRaw {
  coach: { id: string; name: string };
  blindMarks: number;
  blindDiffs: number[];
  sightedGaps: number[];
}

/** Blind re-marking against the draft's suggestion, and against the same coaches' sighted drafts. */
export function blindFigures(facts: readonly DecisionFact[]): BlindFigures {
  const usable = checkFacts(facts).usable;
  const raw = new Map<string, BlindRaw>();
  for (const f of usable.filter((x) => x.blind)) {
    const r = raw.get(f.coach.id) ?? { coach: f.coach, blindMarks: 0, blindDiffs: [], sightedGaps: [] };
    r.blindMarks += 1;
    if (f.draft?.suggestedScore !== undefined)
      r.blindDiffs.push(pctOf(f, f.blind!.score) - pctOf(f, f.draft.suggestedScore));
    raw.set(f.coach.id, r);
  }
  for (const r of raw.values()) {
    const mine = usable.filter((f) => f.coach.id === r.coach.id);
    r.coach = { id: r.coach.id, name: latestName(mine, r.coach) };
    r.sightedGaps = mine
      .filter((f) => isSighted(f) && f.draft!.suggestedScore !== undefined)
      .map((f) => Math.abs(pctOf(f, f.finalScore) - pctOf(f, f.draft!.suggestedScore!)));
  }

  const perCoach: BlindCoachFigures[] = [...raw.values()]
    .map((r) => {
      const blindGap = mean(r.blindDiffs.map(Math.abs));
      const sightedGap = mean(r.sightedGaps);
      return {
        coach: r.coach,
        blindMarks: r.blindMarks,
        compared: r.blindDiffs.length,
        blindGap: rounded(blindGap),
        blindDrift: rounded(mean(r.blindDiffs)),
        sighted: r.sightedGaps.length,
        sightedGap: rounded(sightedGap),
        anchoring: blindGap !== undefined && sightedGap !== undefined ? round1(blindGap - sightedGap) : undefined,
      };
    })
    .sort(
      byLabel(
        (r) => r.coach.name,
        (r) => r.coach.id,
      ),
    );

  const all = [...raw.values()];
  const diffs = all.flatMap((r) => r.blindDiffs);
  const both = all.filter((r) => r.blindDiffs.length > 0 && r.sightedGaps.length > 0);
  const matchedMarks = both.reduce((s, r) => s + r.blindDiffs.length, 0);
  const matchedBlind = mean(both.flatMap((r) => r.blindDiffs.map(Math.abs)));
  const matchedSighted =
    matchedMarks > 0
      ? both.reduce((s, r) => s + r.blindDiffs.length * mean(r.sightedGaps)!, 0) / matchedMarks
      : undefined;
  return {
    blindMarks: all.reduce((s, r) => s + r.blindMarks, 0),
    compared: diffs.length,
    blindGap: rounded(mean(diffs.map(Math.abs))),
    blindDrift: rounded(mean(diffs)),
    matched: {
      coaches: both.length,
      blindMarks: matchedMarks,
      blindGap: rounded(matchedBlind),
      sightedGap: rounded(matchedSighted),
      anchoring:
        matchedBlind !== undefined && matchedSighted !== undefined ? round1(matchedBlind - matchedSighted) : undefined,
    },
    perCoach,
  };
}

// ---------------------------------------------------------------------------------------------

/**
 * A stored decision as a fact. `draft` is the draft the decision was compared with; its
 * suggested score is used only when it suggested a level for every criterion and it agrees
 * with the comparison stored in the decision (the review keeps only the latest draft, so an
 * older decision may have been made on another one: then the suggestion is unknown rather than
 * wrong).
 */
export function decisionFact(input: {
  activity: Pick<ActivityDoc, '_id' | 'courseKey' | 'title' | 'rubric' | 'maxScore'>;
  cohort?: string;
  participantId: string;
  decision: ReviewDecision;
  draft?: ReviewDraft;
  reviewSeconds?: number;
  blind?: { score: number };
}): DecisionFact {
  const { activity, decision } = input;
  // A blind decision was made without the draft: the draft (asked for after) is compared as revealed, not as seen.
  const cmp =
    decision.draft ?? (decision.blind && input.draft ? compareWithDraft(activity, input.draft, decision) : undefined);
  // Decisions since the suggested score was recorded carry it; older ones recover it while the draft is unchanged.
  let suggestedScore = cmp?.suggestedScore;
  if (
    suggestedScore === undefined &&
    cmp &&
    input.draft &&
    input.draft.engine === cmp.engine &&
    activity.rubric.criteria.every((c) => input.draft!.levels[c.id] !== undefined)
  ) {
    const s = draftScore(activity, input.draft);
    if (Math.round((decision.score - s) * 100) / 100 === cmp.scoreDelta) suggestedScore = s;
  }
  const blind = input.blind ?? (decision.blind ? { score: decision.score } : undefined);
  const reviewSeconds = input.reviewSeconds ?? decision.reviewSeconds;
  return {
    courseKey: activity.courseKey,
    cohort: input.cohort ?? activity.courseKey,
    activityId: activity._id,
    activityTitle: activity.title,
    participantId: input.participantId,
    coach: decision.by,
    at: decision.at,
    maxScore: activity.maxScore,
    finalScore: decision.score,
    ...(cmp
      ? {
          draft: {
            engine: cmp.engine,
            levelsChanged: cmp.levelsChanged,
            criteria: cmp.criteria,
            commentChanged: cmp.commentChanged,
            acceptedUnchanged: cmp.acceptedUnchanged,
            ...(suggestedScore !== undefined ? { suggestedScore } : {}),
          },
        }
      : {}),
    ...(reviewSeconds !== undefined ? { reviewSeconds } : {}),
    ...(blind ? { blind } : {}),
  };
}
