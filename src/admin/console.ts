/**
 * The admin console's pages: the AI audit with filters and CSV export, the grade deliveries Moodle
 * refused, a person's data exported or erased on their behalf, retention settings with a dry run
 * and a run now, lenses and budgets, the consent text, and the log of every such change (who,
 * when, what). Two doors lead in, each with its own guard (`AdminAccess`):
 * - an LMS administrator's launch: scoped to the platform (registration) they came from, whose
 *   settings they change and whose people and log they see — never another platform's, never the
 *   instance's defaults;
 * - the setup-token session, the instance operator: every platform, and the instance's defaults
 *   (`*`) that platforms without settings of their own follow; it picks the platform where a page
 *   needs one.
 */
import { Type } from '@sinclair/typebox';
import { Ltik, oneOf, schema } from '../http/validate';
import express from 'express';
import { auditCsv, auditRecords, type AuditQuery } from '../ai/audit';
import { coursePath, withLtik } from '../http/paths';
import { formatDay, formatTime } from '../http/format';
import { wibDay } from '../domain/time';
import { changeDetail } from './change-detail';
import type { GradeOutbox } from '../grades/outbox';
import type { CourseDirectory } from '../lti/courses';
import { adminChanges, recordAdminChange } from '../privacy/admin-log';
import type { PersonDataService } from '../privacy/person-data';
import { wholeNumberFromForm } from '../core/validation';
import { validateAiSettings, type AiSettingsStore } from '../ai/ai-settings';
import { validateConsentText, type ConsentText, type ConsentTextStore } from '../consent/consent';
import {
  RETENTION_SETTING_KEYS,
  retentionFormValues,
  validateRetentionSettings,
  type RetentionJob,
  type RetentionReport,
  type RetentionSettingsStore,
} from '../privacy/retention';
import { handle } from '../http/async';
import { sendError } from '../http/errors';
import { launchOf, requireAudience, ltikOf } from '../http/guards';
import { formProblems } from '../http/form-problems';
import { hasMessage, translator } from '../http/i18n';
import { sendPage } from '../http/render';
import { INSTANCE, type Locale, type PlatformIdentity } from '../domain/launch';

const PAGE = 100;
/** A platform admin's dry runs of the purge: at most one a minute. */
const DRY_RUN_EVERY_MS = 60_000;
/** What proves a form came from the session: the launch's ltik, or the setup session's CSRF token (checked by the guard). */
const sessionFields = { ltik: Ltik, csrf: Type.Optional(Type.String({ maxLength: 200 })) };
const Platform = Type.Optional(Type.String({ minLength: 1, maxLength: 2048 }));
const Day = Type.Optional(Type.String({ pattern: '^(\\d{4}-\\d{2}-\\d{2})?$' }));
const Lang = Type.Optional(Type.String({ maxLength: 5 }));
const closed = { additionalProperties: false } as const;

const validateAuditQuery = schema(
  Type.Object(
    {
      course: Type.Optional(Type.String({ maxLength: 100 })),
      lens: Type.Optional(Type.String({ pattern: '^[a-z-]{0,40}$' })),
      engine: Type.Optional(oneOf(['', 'ai', 'offline'] as const)),
      outcome: Type.Optional(Type.String({ pattern: '^[A-Za-z]{0,30}$' })),
      from: Day,
      to: Day,
      page: Type.Optional(Type.String({ pattern: '^[0-9]{1,5}$' })),
      ltik: Ltik,
      lang: Lang,
    },
    closed,
  ),
);
const validatePersonForm = schema(
  Type.Object(
    {
      userId: Type.String({ minLength: 1, maxLength: 255 }),
      confirm: Type.Optional(Type.Literal('yes')),
      platform: Platform,
      ...sessionFields,
    },
    closed,
  ),
);
const validateSessionOnly = schema(Type.Object({ platform: Platform, ...sessionFields }, closed));
const validatePlatformQuery = schema(Type.Object({ platform: Platform, ltik: Ltik, lang: Lang }, closed));

/** Who is at the console and what they may reach, as the door they came through decides. */
export interface AdminScope {
  locale: Locale;
  /** Named in the change log. */
  by: { id: string; name: string };
  /** The platform this admin speaks for; undefined for the operator (setup session), who speaks for every platform and the instance. */
  platform?: PlatformIdentity;
  /** The admin home page (crumbs) and the console's base path. */
  home: string;
  base: string;
  link(path: string, q?: Record<string, string>): string;
  /** Hidden fields every POST form carries (the ltik, or the setup session's CSRF token). */
  formFields: Record<string, string>;
  /** Hidden fields a GET form carries (the ltik; the setup session's cookie needs none). */
  queryFields: Record<string, string>;
}

export interface AdminAccess {
  /** Refuses whoever is not an admin through this door (and, for a cookie session, a POST without its CSRF token). */
  guard: express.RequestHandler;
  scopeOf(res: express.Response): AdminScope;
}

/** The door of an LMS administrator's launch: the admin role, their own platform. */
export const launchAdminAccess: AdminAccess = {
  guard: requireAudience('admin'),
  scopeOf(res) {
    const ctx = launchOf(res);
    const token = ltikOf(res);
    const base = `${coursePath(ctx.courseKey)}/admin`;
    return {
      locale: ctx.locale,
      by: { id: ctx.user.id, name: ctx.user.name || ctx.user.id },
      platform: ctx.platform,
      home: base,
      base,
      link: (path, q) => withLtik(path, token, q),
      formFields: { ltik: token },
      queryFields: { ltik: token },
    };
  },
};

export interface AdminConsoleDeps {
  courses: CourseDirectory;
  outbox: GradeOutbox;
  personData: PersonDataService;
  retention: { settings: RetentionSettingsStore; job: RetentionJob };
  /** The consent text's versions, per platform with the instance's as default. */
  consentTexts: ConsentTextStore;
  /** Lenses on/off and token budgets, per platform with the instance's as default. */
  aiSettings: { store: AiSettingsStore; lenses: Array<{ id: string; name: { id: string; en: string } }> };
  /** The registered platforms (the operator chooses among them), each with a label to show. */
  platforms(): Promise<Array<PlatformIdentity & { label: string }>>;
}

/**
 * The console's routes, relative to where the door mounts them (`…/admin` for a launch,
 * `/setup/console` for the setup session).
 */
export function adminConsoleRoutes(deps: AdminConsoleDeps, access: AdminAccess): express.Router {
  const router = express.Router({ mergeParams: true });
  const admin = access.guard;
  const common = (res: express.Response, titleKey: string) => {
    const scope = access.scopeOf(res);
    return {
      locale: scope.locale,
      title: translator(scope.locale)(titleKey),
      home: scope.home,
      base: scope.base,
      link: scope.link,
      formFields: scope.formFields,
      queryFields: scope.queryFields,
      // In WIB, as the audit's date filter and every coach page read times.
      formatTime: (d: Date | string) => formatTime(new Date(d), scope.locale),
      formatDate: (d: Date | string) => formatDay(wibDay(new Date(d)), scope.locale),
      // A recorded code in words where Cermin has them (an audit's outcome, an engine); else the code itself.
      word: (prefix: string, code: string) =>
        hasMessage(`${prefix}${code}`) ? translator(scope.locale)(`${prefix}${code}`) : code,
      changeDetail: (detail: Record<string, unknown>) => changeDetail(detail, translator(scope.locale), scope.locale),
    };
  };
  const refuse = (req: express.Request, res: express.Response, key = 'error.badRequest') =>
    sendError(req, res, 400, key, { locale: access.scopeOf(res).locale });

  /** The courses this admin may read: their platform's, or every platform's for the operator. */
  async function coursesInScope(res: express.Response) {
    const { platform } = access.scopeOf(res);
    return platform ? deps.courses.coursesOfPlatform(platform) : deps.courses.allCourses();
  }

  /** The platform a person page acts on: a launch admin's own (whatever the form says); for the operator the one chosen, which must be registered. */
  async function personPlatform(
    res: express.Response,
    chosen: string | undefined,
  ): Promise<PlatformIdentity | undefined> {
    const { platform } = access.scopeOf(res);
    if (platform) return platform;
    return (await deps.platforms()).find((p) => p.key === chosen);
  }

  /**
   * Whose settings a settings page shows and changes (a platform's key, or `*`): a launch admin's
   * own platform, whatever the form says; for the operator the one chosen (a registered platform),
   * else the instance's defaults.
   */
  async function settingsScope(res: express.Response, chosen: string | undefined): Promise<string | undefined> {
    const { platform } = access.scopeOf(res);
    if (platform) return platform.key;
    if (!chosen || chosen === INSTANCE) return INSTANCE;
    return (await deps.platforms()).some((p) => p.key === chosen) ? chosen : undefined;
  }

  /**
   * What a settings page needs to show whose settings are in view: the scope, the operator's picker
   * (empty for a launch admin: they have one platform), and the forms' fields naming the scope.
   */
  async function scopeLocals(res: express.Response, scope: string, formFields: Record<string, string>) {
    const own = access.scopeOf(res).platform;
    return {
      platform: scope,
      platforms: own ? [] : [{ key: INSTANCE, label: '*' }, ...(await deps.platforms())],
      formFields: own ? formFields : { ...formFields, platform: scope },
    };
  }

  /** A settings page's GET: for the scope the query names (the operator's choice), else a clear 400. */
  const settingsPage = (render: (res: express.Response, scope: string) => Promise<void>) =>
    handle(async (req, res) => {
      const query = { ...(req.query as Record<string, unknown>) };
      const scope = validatePlatformQuery(query) ? await settingsScope(res, query.platform) : undefined;
      if (!scope) {
        await refuse(req, res, 'adminConsole.platformRequired');
        return;
      }
      await render(res, scope);
    });

  /** The change log an admin sees: their platform's and the operator's, or every change for the operator. */
  const changesInScope = (res: express.Response) => adminChanges(access.scopeOf(res).platform?.key);

  /** The audit query of the request, limited to the admin's courses; undefined when the query is malformed. */
  async function auditQueryOf(
    req: express.Request,
    res: express.Response,
  ): Promise<{ q: AuditQuery; page: number; raw: Record<string, string> } | undefined> {
    const query = { ...(req.query as Record<string, unknown>) };
    if (!validateAuditQuery(query)) return undefined;
    const courses = await coursesInScope(res);
    const q: AuditQuery = {
      courseKeys: courses.map((c) => c._id),
      ...(query.course ? { courseKey: query.course } : {}),
      ...(query.lens ? { lensId: query.lens } : {}),
      ...(query.engine ? { engine: query.engine } : {}),
      ...(query.outcome ? { outcome: query.outcome } : {}),
      ...(query.from ? { from: new Date(`${query.from}T00:00:00+07:00`) } : {}),
      ...(query.to ? { to: new Date(`${query.to}T24:00:00+07:00`) } : {}),
    };
    const raw = Object.fromEntries(
      Object.entries(query).filter(([k, v]) => k !== 'ltik' && k !== 'page' && typeof v === 'string' && v !== ''),
    ) as Record<string, string>;
    return { q, page: Number(query.page ?? '1') || 1, raw };
  }

  router.get(
    '/audit',
    admin,
    handle(async (req, res) => {
      const parsed = await auditQueryOf(req, res);
      if (!parsed) {
        await refuse(req, res);
        return;
      }
      const { rows, total } = await auditRecords(parsed.q, PAGE, (parsed.page - 1) * PAGE);
      const courses = await coursesInScope(res);
      await sendPage(res, 200, 'admin-audit', {
        ...common(res, 'adminConsole.auditTitle'),
        rows,
        total,
        page: parsed.page,
        pages: Math.max(1, Math.ceil(total / PAGE)),
        filters: parsed.raw,
        courses: courses.map((c) => ({ key: c._id, title: c.title ?? c.label ?? c._id })),
      });
    }),
  );

  router.get(
    '/audit.csv',
    admin,
    handle(async (req, res) => {
      const parsed = await auditQueryOf(req, res);
      if (!parsed) {
        await refuse(req, res);
        return;
      }
      const { rows } = await auditRecords(parsed.q, 50_000);
      res.set('Content-Disposition', 'attachment; filename="cermin-audit-ai.csv"').set('Cache-Control', 'no-store');
      res.type('text/csv; charset=utf-8').send(`\uFEFF${auditCsv(rows)}`);
    }),
  );

  router.get(
    '/deliveries',
    admin,
    handle(async (_req, res) => {
      const courses = await coursesInScope(res);
      const failed = await deps.outbox.failedInCourses(courses.map((c) => c._id));
      const titles = new Map(courses.map((c) => [c._id, c.title ?? c.label ?? c._id]));
      await sendPage(res, 200, 'admin-deliveries', {
        ...common(res, 'adminConsole.deliveriesTitle'),
        failed,
        courseTitle: (k: string) => titles.get(k) ?? k,
      });
    }),
  );

  router.get(
    '/changes',
    admin,
    handle(async (_req, res) => {
      await sendPage(res, 200, 'admin-changes', {
        ...common(res, 'adminConsole.changesTitle'),
        changes: await changesInScope(res),
      });
    }),
  );

  async function personPage(res: express.Response, erased?: { userId: string; n: number }): Promise<void> {
    const scope = access.scopeOf(res);
    await sendPage(res, 200, 'admin-person', {
      ...common(res, 'adminConsole.personTitle'),
      changes: await changesInScope(res),
      erased,
      platforms: scope.platform ? [] : await deps.platforms(),
    });
  }
  router.get(
    '/person',
    admin,
    handle(async (_req, res) => {
      await personPage(res);
    }),
  );

  router.post(
    '/person/export',
    admin,
    handle(async (req, res) => {
      const body = req.body as unknown;
      if (!validatePersonForm(body)) {
        await refuse(req, res, 'adminConsole.userIdRequired');
        return;
      }
      const platform = await personPlatform(res, body.platform);
      if (!platform) {
        await refuse(req, res, 'adminConsole.platformRequired');
        return;
      }
      const data = await deps.personData.exportAll(platform, body.userId);
      // The log names the person by pseudonym: an erased person's id must not outlive their data here.
      const { pseudonym } = await deps.personData.subject(platform, body.userId);
      await recordAdminChange({
        platform: platform.key,
        by: access.scopeOf(res).by,
        action: 'person.export',
        detail: { person: pseudonym },
      });
      res
        .set('Content-Disposition', 'attachment; filename="cermin-data-peserta.json"')
        .set('Cache-Control', 'no-store');
      res.type('application/json; charset=utf-8').send(JSON.stringify(data, null, 2));
    }),
  );

  router.post(
    '/person/erase',
    admin,
    handle(async (req, res) => {
      const body = req.body as unknown;
      if (!validatePersonForm(body) || body.confirm !== 'yes') {
        // Say what is missing: the user id, or the ticked statement.
        await refuse(req, res, validatePersonForm(body) ? 'privacy.confirmFirst' : 'adminConsole.userIdRequired');
        return;
      }
      const platform = await personPlatform(res, body.platform);
      if (!platform) {
        await refuse(req, res, 'adminConsole.platformRequired');
        return;
      }
      const scope = access.scopeOf(res);
      // The erasure log names who erased by pseudonym; the operator under the instance's name.
      const counts = await deps.personData.eraseAll(platform, body.userId, {
        role: 'admin',
        platform: scope.platform?.key ?? INSTANCE,
        userId: scope.by.id,
      });
      const n = Object.values(counts)
        .flatMap((c) => Object.values(c))
        .reduce((a, b) => a + b, 0);
      const { pseudonym } = await deps.personData.subject(platform, body.userId);
      // Logged under the person's platform, so that platform's own admins see it too.
      await recordAdminChange({
        platform: platform.key,
        by: scope.by,
        action: 'person.erase',
        detail: { person: pseudonym, records: n },
      });
      await personPage(res, { userId: body.userId, n });
    }),
  );

  // ---- Consent text: the version in force, earlier versions, a new version ----
  // Every text of both languages, each required (the form shows them all).
  const consentText = Type.String({ maxLength: 20_000 });
  const validateConsentForm = schema(
    Type.Object(
      {
        'id.title': consentText,
        'id.body': consentText,
        'id.accept': consentText,
        'id.decline': consentText,
        'id.withdraw': consentText,
        'en.title': consentText,
        'en.body': consentText,
        'en.accept': consentText,
        'en.decline': consentText,
        'en.withdraw': consentText,
        platform: Platform,
        ...sessionFields,
      },
      closed,
    ),
  );
  async function consentPage(
    res: express.Response,
    scope: string,
    status: number,
    extra: { problems?: string[]; published?: number; draft?: Omit<ConsentText, 'version'> } = {},
  ): Promise<void> {
    const [current, versions, ownText] = await Promise.all([
      deps.consentTexts.current(scope),
      deps.consentTexts.versions(scope),
      deps.consentTexts.hasOwn(scope),
    ]);
    const page = common(res, 'adminConsole.consentTitle');
    await sendPage(res, status, 'admin-consent', {
      // A refused text comes back as typed, not as stored.
      ...page,
      current,
      shown: extra.draft ?? current,
      versions,
      ownText,
      problems: extra.problems ?? [],
      published: extra.published,
      ...(await scopeLocals(res, scope, page.formFields)),
    });
  }
  /** `/id/title`, `/en/body/2` → "Bahasa Indonesia: Judul", "English: Isi, paragraf 3". */
  const consentFieldLabel =
    (locale: Locale) =>
    (path: string): string | undefined => {
      const t = translator(locale);
      const [, lang, field, index] = path.split('/');
      if ((lang !== 'id' && lang !== 'en') || !field || !hasMessage(`adminConsole.consentField.${field}`))
        return undefined;
      const name = `${t(`materials.lang.${lang}`)}: ${t(`adminConsole.consentField.${field}`)}`;
      return index === undefined ? name : `${name}, ${t('adminConsole.consentParagraph', { n: Number(index) + 1 })}`;
    };
  router.get(
    '/consent',
    admin,
    settingsPage((res, scope) => consentPage(res, scope, 200)),
  );
  router.post(
    '/consent',
    admin,
    handle(async (req, res) => {
      const body = req.body as unknown;
      const target = validateConsentForm(body) ? await settingsScope(res, body.platform) : undefined;
      if (!validateConsentForm(body) || !target) {
        await refuse(req, res);
        return;
      }
      // One paragraph per block of text separated by an empty line.
      const part = (l: 'id' | 'en') => ({
        title: body[`${l}.title`].trim(),
        body: body[`${l}.body`]
          .replace(/\r\n?/g, '\n')
          .split(/\n\s*\n/)
          .map((p) => p.trim())
          .filter(Boolean),
        accept: body[`${l}.accept`].trim(),
        decline: body[`${l}.decline`].trim(),
        withdraw: body[`${l}.withdraw`].trim(),
      });
      const scope = access.scopeOf(res);
      const draft = { id: part('id'), en: part('en') };
      // Checked here first, to name each field in the admin's language (publish checks again).
      if (!validateConsentText({ version: 1, ...draft })) {
        await consentPage(res, target, 400, {
          draft,
          problems: formProblems(validateConsentText.errors, scope.locale, consentFieldLabel(scope.locale)),
        });
        return;
      }
      const published = await deps.consentTexts.publish(target, draft, scope.by.id);
      if (!published.ok) {
        const problems =
          published.reason === 'race' ? [translator(scope.locale)('adminConsole.consentRace')] : published.problems;
        await consentPage(res, target, published.reason === 'race' ? 409 : 400, { draft, problems });
        return;
      }
      await recordAdminChange({
        platform: target,
        by: scope.by,
        action: 'consent.publish',
        detail: { version: published.version },
      });
      await consentPage(res, target, 200, { published: published.version });
    }),
  );

  // ---- AI: lenses on/off and budgets ----
  const validateAiForm = schema(
    Type.Object(
      {
        enabled: Type.Optional(
          Type.Union([Type.String({ maxLength: 40 }), Type.Array(Type.String({ maxLength: 40 }), { maxItems: 50 })]),
        ),
        // Any text: a number the admin mistyped comes back named, with the form as typed.
        userDailyTokens: Type.String({ maxLength: 40 }),
        courseMonthlyTokens: Type.String({ maxLength: 40 }),
        platform: Platform,
        ...sessionFields,
      },
      closed,
    ),
  );
  async function aiPage(
    res: express.Response,
    scope: string,
    status: number,
    extra: {
      problems?: string[];
      saved?: boolean;
      form?: { disabledLenses: string[]; userDailyTokens: unknown; courseMonthlyTokens: unknown };
    } = {},
  ): Promise<void> {
    const { locale } = access.scopeOf(res);
    // A refused form comes back as typed, not as stored.
    const [settings, adminSet, instanceSet] = await Promise.all([
      extra.form ?? deps.aiSettings.store.current(scope),
      deps.aiSettings.store.isAdminSet(scope),
      deps.aiSettings.store.isAdminSet(INSTANCE),
    ]);
    const page = common(res, 'adminConsole.aiTitle');
    await sendPage(res, status, 'admin-ai', {
      ...page,
      settings,
      adminSet,
      inheritsInstance: scope !== INSTANCE && instanceSet,
      lenses: deps.aiSettings.lenses.map((l) => ({ id: l.id, name: l.name[locale] })),
      problems: extra.problems ?? [],
      saved: Boolean(extra.saved),
      ...(await scopeLocals(res, scope, page.formFields)),
    });
  }
  router.get(
    '/ai',
    admin,
    settingsPage((res, scope) => aiPage(res, scope, 200)),
  );
  router.post(
    '/ai',
    admin,
    handle(async (req, res) => {
      const body = req.body as unknown;
      const target = validateAiForm(body) ? await settingsScope(res, body.platform) : undefined;
      if (!validateAiForm(body) || !target) {
        await refuse(req, res);
        return;
      }
      const enabled = new Set(Array.isArray(body.enabled) ? body.enabled : body.enabled ? [body.enabled] : []);
      const settings = {
        disabledLenses: deps.aiSettings.lenses.map((l) => l.id).filter((id) => !enabled.has(id)),
        userDailyTokens: wholeNumberFromForm(body.userDailyTokens),
        courseMonthlyTokens: wholeNumberFromForm(body.courseMonthlyTokens),
      };
      const scope = access.scopeOf(res);
      const t = translator(scope.locale);
      const aiLabel: Record<string, string> = {
        '/userDailyTokens': t('adminConsole.aiUserDaily'),
        '/courseMonthlyTokens': t('adminConsole.aiCourseMonthly'),
      };
      if (!validateAiSettings(settings)) {
        await aiPage(res, target, 400, {
          problems: formProblems(
            validateAiSettings.errors,
            scope.locale,
            (path) => aiLabel[path] ?? t('adminConsole.aiLenses'),
          ),
          form: settings,
        });
        return;
      }
      const saved = await deps.aiSettings.store.set(target, settings, scope.by.id);
      if (!saved.ok) {
        await aiPage(res, target, 400, { problems: saved.problems, form: settings });
        return;
      }
      await recordAdminChange({ platform: target, by: scope.by, action: 'ai.set', detail: { ...settings } });
      await aiPage(res, target, 200, { saved: true });
    }),
  );

  // ---- Retention: a platform's settings (the setup session: any platform's, or the instance's defaults), a dry run, a run now ----
  async function retentionPage(
    res: express.Response,
    scope: string,
    status: number,
    extra: { report?: RetentionReport; problems?: string[]; form?: Record<string, unknown>; saved?: boolean } = {},
  ): Promise<void> {
    const own = access.scopeOf(res).platform;
    const [settings, stored] = await Promise.all([
      deps.retention.settings.get(scope),
      deps.retention.settings.stored(scope),
    ]);
    // The job covers every platform; a platform's admin sees their own platform's lines and those of no platform.
    const counts = extra.report?.counts.filter((c) => !own || c.platform === own.key || c.platform === INSTANCE) ?? [];
    const page = common(res, 'adminConsole.retentionTitle');
    await sendPage(res, status, 'admin-retention', {
      ...page,
      keys: RETENTION_SETTING_KEYS,
      settings: extra.form ?? settings,
      ownSettings: Boolean(stored),
      report: extra.report,
      counts,
      problems: extra.problems ?? [],
      saved: Boolean(extra.saved),
      operator: !own,
      // The operator chooses whose settings it edits ('*' is the default of every platform without its own); each form acts on it.
      ...(await scopeLocals(res, scope, page.formFields)),
    });
  }

  router.get(
    '/retention',
    admin,
    settingsPage((res, scope) => retentionPage(res, scope, 200)),
  );

  router.post(
    '/retention',
    admin,
    handle(async (req, res) => {
      const form = { ...(req.body as Record<string, unknown>) };
      const chosen = typeof form.platform === 'string' ? form.platform : undefined;
      for (const field of ['ltik', 'csrf', 'platform']) delete form[field];
      const target = await settingsScope(res, chosen);
      if (!target) {
        await refuse(req, res, 'adminConsole.platformRequired');
        return;
      }
      const scope = access.scopeOf(res);
      const values = retentionFormValues(form);
      if (!validateRetentionSettings(values)) {
        const label = (path: string) => {
          const key = path.slice(1);
          return (RETENTION_SETTING_KEYS as readonly string[]).includes(key)
            ? translator(scope.locale)(`adminConsole.retention.${key}`)
            : undefined;
        };
        await retentionPage(res, target, 400, {
          problems: formProblems(validateRetentionSettings.errors, scope.locale, label),
          form,
        });
        return;
      }
      await deps.retention.settings.set(target, values, scope.by.id);
      await recordAdminChange({ platform: target, by: scope.by, action: 'retention.set', detail: { ...values } });
      await retentionPage(res, target, 200, { saved: true });
    }),
  );

  /** When each platform's admin last ran a dry run: one a minute (each scans every collection the purge covers). */
  const lastDryRun = new Map<string, number>();
  router.post(
    '/retention/:mode(dry-run|run)',
    admin,
    handle(async (req, res) => {
      const body = req.body as unknown;
      const target = validateSessionOnly(body) ? await settingsScope(res, body.platform) : undefined;
      if (!target) {
        await refuse(req, res, 'adminConsole.platformRequired');
        return;
      }
      const scope = access.scopeOf(res);
      const dryRun = req.params.mode === 'dry-run';
      // The purge covers every platform: running it is the operator's; a platform admin may look (dry run).
      if (!dryRun && scope.platform) {
        await sendError(req, res, 403, 'error.forbidden', { locale: scope.locale });
        return;
      }
      if (dryRun && scope.platform) {
        const last = lastDryRun.get(scope.platform.key) ?? 0;
        if (Date.now() - last < DRY_RUN_EVERY_MS) {
          await sendError(req, res, 429, 'error.tooManyRequests', { locale: scope.locale });
          return;
        }
        if (lastDryRun.size > 10_000) lastDryRun.clear();
        lastDryRun.set(scope.platform.key, Date.now());
      }
      const report = await deps.retention.job.run({ dryRun });
      if (!dryRun)
        await recordAdminChange({
          platform: INSTANCE,
          by: scope.by,
          action: 'retention.run',
          detail: { total: report.total, skipped: report.skipped ?? null },
        });
      await retentionPage(res, target, 200, { report });
    }),
  );

  return router;
}
