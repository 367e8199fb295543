/** Translated error pages: a person sees what happened and what to do, never a stack trace. */
import type express from 'express';
import type { Logger } from 'pino';
import type { Locale } from '../domain/launch';
import { hasMessage, pickLocale, translator } from './i18n';
import { sendPage } from './render';

/**
 * A refusal a route throws: the one error handler answers it as a translated page (or JSON for a
 * client that asks for it) in the page's language, so no route writes its own error response.
 */
export class HttpError extends Error {
  constructor(
    public readonly status: number,
    public readonly messageKey: string,
    public readonly vars?: Record<string, string>,
  ) {
    super(messageKey);
  }
}

export function requestLocale(req: express.Request, launchLocale?: Locale): Locale {
  return pickLocale(req.query?.lang, launchLocale, req.get('accept-language'));
}

export async function sendError(
  req: express.Request,
  res: express.Response,
  status: number,
  messageKey: string,
  extra: {
    vars?: Record<string, string>;
    code?: string;
    heading?: string;
    newWindowUrl?: string;
    locale?: Locale;
  } = {},
): Promise<void> {
  const locale = extra.locale ?? requestLocale(req);
  const t = translator(locale);
  const heading = extra.heading ?? t('error.title');
  if (req.accepts(['html', 'json']) === 'json') {
    res.status(status).json({ status, error: extra.code ?? messageKey, message: t(messageKey, extra.vars) });
    return;
  }
  await sendPage(res, status, 'error', {
    locale,
    title: heading,
    heading,
    message: t(messageKey, extra.vars),
    code: extra.code,
    newWindowUrl: extra.newWindowUrl,
  });
}

/** HTTP status for each launch refusal code (all 4xx: the request, not Cermin, is at fault). */
export function launchRefusalStatus(code: string): number {
  if (code === 'NO_LTIK_OR_IDTOKEN_FOUND') return 401; // a session problem, not a bad launch
  if (code === 'UNREGISTERED_PLATFORM' || code === 'UNKNOWN_DEPLOYMENT' || code === 'PLATFORM_NOT_ACTIVATED')
    return 403;
  if (
    code.startsWith('NO_') ||
    code.startsWith('WRONG_') ||
    code === 'INVALID_JWT_RECEIVED' ||
    code === 'ALG_NOT_RS256' ||
    code === 'KID_NOT_FOUND' ||
    code === 'NONCE_MISSING' ||
    code === 'AZP_MISSING'
  )
    return 400;
  return 401;
}

export function launchMessageKey(code: string): string {
  return hasMessage(`launch.${code}`) ? `launch.${code}` : 'launch.unknown';
}

export function notFoundHandler(req: express.Request, res: express.Response): void {
  void sendError(req, res, 404, 'error.notFound');
}

export function errorHandler(log: Logger): express.ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    if (res.headersSent) return;
    if (err instanceof HttpError) {
      // The page's language: the launch's (with a remembered choice), else the setup session's.
      const pageLocale = res.locals.launch?.locale ?? res.locals.locale;
      void sendError(req, res, err.status, err.messageKey, {
        vars: err.vars,
        locale: pageLocale && requestLocale(req, pageLocale),
      });
      return;
    }
    // body-parser and friends mark client errors with a status.
    const status =
      (err as { status?: number; statusCode?: number }).status ?? (err as { statusCode?: number }).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      void sendError(req, res, status, status === 413 ? 'error.tooLarge' : 'error.badRequest');
      return;
    }
    log.error({ err, path: req.path, method: req.method }, 'unhandled error');
    void sendError(req, res, 500, 'error.internal');
  };
}
