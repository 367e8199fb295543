/**
 * What Cermin's middleware leaves on `res.locals`, typed once. The LTI layer sets `ltik` and
 * `launch` on every route behind a session (read them with `ltikOf` and `launchOf`, which fail
 * loudly on a route that is not); the request log labels a response with `routeLabel`; a page
 * without a launch names its language in `locale`.
 */
import type { LaunchContext, Locale } from '../domain/launch';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Locals {
      ltik?: string;
      launch?: LaunchContext;
      routeLabel?: string;
      /** The page's language where there is no launch (the setup session's). */
      locale?: Locale;
    }
  }
}

export {};
