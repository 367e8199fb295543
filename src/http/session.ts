/**
 * The routes behind an LTI session, in one shape: the ltik's age and the person's remembered
 * choices first, then session-wide routes, then everything under `/courses/:courseKey`, which
 * must be the ltik's own course. Routers are mounted in the order given (the first that answers wins).
 */
import express from 'express';
import { loadLaunch, requireOwnCourse, type PreferencesOf } from './guards';

export interface SessionRoutes {
  maxAgeMs: number;
  preferencesOf: PreferencesOf;
  session: express.Router[];
  course: Array<express.Router | [path: string, router: express.Router]>;
}

export function sessionRoutes(routes: SessionRoutes): express.Router {
  const router = express.Router();
  router.use(loadLaunch(routes.maxAgeMs, routes.preferencesOf));
  for (const r of routes.session) router.use(r);
  const course = express.Router({ mergeParams: true });
  router.use('/courses/:courseKey', requireOwnCourse, course);
  for (const r of routes.course) {
    if (Array.isArray(r)) course.use(r[0], r[1]);
    else course.use(r);
  }
  return router;
}
