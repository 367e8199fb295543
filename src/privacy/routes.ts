/**
 * "Data saya": a person sees what Cermin holds about them, downloads it (JSON, or a readable
 * page), and can have it erased. Any launched user, for themselves only: nothing in these routes
 * names another person. (An admin acting on someone's behalf comes with the admin console.)
 */
import { Type } from '@sinclair/typebox';
import { Ltik, schema } from '../http/validate';
import express from 'express';
import { handle } from '../http/async';
import { HttpError } from '../http/errors';
import { launchOf, ltikOf } from '../http/guards';
import { translator } from '../http/i18n';
import { sendPage } from '../http/render';
import { backOf } from '../http/page';
import { formatTime } from '../http/format';
import { coursePath, withLtik } from '../http/paths';
import type { PersonDataService } from './person-data';

const validateErase = schema(
  Type.Object({ confirm: Type.Literal('yes'), ltik: Ltik }, { additionalProperties: false }),
);

/** How many records each section holds, for the summary. */
function countsOf(
  sections: Record<string, Record<string, unknown[]>>,
): Array<{ section: string; collection: string; n: number }> {
  return Object.entries(sections).flatMap(([section, collections]) =>
    Object.entries(collections).map(([collection, records]) => ({ section, collection, n: records.length })),
  );
}

export function privacyRoutes(deps: { data: PersonDataService }): express.Router {
  const router = express.Router({ mergeParams: true });
  const base = (courseKey: string) => `${coursePath(courseKey)}/privacy`;

  router.get(
    '/privacy',
    handle(async (req, res) => {
      const ctx = launchOf(res);
      const t = translator(ctx.locale);
      const data = await deps.data.exportAll(ctx.platform, ctx.user.id);
      const back = backOf(req, res);
      await sendPage(res, 200, 'privacy', {
        back,
        exportQuery: back ? { back } : {},
        locale: ctx.locale,
        title: t('privacy.title'),
        ctx,
        ltik: ltikOf(res),
        base: base(ctx.courseKey),
        link: (path: string, query?: Record<string, string>) => withLtik(path, ltikOf(res), query),
        counts: countsOf(data.sections).filter((c) => c.n > 0),
      });
    }),
  );

  router.get(
    '/privacy/export.:format(json|html)',
    handle(async (req, res) => {
      const ctx = launchOf(res);
      const t = translator(ctx.locale);
      const data = await deps.data.exportAll(ctx.platform, ctx.user.id);
      res.set('Cache-Control', 'no-store');
      if (req.params.format === 'json') {
        res.set('Content-Disposition', 'attachment; filename="cermin-data-saya.json"');
        res.type('application/json; charset=utf-8').send(JSON.stringify(data, null, 2));
        return;
      }
      await sendPage(res, 200, 'privacy-export', {
        locale: ctx.locale,
        title: t('privacy.exportTitle'),
        ctx,
        data,
        // Back to "Data saya", which keeps where the person came from.
        back: withLtik(base(ctx.courseKey), ltikOf(res), backOf(req, res) ? { back: backOf(req, res) as string } : {}),
        generatedAt: formatTime(data.generatedAt, ctx.locale),
        formatTime: (d: Date) => formatTime(d, ctx.locale),
        counts: countsOf(data.sections),
      });
    }),
  );

  router.post(
    '/privacy/erase',
    handle(async (req, res) => {
      const ctx = launchOf(res);
      const t = translator(ctx.locale);
      if (!validateErase(req.body)) {
        throw new HttpError(400, 'privacy.confirmFirst');
      }
      const counts = await deps.data.eraseAll(ctx.platform, ctx.user.id, {
        role: 'self',
        platform: ctx.platform.key,
        userId: ctx.user.id,
      });
      const n = Object.values(counts)
        .flatMap((c) => Object.values(c))
        .reduce((a, b) => a + b, 0);
      // The session's own launch record is gone too: this page is the last one of the session.
      await sendPage(res, 200, 'privacy-erased', { locale: ctx.locale, title: t('privacy.erasedTitle'), n });
    }),
  );

  return router;
}
