/**
 * First-start administration without any LTI launch: a one-time setup token printed at start
 * (no default password anywhere) opens a one-hour admin session in a first-party cookie. From
 * there an admin sees every value Moodle asks for and registers a platform by hand.
 */
import crypto from 'node:crypto';
import express from 'express';
import mongoose, { Schema } from 'mongoose';
import { defineModel } from '../db/model';
import type { PlatformRegistry, ToolUrls } from '../lti/platforms';
import { handle } from './async';
import { requestLocale, sendError } from './errors';
import { translator } from './i18n';
import { sendPage } from './render';
import { applyProviderForm, currentProviderView, testedProviderView, type AiAdminDeps, type AiProviderView } from './ai-admin';
import { recordAdminChange } from '../privacy/admin-log';
import type { Locale } from '../lti/context';
import { ajv, httpUrlSchema } from '../validation';

interface SetupTokenDoc { hash: string; expiresAt: Date; usedAt?: Date }
const setupTokenSchema = new Schema<SetupTokenDoc>({
  hash: { type: String, required: true, unique: true },
  expiresAt: { type: Date, required: true },
  usedAt: { type: Date },
}, { collection: 'cermin_setup_tokens', autoIndex: false });
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
  const res = await SetupToken.updateOne({ hash: sha256(token), usedAt: mongoose.trusted({ $exists: false }), expiresAt: mongoose.trusted({ $gt: new Date() }) }, { $set: { usedAt: new Date() } });
  return res.modifiedCount === 1;
}

const httpUrl = httpUrlSchema;
export const validatePlatformForm = ajv.compile<{ issuer: string; clientId: string; authUrl: string; tokenUrl: string; jwksUrl: string; deploymentId?: string; csrf: string }>({
  type: 'object',
  required: ['issuer', 'clientId', 'authUrl', 'tokenUrl', 'jwksUrl', 'csrf'],
  properties: {
    issuer: httpUrl, authUrl: httpUrl, tokenUrl: httpUrl, jwksUrl: httpUrl,
    clientId: { type: 'string', minLength: 1, maxLength: 255 },
    deploymentId: { type: 'string', maxLength: 255 },
    csrf: { type: 'string', minLength: 1 },
  },
});

function readCookie(req: express.Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

export interface SetupDeps { registry: PlatformRegistry; urls: ToolUrls; secret: string; secureCookies: boolean; ai: AiAdminDeps }

export function setupRouter(deps: SetupDeps): express.Router {
  const router = express.Router();
  const mac = (s: string) => crypto.createHmac('sha256', deps.secret).update(s).digest('base64url');
  const sessionOf = (req: express.Request): string | undefined => {
    const value = readCookie(req, COOKIE);
    if (!value) return undefined;
    const [exp, sig] = value.split('.');
    if (!exp || !sig || Number(exp) < Date.now()) return undefined;
    const expected = mac(`session:${exp}`);
    return expected.length === sig.length && crypto.timingSafeEqual(Buffer.from(expected), Buffer.from(sig)) ? exp : undefined;
  };

  router.use(express.urlencoded({ extended: false, limit: '16kb' }));

  router.get('/', handle(async (req, res) => {
    const locale = requestLocale(req);
    if (typeof req.query.token === 'string') {
      if (!(await consume(req.query.token))) {
        await sendError(req, res, 403, 'setup.badToken', { locale });
        return;
      }
      const exp = String(Date.now() + SESSION_MS);
      res.cookie(COOKIE, `${exp}.${mac(`session:${exp}`)}`, { httpOnly: true, sameSite: 'strict', secure: deps.secureCookies, maxAge: SESSION_MS, path: '/setup' });
      res.redirect(303, '/setup'); // drop the token from the address bar and history
      return;
    }
    const session = sessionOf(req);
    if (!session) {
      await sendError(req, res, 403, 'setup.badToken', { locale });
      return;
    }
    await adminPage(res, locale, session, await currentProviderView(deps.ai));
  }));

  async function adminPage(res: express.Response, locale: Locale, session: string, aiProvider: AiProviderView): Promise<void> {
    const t = translator(locale);
    await sendPage(res, 200, 'admin', {
      locale, title: t('setup.title'), urls: deps.urls, platforms: await deps.registry.list(), csrf: mac(`csrf:${session}`),
      aiProvider, aiTestAction: '/setup/ai-test#ai-provider-h', aiProviderAction: '/setup/ai-provider#ai-provider-h',
    });
  }

  router.post('/ai-provider', handle(async (req, res) => {
    const locale = requestLocale(req);
    const session = sessionOf(req);
    if (!session || (req.body as Record<string, unknown>).csrf !== mac(`csrf:${session}`)) {
      await sendError(req, res, 403, 'setup.badToken', { locale });
      return;
    }
    const applied = await applyProviderForm(deps.ai, req.body, 'setup-token');
    if (!applied.ok) {
      await sendError(req, res, 400, 'aiAdmin.badForm', { locale, vars: { problems: applied.problems.join('; ') } });
      return;
    }
    // Logged for the whole instance ('*'): the setup session belongs to no platform.
    await recordAdminChange({ issuer: '*', by: { id: 'setup-token', name: 'setup token' }, action: applied.action, detail: applied.detail });
    await adminPage(res, locale, session, await currentProviderView(deps.ai));
  }));

  router.post('/ai-test', handle(async (req, res) => {
    const locale = requestLocale(req);
    const session = sessionOf(req);
    if (!session || (req.body as Record<string, unknown>).csrf !== mac(`csrf:${session}`)) {
      await sendError(req, res, 403, 'setup.badToken', { locale });
      return;
    }
    await adminPage(res, locale, session, await testedProviderView(deps.ai, translator(locale)));
  }));

  router.post('/platforms', handle(async (req, res) => {
    const locale = requestLocale(req);
    const session = sessionOf(req);
    const body = { ...req.body } as Record<string, unknown>;
    if (!session || body.csrf !== mac(`csrf:${session}`)) {
      await sendError(req, res, 403, 'setup.badToken', { locale });
      return;
    }
    if (body.deploymentId === '') delete body.deploymentId;
    if (!validatePlatformForm(body)) {
      const fields = [...new Set((validatePlatformForm.errors ?? []).map((e) => (e.instancePath.slice(1) || (e.params as { missingProperty?: string }).missingProperty || '?')))];
      await sendError(req, res, 400, 'setup.badForm', { locale, vars: { fields: fields.join(', ') } });
      return;
    }
    await deps.registry.add({
      issuer: body.issuer.replace(/\/+$/, ''), clientId: body.clientId, authUrl: body.authUrl, tokenUrl: body.tokenUrl, jwksUrl: body.jwksUrl,
      deploymentIds: body.deploymentId ? [body.deploymentId] : [],
    }, { via: 'manual' });
    res.redirect(303, '/setup');
  }));
  return router;
}

export async function ensureSetupIndexes(): Promise<void> {
  await SetupToken.createIndexes();
}
