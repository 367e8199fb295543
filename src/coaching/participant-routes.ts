/**
 * The participant's journal: read, write (plain form posts, or the autosave's JSON), versions,
 * conflicts, visibility, submission. Every route: the ltik's own course, the Learner role, an
 * activity of this course, the participant's own entries only.
 */
import express from 'express';
import rateLimit from 'express-rate-limit';
import type { LaunchContext } from '../lti/context';
import { handle } from '../web/async';
import { sendError } from '../web/errors';
import { launchOf, requireAudience } from '../web/guards';
import { translator, type Translate } from '../web/i18n';
import { sendPage } from '../web/render';
import { journalKey, MAX_ENTRY_CHARS, type TextProblem } from './domain';
import { activityPath, coursePath, entryPath, withLtik } from './links';
import type { AiCoaching, StoredTurn } from './ai-turns';
import { caringMessage, type SafetyResult } from '../ai/safety';
import { activityOf, loadActivity } from './load-activity';
import type { ActivityDoc, EntryDoc, Visibility } from './models';
import { toInt, validateNewJournalEntry, validateRestore, validateSaveEntry, validateVisibility } from './schemas';
import type { CoachingService, SaveResult } from './service';
import type { RecommendService } from '../recommend/service';
import type { CatalogItem } from '../recommend/catalog';
import { formatSize } from '../recommend/explain';
import { connectionAsksToSaveData } from '../web/preferences';

const wantsJson = (req: express.Request) => req.is('application/json') === 'application/json' || req.accepts(['html', 'json']) === 'json';

/** Status and message of each refused save. */
export function saveProblem(problem: TextProblem | 'badKey' | 'badRevision' | 'locked', t: Translate): { status: number; message: string } {
  switch (problem) {
    case 'tooLong': return { status: 413, message: t('journal.tooLong', { max: MAX_ENTRY_CHARS.toLocaleString('id-ID') }) };
    case 'controlChars': return { status: 400, message: t('journal.controlChars') };
    case 'badEncoding': return { status: 400, message: t('journal.badEncoding') };
    case 'badKey': return { status: 404, message: t('journal.badKey') };
    case 'badRevision': return { status: 400, message: t('error.badRequest') };
    case 'locked': return { status: 423, message: t('journal.locked') };
  }
}

export function visibilityLabel(visibility: Visibility, submitted: boolean, t: Translate): string {
  if (visibility === 'private') return t('visibility.private');
  return submitted ? t('visibility.submitted') : t(`visibility.${visibility}`);
}

/** What the AI panel of an entry (views/partials/ai-panel.ejs) needs, on the journal page and alone after a streamed answer. */
export async function aiPanelLocals(aiCoaching: AiCoaching, ctx: LaunchContext, activity: ActivityDoc, latest: Map<string, StoredTurn>) {
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

/** The recommendations section of the journal page, once something is written. */
async function recommendationsFor(res: express.Response, ctx: LaunchContext, activity: ActivityDoc, entries: EntryDoc[]) {
  const recommender = res.locals.recommender as JournalRecommender | undefined;
  if (!recommender || !entries.some((e) => e.text.trim())) return undefined;
  const saveData = connectionAsksToSaveData(res.req.headers);
  // The person's own choice wins, either way; without one, the browser's hint (Save-Data, a slow connection).
  const chosen = ctx.dataSaver;
  const dataSaver = chosen ?? saveData;
  const items = await recommender.service.forParticipant({
    platform: ctx.platform.key, courseKey: ctx.courseKey, userId: ctx.user.id, locale: ctx.locale, dataSaver,
    activity, entries, decidedLevels: await recommender.decidedLevels(activity, ctx.user.id),
  });
  const base = `${coursePath(ctx.courseKey)}/recommend`;
  return {
    items, dataSaver, dataSaverAuto: dataSaver && chosen === undefined, dataSaverAction: `${base}/data-saver`,
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
}

/** Renders the journal page (also the coach's preview, read-only, with no participant data). */
export async function renderJournal(res: express.Response, coaching: CoachingService, ctx: LaunchContext, activity: ActivityDoc, opts: JournalPageOptions = {}): Promise<void> {
  const t = translator(ctx.locale);
  const journal = opts.preview ? { entries: [], work: null, progress: { done: 0, required: activity.completion.minEntries, minWords: activity.completion.minWords, met: false, entries: {} }, conflicts: [] } : await coaching.journal(activity, ctx.user.id);
  const ltik = res.locals.ltik as string;
  const entries = new Map(journal.entries.map((e) => [e.key, e]));
  const submitted = journal.work?.status === 'submitted';
  const today = new Date(Date.now() + 7 * 3600 * 1000).toISOString().slice(0, 10); // WIB
  const datedKeys = activity.kind === 'journal' ? journal.entries.map((e) => e.key).sort().reverse() : [];
  // The participant's AI help (set by participantRoutes): lenses this activity offers, latest answers.
  const aiCoaching = opts.preview ? undefined : (res.locals.aiCoaching as AiCoaching | undefined);
  // The AI panel and the recommendations need nothing of each other: read together (a fresh text's
  // query embedding may take the provider a moment).
  const [ai, recs] = await Promise.all([
    aiCoaching && activity.aiMode !== 'off'
      ? aiCoaching.latest(activity, ctx.user.id, journal.entries.map((e) => e.key)).then((latest) => aiPanelLocals(aiCoaching, ctx, activity, latest))
      : undefined,
    opts.preview ? undefined : recommendationsFor(res, ctx, activity, journal.entries),
  ]);
  await sendPage(res, opts.status ?? 200, 'journal', {
    ai, recs,
    locale: ctx.locale,
    title: activity.title,
    ctx, activity, journal, entries, submitted, today, datedKeys,
    preview: Boolean(opts.preview),
    openKey: opts.openKey && activity.kind === 'journal' && !entries.has(opts.openKey) ? opts.openKey : null,
    notice: opts.notice,
    error: opts.error,
    conflict: opts.conflict,
    ltik,
    link: (path: string, extra?: Record<string, string>) => withLtik(path, ltik, extra),
    paths: {
      activity: activityPath(ctx.courseKey, activity._id), entry: (key: string) => entryPath(ctx.courseKey, activity._id, key),
      privacy: `${coursePath(ctx.courseKey)}/privacy`, consent: `${coursePath(ctx.courseKey)}/ai/consent`, aboutAi: `${coursePath(ctx.courseKey)}/ai/about`,
    },
    visibilityLabel: (v: Visibility) => visibilityLabel(v, submitted, t),
    maxChars: MAX_ENTRY_CHARS,
    formatDate: (d: Date | string | undefined) => (d ? new Date(d).toLocaleString(ctx.locale === 'en' ? 'en-GB' : 'id-ID', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Asia/Jakarta' }) : ''),
    formatDay: (d: string) => new Date(`${d}T00:00:00Z`).toLocaleDateString(ctx.locale === 'en' ? 'en-GB' : 'id-ID', { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }),
  });
}

/**
 * Saves per person and minute (autosaves, form saves, restores): a page autosaves an entry every
 * few seconds while its owner types, and an offline queue sends what it kept at once; far beyond
 * that is a script filling the database with versions. Past the limit the answer is 429, which the
 * page's script keeps queued (nothing typed is lost) and the form page explains.
 */
export const DEFAULT_SAVES_PER_MINUTE = 120;

export function participantRoutes(coaching: CoachingService, ai?: AiCoaching, recommender?: JournalRecommender, opts: { savesPerMinute?: number } = {}): express.Router {
  const router = express.Router({ mergeParams: true });
  router.use(requireAudience('participant'));
  const saveLimit = rateLimit({
    windowMs: 60_000,
    limit: opts.savesPerMinute ?? DEFAULT_SAVES_PER_MINUTE,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    // Per person (their platform and user id), not per address: a class behind one office NAT saves at once.
    keyGenerator: (_req, res) => { const ctx = launchOf(res); return `${ctx.platform.key}:${ctx.user.id}`; },
    handler: (req, res) => {
      const ctx = launchOf(res);
      const message = translator(ctx.locale)('journal.tooManySaves');
      if (wantsJson(req)) res.status(429).json({ status: 'rateLimited', message });
      else void sendError(req, res, 429, 'journal.tooManySaves', { locale: ctx.locale });
    },
  });
  router.use((_req, res, next) => {
    res.locals.aiCoaching = ai;
    res.locals.recommender = recommender;
    next();
  });

  router.use('/:activityId', loadActivity(coaching));

  router.get('/:activityId', handle(async (req, res) => {
    const ctx = launchOf(res);
    const saved = typeof req.query.saved === 'string' ? req.query.saved : undefined;
    const open = typeof req.query.open === 'string' && journalKey(req.query.open.slice(2), new Date()) === req.query.open ? req.query.open : undefined;
    const t = translator(ctx.locale);
    await renderJournal(res, coaching, ctx, activityOf(res), { openKey: open, notice: saved ? t(req.query.submitted ? 'journal.submittedNotice' : 'journal.savedNotice') : undefined });
  }));

  /** Answers a save: JSON for the autosave, a page (redirect, or the page with the problem) for a form. */
  async function answerSave(req: express.Request, res: express.Response, key: string, result: SaveResult, text: string): Promise<void> {
    const ctx = launchOf(res);
    const t = translator(ctx.locale);
    const activity = activityOf(res);
    const json = wantsJson(req);
    if (result.kind === 'saved') {
      if (json) {
        res.json({ status: 'saved', revision: result.entry.revision, words: result.entry.words, savedAt: result.entry.updatedAt, unchanged: Boolean(result.unchanged) });
        return;
      }
      res.redirect(303, `${withLtik(activityPath(ctx.courseKey, activity._id), res.locals.ltik as string, { saved: key })}#entry-${key}`);
      return;
    }
    if (result.kind === 'conflict') {
      const message = t('journal.conflict');
      if (json) {
        res.status(409).json({ status: 'conflict', message, current: { text: result.current.text, revision: result.current.revision, savedAt: result.current.updatedAt }, yours: result.yours });
        return;
      }
      await renderJournal(res, coaching, ctx, activity, { status: 409, conflict: { key, yours: result.yours, current: result.current } });
      return;
    }
    const { status, message } = saveProblem(result.kind === 'locked' ? 'locked' : result.problem, t);
    if (json) {
      res.status(status).json({ status: result.kind === 'locked' ? 'locked' : 'invalid', message });
      return;
    }
    // The page comes back with the text as typed: nothing is lost, nothing was saved.
    await renderJournal(res, coaching, ctx, activity, { status, error: { key, message, text } });
  }

  router.post('/:activityId/entries/:key', saveLimit, handle(async (req, res) => {
    const ctx = launchOf(res);
    const t = translator(ctx.locale);
    const body = req.body as unknown;
    if (!validateSaveEntry(body)) {
      if (wantsJson(req)) res.status(400).json({ status: 'invalid', message: t('error.badRequest') });
      else await sendError(req, res, 400, 'error.badRequest', { locale: ctx.locale });
      return;
    }
    const result = await coaching.saveEntry(activityOf(res), { id: ctx.user.id, name: ctx.user.name }, req.params.key, {
      text: body.text, baseRevision: toInt(body.baseRevision), visibility: body.visibility, source: wantsJson(req) ? 'autosave' : 'form',
    });
    // Kept copies stay until the participant uses one (this save) or discards them.
    if (result.kind === 'saved' && body.fromCopies === '1') await coaching.clearConflicts(activityOf(res), ctx.user.id, req.params.key);
    await answerSave(req, res, req.params.key, result, body.text);
  }));

  router.post('/:activityId/journal', saveLimit, handle(async (req, res) => {
    const ctx = launchOf(res);
    const body = req.body as unknown;
    const key = validateNewJournalEntry(body) ? journalKey(body.date, new Date()) : undefined;
    if (!key || activityOf(res).kind !== 'journal') {
      await sendError(req, res, 400, 'journal.badDate', { locale: ctx.locale });
      return;
    }
    res.redirect(303, `${withLtik(activityPath(ctx.courseKey, activityOf(res)._id), res.locals.ltik as string, { open: key })}#entry-${key}`);
  }));

  router.post('/:activityId/entries/:key/visibility', handle(async (req, res) => {
    const ctx = launchOf(res);
    const body = req.body as unknown;
    if (!validateVisibility(body)) {
      await sendError(req, res, 400, 'error.badRequest', { locale: ctx.locale });
      return;
    }
    const outcome = await coaching.setVisibility(activityOf(res), ctx.user.id, req.params.key, body.visibility);
    if (outcome === 'locked') {
      await sendError(req, res, 423, 'journal.locked', { locale: ctx.locale });
      return;
    }
    if (outcome === 'missing') {
      await sendError(req, res, 404, 'journal.badKey', { locale: ctx.locale });
      return;
    }
    res.redirect(303, `${withLtik(activityPath(ctx.courseKey, activityOf(res)._id), res.locals.ltik as string, { saved: req.params.key })}#entry-${req.params.key}`);
  }));

  router.post('/:activityId/entries/:key/discard-copies', handle(async (req, res) => {
    const ctx = launchOf(res);
    await coaching.clearConflicts(activityOf(res), ctx.user.id, req.params.key);
    res.redirect(303, `${withLtik(activityPath(ctx.courseKey, activityOf(res)._id), res.locals.ltik as string)}#entry-${req.params.key}`);
  }));

  router.get('/:activityId/entries/:key/history', handle(async (req, res) => {
    const ctx = launchOf(res);
    const activity = activityOf(res);
    const versions = await coaching.versions(activity, ctx.user.id, req.params.key);
    const { entries } = await coaching.journal(activity, ctx.user.id);
    const current = entries.find((e) => e.key === req.params.key);
    if (!current) {
      await sendError(req, res, 404, 'journal.badKey', { locale: ctx.locale });
      return;
    }
    const ltik = res.locals.ltik as string;
    const prompt = activity.sections.flatMap((s) => s.prompts).find((p) => p.id === req.params.key);
    await sendPage(res, 200, 'history', {
      locale: ctx.locale, title: translator(ctx.locale)('history.title'), ctx, activity, versions, current,
      heading: prompt?.text ?? req.params.key, ltik,
      back: withLtik(activityPath(ctx.courseKey, activity._id), ltik),
      restoreAction: `${entryPath(ctx.courseKey, activity._id, req.params.key)}/restore`,
      formatDate: (d: Date) => new Date(d).toLocaleString(ctx.locale === 'en' ? 'en-GB' : 'id-ID', { dateStyle: 'medium', timeStyle: 'medium', timeZone: 'Asia/Jakarta' }),
    });
  }));

  router.post('/:activityId/entries/:key/restore', saveLimit, handle(async (req, res) => {
    const ctx = launchOf(res);
    const body = req.body as unknown;
    if (!validateRestore(body)) {
      await sendError(req, res, 400, 'error.badRequest', { locale: ctx.locale });
      return;
    }
    const result = await coaching.restore(activityOf(res), { id: ctx.user.id, name: ctx.user.name }, req.params.key, toInt(body.revision), toInt(body.baseRevision));
    if (result.kind === 'missing') {
      await sendError(req, res, 404, 'history.noVersion', { locale: ctx.locale });
      return;
    }
    await answerSave(req, res, req.params.key, result, '');
  }));

  router.post('/:activityId/submit', handle(async (req, res) => {
    const ctx = launchOf(res);
    const activity = activityOf(res);
    const outcome = await coaching.submit(activity, { id: ctx.user.id, name: ctx.user.name });
    if (outcome === 'already') {
      await renderJournal(res, coaching, ctx, activity, { status: 409, notice: translator(ctx.locale)('journal.alreadySubmitted') });
      return;
    }
    res.redirect(303, withLtik(activityPath(ctx.courseKey, activity._id), res.locals.ltik as string, { saved: 'submit', submitted: '1' }));
  }));

  return router;
}
