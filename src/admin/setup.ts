/**
 * First-start administration without any LTI launch: a one-time setup token printed at start
 * (no default password anywhere) opens a one-hour admin session in a first-party cookie. From
 * there an admin sees every value Moodle asks for and registers a platform by hand.
 */
import { Type } from '@sinclair/typebox';
import { oneOf, schema } from '../http/validate';
import crypto from 'node:crypto';
import express from 'express';
import mongoose, { Schema } from 'mongoose';
import { defineModel } from '../db/model';
import type { PlatformRegistry, ToolUrls } from '../lti/platforms';
import { handle } from '../http/async';
import { requestLocale, sendError } from '../http/errors';
import { translator } from '../http/i18n';
import { sendPage } from '../http/render';
import {
  applyProviderForm,
  currentProviderView,
  testedProviderView,
  type AiAdminDeps,
  type AiProviderView,
} from './ai-provider';
import { adminConsoleRoutes, type AdminAccess, type AdminConsoleDeps } from './console';
import { recordAdminChange } from '../privacy/admin-log';
import { INSTANCE, type Locale } from '../domain/launch';
import { platformKeyOf } from '../lti/launch-context';

interface SetupTokenDoc {
  hash: string;
  expiresAt: Date;
  usedAt?: Date;
}
const setupTokenSchema = new Schema<SetupTokenDoc>(
  {
    hash: { type: String, required: true, unique: true },
    expiresAt: { type: Date, required: true },
    usedAt: { type: Date },
  },
  { collection: 'cermin_setup_tokens', autoIndex: false },
);
const SetupToken = defineModel('CerminSetupToken', setupTokenSchema);

const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex');
const COOKIE = 'cermin_setup';
const SESSION_MS = 60 * 60 * 1000;

/** Issues a new one-time token (only its hash is stored). */
export async function issueSetupToken(validHours = 24): Promise<string> {
  const token = crypto.randomBytes(24).toString('base64url');
  await SetupToken.create({ hash: sha256(token), expiresAt: new Date(Date.now() + validHours * 3600 * 1000) });
  return token;
}

/** Marks the token used; true only the first time, while it is valid. */
async function consume(token: string): Promise<boolean> {
  const res = await SetupToken.updateOne(
    {
      hash: sha256(token),
      usedAt: mongoose.trusted({ $exists: false }),
      expiresAt: mongoose.trusted({ $gt: new Date() }),
    },
    { $set: { usedAt: new Date() } },
  );
  return res.modifiedCount === 1;
}

const HttpUrl = Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2048 });
const Issuer = Type.String({ minLength: 1, maxLength: 2048 });
const ClientId = Type.String({ minLength: 1, maxLength: 255 });
const Csrf = Type.String();
const closed = { additionalProperties: false } as const;

export const validatePlatformForm = schema(
  Type.Object({
    issuer: HttpUrl,
    authUrl: HttpUrl,
    tokenUrl: HttpUrl,
    jwksUrl: HttpUrl,
    clientId: ClientId,
    deploymentId: Type.Optional(Type.String({ maxLength: 255 })),
    csrf: Type.String({ minLength: 1 }),
  }),
);

function readCookie(req: express.Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

export interface SetupDeps {
  registry: PlatformRegistry;
  urls: ToolUrls;
  secret: string;
  secureCookies: boolean;
  ai: AiAdminDeps;
  console: AdminConsoleDeps;
}

/** How the setup session is named in the change log: it belongs to no person and no platform. */
const SETUP_ADMIN = { id: 'setup-token', name: 'setup token' };

interface SetupSession {
  locale: Locale;
  csrf: string;
}
const sessionOfRes = (res: express.Response): SetupSession => {
  const session = res.locals.setup as SetupSession | undefined;
  if (!session) throw new Error('setup session missing: route is not behind the setup guard');
  return session;
};

const validateDeploymentForm = schema(
  Type.Object(
    {
      issuer: Issuer,
      clientId: ClientId,
      deploymentId: ClientId,
      action: oneOf(['add', 'remove'] as const),
      csrf: Csrf,
    },
    closed,
  ),
);
const validateApprovalForm = schema(
  Type.Object(
    { issuer: Issuer, clientId: ClientId, decision: oneOf(['approve', 'reject'] as const), csrf: Csrf },
    closed,
  ),
);
const validateActiveForm = schema(
  Type.Object({ issuer: Issuer, clientId: ClientId, active: oneOf(['yes', 'no'] as const), csrf: Csrf }, closed),
);

export function setupRouter(deps: SetupDeps): express.Router {
  const router = express.Router();
  const mac = (s: string) => crypto.createHmac('sha256', deps.secret).update(s).digest('base64url');
  const sameMac = (given: unknown, expected: string) =>
    typeof given === 'string' &&
    given.length === expected.length &&
    crypto.timingSafeEqual(Buffer.from(given), Buffer.from(expected));
  const sessionOf = (req: express.Request): string | undefined => {
    const value = readCookie(req, COOKIE);
    if (!value) return undefined;
    const [exp, sig] = value.split('.');
    if (!exp || !sig || Number(exp) < Date.now()) return undefined;
    return sameMac(sig, mac(`session:${exp}`)) ? exp : undefined;
  };

  /** Every page but the token's own: a live session cookie, and on a POST its CSRF token. */
  const requireSession: express.RequestHandler = (req, res, next) => {
    const locale = requestLocale(req);
    const session = sessionOf(req);
    const csrf = session ? mac(`csrf:${session}`) : '';
    if (
      !session ||
      (req.method === 'POST' && !sameMac((req.body as Record<string, unknown> | undefined)?.csrf, csrf))
    ) {
      void sendError(req, res, 403, 'setup.badToken', { locale });
      return;
    }
    res.locals.setup = { locale, csrf } satisfies SetupSession;
    res.locals.locale = locale;
    next();
  };

  /** The setup session's door into the admin console: the whole instance, every platform. */
  const setupAccess: AdminAccess = {
    guard: requireSession,
    scopeOf(res) {
      const { locale, csrf } = sessionOfRes(res);
      return {
        locale,
        by: SETUP_ADMIN,
        home: '/setup',
        base: '/setup/console',
        link: (path, q) => (q && Object.keys(q).length ? `${path}?${new URLSearchParams(q)}` : path),
        formFields: { csrf },
        queryFields: {},
      };
    },
  };

  router.use(express.urlencoded({ extended: false, limit: '16kb' }));

  router.get(
    '/',
    handle(async (req, res, next) => {
      if (typeof req.query.token !== 'string') {
        requireSession(req, res, next);
        return;
      }
      if (!(await consume(req.query.token))) {
        await sendError(req, res, 403, 'setup.badToken', { locale: requestLocale(req) });
        return;
      }
      const exp = String(Date.now() + SESSION_MS);
      res.cookie(COOKIE, `${exp}.${mac(`session:${exp}`)}`, {
        httpOnly: true,
        sameSite: 'strict',
        secure: deps.secureCookies,
        maxAge: SESSION_MS,
        path: '/setup',
      });
      res.redirect(303, '/setup'); // drop the token from the address bar and history
    }),
    handle(async (_req, res) => {
      await adminPage(res, await currentProviderView(deps.ai, INSTANCE));
    }),
  );

  async function adminPage(res: express.Response, aiProvider: AiProviderView, notice?: string): Promise<void> {
    const { locale, csrf } = sessionOfRes(res);
    const t = translator(locale);
    await sendPage(res, 200, 'admin', {
      locale,
      title: t('setup.title'),
      urls: deps.urls,
      platforms: await deps.registry.list(),
      csrf,
      notice,
      aiProvider,
      aiTestAction: '/setup/ai-test#ai-provider-h',
      aiProviderAction: '/setup/ai-provider#ai-provider-h',
      consoleBase: '/setup/console',
      link: (path: string) => path,
    });
  }

  /**
   * The operator's change: logged under the platform it concerns (so that platform's admins see
   * it), or under the instance (`*`, which every platform's log shows) when it concerns them all.
   */
  const log = (action: string, detail: Record<string, unknown>, platform?: { issuer: string; clientId: string }) =>
    recordAdminChange({
      platform: platform ? platformKeyOf(platform.issuer, platform.clientId) : INSTANCE,
      by: SETUP_ADMIN,
      action,
      detail,
    });

  router.post(
    '/ai-provider',
    requireSession,
    handle(async (req, res) => {
      const applied = await applyProviderForm(deps.ai, INSTANCE, req.body, SETUP_ADMIN.id, sessionOfRes(res).locale);
      if (!applied.ok) {
        await sendError(req, res, 400, 'aiAdmin.badForm', {
          locale: sessionOfRes(res).locale,
          vars: { problems: applied.problems.join('; ') },
        });
        return;
      }
      await log(applied.action, applied.detail);
      await adminPage(res, await currentProviderView(deps.ai, INSTANCE));
    }),
  );

  router.post(
    '/ai-test',
    requireSession,
    handle(async (_req, res) => {
      await adminPage(res, await testedProviderView(deps.ai, translator(sessionOfRes(res).locale), INSTANCE));
    }),
  );

  router.post(
    '/platforms',
    requireSession,
    handle(async (req, res) => {
      const body = { ...req.body } as Record<string, unknown>;
      if (body.deploymentId === '') delete body.deploymentId;
      if (!validatePlatformForm(body)) {
        const fields = [
          ...new Set(
            (validatePlatformForm.errors ?? []).map(
              (e) => e.instancePath.slice(1) || (e.params as { missingProperty?: string }).missingProperty || '?',
            ),
          ),
        ];
        await sendError(req, res, 400, 'setup.badForm', {
          locale: sessionOfRes(res).locale,
          vars: { fields: fields.join(', ') },
        });
        return;
      }
      const issuer = body.issuer.replace(/\/+$/, '');
      await deps.registry.add(
        {
          issuer,
          clientId: body.clientId,
          authUrl: body.authUrl,
          tokenUrl: body.tokenUrl,
          jwksUrl: body.jwksUrl,
          deploymentIds: body.deploymentId ? [body.deploymentId] : [],
        },
        { via: 'manual' },
      );
      await log(
        'platform.add',
        { issuer, clientId: body.clientId, deploymentId: body.deploymentId ?? null },
        { issuer, clientId: body.clientId },
      );
      res.redirect(303, '/setup');
    }),
  );

  // A deployment added or removed: a Moodle site that adds the tool again (another category, a
  // re-install) launches with a new deployment id, which is refused until it is listed here.
  router.post(
    '/platforms/deployments',
    requireSession,
    handle(async (req, res) => {
      const { locale } = sessionOfRes(res);
      const body = req.body as unknown;
      if (!validateDeploymentForm(body)) {
        await sendError(req, res, 400, 'error.badRequest', { locale });
        return;
      }
      if (!(await deps.registry.has(body.issuer, body.clientId))) {
        await sendError(req, res, 404, 'setup.noPlatform', { locale });
        return;
      }
      const changed =
        body.action === 'add'
          ? (await deps.registry.addDeployment(body.issuer, body.clientId, body.deploymentId), true)
          : await deps.registry.removeDeployment(body.issuer, body.clientId, body.deploymentId);
      if (changed)
        await log(
          `deployment.${body.action}`,
          { issuer: body.issuer, clientId: body.clientId, deploymentId: body.deploymentId },
          body,
        );
      await adminPage(
        res,
        await currentProviderView(deps.ai, INSTANCE),
        translator(locale)(changed ? `setup.deployment.${body.action}Done` : 'setup.deployment.none'),
      );
    }),
  );

  // A dynamic registration without the registration key waits here for the operator.
  router.post(
    '/platforms/approval',
    requireSession,
    handle(async (req, res) => {
      const { locale } = sessionOfRes(res);
      const body = req.body as unknown;
      if (!validateApprovalForm(body)) {
        await sendError(req, res, 400, 'error.badRequest', { locale });
        return;
      }
      if (!(await deps.registry.isPending(body.issuer, body.clientId))) {
        await sendError(req, res, 404, 'setup.noPendingPlatform', { locale });
        return;
      }
      if (body.decision === 'approve') await deps.registry.approve(body.issuer, body.clientId);
      else await deps.registry.remove(body.issuer, body.clientId);
      await log(`platform.${body.decision}`, { issuer: body.issuer, clientId: body.clientId }, body);
      await adminPage(
        res,
        await currentProviderView(deps.ai, INSTANCE),
        translator(locale)(body.decision === 'approve' ? 'setup.approved' : 'setup.rejected'),
      );
    }),
  );

  router.post(
    '/platforms/active',
    requireSession,
    handle(async (req, res) => {
      const { locale } = sessionOfRes(res);
      const body = req.body as unknown;
      if (!validateActiveForm(body)) {
        await sendError(req, res, 400, 'error.badRequest', { locale });
        return;
      }
      if (!(await deps.registry.setActive(body.issuer, body.clientId, body.active === 'yes'))) {
        await sendError(req, res, 404, 'setup.noPlatform', { locale });
        return;
      }
      await log(
        body.active === 'yes' ? 'platform.activate' : 'platform.deactivate',
        { issuer: body.issuer, clientId: body.clientId },
        body,
      );
      await adminPage(
        res,
        await currentProviderView(deps.ai, INSTANCE),
        translator(locale)(body.active === 'yes' ? 'setup.activated' : 'setup.deactivated'),
      );
    }),
  );

  router.use('/console', adminConsoleRoutes(deps.console, setupAccess));
  return router;
}
