/**
 * Coaching rules with no I/O: what a valid entry is, how words and completion are counted,
 * who may see an entry, and how a template becomes an activity a coach can edit.
 */
import { wibDay } from '../domain/time';
import type { ActivityDoc, ActivityRubricCriterion, ActivitySection, AiMode, EntryDoc, Visibility } from './models';
import { localize, type CoachingTemplate } from './templates';

export const MAX_ENTRY_CHARS = 20000;

export type TextProblem = 'tooLong' | 'controlChars' | 'badEncoding';

/** Normalises a participant's text (line ends, Unicode NFC) or says why it cannot be stored. */
export function checkEntryText(raw: string): { ok: true; text: string } | { ok: false; problem: TextProblem } {
  // Invalid UTF-8 arrives decoded as U+FFFD; lone surrogates come from broken JSON escapes.
  if (raw.includes('\uFFFD') || /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(raw))
    return { ok: false, problem: 'badEncoding' };
  const text = raw.replace(/\r\n?/g, '\n').normalize('NFC');
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u2028\u2029]/.test(text))
    return { ok: false, problem: 'controlChars' };
  if ([...text].length > MAX_ENTRY_CHARS) return { ok: false, problem: 'tooLong' };
  return { ok: true, text };
}

export function wordCount(text: string): number {
  const words = text.trim().match(/[\p{L}\p{N}][\p{L}\p{N}'’-]*/gu);
  return words ? words.length : 0;
}

/** A dated journal entry's key for a day, or undefined for a date that is not a real day in range. */
export function journalKey(date: string, today: Date): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return undefined;
  const d = new Date(`${date}T00:00:00Z`);
  if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== date) return undefined;
  const day = 24 * 3600 * 1000;
  // Allow tomorrow (time zones: WIT is UTC+9) and up to two years back.
  if (d.getTime() > today.getTime() + day || d.getTime() < today.getTime() - 730 * day) return undefined;
  return `d-${date}`;
}

export function promptIds(activity: Pick<ActivityDoc, 'sections'>): string[] {
  return activity.sections.flatMap((s) => s.prompts.map((p) => p.id));
}

/** Whether a key names an entry this activity can have. */
export function isValidEntryKey(activity: Pick<ActivityDoc, 'kind' | 'sections'>, key: string, today: Date): boolean {
  if (activity.kind === 'journal') return /^d-/.test(key) && journalKey(key.slice(2), today) === key;
  return promptIds(activity).includes(key);
}

export interface Progress {
  /** Entries that count: not private and long enough. */
  done: number;
  required: number;
  minWords: number;
  met: boolean;
  /** Per entry key: words and whether it counts. */
  entries: Record<string, { words: number; counts: boolean }>;
}

export function progressOf(
  activity: Pick<ActivityDoc, 'completion'>,
  entries: Array<Pick<EntryDoc, 'key' | 'words' | 'visibility'>>,
): Progress {
  const { minEntries, minWords } = activity.completion;
  const per: Progress['entries'] = {};
  let done = 0;
  for (const e of entries) {
    const counts = e.visibility !== 'private' && e.words >= minWords;
    per[e.key] = { words: e.words, counts };
    if (counts) done++;
  }
  return { done, required: minEntries, minWords, met: done >= minEntries, entries: per };
}

export type Viewer = { kind: 'owner' } | { kind: 'coach' } | { kind: 'mentor'; ofThisParticipant: boolean };

/**
 * Who may read an entry. Private stays with its writer, even after submission (it is then not
 * part of the submitted work); shared and submitted work is open to the course's coaches; a
 * mentor reads only what their own participant shared with the mentor.
 */
export function canSee(entry: Pick<EntryDoc, 'visibility'>, viewer: Viewer): boolean {
  if (viewer.kind === 'owner') return true;
  if (entry.visibility === 'private') return false;
  if (viewer.kind === 'coach') return true;
  return viewer.ofThisParticipant && entry.visibility === 'mentor';
}

export function isVisibility(value: unknown): value is Visibility {
  return value === 'private' || value === 'coach' || value === 'mentor';
}

export function isAiMode(value: unknown): value is AiMode {
  return value === 'off' || value === 'mirror' || value === 'all';
}

/** The editable settings of an activity. */
export interface ActivitySettings {
  title: string;
  instructions: string;
  maxScore: number;
  aiMode: AiMode;
  dueAt?: Date;
  rubric: { criteria: ActivityRubricCriterion[] };
  sections: ActivitySection[];
  completion: { minEntries: number; minWords: number };
}

/** 23:59 Western Indonesian Time (UTC+7) of the day a moment falls on there: due dates are whole days. */
export function endOfDayWib(moment: Date): Date {
  return new Date(`${wibDay(moment)}T23:59:00+07:00`);
}

/** A template in the coach's language, as the starting point of the settings form. */
export function settingsFromTemplate(template: CoachingTemplate, locale: 'id' | 'en', now: Date): ActivitySettings {
  return {
    title: localize(template.title, locale),
    instructions: localize(template.instructions, locale),
    maxScore: template.maxScore,
    aiMode: template.aiMode,
    dueAt: template.dueInDays
      ? endOfDayWib(new Date(now.getTime() + template.dueInDays * 24 * 3600 * 1000))
      : undefined,
    rubric: {
      criteria: template.rubric.criteria.map((c) => ({
        id: c.id,
        name: localize(c.name, locale),
        levels: c.levels.map((l) => ({
          points: l.points,
          label: localize(l.label, locale),
          descriptor: localize(l.descriptor, locale),
        })),
      })),
    },
    sections: template.sections.map((s) => ({
      id: s.id,
      title: localize(s.title, locale),
      description: s.description ? localize(s.description, locale) : undefined,
      checkpoint: s.checkpoint ? localize(s.checkpoint, locale) : undefined,
      prompts: s.prompts.map((p) => ({
        id: p.id,
        text: localize(p.text, locale),
        hint: p.hint ? localize(p.hint, locale) : undefined,
      })),
    })),
    completion: { ...template.completion },
  };
}

/** Rubric points scaled to the activity's maximum score (what the gradebook receives). */
export function scaledScore(points: number, rubric: { criteria: ActivityRubricCriterion[] }, maxScore: number): number {
  const total = rubric.criteria.reduce((sum, c) => sum + Math.max(...c.levels.map((l) => l.points)), 0);
  return total > 0 ? Math.round((points / total) * maxScore * 100) / 100 : 0;
}

export type SettingsProblem = { field: string; key: string; vars?: Record<string, string> };

const clean = (v: unknown, max: number): string | undefined =>
  typeof v === 'string'
    ? v
        .replace(/\r\n?/g, '\n')
        .trim()
        .slice(0, max + 1)
    : undefined;

/**
 * Reads the settings form (flat field names: `title`, `criterion.0.name`,
 * `criterion.0.level.2.points`, `prompt.<id>` …) over a base, or lists every problem.
 * Only the fields the form offers can change: ids and structure stay the template's.
 */
export function applySettingsForm(
  base: ActivitySettings,
  form: Record<string, unknown>,
  now: Date,
): { ok: true; settings: ActivitySettings } | { ok: false; problems: SettingsProblem[] } {
  const problems: SettingsProblem[] = [];
  const title = clean(form.title, 200);
  if (!title) problems.push({ field: 'title', key: 'settings.titleRequired' });
  else if (title.length > 200) problems.push({ field: 'title', key: 'settings.tooLong', vars: { max: '200' } });
  const instructions = clean(form.instructions, 5000) ?? base.instructions;
  if (instructions.length > 5000)
    problems.push({ field: 'instructions', key: 'settings.tooLong', vars: { max: '5000' } });

  const maxScore = Number(form.maxScore);
  if (!Number.isInteger(maxScore) || maxScore < 1 || maxScore > 1000)
    problems.push({ field: 'maxScore', key: 'settings.maxScoreInvalid' });
  const aiMode = form.aiMode ?? base.aiMode;
  if (!isAiMode(aiMode)) problems.push({ field: 'aiMode', key: 'settings.aiModeInvalid' });

  let dueAt: Date | undefined;
  if (typeof form.dueAt === 'string' && form.dueAt.trim() !== '') {
    const d = /^\d{4}-\d{2}-\d{2}$/.test(form.dueAt) ? new Date(`${form.dueAt}T23:59:00+07:00`) : new Date(NaN);
    if (Number.isNaN(d.getTime()) || d.getTime() < now.getTime() - 24 * 3600 * 1000)
      problems.push({ field: 'dueAt', key: 'settings.dueAtInvalid' });
    else dueAt = d;
  }

  const criteria = base.rubric.criteria.map((c, i) => ({
    id: c.id,
    name: clean(form[`criterion.${i}.name`], 200) ?? c.name,
    levels: c.levels.map((l, j) => {
      const rawPoints = form[`criterion.${i}.level.${j}.points`];
      const points = rawPoints === undefined ? l.points : Number(rawPoints);
      if (!Number.isFinite(points) || points < 0 || points > 1000)
        problems.push({ field: `criterion.${i}.level.${j}.points`, key: 'settings.pointsInvalid' });
      return {
        points,
        label: l.label,
        descriptor: clean(form[`criterion.${i}.level.${j}.descriptor`], 1000) ?? l.descriptor,
      };
    }),
  }));
  for (const [i, c] of criteria.entries()) {
    if (!c.name) problems.push({ field: `criterion.${i}.name`, key: 'settings.criterionName' });
    const points = c.levels.map((l) => l.points);
    if (points.some((p, j) => j > 0 && p <= points[j - 1]))
      problems.push({ field: `criterion.${i}.name`, key: 'settings.levelsAscending', vars: { criterion: c.name } });
  }
  // The rubric's total need not equal the maximum score: a score is rubric points scaled to it,
  // so a coach can change Moodle's scale (say 100 → 10) without rewriting every level.
  if (criteria.reduce((sum, c) => sum + Math.max(...c.levels.map((l) => l.points)), 0) <= 0) {
    problems.push({ field: 'maxScore', key: 'settings.rubricEmpty' });
  }

  const sections = base.sections.map((s) => ({
    ...s,
    prompts: s.prompts.map((p) => {
      const edited = clean(form[`prompt.${p.id}`], 2000);
      if (edited !== undefined && edited.length === 0)
        problems.push({ field: `prompt.${p.id}`, key: 'settings.promptRequired' });
      // A coach who rewrites a prompt also rewrites what it asks: the template's hint no longer fits.
      return edited && edited !== p.text ? { id: p.id, text: edited } : p;
    }),
  }));

  if (problems.length) return { ok: false, problems };
  return {
    ok: true,
    settings: {
      title: title as string,
      instructions,
      maxScore,
      aiMode: aiMode as AiMode,
      dueAt,
      rubric: { criteria },
      sections,
      completion: base.completion,
    },
  };
}
