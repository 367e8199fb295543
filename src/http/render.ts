/** Server-rendered pages: ejs (escaped by default with <%= %>), one layout, strings via t(). */
import path from 'node:path';
import ejs from 'ejs';
import type express from 'express';
import { projectRoot } from '../core/paths';
import type { Locale } from '../domain/launch';
import { translator } from './i18n';

const viewsDir = path.join(projectRoot, 'views');

export interface PageLocals {
  locale: Locale;
  title: string;
  [key: string]: unknown;
}

export async function renderPage(view: string, locals: PageLocals): Promise<string> {
  const t = translator(locals.locale);
  return ejs.renderFile(
    path.join(viewsDir, `${view}.ejs`),
    { ...locals, t },
    { cache: process.env.NODE_ENV !== 'development', root: viewsDir },
  );
}

export async function sendPage(res: express.Response, status: number, view: string, locals: PageLocals): Promise<void> {
  // The language switch comes back to the page it was pressed on.
  const backPath = res.req?.originalUrl?.split('?')[0] ?? '';
  const html = await renderPage(view, { backPath, ...locals });
  res.status(status).type('html').set('Cache-Control', 'no-store').send(html);
}
