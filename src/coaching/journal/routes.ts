/**
 * The participant's journal: read, write (plain form posts, or the autosave's JSON), versions,
 * conflicts, visibility, submission. Every route: the ltik's own course, the Learner role, an
 * activity of this course, the participant's own entries only.
 */
import { formatMoment } from '../../http/format';
import express from 'express';
import rateLimit from 'express-rate-limit';
import { handle } from '../../http/async';
import { sendError, HttpError } from '../../http/errors';
import { validate, validateSessionOnly } from '../../http/validate';
import { launchOf, requireAudience, ltikOf } from '../../http/guards';
import { translator } from '../../http/i18n';
import { sendPage } from '../../http/render';
import { journalKey } from '../domain';
import { activityPath, entryPath, withLtik } from '../../http/paths';
import type { AiCoaching } from '../ai-help/turns';
import { activityOf, loadActivity } from '../activities/load';
import {
  toInt,
  validateNewJournalEntry,
  validateRestore,
  validateSaveAll,
  validateSaveEntry,
  validateSubmit,
  validateVisibility,
} from './schema';
import type { CoachingService, SaveResult } from '../service';
import { missingPrompts, renderJournal, saveProblem, type JournalSources } from './presenter';

const wantsJson = (req: express.Request) =>
  req.is('application/json') === 'application/json' || req.accepts(['html', 'json']) === 'json';

/**
 * Saves per person and minute (autosaves, form saves, restores): a page autosaves an entry every
 * few seconds while its owner types, and an offline queue sends what it kept at once; far beyond
 * that is a script filling the database with versions. Past the limit the answer is 429, which the
 * page's script keeps queued (nothing typed is lost) and the form page explains.
 */
export const DEFAULT_SAVES_PER_MINUTE = 120;

export function participantRoutes(
  coaching: CoachingService,
  ai?: AiCoaching,
  sources: JournalSources = {},
  opts: { savesPerMinute?: number } = {},
): express.Router {
  const router = express.Router({ mergeParams: true });
  router.use(requireAudience('participant'));
  const saveLimit = rateLimit({
    windowMs: 60_000,
    limit: opts.savesPerMinute ?? DEFAULT_SAVES_PER_MINUTE,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    // Per person (their platform and user id), not per address: a class behind one office NAT saves at once.
    keyGenerator: (_req, res) => {
      const ctx = launchOf(res);
      return `${ctx.platform.key}:${ctx.user.id}`;
    },
    handler: (req, res) => {
      const ctx = launchOf(res);
      const message = translator(ctx.locale)('journal.tooManySaves');
      if (wantsJson(req)) res.status(429).json({ status: 'rateLimited', message });
      else void sendError(req, res, 429, 'journal.tooManySaves', { locale: ctx.locale });
    },
  });
  router.use((_req, res, next) => {
    res.locals.aiCoaching = ai;
    res.locals.journalSources = sources;
    next();
  });

  router.use('/:activityId', loadActivity(coaching));

  router.get(
    '/:activityId',
    handle(async (req, res) => {
      const ctx = launchOf(res);
      const saved = typeof req.query.saved === 'string' ? req.query.saved : undefined;
      const open =
        typeof req.query.open === 'string' && journalKey(req.query.open.slice(2), new Date()) === req.query.open
          ? req.query.open
          : undefined;
      const t = translator(ctx.locale);
      await renderJournal(res, coaching, ctx, activityOf(res), {
        openKey: open,
        notice: req.query.withdrawn
          ? t('journal.withdrawnNotice')
          : saved
            ? t(req.query.submitted ? 'journal.submittedNotice' : 'journal.savedNotice')
            : undefined,
      });
    }),
  );

  /** Answers a save: JSON for the autosave, a page (redirect, or the page with the problem) for a form. */
  async function answerSave(
    req: express.Request,
    res: express.Response,
    key: string,
    result: SaveResult,
    text: string,
  ): Promise<void> {
    const ctx = launchOf(res);
    const t = translator(ctx.locale);
    const activity = activityOf(res);
    const json = wantsJson(req);
    if (result.kind === 'saved') {
      if (json) {
        res.json({
          status: 'saved',
          revision: result.entry.revision,
          words: result.entry.words,
          savedAt: result.entry.updatedAt,
          unchanged: Boolean(result.unchanged),
        });
        return;
      }
      res.redirect(
        303,
        `${withLtik(activityPath(ctx.courseKey, activity._id), ltikOf(res), { saved: key })}#entry-${key}`,
      );
      return;
    }
    if (result.kind === 'conflict') {
      const message = t('journal.conflict');
      if (json) {
        res.status(409).json({
          status: 'conflict',
          message,
          current: {
            text: result.current.text,
            revision: result.current.revision,
            savedAt: result.current.updatedAt,
          },
          yours: result.yours,
        });
        return;
      }
      await renderJournal(res, coaching, ctx, activity, {
        status: 409,
        conflict: { key, yours: result.yours, current: result.current },
      });
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

  router.post(
    '/:activityId/entries/:key',
    saveLimit,
    handle(async (req, res) => {
      const ctx = launchOf(res);
      const t = translator(ctx.locale);
      const body = req.body as unknown;
      if (!validateSaveEntry(body)) {
        if (!wantsJson(req)) throw new HttpError(400, 'error.badRequest');
        res.status(400).json({ status: 'invalid', message: t('error.badRequest') });
        return;
      }
      const result = await coaching.saveEntry(
        activityOf(res),
        { id: ctx.user.id, name: ctx.user.name },
        req.params.key,
        {
          text: body.text,
          baseRevision: toInt(body.baseRevision),
          visibility: body.visibility,
          source: wantsJson(req) ? 'autosave' : 'form',
        },
      );
      // Kept copies stay until the participant uses one (this save) or discards them.
      if (result.kind === 'saved' && body.fromCopies === '1')
        await coaching.clearConflicts(activityOf(res), ctx.user.id, req.params.key);
      await answerSave(req, res, req.params.key, result, body.text);
    }),
  );

  // The page's one form (no JavaScript): every entry whose text changed is saved, each on its own
  // revision; the first that cannot be (a conflict, a refused text) comes back with its text kept.
  router.post(
    '/:activityId/entries',
    saveLimit,
    handle(async (req, res) => {
      const ctx = launchOf(res);
      const activity = activityOf(res);
      const body = req.body as unknown;
      if (!validateSaveAll(body)) throw new HttpError(400, 'error.badRequest');
      const fields = body as Record<string, string | undefined>;
      const { entries } = await coaching.journal(activity, ctx.user.id);
      const stored = new Map(entries.map((e) => [e.key, e]));
      const typed = Object.keys(fields)
        .filter((name) => name.startsWith('entry.'))
        .map((name) => ({ key: name.slice('entry.'.length), text: fields[name] ?? '' }))
        .filter(({ key, text }) => text !== (stored.get(key)?.text ?? ''));
      let problem: { key: string; result: SaveResult; text: string } | undefined;
      const saved: string[] = [];
      for (const { key, text } of typed) {
        const result = await coaching.saveEntry(activity, { id: ctx.user.id, name: ctx.user.name }, key, {
          text,
          baseRevision: toInt(fields[`base.${key}`] ?? '0'),
          source: 'form',
        });
        if (result.kind === 'saved') saved.push(key);
        else problem ??= { key, result, text };
      }
      if (problem) {
        await answerSave(req, res, problem.key, problem.result, problem.text);
        return;
      }
      // Back at the entry whose "Simpan" was pressed (a key this page has), else the first saved.
      const from = body.from ?? '';
      const at = stored.has(from) || saved.includes(from) ? from : (saved[0] ?? '');
      res.redirect(
        303,
        `${withLtik(activityPath(ctx.courseKey, activity._id), ltikOf(res), { saved: at || 'all' })}${at ? `#entry-${at}` : ''}`,
      );
    }),
  );

  router.post(
    '/:activityId/journal',
    saveLimit,
    handle(async (req, res) => {
      const ctx = launchOf(res);
      const body = req.body as unknown;
      const key = validateNewJournalEntry(body) ? journalKey(body.date, new Date()) : undefined;
      if (!key || activityOf(res).kind !== 'journal') {
        throw new HttpError(400, 'journal.badDate');
      }
      res.redirect(
        303,
        `${withLtik(activityPath(ctx.courseKey, activityOf(res)._id), ltikOf(res), { open: key })}#entry-${key}`,
      );
    }),
  );

  router.post(
    '/:activityId/entries/:key/visibility',
    handle(async (req, res) => {
      const ctx = launchOf(res);
      const body = req.body as unknown;
      if (!validateVisibility(body)) {
        throw new HttpError(400, 'error.badRequest');
      }
      const outcome = await coaching.setVisibility(activityOf(res), ctx.user.id, req.params.key, body.visibility);
      if (outcome === 'locked') {
        throw new HttpError(423, 'journal.locked');
      }
      if (outcome === 'missing') {
        throw new HttpError(404, 'journal.badKey');
      }
      res.redirect(
        303,
        `${withLtik(activityPath(ctx.courseKey, activityOf(res)._id), ltikOf(res), { saved: req.params.key })}#entry-${req.params.key}`,
      );
    }),
  );

  router.post(
    '/:activityId/entries/:key/discard-copies',
    handle(async (req, res) => {
      const ctx = launchOf(res);
      await coaching.clearConflicts(activityOf(res), ctx.user.id, req.params.key);
      res.redirect(
        303,
        `${withLtik(activityPath(ctx.courseKey, activityOf(res)._id), ltikOf(res))}#entry-${req.params.key}`,
      );
    }),
  );

  router.get(
    '/:activityId/entries/:key/history',
    handle(async (req, res) => {
      const ctx = launchOf(res);
      const activity = activityOf(res);
      const versions = await coaching.versions(activity, ctx.user.id, req.params.key);
      const { entries } = await coaching.journal(activity, ctx.user.id);
      const current = entries.find((e) => e.key === req.params.key);
      if (!current) {
        throw new HttpError(404, 'journal.badKey');
      }
      const ltik = ltikOf(res);
      const prompt = activity.sections.flatMap((s) => s.prompts).find((p) => p.id === req.params.key);
      await sendPage(res, 200, 'history', {
        locale: ctx.locale,
        title: translator(ctx.locale)('history.title'),
        ctx,
        activity,
        versions,
        current,
        heading: prompt?.text ?? req.params.key,
        ltik,
        back: withLtik(activityPath(ctx.courseKey, activity._id), ltik),
        restoreAction: `${entryPath(ctx.courseKey, activity._id, req.params.key)}/restore`,
        formatDate: (d: Date) => formatMoment(d, ctx.locale, 'second'),
      });
    }),
  );

  router.post(
    '/:activityId/entries/:key/restore',
    saveLimit,
    handle(async (req, res) => {
      const ctx = launchOf(res);
      const body = req.body as unknown;
      if (!validateRestore(body)) {
        throw new HttpError(400, 'error.badRequest');
      }
      const result = await coaching.restore(
        activityOf(res),
        { id: ctx.user.id, name: ctx.user.name },
        req.params.key,
        toInt(body.revision),
        toInt(body.baseRevision),
      );
      if (result.kind === 'missing') {
        throw new HttpError(404, 'history.noVersion');
      }
      await answerSave(req, res, req.params.key, result, '');
    }),
  );

  // "Kirim untuk dinilai" opens this page first: it names what is missing, because a submission
  // locks the work until a coach reopens it. Only its own form (confirm=1) submits.
  router.get(
    '/:activityId/submit',
    handle(async (_req, res) => {
      const ctx = launchOf(res);
      const activity = activityOf(res);
      const { entries, work } = await coaching.journal(activity, ctx.user.id);
      if (work?.status === 'submitted') {
        res.redirect(303, withLtik(activityPath(ctx.courseKey, activity._id), ltikOf(res)));
        return;
      }
      await renderJournal(res, coaching, ctx, activity, { confirm: { missing: missingPrompts(activity, entries) } });
    }),
  );

  router.post(
    '/:activityId/withdraw',
    validate(validateSessionOnly),
    handle(async (_req, res) => {
      const ctx = launchOf(res);
      const activity = activityOf(res);
      const started = sources.reviewStarted;
      const outcome = await coaching.withdraw(activity, ctx.user.id, (work) =>
        started ? started(activity, work) : Promise.resolve(true),
      );
      if (outcome === 'reviewing') throw new HttpError(409, 'journal.withdrawTooLate');
      if (outcome === 'notSubmitted') throw new HttpError(409, 'journal.notSubmitted');
      res.redirect(303, withLtik(activityPath(ctx.courseKey, activity._id), ltikOf(res), { withdrawn: '1' }));
    }),
  );

  router.post(
    '/:activityId/submit',
    handle(async (req, res) => {
      const ctx = launchOf(res);
      const activity = activityOf(res);
      const body = req.body as unknown;
      if (!validateSubmit(body)) throw new HttpError(400, 'error.badRequest');
      if (body.confirm !== '1') {
        res.redirect(
          303,
          `${withLtik(`${activityPath(ctx.courseKey, activity._id)}/submit`, ltikOf(res))}#confirm-submit`,
        );
        return;
      }
      const outcome = await coaching.submit(activity, { id: ctx.user.id, name: ctx.user.name });
      if (outcome === 'already') {
        await renderJournal(res, coaching, ctx, activity, {
          status: 409,
          notice: translator(ctx.locale)('journal.alreadySubmitted'),
        });
        return;
      }
      res.redirect(
        303,
        withLtik(activityPath(ctx.courseKey, activity._id), ltikOf(res), { saved: 'submit', submitted: '1' }),
      );
    }),
  );

  return router;
}
