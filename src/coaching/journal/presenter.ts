/**
 * What the participant's journal page shows, shaped for its view: the page itself (also the
 * coach's preview and a participant's page seen by their coach), its AI panel and recommendations,
 * and the words for a refused save and for an entry's visibility. Routes call these; no route file
 * imports another.
 */
import { wibDay } from '../../domain/time';
import { formatDay, formatMoment, formatNumber } from '../../http/format';
import { ltikOf } from '../../http/guards';
import type express from 'express';
import type { LaunchContext } from '../../domain/launch';
import { translator, type Translate } from '../../http/i18n';
import { sendPage } from '../../http/render';
import { MAX_ENTRY_CHARS, progressOf, type TextProblem } from '../domain';
import { activityPath, coursePath, entryPath, withLtik } from '../../http/paths';
import type { AiCoaching, StoredTurn } from '../ai-help/turns';
import { type SafetyResult } from '../../ai/safety';
import { caringMessage } from './caring-message';
import type { ActivityDoc, EntryDoc, Visibility, WorkDoc } from '../models';
import type { ParticipantFeedback } from '../grading';
import type { CoachingService } from '../service';
import type { RecommendService } from '../../recommend/service';
import type { CatalogItem } from '../../recommend/catalog';
import { formatSize } from '../../recommend/explain';
import { connectionAsksToSaveData } from '../../preferences/store';

/** Status and message of each refused save. */
export function saveProblem(
  problem: TextProblem | 'badKey' | 'badRevision' | 'locked',
  t: Translate,
): { status: number; message: string } {
  switch (problem) {
    case 'tooLong':
      return { status: 413, message: t('journal.tooLong', { max: formatNumber(MAX_ENTRY_CHARS, 'id') }) };
    case 'controlChars':
      return { status: 400, message: t('journal.controlChars') };
    case 'badEncoding':
      return { status: 400, message: t('journal.badEncoding') };
    case 'badKey':
      return { status: 404, message: t('journal.badKey') };
    case 'badRevision':
      return { status: 400, message: t('error.badRequest') };
    case 'locked':
      return { status: 423, message: t('journal.locked') };
  }
}

export function visibilityLabel(visibility: Visibility, submitted: boolean, t: Translate): string {
  if (visibility === 'private') return t('visibility.private');
  return submitted ? t('visibility.submitted') : t(`visibility.${visibility}`);
}

/** What the AI panel of an entry (views/partials/ai-panel.ejs) needs, on the journal page and alone after a streamed answer. */
export async function aiPanelLocals(
  aiCoaching: AiCoaching,
  ctx: LaunchContext,
  activity: ActivityDoc,
  latest: Map<string, StoredTurn>,
) {
  return {
    lenses: await aiCoaching.lensesFor(ctx.platform.key, activity, ctx.locale),
    latest,
    providerName: await aiCoaching.providerName(ctx.platform.key),
    caring: (safety: SafetyResult) => caringMessage(safety, ctx.locale, {}),
    consentPath: `${coursePath(ctx.courseKey)}/ai/consent`,
  };
}

/** What the recommendations need from the page (set by participantRoutes when the recommender is on). */
export interface JournalRecommender {
  service: RecommendService;
  /** The coach's released decision's levels on this participant's work, if any. */
  decidedLevels(activity: ActivityDoc, userId: string): Promise<Record<string, number> | undefined>;
}

/**
 * The questions of the activity not yet answered well enough to count (empty, too short, or kept
 * private), in the template's order: what the confirmation before submitting names.
 */
export function missingPrompts(
  activity: Pick<ActivityDoc, 'kind' | 'sections' | 'completion'>,
  entries: Array<Pick<EntryDoc, 'key' | 'words' | 'visibility'>>,
): string[] {
  // A dated journal's questions guide every entry; only the count of entries can fall short.
  if (activity.kind === 'journal') return [];
  const progress = progressOf(activity, entries);
  return activity.sections.flatMap((s) => s.prompts).flatMap((p) => (progress.entries[p.id]?.counts ? [] : [p.text]));
}

/** What else the journal page shows of the participant's course (set by participantRoutes). */
export interface JournalSources {
  recommender?: JournalRecommender;
  /** The coach's released decision on this work, if any. */
  feedbackOf?: (activity: ActivityDoc, work: WorkDoc | null) => Promise<ParticipantFeedback | undefined>;
  /** Whether a coach has begun on a submission (until then the participant may withdraw it). */
  reviewStarted?: (activity: ActivityDoc, work: WorkDoc) => Promise<boolean>;
  /** Whether a safety alert about this participant is still open (then no ordinary recommendations). */
  openAlert?: (courseKey: string, userId: string) => Promise<boolean>;
}

const sourcesOf = (res: express.Response) => (res.locals.journalSources ?? {}) as JournalSources;

/** The recommendations section of the journal page, once something is written. */
async function recommendationsFor(
  res: express.Response,
  ctx: LaunchContext,
  activity: ActivityDoc,
  entries: EntryDoc[],
) {
  const { recommender, openAlert } = sourcesOf(res);
  if (!recommender || !entries.some((e) => e.text.trim())) return undefined;
  // While a coach has not yet followed up a safety alert, a reading list is not what this person needs.
  if (openAlert && (await openAlert(ctx.courseKey, ctx.user.id))) return undefined;
  const saveData = connectionAsksToSaveData(res.req.headers);
  // The person's own choice wins, either way; without one, the browser's hint (Save-Data, a slow connection).
  const chosen = ctx.dataSaver;
  const dataSaver = chosen ?? saveData;
  const items = await recommender.service.forParticipant({
    platform: ctx.platform.key,
    courseKey: ctx.courseKey,
    userId: ctx.user.id,
    locale: ctx.locale,
    dataSaver,
    activity,
    entries,
    decidedLevels: await recommender.decidedLevels(activity, ctx.user.id),
  });
  const base = `${coursePath(ctx.courseKey)}/recommend`;
  return {
    items,
    dataSaver,
    dataSaverAuto: dataSaver && chosen === undefined,
    dataSaverAction: `${base}/data-saver`,
    back: activityPath(ctx.courseKey, activity._id),
    openPath: (id: string) => `${base}/${encodeURIComponent(id)}/open`,
    markPath: (id: string) => `${base}/${encodeURIComponent(id)}/mark`,
    size: (item: CatalogItem) => (item.sizeKb ? formatSize(item.sizeKb, ctx.locale) : ''),
  };
}

export interface JournalPageOptions {
  status?: number;
  notice?: string;
  error?: { key: string; message: string; text?: string };
  conflict?: { key: string; yours: string; current: EntryDoc };
  preview?: boolean;
  /** A new dated entry the participant just asked for (journal kind). */
  openKey?: string;
  /** A preview of settings not stored yet: "Kembali" posts them back to their form (the picker). */
  backForm?: { action: string; fields: Record<string, unknown> };
  /** "Kirim untuk dinilai" pressed: the page asks to confirm, naming what is missing. */
  confirm?: { missing: string[] };
}

/** Renders the journal page (also the coach's preview, read-only, with no participant data). */
export async function renderJournal(
  res: express.Response,
  coaching: CoachingService,
  ctx: LaunchContext,
  activity: ActivityDoc,
  opts: JournalPageOptions = {},
): Promise<void> {
  const t = translator(ctx.locale);
  const journal = opts.preview
    ? {
        entries: [],
        work: null,
        progress: {
          done: 0,
          required: activity.completion.minEntries,
          minWords: activity.completion.minWords,
          met: false,
          entries: {},
        },
        conflicts: [],
      }
    : await coaching.journal(activity, ctx.user.id);
  const ltik = ltikOf(res);
  const entries = new Map(journal.entries.map((e) => [e.key, e]));
  const submitted = journal.work?.status === 'submitted';
  const today = wibDay(Date.now());
  const datedKeys =
    activity.kind === 'journal'
      ? journal.entries
          .map((e) => e.key)
          .sort()
          .reverse()
      : [];
  // The participant's AI help (set by participantRoutes): lenses this activity offers, latest answers.
  const aiCoaching = opts.preview ? undefined : (res.locals.aiCoaching as AiCoaching | undefined);
  // The AI panel and the recommendations need nothing of each other: read together (a fresh text's
  // query embedding may take the provider a moment).
  const { feedbackOf, reviewStarted } = sourcesOf(res);
  const [ai, recs, feedback] = await Promise.all([
    aiCoaching && activity.aiMode !== 'off'
      ? aiCoaching
          .latest(
            activity,
            ctx.user.id,
            journal.entries.map((e) => e.key),
          )
          .then((latest) => aiPanelLocals(aiCoaching, ctx, activity, latest))
      : undefined,
    opts.preview ? undefined : recommendationsFor(res, ctx, activity, journal.entries),
    opts.preview || !feedbackOf ? undefined : feedbackOf(activity, journal.work),
  ]);
  const work = journal.work;
  const mayWithdraw =
    !opts.preview && work?.status === 'submitted' && reviewStarted ? !(await reviewStarted(activity, work)) : false;
  const reopened =
    // Reopened and not submitted since (a later submission, then a withdrawal, is not a reopen).
    work?.status === 'draft' &&
    work.reopenedAt &&
    !(work.submittedAt && new Date(work.submittedAt) > new Date(work.reopenedAt)) &&
    !opts.preview
      ? { at: work.reopenedAt, reason: work.reopenReason ?? '' }
      : undefined;
  await sendPage(res, opts.status ?? 200, 'journal', {
    ai,
    recs,
    feedback,
    reopened,
    mayWithdraw,
    confirm: opts.confirm,
    backForm: opts.backForm,
    locale: ctx.locale,
    title: activity.title,
    ctx,
    activity,
    journal,
    entries,
    submitted,
    today,
    datedKeys,
    preview: Boolean(opts.preview),
    openKey: opts.openKey && activity.kind === 'journal' && !entries.has(opts.openKey) ? opts.openKey : null,
    notice: opts.notice,
    error: opts.error,
    conflict: opts.conflict,
    ltik,
    link: (path: string, extra?: Record<string, string>) => withLtik(path, ltik, extra),
    paths: {
      activity: activityPath(ctx.courseKey, activity._id),
      entry: (key: string) => entryPath(ctx.courseKey, activity._id, key),
      privacy: `${coursePath(ctx.courseKey)}/privacy`,
      consent: `${coursePath(ctx.courseKey)}/ai/consent`,
      aboutAi: `${coursePath(ctx.courseKey)}/ai/about`,
    },
    visibilityLabel: (v: Visibility) => visibilityLabel(v, submitted, t),
    maxChars: MAX_ENTRY_CHARS,
    formatDate: (d: Date | string | undefined) => (d ? formatMoment(d, ctx.locale) : ''),
    formatDay: (d: string) => formatDay(d, ctx.locale),
  });
}
