/**
 * Role and context guards for every page behind an ltik. A page's course comes from its URL and
 * must equal the course the ltik was issued for: an ltik from one platform or course opens
 * nothing of another's.
 */
import type express from 'express';
import { launchContextFrom, type Audience, type LaunchContext } from '../lti/context';
import type { LtijsToken } from '../lti/ltijs';
import { sendError } from './errors';
import { pickLocale } from './i18n';
import { preferredLocale } from './preferences';

export function launchOf(res: express.Response): LaunchContext {
  const ctx = res.locals.launch as LaunchContext | undefined;
  if (!ctx) throw new Error('launch context missing: route is not behind loadLaunch');
  return ctx;
}

/**
 * Builds the launch context from the token ltijs attached after checking the ltik, in the
 * language the person chose (remembered), else the launch's; `?lang=` previews another.
 */
export const loadLaunch: express.RequestHandler = (req, res, next) => {
  const ctx = launchContextFrom(res.locals.token as LtijsToken);
  res.locals.launch = ctx;
  preferredLocale(ctx.platform.issuer, ctx.user.id)
    .then((chosen) => {
      ctx.locale = pickLocale(req.query.lang, chosen ?? ctx.locale);
      next();
    })
    .catch(next);
};

/** The :courseKey of the URL must be the ltik's own course. */
export const requireOwnCourse: express.RequestHandler = (req, res, next) => {
  const ctx = launchOf(res);
  if (req.params.courseKey !== ctx.courseKey) {
    void sendError(req, res, 403, 'error.forbiddenContext', { locale: ctx.locale });
    return;
  }
  next();
};

export function requireAudience(...allowed: Audience[]): express.RequestHandler {
  return (req, res, next) => {
    const ctx = launchOf(res);
    if (!ctx.audience || !allowed.includes(ctx.audience)) {
      void sendError(req, res, 403, 'error.forbidden', { locale: ctx.locale });
      return;
    }
    next();
  };
}
