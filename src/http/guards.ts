/**
 * Role and context guards for every page behind an ltik. A page's course comes from its URL and
 * must equal the course the ltik was issued for: an ltik from one platform or course opens
 * nothing of another's.
 */
import type express from 'express';
import { decodeJwt } from 'jose';
import type { Audience, LaunchContext, Locale } from '../domain/launch';
import { sendError, HttpError } from './errors';
import { pickLocale } from './i18n';

export function launchOf(res: express.Response): LaunchContext {
  const ctx = res.locals.launch;
  if (!ctx) throw new Error('launch context missing: route is not behind loadLaunch');
  return ctx;
}

/** The session's ltik: every link and form of a page behind a launch carries it. */
export function ltikOf(res: express.Response): string {
  const ltik = res.locals.ltik;
  if (typeof ltik !== 'string') throw new Error('ltik missing: route is not behind the LTI session');
  return ltik;
}

/** A person's remembered choices, read per request (the preferences feature's store). */
export type PreferencesOf = (platform: string, userId: string) => Promise<{ locale?: Locale; dataSaver?: boolean }>;

/** When the ltik was issued (its `iat`, in ms), read from the token ltijs has already verified. */
function ltikIssuedAt(ltik: unknown): number | undefined {
  if (typeof ltik !== 'string') return undefined;
  try {
    const { iat } = decodeJwt(ltik);
    return typeof iat === 'number' ? iat * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Completes the launch context the LTI layer attached after checking the ltik: the language the
 * person chose (remembered), else the launch's; `?lang=` previews another.
 * ltijs checks an ltik's signature but never its age, and ltiks travel in URLs (browser history
 * on a shared office computer): one older than `maxAgeMs` opens nothing; a launch from Moodle
 * gives a new one.
 */
export const loadLaunch =
  (maxAgeMs: number, preferencesOf: PreferencesOf, now: () => number = Date.now): express.RequestHandler =>
  (req, res, next) => {
    const issuedAt = ltikIssuedAt(res.locals.ltik);
    if (issuedAt === undefined || now() - issuedAt > maxAgeMs) {
      void sendError(req, res, 401, 'launch.sessionExpired', {
        locale: pickLocale(req.query.lang, undefined, req.get('accept-language')),
      });
      return;
    }
    const ctx = launchOf(res);
    preferencesOf(ctx.platform.key, ctx.user.id)
      .then((chosen) => {
        ctx.locale = pickLocale(req.query.lang, chosen.locale ?? ctx.locale);
        ctx.dataSaver = chosen.dataSaver;
        next();
      })
      .catch(next);
  };

/** The :courseKey of the URL must be the ltik's own course. */
export const requireOwnCourse: express.RequestHandler = (req, res, next) => {
  const ctx = launchOf(res);
  if (req.params.courseKey !== ctx.courseKey) {
    throw new HttpError(403, 'error.forbiddenContext');
  }
  next();
};

export function requireAudience(...allowed: Audience[]): express.RequestHandler {
  return (req, res, next) => {
    const ctx = launchOf(res);
    if (!ctx.audience || !allowed.includes(ctx.audience)) {
      throw new HttpError(403, 'error.forbidden');
    }
    next();
  };
}
