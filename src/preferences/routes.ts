/** A person's language choice, from the switch on every page: remembered, then back to the page. */
import express from 'express';
import { Type, type Static } from '@sinclair/typebox';
import { handle } from '../http/async';
import { launchOf, ltikOf } from '../http/guards';
import { withLtik } from '../http/paths';
import { Ltik, oneOf, schema, validate } from '../http/validate';
import { rememberLocale } from './store';

const LanguageFormSchema = Type.Object({
  lang: oneOf(['id', 'en'] as const),
  back: Type.Optional(Type.String({ maxLength: 500, pattern: '^(/lti/app/[^?#]*)?$' })),
  ltik: Ltik,
});
type LanguageForm = Static<typeof LanguageFormSchema>;
const validateLanguage = schema(LanguageFormSchema);

export function preferencesRoutes(): express.Router {
  const router = express.Router();
  router.post(
    '/prefs/lang',
    validate(validateLanguage),
    handle(async (req, res) => {
      const ctx = launchOf(res);
      const body = req.body as LanguageForm;
      await rememberLocale(ctx.platform.key, ctx.user.id, body.lang);
      // Back to the page the switch was on, only within the person's own course.
      const back =
        body.back && body.back.startsWith(`/lti/app/courses/${ctx.courseKey}/`)
          ? body.back
          : `/lti/app/courses/${ctx.courseKey}/${ctx.audience ?? 'participant'}`;
      res.redirect(303, withLtik(back, ltikOf(res)));
    }),
  );
  return router;
}
