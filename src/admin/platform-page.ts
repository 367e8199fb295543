/**
 * The page an LMS admin lands on from a launch: their own platform's registration and the AI
 * provider form with its "test connection" (both act on that platform only), and the way into
 * the admin console.
 */
import { launchPage } from '../http/page';
import express from 'express';
import type { LtiService } from '../lti';
import { handle } from '../http/async';
import { sendError, HttpError } from '../http/errors';
import { launchOf, ltikOf, requireAudience } from '../http/guards';
import { translator } from '../http/i18n';
import { coursePath, withLtik } from '../http/paths';
import { sendPage } from '../http/render';
import { recordAdminChange } from '../privacy/admin-log';
import { validateSessionOnly } from '../http/validate';
import {
  applyProviderForm,
  currentProviderView,
  testedProviderView,
  type AiAdminDeps,
  type AiProviderView,
} from './ai-provider';

export interface PlatformPageDeps {
  lti: Pick<LtiService, 'registry' | 'urls'>;
  ai: AiAdminDeps;
}

export function platformAdminPage(deps: PlatformPageDeps): express.Router {
  const course = express.Router({ mergeParams: true });
  // An LMS admin arriving by launch sees and manages only the platform they came from.
  async function adminPage(res: express.Response, aiProvider: AiProviderView): Promise<void> {
    const ctx = launchOf(res);
    // By issuer and client id: a session's platform id is the registration it launched under, which the operator may have replaced since.
    const own = await deps.lti.registry.find(ctx.platform.issuer, ctx.platform.clientId);
    if (!own) {
      await sendError(res.req, res, 404, 'setup.noPlatform', { locale: ctx.locale });
      return;
    }
    await sendPage(res, 200, 'admin', {
      // The registration key pre-approves new platforms: the instance operator's to hand out, not a platform admin's.
      ...launchPage(res, 'admin.title'),
      urls: { ...deps.lti.urls, registrationUrlForAdmins: deps.lti.urls.registrationUrl },
      platforms: [own],
      coachHome: withLtik(`/lti/app/courses/${ctx.courseKey}/coach`, ltikOf(res)),
      aiProvider,
      aiTestAction: `${coursePath(ctx.courseKey)}/admin/ai-test#ai-provider-h`,
      aiProviderAction: `${coursePath(ctx.courseKey)}/admin/ai-provider#ai-provider-h`,
      consoleBase: `${coursePath(ctx.courseKey)}/admin`,
    });
  }
  // The provider form and its test act on the admin's own platform only.
  course.get(
    '/admin',
    requireAudience('admin'),
    handle(async (_req, res) => {
      await adminPage(res, await currentProviderView(deps.ai, launchOf(res).platform.key));
    }),
  );
  course.post(
    '/admin/ai-provider',
    requireAudience('admin'),
    handle(async (req, res) => {
      const ctx = launchOf(res);
      const applied = await applyProviderForm(deps.ai, ctx.platform.key, req.body, ctx.user.id, ctx.locale);
      if (!applied.ok) {
        await sendError(req, res, 400, 'aiAdmin.badForm', {
          locale: ctx.locale,
          vars: { problems: applied.problems.join('; ') },
        });
        return;
      }
      await recordAdminChange({
        platform: ctx.platform.key,
        by: { id: ctx.user.id, name: ctx.user.name || ctx.user.id },
        action: applied.action,
        detail: applied.detail,
      });
      await adminPage(res, await currentProviderView(deps.ai, ctx.platform.key));
    }),
  );
  course.post(
    '/admin/ai-test',
    requireAudience('admin'),
    handle(async (req, res) => {
      const ctx = launchOf(res);
      if (!validateSessionOnly(req.body)) {
        throw new HttpError(400, 'error.badRequest');
      }
      await adminPage(res, await testedProviderView(deps.ai, translator(ctx.locale), ctx.platform.key));
    }),
  );
  return course;
}
