/**
 * The tool's own address: on a development machine it opens the demo LMS (one click from a
 * launch); elsewhere a page that says what Cermin is and where an LMS admin registers it.
 */
import express from 'express';
import { handle } from '../http/async';
import { requestLocale } from '../http/errors';
import { translator } from '../http/i18n';
import { sendPage } from '../http/render';

export function toolLanding(deps: { demoUrl?: string; registrationUrl: string }): express.Router {
  const router = express.Router();
  router.get(
    '/',
    handle(async (req, res) => {
      if (deps.demoUrl) {
        res.redirect(302, deps.demoUrl);
        return;
      }
      const locale = requestLocale(req);
      await sendPage(res, 200, 'landing', {
        locale,
        title: translator(locale)('landing.title'),
        demoUrl: undefined,
        registrationUrl: deps.registrationUrl,
      });
    }),
  );
  return router;
}
