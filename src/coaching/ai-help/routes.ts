/**
 * The participant's AI help: asking a lens on a saved entry (a plain form post that works without
 * JavaScript, or the same post streamed back as server-sent events for the page's script), and consent — what is sent where, for how long; accept, decline, withdraw.
 */
import express from 'express';
import type { Logger } from 'pino';
import { handle } from '../../http/async';
import { HttpError } from '../../http/errors';
import { launchOf, requireAudience, ltikOf } from '../../http/guards';
import { translator } from '../../http/i18n';
import { renderPage, sendPage } from '../../http/render';
import { openEventStream, wantsEventStream } from '../../http/sse';
import { renderConsent, type ConsentService } from '../../consent/consent';
import type { AiCoaching } from './turns';
import { activityPath, coursePath, entryPath, safeBack, withLtik } from '../../http/paths';
import { aiPanelLocals } from '../journal/presenter';
import { activityOf, loadActivity } from '../activities/load';
import { validateConsentChoice, validateReflect } from './schema';
import { screenReflection } from '../../ai/safety';
import type { CoachingService } from '../service';

export interface AiRoutesDeps {
  coaching: CoachingService;
  ai: AiCoaching;
  consent: ConsentService;
  /** What the consent text names, as it stands now (an admin may switch the provider) and for this platform (its AI conversation retention is its own). */
  facts(platform: string): Promise<{ provider: string; model: string; retentionDays: number }>;
  log: Logger;
}

export function aiRoutes(deps: AiRoutesDeps): express.Router {
  const router = express.Router({ mergeParams: true });
  const participant = requireAudience('participant');

  router.post(
    '/activities/:activityId/entries/:key/reflect',
    participant,
    loadActivity(deps.coaching),
    handle(async (req, res) => {
      const ctx = launchOf(res);
      const activity = activityOf(res);
      const body = req.body as unknown;
      const lenses = await deps.ai.lensesFor(ctx.platform.key, activity, ctx.locale);
      if (!validateReflect(body) || !lenses.some((l) => l.id === body.lens)) {
        throw new HttpError(400, 'ai.badLens');
      }
      const { entries } = await deps.coaching.journal(activity, ctx.user.id);
      const entry = entries.find((e) => e.key === req.params.key);
      if (!entry || entry.text.trim() === '') {
        throw new HttpError(409, 'ai.saveFirst');
      }
      const back = `${activityPath(ctx.courseKey, activity._id)}`;
      // Someone whose words show danger gets care now, not a consent form first.
      const safety = screenReflection(entry.text);
      if (!safety.stepBack && (await deps.ai.mustAskConsent(ctx))) {
        const consentUrl = withLtik(`${coursePath(ctx.courseKey)}/ai/consent`, ltikOf(res), { back });
        // A script cannot follow a redirect to a page: it is told where to go.
        if (wantsEventStream(req)) res.status(200).json({ navigate: consentUrl });
        else res.redirect(303, consentUrl);
        return;
      }
      if (!wantsEventStream(req)) {
        await deps.ai.reflect(ctx, activity, entry, body.lens, safety);
        res.redirect(303, `${withLtik(back, ltikOf(res))}#ai-${encodeURIComponent(entry.key)}`);
        return;
      }
      // The page's script asked for a stream: each piece of the answer as it arrives, then the
      // panel exactly as the page would show it. The turn is kept even if the participant leaves.
      const t = translator(ctx.locale);
      const events = openEventStream(res);
      events.send('status', { message: t('ai.streamReading') });
      try {
        const turn = await deps.ai.reflect(ctx, activity, entry, body.lens, safety, {
          piece: (piece) => events.send('piece', piece),
          restart: () => events.send('status', { message: t('ai.streamRetrying'), restart: true }),
        });
        const html = await renderPage('partials/ai-panel', {
          locale: ctx.locale,
          title: '',
          key: entry.key,
          readOnly: false,
          ltik: ltikOf(res),
          ai: await aiPanelLocals(deps.ai, ctx, activity, new Map([[entry.key, turn]])),
          paths: { entry: (key: string) => entryPath(ctx.courseKey, activity._id, key) },
          link: (path: string) => withLtik(path, ltikOf(res)),
        });
        events.send('done', { engine: turn.result.engine, html: html.trim() });
      } catch (err) {
        deps.log.error({ err, path: req.path }, 'streamed AI turn failed');
        events.send('failed', { message: t('ai.streamFailed') });
      } finally {
        events.end();
      }
    }),
  );

  router.get(
    '/ai/consent',
    handle(async (req, res) => {
      const ctx = launchOf(res);
      const status = await deps.consent.status(ctx.platform.key, ctx.user.id);
      const given = await deps.consent.hasConsent(ctx.platform.key, ctx.user.id);
      await sendPage(res, 200, 'consent', {
        locale: ctx.locale,
        title: translator(ctx.locale)('ai.consentTitle'),
        ctx,
        ltik: ltikOf(res),
        text: renderConsent(await deps.consent.text(ctx.platform.key), ctx.locale, await deps.facts(ctx.platform.key)),
        given,
        status,
        // Without a provider nothing goes to an AI whatever is chosen: the page says so first, as the transparency page does.
        noProvider: !(await deps.ai.providerConfigured(ctx.platform.key)),
        action: `${coursePath(ctx.courseKey)}/ai/consent`,
        back: safeBack(ctx.courseKey, req.query.back) ?? '',
        link: (path: string) => withLtik(path, ltikOf(res)),
      });
    }),
  );

  router.post(
    '/ai/consent',
    handle(async (req, res) => {
      const ctx = launchOf(res);
      const body = req.body as unknown;
      if (!validateConsentChoice(body)) {
        throw new HttpError(400, 'error.badRequest');
      }
      if (body.choice === 'accept') await deps.consent.give(ctx.platform.key, ctx.user.id);
      // Declining is recorded like a withdrawal: the person answered, and is not asked again on every click.
      if (body.choice === 'withdraw' || body.choice === 'decline')
        await deps.consent.withdraw(ctx.platform.key, ctx.user.id);
      const back = safeBack(ctx.courseKey, body.back);
      res.redirect(
        303,
        withLtik(back ?? `${coursePath(ctx.courseKey)}/ai/consent`, ltikOf(res), back ? {} : { [body.choice]: '1' }),
      );
    }),
  );

  return router;
}
