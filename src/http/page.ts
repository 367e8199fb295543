/**
 * What every page behind a launch shows: its language and title, the launch itself, the ltik,
 * and `link()`, which makes a path carry the ltik (every link and form of such a page must).
 */
import type express from 'express';
import { launchOf, ltikOf } from './guards';
import { translator } from './i18n';
import { safeBack, withLtik } from './paths';

export function launchPage(res: express.Response, titleKey: string) {
  const ctx = launchOf(res);
  const ltik = ltikOf(res);
  return {
    locale: ctx.locale,
    title: translator(ctx.locale)(titleKey),
    ctx,
    ltik,
    link: (path: string, query?: Record<string, string>) => withLtik(path, ltik, query),
  };
}

/**
 * Where a secondary page's "Kembali" leads: the page that linked to it (its `back`, a path inside
 * this course), else `fallback`.
 */
export function backOf(req: express.Request, res: express.Response, fallback?: string): string | undefined {
  return safeBack(launchOf(res).courseKey, req.query.back) ?? fallback;
}
