/**
 * Cohort insight for coaches: which BerAKHLAK values a cohort's writing shows and what it tends
 * to miss (a concrete action, evidence, a stakeholder, a measure…), read by the offline engine's
 * `analyse`, counted by participants (not by texts, so a prolific writer weighs as one person).
 * Pure: no I/O; the bank and the reflections are passed in.
 *
 * Why the care: an aggregate over a handful of people says who did what. So
 *   - fewer than `minGroup` (5) participants: everything is withheld;
 *   - no count shown may describe a group of 1..minGroup−1 participants, on either side: a row
 *     "shown by 4 of 30" is withheld, and so is "shown by 27 of 30", because the 3 who did not
 *     are a group of 3 found by subtraction. 0 and "all" are shown: they describe the whole
 *     cohort, which is at least minGroup people;
 *   - quotes only from texts the participant chose to share, only the snippet the analysis found
 *     as evidence of a value (never a whole reflection), at most one per value, never attributed.
 * What this cannot prevent: comparing two views that differ by one person (before and after a
 * reflection, or two overlapping filters). Callers should offer whole cohorts, not free filters.
 */
import { analyse, type Analysis, type Gap, type QuestionBank } from '../ai/offline/engine';
import { GAPS } from '../ai/offline/bank';

export interface ReflectionFact {
  /** A stable id of the person: their texts are read together. */
  participantId: string;
  text: string;
  /** The participant chose to share this text with the cohort's coaches as an example. */
  shared: boolean;
}

export interface CohortInsightOptions {
  /** Smallest group ever shown (default 5). */
  minGroup?: number;
  /**
   * Applied to every quote before it is returned, e.g. PII redaction with the course roster
   * (`redact(text, { names }).text` from src/ai/redaction): a shared snippet can still name a
   * colleague or a citizen.
   */
  redactQuote?: (text: string) => string;
}

/**
 * What a participant's writing misses: the offline engine's gaps, plus `story` for writing too
 * short to read (fewer words in all than the bank's `shortTextWords`): as in the engine, such
 * writing is counted under `story` only, since it naturally lacks everything else too.
 */
export type InsightGap = Gap | 'story';
export const INSIGHT_GAPS: readonly InsightGap[] = [...GAPS, 'story'];

export interface CohortInsight {
  /** Distinct participants with at least one word written. */
  participants: number;
  /** Fewer participants than `minGroup`: every list below is empty. */
  withheld: boolean;
  minGroup: number;
  /** Every value of the bank, in the bank's order. `shownBy` + `notShownBy` = participants; both undefined when `suppressed`. */
  values: Array<{ value: string; shownBy?: number; notShownBy?: number; suppressed: boolean }>;
  /** Every gap, in the engine's order: how many participants' writing misses it (undefined when `suppressed`). */
  gaps: Array<{ gap: InsightGap; participants?: number; suppressed: boolean }>;
  /** At most one per value, from shared texts only, the analysis's evidence snippet. */
  quotes: Array<{ value: string; text: string }>;
}

/** A count of `count` out of `total` may be shown: neither it nor its complement is a small group. */
function showable(count: number, total: number, minGroup: number): boolean {
  const ok = (c: number) => c === 0 || c >= minGroup;
  return ok(count) && ok(total - count);
}

interface Reader {
  texts: Array<{ analysis: Analysis; shared: boolean }>;
  words: number;
}

/** Which values a cohort shows and which gaps it has, by participants, with no small group shown. */
export function cohortInsight(
  reflections: ReadonlyArray<ReflectionFact>,
  bank: QuestionBank,
  opts: CohortInsightOptions = {},
): CohortInsight {
  const minGroup = Math.max(1, Math.floor(opts.minGroup ?? 5));
  // Each text is read on its own (a quote must come from one shared text), then the person's
  // readings are united: a value shown in any of their texts is shown by them.
  const people = new Map<string, Reader>();
  for (const r of reflections) {
    if (typeof r.text !== 'string' || typeof r.participantId !== 'string') continue;
    const analysis = analyse(r.text, bank);
    if (analysis.words === 0) continue;
    const p = people.get(r.participantId) ?? { texts: [], words: 0 };
    p.texts.push({ analysis, shared: r.shared === true });
    p.words += analysis.words;
    people.set(r.participantId, p);
  }
  const participants = people.size;
  if (participants < minGroup) return { participants, withheld: true, minGroup, values: [], gaps: [], quotes: [] };

  const readers = [...people.values()];
  const values = bank.values.map((v) => {
    const shownBy = readers.filter((p) => p.texts.some((t) => t.analysis.values.some((s) => s.value === v.id))).length;
    return showable(shownBy, participants, minGroup)
      ? { value: v.id, shownBy, notShownBy: participants - shownBy, suppressed: false }
      : { value: v.id, suppressed: true };
  });

  const missing = (p: Reader, gap: InsightGap): boolean => {
    const short = p.words < bank.shortTextWords;
    if (gap === 'story') return short;
    if (short) return false;
    return !p.texts.some((t) => t.analysis.has[gap]);
  };
  const gaps = INSIGHT_GAPS.map((gap) => {
    const count = readers.filter((p) => missing(p, gap)).length;
    return showable(count, participants, minGroup)
      ? { gap, participants: count, suppressed: false }
      : { gap, suppressed: true };
  });

  // Quotes: per value, the first shared text that shows it (participants in the order they first
  // appear, each one's texts in the order given), preferring a participant not quoted yet so that
  // one voice does not speak for the whole cohort.
  const quotes: CohortInsight['quotes'] = [];
  const quoted = new Set<string>();
  const redactQuote = opts.redactQuote ?? ((t: string) => t);
  for (const v of bank.values) {
    const candidates: Array<{ id: string; evidence: string }> = [];
    for (const [id, p] of people) {
      for (const t of p.texts) {
        const seen = t.shared ? t.analysis.values.find((s) => s.value === v.id) : undefined;
        if (seen) candidates.push({ id, evidence: seen.evidence });
      }
    }
    const pick = candidates.find((c) => !quoted.has(c.id)) ?? candidates[0];
    if (!pick) continue;
    quoted.add(pick.id);
    quotes.push({ value: v.id, text: redactQuote(pick.evidence) });
  }

  return { participants, withheld: false, minGroup, values, gaps, quotes };
}
