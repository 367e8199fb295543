/** A person's language choice, from the switch on every page: remembered, then back to the page. */
import express from 'express';
import { ajv } from '../core/validation';
import { handle } from '../http/async';
import { launchOf, ltikOf } from '../http/guards';
import { withLtik } from '../http/paths';
import { ltikField, validate } from '../http/validate';
import { rememberLocale } from './store';

interface LanguageForm { lang: 'id' | 'en'; back?: string; ltik?: string }
const validateLanguage = ajv.compile<LanguageForm>({
  type: 'object',
  required: ['lang'],
  properties: { lang: { enum: ['id', 'en'] }, back: { type: 'string', maxLength: 500, pattern: '^(/lti/app/[^?#]*)?$' }, ltik: ltikField },
});

export function preferencesRoutes(): express.Router {
  const router = express.Router();
  router.post('/prefs/lang', validate(validateLanguage), handle(async (req, res) => {
    const ctx = launchOf(res);
    const body = req.body as LanguageForm;
    await rememberLocale(ctx.platform.key, ctx.user.id, body.lang);
    // Back to the page the switch was on, only within the person's own course.
    const back = body.back && body.back.startsWith(`/lti/app/courses/${ctx.courseKey}/`) ? body.back : `/lti/app/courses/${ctx.courseKey}/${ctx.audience ?? 'participant'}`;
    res.redirect(303, withLtik(back, ltikOf(res)));
  }));
  return router;
}
