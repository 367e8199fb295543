/**
 * The catalog of learning materials the recommender chooses from: the item type, its validation
 * against config/schemas/catalog-item.schema.json (the shared ajv instance), and the sample
 * catalog shipped in config/catalog/sample.json.
 *
 * A catalog arrives from a file, an admin import or a coach's upload, so validation reports every
 * bad item at once with its index (and id when it has one) and a reason an author can act on,
 * rather than stopping at the first. Ids must be unique: feedback, coach curation and cached
 * embeddings are all keyed by the id, so two items sharing one would share their history.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { BerakhlakValue } from '../domain/vocabulary';
import type { Phase } from '../ai/offline/bank';
import { projectRoot } from '../core/paths';
import { ajv, describeSchemaError, isObject, jsonParseProblem, jsonPath } from '../core/validation';

export type CatalogItemType = 'video' | 'pdf' | 'article' | 'module' | 'case-study';
export type CatalogLanguage = 'id' | 'en';
export type CatalogLevel = 'dasar' | 'menengah' | 'lanjut';

export interface CatalogItem {
  /** Slug `^[a-z0-9][a-z0-9-]*$`, 1–80 characters; the key of feedback, curation and embeddings. */
  id: string;
  title: string;
  description: string;
  /** Absolute http(s) URL. */
  url: string;
  type: CatalogItemType;
  language: CatalogLanguage;
  /** Download size, for the data saver preference. */
  sizeKb?: number;
  durationMinutes?: number;
  /** BerAKHLAK values it helps with; the first is its primary value. */
  values: BerakhlakValue[];
  competencies: string[];
  tags: string[];
  level: CatalogLevel;
  /** GROW phases it suits. */
  phases?: Phase[];
}

export interface CatalogProblem {
  /** Position of the item in the list. */
  index: number;
  /** The item's id, when it has a string one. */
  id?: string;
  /** Where and what: `$[3].url: must be an absolute http(s) URL`. */
  message: string;
}

export type CatalogValidation = { ok: true; items: CatalogItem[] } | { ok: false; problems: CatalogProblem[] };

export const CATALOG_ITEM_SCHEMA_FILE = path.join(projectRoot, 'config', 'schemas', 'catalog-item.schema.json');
export const SAMPLE_CATALOG_FILE = path.join(projectRoot, 'config', 'catalog', 'sample.json');

let validator: ValidateFunction<CatalogItem> | undefined;

function itemValidator(): ValidateFunction<CatalogItem> {
  if (!validator)
    validator = ajv.compile<CatalogItem>(JSON.parse(fs.readFileSync(CATALOG_ITEM_SCHEMA_FILE, 'utf8')) as object);
  return validator;
}

/** The shared describer, with plainer words where a bare pattern would puzzle an author. */
function describe(err: ErrorObject, index: number): string {
  const located = { ...err, instancePath: `/${index}${err.instancePath}` };
  if (err.instancePath === '/url' && (err.keyword === 'pattern' || err.keyword === 'format')) {
    return `${jsonPath(located.instancePath)}: must be an absolute http(s) URL`;
  }
  if (err.instancePath === '/id' && err.keyword === 'pattern') {
    return `${jsonPath(located.instancePath)}: must be a slug of lowercase letters, digits and hyphens, starting with a letter or digit`;
  }
  return describeSchemaError(located);
}

/**
 * Checks a list of catalog items: each against the item schema, then ids unique across the list.
 * Every problem is reported, each with the item's index and (if it has one) its id.
 */
export function validateCatalog(items: unknown): CatalogValidation {
  if (!Array.isArray(items))
    return { ok: false, problems: [{ index: -1, message: '$: must be an array of catalog items' }] };
  const validate = itemValidator();
  const problems: CatalogProblem[] = [];
  const firstIndexOf = new Map<string, number>();
  items.forEach((item, index) => {
    const id = isObject(item) && typeof item.id === 'string' ? item.id : undefined;
    if (!validate(item)) {
      // One line per distinct message: a javascript: URL fails both `format` and `pattern`, say it once.
      const messages = new Set((validate.errors ?? []).map((err) => describe(err, index)));
      for (const message of messages) problems.push({ index, ...(id === undefined ? {} : { id }), message });
    }
    if (id === undefined) return;
    const first = firstIndexOf.get(id);
    if (first === undefined) firstIndexOf.set(id, index);
    else problems.push({ index, id, message: `$[${index}].id: duplicate id "${id}" (first at $[${first}])` });
  });
  return problems.length ? { ok: false, problems } : { ok: true, items: items as CatalogItem[] };
}

export class CatalogError extends Error {
  constructor(
    public readonly file: string,
    public readonly problems: CatalogProblem[],
  ) {
    super(`Katalog tidak valid / invalid catalog ${file}:\n${problems.map((p) => `  - ${p.message}`).join('\n')}`);
    this.name = 'CatalogError';
  }
}

/** A catalog file: `{ "sample": boolean, "note": string, "items": [...] }`. */
export interface CatalogFile {
  sample: boolean;
  note: string;
  items: CatalogItem[];
}

/** Parses and validates the text of a catalog file; throws CatalogError naming every problem. */
export function parseCatalogFile(text: string, file = '(catalog)'): CatalogFile {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new CatalogError(file, [{ index: -1, message: jsonParseProblem(text, err) }]);
  }
  if (!isObject(doc) || typeof doc.sample !== 'boolean' || typeof doc.note !== 'string' || !Array.isArray(doc.items)) {
    throw new CatalogError(file, [
      { index: -1, message: '$: must be an object { "sample": boolean, "note": string, "items": [ ... ] }' },
    ]);
  }
  const checked = validateCatalog(doc.items);
  if (!checked.ok) throw new CatalogError(file, checked.problems);
  return { sample: doc.sample, note: doc.note, items: checked.items };
}

/** The sample catalog (config/catalog/sample.json): fake example URLs, for demos, tests and benches. */
export function loadSampleCatalog(file: string = SAMPLE_CATALOG_FILE): CatalogFile {
  return parseCatalogFile(fs.readFileSync(file, 'utf8'), file);
}
