/**
 * A participant's learning profile for the recommender, from what they wrote and what their coach
 * decided: the recent reflection text (newest entries first), the BerAKHLAK values their writing
 * does not show yet (the one the latest prompt is about weighs most), the rubric criteria their
 * last reviewed work was weakest on, and the GROW phase of the latest entry. Pure: no I/O.
 */
import { BERAKHLAK_VALUES, type BerakhlakValue } from '../domain/vocabulary';
import { analyse, type QuestionBank } from '../ai/offline/engine';
import { lensContext } from '../ai/prompt';
import type { Phase } from '../ai/offline/bank';
import type { ActivityContent } from '../domain/activity';
import type { WeakValue } from './rank';

export interface ParticipantProfile {
  /** The newest entries' text, newest first, cut to a query's worth. */
  reflection: string;
  weakValues: WeakValue[];
  weakCriteria: string[];
  phase?: Phase;
}

export const PROFILE_TEXT_CHARS = 4000;
/** How much a value the participant has not shown weighs when the latest prompt is not about it. */
export const OTHER_VALUE_WEIGHT = 0.4;

export interface ProfileInput {
  activity: ActivityContent;
  entries: ReadonlyArray<{ key: string; text: string; updatedAt: Date | string; visibility?: string }>;
  /** The coach's latest decision on this work, when there is one: criterion id → level index. */
  decidedLevels?: Readonly<Record<string, number>>;
  bank: QuestionBank;
}

/** The written entries, newest first. */
function newestFirst(entries: ProfileInput['entries']): ProfileInput['entries'] {
  return entries
    .filter((e) => e.text.trim() !== '')
    .sort((a, b) => new Date(b.updatedAt).getTime() - new Date(a.updatedAt).getTime());
}

/** The newest entries' text, newest first, cut to a query's worth. */
export function recentText(entries: ProfileInput['entries']): string {
  let text = '';
  for (const e of newestFirst(entries)) {
    if (text.length >= PROFILE_TEXT_CHARS) break;
    text += `${text ? '\n\n' : ''}${e.text.trim()}`;
  }
  return text.slice(0, PROFILE_TEXT_CHARS);
}

export function participantProfile(input: ProfileInput): ParticipantProfile {
  const written = newestFirst(input.entries);
  if (!written.length) return { reflection: '', weakValues: [], weakCriteria: [] };
  const reflection = recentText(written);

  const latest = written[0];
  const section = input.activity.sections.find((s) => s.prompts.some((p) => p.id === latest.key));
  const context = section ? lensContext(input.activity.templateId, section.id, latest.key) : {};
  // Values are read from everything written so far: a value shown in an earlier entry is not weak.
  const shown = new Set(analyse(written.map((e) => e.text).join('\n\n'), input.bank).values.map((v) => v.value));
  const weakValues = (BERAKHLAK_VALUES as readonly BerakhlakValue[])
    .filter((v) => !shown.has(v))
    .map((value) => ({ value, weight: value === context.value ? 1 : OTHER_VALUE_WEIGHT }))
    .sort((a, b) => b.weight - a.weight);

  // A criterion is weak when the coach chose a level in its lower half.
  const weakCriteria = input.decidedLevels
    ? input.activity.rubric.criteria
        .filter((c) => {
          const level = input.decidedLevels?.[c.id];
          return level !== undefined && c.levels.length > 1 && level < (c.levels.length - 1) / 2;
        })
        .map((c) => c.name)
    : [];

  return { reflection, weakValues, weakCriteria, ...(context.phase?.grow ? { phase: context.phase.grow } : {}) };
}
