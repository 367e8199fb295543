/**
 * The admin console's pages for an LMS administrator arriving by launch, always scoped to the
 * platform they came from: the AI audit with filters and CSV export, the grade deliveries Moodle
 * refused in any of the platform's courses, a person's data exported or erased on their behalf,
 * retention settings with a dry run and a run now, and the log of every such change (who, when,
 * what). Every route: the admin role.
 */
import express from 'express';
import { auditCsv, auditRecords, type AuditQuery } from '../ai/audit';
import { coursePath, withLtik } from '../coaching/links';
import { formatTime } from '../coaching/review-routes';
import type { GradeOutbox } from '../grades/outbox';
import type { CourseDirectory } from '../lti/courses';
import { adminChanges, recordAdminChange } from '../privacy/admin-log';
import type { PersonDataService } from '../privacy/person-data';
import { ajv } from '../validation';
import { validateSessionOnly } from '../coaching/schemas';
import type { AiRuntimeSettings, AiSettingsStore } from '../ai/ai-settings';
import type { ConsentTextStore } from '../privacy/consent';
import { GLOBAL_ISSUER, RETENTION_SETTING_KEYS, retentionSettingsFromForm, type RetentionJob, type RetentionReport, type RetentionSettingsStore } from '../privacy/retention';
import { handle } from './async';
import { sendError } from './errors';
import { launchOf, requireAudience } from './guards';
import { translator } from './i18n';
import { sendPage } from './render';

const PAGE = 100;
const ltik = { type: 'string', maxLength: 4096 } as const;
const day = { type: 'string', pattern: '^(\\d{4}-\\d{2}-\\d{2})?$' } as const;

const validateAuditQuery = ajv.compile<{ course?: string; lens?: string; engine?: '' | 'ai' | 'offline'; outcome?: string; from?: string; to?: string; page?: string; ltik?: string; lang?: string }>({
  type: 'object', additionalProperties: false,
  properties: {
    course: { type: 'string', maxLength: 100 }, lens: { type: 'string', pattern: '^[a-z-]{0,40}$' }, engine: { enum: ['', 'ai', 'offline'] },
    outcome: { type: 'string', pattern: '^[A-Za-z]{0,30}$' }, from: day, to: day, page: { type: 'string', pattern: '^[0-9]{1,5}$' }, ltik, lang: { type: 'string', maxLength: 5 },
  },
});
const validatePersonForm = ajv.compile<{ userId: string; confirm?: 'yes'; ltik?: string }>({
  type: 'object', additionalProperties: false, required: ['userId'],
  properties: { userId: { type: 'string', minLength: 1, maxLength: 255 }, confirm: { const: 'yes' }, ltik },
});

export interface AdminConsoleDeps {
  courses: CourseDirectory;
  outbox: GradeOutbox;
  personData: PersonDataService;
  retention: { settings: RetentionSettingsStore; job: RetentionJob };
  /** The consent text's versions (instance-wide). */
  consentTexts: ConsentTextStore;
  /** Lenses on/off and token budgets (instance-wide). */
  aiSettings: { store: AiSettingsStore; lenses: Array<{ id: string; name: { id: string; en: string } }> };
}

export function adminConsoleRoutes(deps: AdminConsoleDeps): express.Router {
  const router = express.Router({ mergeParams: true });
  const admin = requireAudience('admin');
  const common = (res: express.Response, titleKey: string) => {
    const ctx = launchOf(res);
    const token = res.locals.ltik as string;
    return {
      locale: ctx.locale, title: translator(ctx.locale)(titleKey), ctx, ltik: token, base: `${coursePath(ctx.courseKey)}/admin`,
      link: (path: string, q?: Record<string, string>) => withLtik(path, token, q),
      // In WIB, as the audit's date filter and every coach page read times.
      formatTime: (d: Date | string) => formatTime(new Date(d), ctx.locale),
    };
  };
  const adminOf = (res: express.Response) => {
    const ctx = launchOf(res);
    return { id: ctx.user.id, name: ctx.user.name || ctx.user.id };
  };

  /** The audit query of the request, limited to the platform's courses; undefined when the query is malformed. */
  async function auditQueryOf(req: express.Request, res: express.Response): Promise<{ q: AuditQuery; page: number; raw: Record<string, string> } | undefined> {
    const query = { ...(req.query as Record<string, unknown>) };
    if (!validateAuditQuery(query)) return undefined;
    const ctx = launchOf(res);
    const courses = await deps.courses.coursesOfPlatform(ctx.platform.issuer);
    const q: AuditQuery = {
      courseKeys: courses.map((c) => c._id), ...(query.course ? { courseKey: query.course } : {}), ...(query.lens ? { lensId: query.lens } : {}),
      ...(query.engine ? { engine: query.engine } : {}), ...(query.outcome ? { outcome: query.outcome } : {}),
      ...(query.from ? { from: new Date(`${query.from}T00:00:00+07:00`) } : {}), ...(query.to ? { to: new Date(`${query.to}T24:00:00+07:00`) } : {}),
    };
    const raw = Object.fromEntries(Object.entries(query).filter(([k, v]) => k !== 'ltik' && k !== 'page' && typeof v === 'string' && v !== '')) as Record<string, string>;
    return { q, page: Number(query.page ?? '1') || 1, raw };
  }

  router.get('/admin/audit', admin, handle(async (req, res) => {
    const ctx = launchOf(res);
    const parsed = await auditQueryOf(req, res);
    if (!parsed) {
      await sendError(req, res, 400, 'error.badRequest', { locale: ctx.locale });
      return;
    }
    const { rows, total } = await auditRecords(parsed.q, PAGE, (parsed.page - 1) * PAGE);
    const courses = await deps.courses.coursesOfPlatform(ctx.platform.issuer);
    await sendPage(res, 200, 'admin-audit', {
      ...common(res, 'adminConsole.auditTitle'), rows, total, page: parsed.page, pages: Math.max(1, Math.ceil(total / PAGE)), filters: parsed.raw,
      courses: courses.map((c) => ({ key: c._id, title: c.title ?? c.label ?? c._id })),
    });
  }));

  router.get('/admin/audit.csv', admin, handle(async (req, res) => {
    const ctx = launchOf(res);
    const parsed = await auditQueryOf(req, res);
    if (!parsed) {
      await sendError(req, res, 400, 'error.badRequest', { locale: ctx.locale });
      return;
    }
    const { rows } = await auditRecords(parsed.q, 50_000);
    res.set('Content-Disposition', 'attachment; filename="cermin-audit-ai.csv"').set('Cache-Control', 'no-store');
    res.type('text/csv; charset=utf-8').send(`\uFEFF${auditCsv(rows)}`);
  }));

  router.get('/admin/deliveries', admin, handle(async (_req, res) => {
    const ctx = launchOf(res);
    const courses = await deps.courses.coursesOfPlatform(ctx.platform.issuer);
    const failed = await deps.outbox.failedInCourses(courses.map((c) => c._id));
    const titles = new Map(courses.map((c) => [c._id, c.title ?? c.label ?? c._id]));
    await sendPage(res, 200, 'admin-deliveries', { ...common(res, 'adminConsole.deliveriesTitle'), failed, courseTitle: (k: string) => titles.get(k) ?? k });
  }));

  router.get('/admin/person', admin, handle(async (_req, res) => {
    const ctx = launchOf(res);
    await sendPage(res, 200, 'admin-person', { ...common(res, 'adminConsole.personTitle'), changes: await adminChanges(ctx.platform.issuer), erased: undefined });
  }));

  router.post('/admin/person/export', admin, handle(async (req, res) => {
    const ctx = launchOf(res);
    if (!validatePersonForm(req.body)) {
      await sendError(req, res, 400, 'error.badRequest', { locale: ctx.locale });
      return;
    }
    const data = await deps.personData.exportAll(ctx.platform.issuer, req.body.userId);
    // The log names the person by pseudonym: an erased person's id must not outlive their data here.
    const { pseudonym } = await deps.personData.subject(ctx.platform.issuer, req.body.userId);
    await recordAdminChange({ issuer: ctx.platform.issuer, by: adminOf(res), action: 'person.export', detail: { person: pseudonym } });
    res.set('Content-Disposition', 'attachment; filename="cermin-data-peserta.json"').set('Cache-Control', 'no-store');
    res.type('application/json; charset=utf-8').send(JSON.stringify(data, null, 2));
  }));

  router.post('/admin/person/erase', admin, handle(async (req, res) => {
    const ctx = launchOf(res);
    const body = req.body as unknown;
    if (!validatePersonForm(body) || body.confirm !== 'yes') {
      // Say what is missing: the user id, or the ticked statement.
      await sendError(req, res, 400, validatePersonForm(body) ? 'privacy.confirmFirst' : 'adminConsole.userIdRequired', { locale: ctx.locale });
      return;
    }
    const counts = await deps.personData.eraseAll(ctx.platform.issuer, body.userId, { role: 'admin', issuer: ctx.platform.issuer, userId: ctx.user.id });
    const n = Object.values(counts).flatMap((c) => Object.values(c)).reduce((a, b) => a + b, 0);
    const { pseudonym } = await deps.personData.subject(ctx.platform.issuer, body.userId);
    await recordAdminChange({ issuer: ctx.platform.issuer, by: adminOf(res), action: 'person.erase', detail: { person: pseudonym, records: n } });
    await sendPage(res, 200, 'admin-person', { ...common(res, 'adminConsole.personTitle'), changes: await adminChanges(ctx.platform.issuer), erased: { userId: body.userId, n } });
  }));

  // ---- Consent text: the version in force, earlier versions, a new version ----
  const text = { type: 'string', maxLength: 20_000 } as const;
  const validateConsentForm = ajv.compile<Record<string, string>>({
    type: 'object', additionalProperties: false,
    required: ['id.title', 'id.body', 'id.accept', 'id.decline', 'id.withdraw', 'en.title', 'en.body', 'en.accept', 'en.decline', 'en.withdraw'],
    properties: Object.fromEntries([...['id', 'en'].flatMap((l) => ['title', 'body', 'accept', 'decline', 'withdraw'].map((f) => [`${l}.${f}`, text])), ['ltik', ltik]]),
  });
  async function consentPage(res: express.Response, status: number, extra: { problems?: string[]; published?: number } = {}): Promise<void> {
    await sendPage(res, status, 'admin-consent', {
      ...common(res, 'adminConsole.consentTitle'), current: await deps.consentTexts.current(), versions: await deps.consentTexts.versions(),
      problems: extra.problems ?? [], published: extra.published,
    });
  }
  router.get('/admin/consent', admin, handle(async (_req, res) => {
    await consentPage(res, 200);
  }));
  router.post('/admin/consent', admin, handle(async (req, res) => {
    const ctx = launchOf(res);
    const body = req.body as unknown;
    if (!validateConsentForm(body)) {
      await sendError(req, res, 400, 'error.badRequest', { locale: ctx.locale });
      return;
    }
    // One paragraph per block of text separated by an empty line.
    const part = (l: 'id' | 'en') => ({
      title: body[`${l}.title`].trim(), body: body[`${l}.body`].replace(/\r\n?/g, '\n').split(/\n\s*\n/).map((p) => p.trim()).filter(Boolean),
      accept: body[`${l}.accept`].trim(), decline: body[`${l}.decline`].trim(), withdraw: body[`${l}.withdraw`].trim(),
    });
    const published = await deps.consentTexts.publish({ id: part('id'), en: part('en') }, ctx.user.id);
    if (!published.ok) {
      await consentPage(res, 400, { problems: published.problems });
      return;
    }
    await recordAdminChange({ issuer: ctx.platform.issuer, by: adminOf(res), action: 'consent.publish', detail: { version: published.version } });
    await consentPage(res, 200, { published: published.version });
  }));

  // ---- AI: lenses on/off and budgets ----
  const validateAiForm = ajv.compile<{ enabled?: string | string[]; userDailyTokens: string; courseMonthlyTokens: string; ltik?: string }>({
    type: 'object', additionalProperties: false, required: ['userDailyTokens', 'courseMonthlyTokens'],
    properties: {
      enabled: { anyOf: [{ type: 'string', maxLength: 40 }, { type: 'array', maxItems: 50, items: { type: 'string', maxLength: 40 } }] },
      userDailyTokens: { type: 'string', pattern: '^[0-9]{1,11}$' }, courseMonthlyTokens: { type: 'string', pattern: '^[0-9]{1,11}$' }, ltik,
    },
  });
  async function aiPage(res: express.Response, status: number, extra: { problems?: string[]; saved?: boolean; form?: AiRuntimeSettings } = {}): Promise<void> {
    const ctx = launchOf(res);
    // A refused form comes back as typed, not as stored.
    const settings = extra.form ?? await deps.aiSettings.store.current();
    await sendPage(res, status, 'admin-ai', {
      ...common(res, 'adminConsole.aiTitle'), settings, adminSet: await deps.aiSettings.store.isAdminSet(),
      lenses: deps.aiSettings.lenses.map((l) => ({ id: l.id, name: l.name[ctx.locale] })), problems: extra.problems ?? [], saved: Boolean(extra.saved),
    });
  }
  router.get('/admin/ai', admin, handle(async (_req, res) => {
    await aiPage(res, 200);
  }));
  router.post('/admin/ai', admin, handle(async (req, res) => {
    const ctx = launchOf(res);
    const body = req.body as unknown;
    if (!validateAiForm(body)) {
      await sendError(req, res, 400, 'error.badRequest', { locale: ctx.locale });
      return;
    }
    const enabled = new Set(Array.isArray(body.enabled) ? body.enabled : body.enabled ? [body.enabled] : []);
    const settings = {
      disabledLenses: deps.aiSettings.lenses.map((l) => l.id).filter((id) => !enabled.has(id)),
      userDailyTokens: Number(body.userDailyTokens), courseMonthlyTokens: Number(body.courseMonthlyTokens),
    };
    const saved = await deps.aiSettings.store.set(settings, ctx.user.id);
    if (!saved.ok) {
      await aiPage(res, 400, { problems: saved.problems, form: settings });
      return;
    }
    await recordAdminChange({ issuer: ctx.platform.issuer, by: adminOf(res), action: 'ai.set', detail: settings });
    await aiPage(res, 200, { saved: true });
  }));

  // ---- Retention: the platform's settings, a dry run, a run now ----
  async function retentionPage(res: express.Response, status: number, extra: { report?: RetentionReport; problems?: string[]; form?: Record<string, unknown>; saved?: boolean } = {}): Promise<void> {
    const ctx = launchOf(res);
    const [settings, stored] = await Promise.all([deps.retention.settings.get(ctx.platform.issuer), deps.retention.settings.stored(ctx.platform.issuer)]);
    // The job covers every platform; this admin sees their own platform's lines and those of no platform.
    const counts = extra.report?.counts.filter((c) => c.platform === ctx.platform.issuer || c.platform === GLOBAL_ISSUER) ?? [];
    await sendPage(res, status, 'admin-retention', {
      ...common(res, 'adminConsole.retentionTitle'), keys: RETENTION_SETTING_KEYS, settings: extra.form ?? settings, ownSettings: Boolean(stored),
      report: extra.report, counts, problems: extra.problems ?? [], saved: Boolean(extra.saved),
    });
  }

  router.get('/admin/retention', admin, handle(async (_req, res) => {
    await retentionPage(res, 200);
  }));

  router.post('/admin/retention', admin, handle(async (req, res) => {
    const ctx = launchOf(res);
    const form = { ...(req.body as Record<string, unknown>) };
    delete form.ltik;
    const parsed = retentionSettingsFromForm(form);
    if ('problems' in parsed) {
      await retentionPage(res, 400, { problems: parsed.problems, form });
      return;
    }
    await deps.retention.settings.set(ctx.platform.issuer, parsed.settings, ctx.user.id);
    await recordAdminChange({ issuer: ctx.platform.issuer, by: adminOf(res), action: 'retention.set', detail: { ...parsed.settings } });
    await retentionPage(res, 200, { saved: true });
  }));

  router.post('/admin/retention/:mode(dry-run|run)', admin, handle(async (req, res) => {
    const ctx = launchOf(res);
    if (!validateSessionOnly(req.body)) {
      await sendError(req, res, 400, 'error.badRequest', { locale: ctx.locale });
      return;
    }
    const dryRun = req.params.mode === 'dry-run';
    const report = await deps.retention.job.run({ dryRun });
    if (!dryRun) await recordAdminChange({ issuer: ctx.platform.issuer, by: adminOf(res), action: 'retention.run', detail: { total: report.total, skipped: report.skipped ?? null } });
    await retentionPage(res, 200, { report });
  }));

  return router;
}
