/**
 * The coach's side of activities: the Deep Linking picker (choose, configure, preview, return to
 * Moodle), binding a hand-made link to a template, settings after placement (the Moodle
 * column's maximum changed only while it holds no grades, or at the coach's word). Reviews and the roster are in ../review/routes.ts. Every route: the ltik's own course and a
 * coach role.
 */
import { launchPage } from '../../http/page';
import { wibDay } from '../../domain/time';
import express from 'express';
import type { DeepLinkingResponder } from '../../lti';
import { lineItemHasResults, updateLineItemMaximum } from '../../lti/ags';
import { ServiceError, type PlatformServices } from '../../lti/platform-services';
import type { GradeOutbox } from '../../grades/outbox';
import type { ToolUrls } from '../../lti/platforms';
import type { LaunchContext } from '../../domain/launch';
import { handle } from '../../http/async';
import { HttpError } from '../../http/errors';
import { launchOf, requireAudience, ltikOf } from '../../http/guards';
import { translator, type Translate } from '../../http/i18n';
import { sendPage } from '../../http/render';
import { applySettingsForm, settingsFromTemplate, type ActivitySettings, type SettingsProblem } from '../domain';
import { activityPath, coursePath, withLtik } from '../../http/paths';
import { activityOf, loadActivity } from './load';
import type { ActivityDoc } from '../models';
import { renderJournal } from '../journal/presenter';
import { validateTemplateChoice } from './schema';
import type { CoachingService } from '../service';
import type { CoachingTemplate } from '../templates';
import { safetyBadge } from '../review/safety';
import {
  filterWorklist,
  isWorklistFilter,
  worklistCounts,
  type WorklistFilter,
  type WorklistOf,
} from '../review/worklist';

export interface CoachRoutesDeps {
  coaching: CoachingService;
  deepLinking: DeepLinkingResponder;
  /** The platform's services (a column's maximum, at the coach's word), through the guarded client. */
  services: PlatformServices;
  /** Whether Cermin has sent anything to an activity's column (then its maximum is not changed unasked). */
  outbox: Pick<GradeOutbox, 'anyFor'>;
  urls: ToolUrls;
  /** Upper bound of one request to the platform. */
  requestTimeoutMs: number;
  /** The activity's worklist, shown on its page (the coach's landing for it). */
  worklistOf: WorklistOf;
}

/** A platform error's reason, short enough to show a coach. */
function platformReason(err: unknown): string {
  return err instanceof ServiceError ? err.reason : String((err as Error)?.message ?? err).slice(0, 200);
}

function settingsOf(activity: ActivityDoc): ActivitySettings {
  const { title, instructions, maxScore, aiMode, dueAt, rubric, sections, completion } = activity;
  return { title, instructions, maxScore, aiMode, dueAt, rubric, sections, completion };
}

export function coachRoutes(deps: CoachRoutesDeps): express.Router {
  const { coaching } = deps;
  const router = express.Router({ mergeParams: true });
  // Per route, not router-wide: other routers share these paths' prefixes (participant pages).
  const coachOnly = requireAudience('coach', 'admin');

  const dateInput = (d?: Date) => (d ? wibDay(d) : '');
  const locals = (res: express.Response, titleKey: string, extra: Record<string, unknown> = {}) => ({
    ...launchPage(res, titleKey),
    dateInput,
    ...extra,
  });

  async function renderSettings(
    res: express.Response,
    status: number,
    view: 'activity-manage' | 'picker-configure',
    data: Record<string, unknown> & {
      settings: ActivitySettings;
      problems?: SettingsProblem[];
      form?: Record<string, unknown>;
    },
  ): Promise<void> {
    const t = translator(launchOf(res).locale);
    const problems = data.problems ?? [];
    await sendPage(res, status, view, {
      ...locals(res, view === 'activity-manage' ? 'manage.title' : 'picker.configureTitle'),
      ...data,
      problems: problems.map((p) => ({ field: p.field, message: t(p.key, p.vars) })),
      problemFor: (field: string) =>
        problems
          .filter((p) => p.field === field)
          .map((p) => t(p.key, p.vars))
          .join(' '),
      value: (field: string, fallback: unknown) =>
        data.form && typeof data.form[field] === 'string' ? data.form[field] : fallback,
    });
  }

  // ---- Deep Linking: choose, configure, preview, return ------------------------------------
  const requireDeepLinking: express.RequestHandler = (req, res, next) => {
    if (launchOf(res).messageType !== 'LtiDeepLinkingRequest') {
      throw new HttpError(400, 'picker.notDeepLinking');
    }
    next();
  };

  router.get(
    '/deep-linking',
    coachOnly,
    requireDeepLinking,
    handle(async (req, res) => {
      const ctx = launchOf(res);
      const chosen = await coaching.activitiesInSelection(ctx.courseKey, deps.deepLinking.selectionOf(res));
      // Just added: say which one, so the coach sees the picker kept it.
      const added = req.query.added && chosen.length ? chosen[chosen.length - 1] : undefined;
      await sendPage(res, 200, 'picker', {
        ...locals(res, 'picker.title'),
        templates: coaching.templates(),
        chosen,
        added,
        base: coursePath(ctx.courseKey),
      });
    }),
  );

  const templateOr404 = (req: express.Request): CoachingTemplate => {
    const template = coaching.template(req.params.templateId);
    if (!template) throw new HttpError(404, 'picker.noTemplate');
    return template;
  };

  router.get(
    '/deep-linking/:templateId',
    coachOnly,
    requireDeepLinking,
    handle(async (req, res) => {
      const template = templateOr404(req);
      const ctx = launchOf(res);
      await renderSettings(res, 200, 'picker-configure', {
        template,
        settings: settingsFromTemplate(template, ctx.locale, new Date()),
        action: `${coursePath(ctx.courseKey)}/deep-linking/${template.id}`,
      });
    }),
  );

  router.post(
    '/deep-linking/:templateId',
    coachOnly,
    requireDeepLinking,
    handle(async (req, res) => {
      const template = templateOr404(req);
      const ctx = launchOf(res);
      const form = { ...(req.body as Record<string, unknown>) };
      const action = `${coursePath(ctx.courseKey)}/deep-linking/${template.id}`;
      if (form.intent === 'edit') {
        // Back from the preview: the settings form again, with every value the coach had typed.
        await renderSettings(res, 200, 'picker-configure', {
          template,
          settings: settingsFromTemplate(template, ctx.locale, new Date()),
          form,
          action,
        });
        return;
      }
      const parsed = applySettingsForm(settingsFromTemplate(template, ctx.locale, new Date()), form, new Date());
      if (!parsed.ok) {
        await renderSettings(res, 400, 'picker-configure', {
          template,
          settings: settingsFromTemplate(template, ctx.locale, new Date()),
          problems: parsed.problems,
          form,
          action,
        });
        return;
      }
      if (form.intent === 'preview') {
        // The participant's page as it will look, with the coach's edits, before anything is stored.
        const draft = {
          ...parsed.settings,
          _id: 'preview',
          courseKey: ctx.courseKey,
          kind: template.kind,
          templateId: template.id,
        } as unknown as ActivityDoc;
        const { intent: _intent, ltik: _ltik, ...typed } = form;
        await renderJournal(res, coaching, ctx, draft, { preview: true, backForm: { action, fields: typed } });
        return;
      }
      await coaching.createActivity(ctx, template, parsed.settings, { selection: deps.deepLinking.selectionOf(res) });
      res.redirect(303, withLtik(`${coursePath(ctx.courseKey)}/deep-linking`, ltikOf(res), { added: '1' }));
    }),
  );

  router.post(
    '/deep-linking/remove/:activityId',
    coachOnly,
    requireDeepLinking,
    handle(async (req, res) => {
      const ctx = launchOf(res);
      await coaching.removeFromSelection(ctx.courseKey, deps.deepLinking.selectionOf(res), req.params.activityId);
      res.redirect(303, withLtik(`${coursePath(ctx.courseKey)}/deep-linking`, ltikOf(res)));
    }),
  );

  router.post(
    '/deep-linking-return',
    coachOnly,
    requireDeepLinking,
    handle(async (req, res) => {
      const ctx = launchOf(res);
      const selection = deps.deepLinking.selectionOf(res);
      const chosen = await coaching.activitiesInSelection(ctx.courseKey, selection);
      if (!chosen.length) {
        throw new HttpError(400, 'picker.nothingChosen');
      }
      const t = translator(ctx.locale);
      const items = chosen.map((a) => ({
        type: 'ltiResourceLink',
        title: a.title,
        text: a.instructions.slice(0, 500),
        url: deps.urls.toolUrl,
        custom: { activity_id: a._id },
        // Moodle creates the gradebook column from this when the teacher saves the activity.
        lineItem: {
          scoreMaximum: a.maxScore,
          label: a.title,
          resourceId: a._id,
          tag: a.lineItem?.tag ?? `cermin:${a.templateId}`,
        },
        ...(a.dueAt ? { submission: { endDateTime: new Date(a.dueAt).toISOString() } } : {}),
      }));
      const { jwt, returnUrl } = await deps.deepLinking.respond(
        res,
        items,
        t('picker.returnedMessage', { n: items.length }),
      );
      await coaching.closeSelection(ctx.courseKey, selection);
      await sendPage(res, 200, 'deep-linking-return', { ...locals(res, 'picker.returning'), returnUrl, jwt, chosen });
    }),
  );

  // ---- A link added by hand in Moodle: bind it to a template --------------------------------
  router.get(
    '/setup',
    coachOnly,
    handle(async (req, res) => {
      const ctx = launchOf(res);
      if (!ctx.resourceLink) {
        throw new HttpError(400, 'setup.noLink');
      }
      const existing = await coaching.activityForLaunch(ctx);
      if (existing) {
        res.redirect(303, withLtik(`${activityPath(ctx.courseKey, existing._id)}/manage`, ltikOf(res)));
        return;
      }
      await sendPage(res, 200, 'setup-link', {
        ...locals(res, 'setupLink.title'),
        templates: coaching.templates(),
        action: `${coursePath(ctx.courseKey)}/setup`,
      });
    }),
  );

  router.post(
    '/setup',
    coachOnly,
    handle(async (req, res) => {
      const ctx = launchOf(res);
      const body = req.body as unknown;
      const template = validateTemplateChoice(body) ? coaching.template(body.templateId) : undefined;
      if (!template || !ctx.resourceLink) {
        throw new HttpError(400, 'setupLink.chooseTemplate');
      }
      const existing = await coaching.activityForLaunch(ctx);
      const activity =
        existing ??
        (await coaching.createActivity(ctx, template, settingsFromTemplate(template, ctx.locale, new Date()), {
          resourceLinkId: ctx.resourceLink.id,
        }));
      res.redirect(
        303,
        withLtik(`${activityPath(ctx.courseKey, activity._id)}/manage`, ltikOf(res), existing ? {} : { created: '1' }),
      );
    }),
  );

  // ---- One activity: settings, preview, submissions ----------------------------------------
  const activityInUrl = loadActivity(coaching);

  async function renderManage(
    res: express.Response,
    status: number,
    extra: { problems?: SettingsProblem[]; form?: Record<string, unknown>; notice?: string } = {},
  ): Promise<void> {
    const ctx = launchOf(res);
    const activity = activityOf(res);
    const base = activityPath(ctx.courseKey, activity._id);
    const [worklist, safety] = await Promise.all([deps.worklistOf(activity), safetyBadge(ctx.courseKey, ltikOf(res))]);
    const counts = worklistCounts(worklist);
    const asked = res.req.query.show;
    // To review first; everyone once nothing is left to review (or when asked).
    const show: WorklistFilter = isWorklistFilter(asked) ? asked : counts.todo ? 'todo' : 'all';
    const shown = filterWorklist(worklist, show);
    await renderSettings(res, status, 'activity-manage', {
      activity,
      settings: settingsOf(activity),
      template: coaching.template(activity.templateId),
      wide: true,
      worklist,
      shown,
      show,
      counts,
      held: worklist.filter((r) => r.status === 'reviewed').length,
      firstToReview: filterWorklist(worklist, 'todo')[0]?.userId,
      reviewOf: (userId: string) => `${base}/submissions/${encodeURIComponent(userId)}?list=${show}`,
      releaseAction: `${base}/worklist/release`,
      reopenAction: `${base}/worklist/reopen`,
      exportPath: `${base}/worklist.csv`,
      safety,
      action: `${base}/manage`,
      base,
      ...extra,
    });
  }

  /**
   * Moodle's column after a save. Scores carry their maximum and Moodle scales them to its column,
   * so Cermin's maximum may change freely; changing the column's own maximum makes Moodle rescale
   * every grade row in it and turn an empty one into 0 (docs/moodle.md). So the column follows
   * only while nothing has been graded in it, or when the coach chose so knowing that.
   */
  async function followColumn(
    ctx: LaunchContext,
    before: ActivityDoc,
    updated: ActivityDoc,
    coachChose: boolean,
    t: Translate,
  ): Promise<string> {
    // 'pending' (a maximum changed before a launch gave the column's address) and 'failed' catch up on this save.
    const columnBehind =
      updated.maxScore !== before.maxScore ||
      updated.lineItem?.sync === 'pending' ||
      updated.lineItem?.sync === 'failed';
    const url = updated.lineItem?.id;
    if (!url) {
      if (!columnBehind) return t('manage.saved');
      await coaching.setLineItemSync(updated, 'pending');
      return t('manage.savedColumnLater');
    }
    if (!columnBehind && !coachChose) return t('manage.saved');
    const ref = { issuer: ctx.platform.issuer, clientId: ctx.platform.clientId };
    const deadline = Date.now() + 2 * deps.requestTimeoutMs;
    try {
      const graded =
        !coachChose &&
        ((await deps.outbox.anyFor(ctx.courseKey, updated._id)) ||
          (await lineItemHasResults(deps.services, ref, url, { deadline })));
      if (graded) {
        await coaching.setLineItemSync(updated, 'kept');
        return t('manage.savedColumnKept', { max: updated.maxScore });
      }
      await updateLineItemMaximum(deps.services, ref, url, updated.maxScore, { deadline });
      await coaching.setLineItemSync(updated, 'synced');
      return t('manage.savedAndSynced', { max: updated.maxScore });
    } catch (err) {
      await coaching.setLineItemSync(updated, 'failed', platformReason(err));
      return t('manage.savedNotSynced', { reason: platformReason(err) });
    }
  }

  router.get(
    '/activities/:activityId/manage',
    coachOnly,
    activityInUrl,
    handle(async (req, res) => {
      const t = translator(launchOf(res).locale);
      const count = (v: unknown) => (typeof v === 'string' && /^\d{1,6}$/.test(v) ? v : undefined);
      const released = count(req.query.released);
      const reopened = count(req.query.reopened);
      await renderManage(res, 200, {
        notice: req.query.created
          ? t('manage.created')
          : req.query.saved
            ? t('manage.saved')
            : req.query.done
              ? t('worklist.doneNotice')
              : released !== undefined
                ? t('roster.released', { n: released })
                : reopened !== undefined
                  ? t('worklist.reopenedNotice', { n: reopened })
                  : undefined,
      });
    }),
  );

  router.post(
    '/activities/:activityId/manage',
    coachOnly,
    activityInUrl,
    handle(async (req, res) => {
      const ctx = launchOf(res);
      const t = translator(ctx.locale);
      const activity = activityOf(res);
      const form = { ...(req.body as Record<string, unknown>) };
      const parsed = applySettingsForm(settingsOf(activity), form, new Date());
      if (!parsed.ok) {
        await renderManage(res, 400, { problems: parsed.problems, form });
        return;
      }
      const expected = Number(form.revision);
      const updated = await coaching.updateSettings(
        activity,
        parsed.settings,
        Number.isInteger(expected) ? expected : -1,
      );
      if (updated === 'conflict') {
        res.locals.activity = await coaching.activityInCourse(ctx.courseKey, activity._id);
        await renderManage(res, 409, { problems: [{ field: 'title', key: 'manage.editConflict' }] });
        return;
      }
      res.locals.activity = updated;
      const notices = [await followColumn(ctx, activity, updated, form.moodleColumn === 'update', t)];
      // Moodle names the column after its activity and resets it whenever the activity form is saved.
      if (updated.title !== activity.title) notices.push(t('manage.titleInMoodle'));
      res.locals.activity = await coaching.activityInCourse(ctx.courseKey, activity._id);
      await renderManage(res, 200, { notice: notices.join(' ') });
    }),
  );

  router.get(
    '/activities/:activityId/preview',
    coachOnly,
    activityInUrl,
    handle(async (_req, res) => {
      await renderJournal(res, coaching, launchOf(res), activityOf(res), { preview: true });
    }),
  );

  return router;
}
