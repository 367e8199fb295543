/**
 * Recommendation pages and forms. Participants: open an item (recorded, then on to the material),
 * mark it helpful / not helpful / done, turn data saver on or off. Coaches (and admins) of the
 * course: the catalog with what participants did with each item, add and edit course items,
 * retire them, endorse or hide any item, import a CSV or JSON file (all or nothing, each problem
 * with its line) and export the course's items. Plain forms: all of it works without JavaScript.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Ltik, oneOf, schema } from '../http/validate';
import express from 'express';
import { personName } from '../domain/launch';
import { handle } from '../http/async';
import { sendError, HttpError } from '../http/errors';
import { launchOf, requireAudience, ltikOf } from '../http/guards';
import { translator, type Translate } from '../http/i18n';
import { sendPage } from '../http/render';
import { rememberDataSaver } from '../preferences/store';
import { coursePath, safeBack, withLtik } from '../http/paths';
import { wholeNumberFromForm } from '../core/validation';
import { BERAKHLAK_VALUES } from '../domain/vocabulary';
import type { CatalogItem } from './catalog';
import { catalogToCsv, catalogToJson, MAX_IMPORT_BYTES, type ImportProblem } from './import';
import { checkItem, type Person, type RecommendService } from './service';

const Back = Type.Optional(Type.String({ maxLength: 500 }));
const ITEM_ID = /^[a-z0-9][a-z0-9-]{0,79}$/;
const closed = { additionalProperties: false } as const;

const validateMark = schema(
  Type.Object({ mark: oneOf(['helpful', 'notHelpful', 'done', 'clear'] as const), back: Back, ltik: Ltik }, closed),
);
const validateDataSaver = schema(
  Type.Object({ dataSaver: oneOf(['on', 'off'] as const), back: Back, ltik: Ltik }, closed),
);
// Not `state`: ltijs reads a form's `state` field as an OIDC state on every request.
const validateCuration = schema(
  Type.Object({ curation: oneOf(['endorsed', 'hidden', 'none'] as const), ltik: Ltik }, closed),
);
const validateStatus = schema(Type.Object({ status: oneOf(['active', 'retired'] as const), ltik: Ltik }, closed));
/** The import form: the file's text (the limit is checked after, to say it in words), replace or not. */
const validateImport = schema(
  Type.Object({ text: Type.String(), replace: Type.Optional(Type.Literal('1')), ltik: Ltik }, closed),
);
const short = (max: number) => Type.Optional(Type.String({ maxLength: max }));
/** A checkbox group arrives as a string or an array. */
const listField = Type.Optional(
  Type.Union([Type.String({ maxLength: 2000 }), Type.Array(Type.String({ maxLength: 80 }), { maxItems: 20 })]),
);
/** The item form as posted. */
const ItemFormSchema = Type.Object(
  {
    id: short(100),
    title: short(400),
    description: short(4000),
    url: short(2048),
    type: short(20),
    language: short(5),
    sizeKb: short(20),
    durationMinutes: short(20),
    values: listField,
    competencies: short(2000),
    tags: short(2000),
    level: short(20),
    phases: listField,
    ltik: Ltik,
  },
  closed,
);
type ItemForm = Static<typeof ItemFormSchema>;
const validateItemForm = schema(ItemFormSchema);

const listOf = (v: string | string[] | undefined): string[] =>
  (Array.isArray(v) ? v : (v ?? '').split(/[,;]/)).map((s) => s.trim()).filter(Boolean);
// Not a whole number: left as text for the schema to refuse by name.
const numberOf = (v: string | undefined): unknown => ((v ?? '').trim() ? wholeNumberFromForm(v) : undefined);

/** The form's fields as a catalog item (the catalog schema then decides). */
export function itemFromForm(form: ItemForm, id?: string): Record<string, unknown> {
  const item: Record<string, unknown> = {
    id: id ?? (form.id ?? '').trim(),
    title: (form.title ?? '').trim(),
    description: (form.description ?? '').trim(),
    url: (form.url ?? '').trim(),
    type: form.type,
    language: form.language,
    sizeKb: numberOf(form.sizeKb),
    durationMinutes: numberOf(form.durationMinutes),
    values: listOf(form.values),
    competencies: listOf(form.competencies),
    tags: listOf(form.tags),
    level: form.level,
  };
  const phases = listOf(form.phases);
  if (phases.length) item.phases = phases;
  return Object.fromEntries(Object.entries(item).filter(([, v]) => v !== undefined));
}

const FIELDS = [
  'id',
  'title',
  'description',
  'url',
  'type',
  'language',
  'sizeKb',
  'durationMinutes',
  'values',
  'competencies',
  'tags',
  'level',
  'phases',
];

/** The fields a refused item names, in form order (the catalog's messages read `$[0].url: …`). */
function problemFields(problems: string[]): string[] {
  const named = new Set(
    problems.map((p) => /^\$\[0\]\.?([a-zA-Z]+)/.exec(p)?.[1] ?? /'([a-zA-Z]+)'/.exec(p)?.[1] ?? 'form'),
  );
  return FIELDS.filter((f) => named.has(f));
}

/** One import problem as a sentence for the coach. */
export function importProblemText(p: ImportProblem, t: Translate): string {
  return t(`import.problem.${p.code}`, { line: p.line, id: p.id ?? '', field: p.field ?? '', detail: p.detail ?? '' });
}

export function recommendRoutes(deps: { recommend: RecommendService }): express.Router {
  const router = express.Router({ mergeParams: true });
  const participant = requireAudience('participant');
  const coach = requireAudience('coach', 'admin');
  const personOf = (res: express.Response): Person => {
    const ctx = launchOf(res);
    return {
      id: ctx.user.id,
      name: personName(ctx.user),
    };
  };
  const backTo = (res: express.Response, backPath: unknown, fallback: string, anchor = '#rekomendasi') => {
    const ctx = launchOf(res);
    res.redirect(303, `${withLtik(safeBack(ctx.courseKey, backPath) ?? fallback, ltikOf(res))}${anchor}`);
  };

  // ---- Participants ----
  router.get(
    '/recommend/:itemId/open',
    participant,
    handle(async (req, res) => {
      const ctx = launchOf(res);
      const url = ITEM_ID.test(req.params.itemId)
        ? await deps.recommend.open(ctx.courseKey, ctx.user.id, req.params.itemId)
        : undefined;
      if (!url) {
        throw new HttpError(404, 'rec.notFound');
      }
      res.redirect(303, url);
    }),
  );

  router.post(
    '/recommend/:itemId/mark',
    participant,
    handle(async (req, res) => {
      const ctx = launchOf(res);
      const body = req.body as unknown;
      if (!validateMark(body) || !ITEM_ID.test(req.params.itemId)) {
        throw new HttpError(400, 'error.badRequest');
      }
      if (!(await deps.recommend.mark(ctx.courseKey, ctx.user.id, req.params.itemId, body.mark))) {
        throw new HttpError(404, 'rec.notFound');
      }
      backTo(res, body.back, `${coursePath(ctx.courseKey)}/participant`);
    }),
  );

  router.post(
    '/recommend/data-saver',
    participant,
    handle(async (req, res) => {
      const ctx = launchOf(res);
      const body = req.body as unknown;
      if (!validateDataSaver(body)) {
        throw new HttpError(400, 'error.badRequest');
      }
      await rememberDataSaver(ctx.platform.key, ctx.user.id, body.dataSaver === 'on');
      backTo(res, body.back, `${coursePath(ctx.courseKey)}/participant`);
    }),
  );

  // ---- Coaches ----
  const base = (courseKey: string) => `${coursePath(courseKey)}/materials`;

  async function catalogPage(
    req: express.Request,
    res: express.Response,
    status: number,
    extra: {
      notice?: string;
      problems?: string[];
      form?: Record<string, unknown>;
      importText?: string;
      importProblems?: string[];
    } = {},
  ): Promise<void> {
    const ctx = launchOf(res);
    const t = translator(ctx.locale);
    const entries = await deps.recommend.coachView(ctx.courseKey);
    await sendPage(res, status, 'materials', {
      locale: ctx.locale,
      title: t('materials.title'),
      ctx,
      ltik: ltikOf(res),
      link: (path: string, q?: Record<string, string>) => withLtik(path, ltikOf(res), q),
      base: base(ctx.courseKey),
      coachHome: `${coursePath(ctx.courseKey)}/coach`,
      entries,
      values: BERAKHLAK_VALUES,
      valueName: (v: string) => t(`value.${v}`),
      notice: extra.notice,
      problems: extra.problems ?? [],
      form: extra.form ?? {},
      importText: extra.importText ?? '',
      importProblems: extra.importProblems ?? [],
      maxImportKb: Math.round(MAX_IMPORT_BYTES / 1000),
    });
  }

  const notices: Record<string, string> = {
    added: 'materials.added',
    updated: 'materials.updated',
    imported: 'materials.imported',
    curated: 'materials.curated',
    status: 'materials.statusChanged',
  };
  router.get(
    '/materials',
    coach,
    handle(async (req, res) => {
      const t = translator(launchOf(res).locale);
      const key = Object.keys(notices).find((k) => req.query[k] !== undefined);
      await catalogPage(req, res, 200, { notice: key ? t(notices[key], { n: String(req.query[key]) }) : undefined });
    }),
  );

  /** The add and edit forms' shared path: the form → an item, or the page again with what to fix. */
  async function itemOrProblems(
    req: express.Request,
    res: express.Response,
    id?: string,
  ): Promise<CatalogItem | undefined> {
    const ctx = launchOf(res);
    const t = translator(ctx.locale);
    const body = req.body as unknown;
    if (!validateItemForm(body)) {
      await sendError(req, res, 400, 'error.badRequest', { locale: ctx.locale });
      return undefined;
    }
    const checked = checkItem(itemFromForm(body, id));
    if (checked.ok) return checked.item;
    const fields = problemFields(checked.problems).map((f) => t(`materials.field.${f}`));
    await catalogPage(req, res, 400, {
      problems: [t('materials.fixFields', { fields: fields.join(', ') || t('materials.field.form') })],
      form: { ...body, editing: id },
    });
    return undefined;
  }

  router.post(
    '/materials/items',
    coach,
    handle(async (req, res) => {
      const ctx = launchOf(res);
      const t = translator(ctx.locale);
      const item = await itemOrProblems(req, res);
      if (!item) return;
      const result = await deps.recommend.addItem(ctx.courseKey, personOf(res), item);
      if (result !== 'ok') {
        await catalogPage(req, res, 409, {
          problems: [t(result === 'shared' ? 'materials.idShared' : 'materials.idExists', { id: item.id })],
          form: req.body as Record<string, unknown>,
        });
        return;
      }
      res.redirect(303, withLtik(base(ctx.courseKey), ltikOf(res), { added: item.id }));
    }),
  );

  router.post(
    '/materials/items/:itemId',
    coach,
    handle(async (req, res) => {
      const ctx = launchOf(res);
      if (!ITEM_ID.test(req.params.itemId)) {
        throw new HttpError(404, 'materials.notFound');
      }
      const item = await itemOrProblems(req, res, req.params.itemId);
      if (!item) return;
      if ((await deps.recommend.updateItem(ctx.courseKey, personOf(res), req.params.itemId, item)) !== 'ok') {
        throw new HttpError(404, 'materials.notFound');
      }
      res.redirect(303, withLtik(base(ctx.courseKey), ltikOf(res), { updated: item.id }));
    }),
  );

  router.post(
    '/materials/items/:itemId/status',
    coach,
    handle(async (req, res) => {
      const ctx = launchOf(res);
      const body = req.body as unknown;
      if (!validateStatus(body) || !ITEM_ID.test(req.params.itemId)) {
        throw new HttpError(400, 'error.badRequest');
      }
      const result = await deps.recommend.setStatus(ctx.courseKey, personOf(res), req.params.itemId, body.status);
      if (result !== 'ok') {
        await sendError(
          req,
          res,
          result === 'shared' ? 409 : 404,
          result === 'shared' ? 'materials.sharedCannotRetire' : 'materials.notFound',
          { locale: ctx.locale },
        );
        return;
      }
      res.redirect(303, withLtik(base(ctx.courseKey), ltikOf(res), { status: req.params.itemId }));
    }),
  );

  router.post(
    '/materials/items/:itemId/curation',
    coach,
    handle(async (req, res) => {
      const ctx = launchOf(res);
      const body = req.body as unknown;
      if (!validateCuration(body) || !ITEM_ID.test(req.params.itemId)) {
        throw new HttpError(400, 'error.badRequest');
      }
      if ((await deps.recommend.curate(ctx.courseKey, personOf(res), req.params.itemId, body.curation)) !== 'ok') {
        throw new HttpError(404, 'materials.notFound');
      }
      res.redirect(303, withLtik(base(ctx.courseKey), ltikOf(res), { curated: req.params.itemId }));
    }),
  );

  router.post(
    '/materials/import',
    coach,
    handle(async (req, res) => {
      const ctx = launchOf(res);
      const t = translator(ctx.locale);
      const body = req.body as unknown;
      if (!validateImport(body)) {
        throw new HttpError(400, 'error.badRequest');
      }
      const result = await deps.recommend.importItems(ctx.courseKey, personOf(res), body.text, body.replace === '1');
      if (!result.ok) {
        const tooBig = result.problems.some((p) => p.code === 'tooBig');
        // A file over the limit is not echoed back into the page.
        await catalogPage(req, res, tooBig ? 413 : 400, {
          importText: tooBig ? '' : body.text,
          importProblems: result.problems.map((p) => importProblemText(p, t)),
        });
        return;
      }
      res.redirect(303, withLtik(base(ctx.courseKey), ltikOf(res), { imported: String(result.items.length) }));
    }),
  );

  router.get(
    '/materials/export.:format(csv|json)',
    coach,
    handle(async (req, res) => {
      const ctx = launchOf(res);
      const items = await deps.recommend.courseItems(ctx.courseKey);
      const csv = req.params.format === 'csv';
      res.set('Content-Disposition', `attachment; filename="cermin-materi.${csv ? 'csv' : 'json'}"`);
      // A byte-order mark: spreadsheet programs read the CSV as UTF-8 only with one (the import accepts it).
      res
        .type(csv ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8')
        .send(csv ? `\uFEFF${catalogToCsv(items, { courseKey: ctx.courseKey })}` : catalogToJson(items, ctx.courseKey));
    }),
  );

  return router;
}
