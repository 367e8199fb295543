/**
 * AI lenses: the ways a participant can ask the mirror to look at a reflection (Cermin, Steelman,
 * Kritik tajam, Sudut pandang lain, Narasi tersembunyi). Each lens is a versioned Indonesian
 * system prompt in config/lenses/<id>.json with a strict JSON schema for its answer in
 * config/schemas/<outputSchema>.schema.json.
 *
 * The loader refuses a broken lens with every problem of that file named, and refuses an output
 * schema that is not strict (an object without `additionalProperties: false`, a string without
 * `maxLength`, an array without `maxItems`, a field that looks like a score or a grade): those
 * are the rules that keep a model's answer small, predictable and never a verdict, so they are
 * checked where the schema is read, not only in a test.
 *
 * An answer goes raw text → `parseLensAnswer` (finds the JSON object, validates it) →
 * `screenOutput` (refuses grades, personal data, unknown placeholders, invented quotes).
 */
import { BERAKHLAK_VALUES, type BerakhlakValue } from '../domain/vocabulary';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { describeSchemaError, isObject, readJsonFile } from '../core/validation';
import type { AiMode } from '../domain/vocabulary';
import { projectRoot } from '../core/paths';

export interface LocalizedText {
  id: string;
  en: string;
}

/** The lenses this release ships, in the order the participant sees them. Others in config/ follow by id. */
export const LENS_IDS = ['cermin', 'steelman', 'kritik', 'sudut-pandang', 'narasi'] as const;

/** The fields every lens answers with; downstream code (storage, coach view, offline engine) may rely on them. */
export const COMMON_FIELDS = ['questions', 'observations', 'values'] as const;

/** Key names an output schema may not have: the AI never grades (the widyaiswara does). */
const GRADE_KEY = /score|skor|grade|nilai|level|rating|rank|peringkat|mark|lulus|pass|predikat/i;

export type JsonSchema = Record<string, unknown>;

export interface Lens {
  /** Equals the file name without `.json`. */
  id: string;
  /** Bumped with any change to the prompt, the output schema, maxTokens or temperature. */
  version: number;
  name: LocalizedText;
  /** One line shown to the participant. */
  description: LocalizedText;
  /** The activity AI modes that offer the lens; 'mirror' implies 'all'. */
  availableIn: Array<'mirror' | 'all'>;
  /** The Indonesian system prompt (prompt.ts adds the answer schema and the activity context). */
  system: string;
  /** `lens-output-<id>`: config/schemas/<outputSchema>.schema.json. */
  outputSchema: string;
  maxTokens: number;
  temperature: number;
  /** The parsed output schema (prompt.ts describes it to the model). */
  schema: JsonSchema;
  /** sha256 (16 hex) of the prompt, schema and settings: the exact wording behind `${id}@${version}`. */
  fingerprint: string;
}

export interface LensValueEvidence {
  value: BerakhlakValue;
  evidence: string;
}
export interface LensAnswer {
  questions: string[];
  observations: string[];
  values: LensValueEvidence[];
  caution?: string;
  /** steelman */
  strongestForm?: string;
  /** kritik */
  critique?: Array<{ point: string; why: string }>;
  /** sudut-pandang */
  stakeholder?: string;
  counterpoint?: string;
  /** narasi */
  assumptions?: string[];
  story?: string;
}

export type LensResult = { ok: true; value: LensAnswer } | { ok: false; errors: string[] };

export class LensError extends Error {
  constructor(
    public readonly file: string,
    public readonly problems: string[],
  ) {
    super(`Lensa tidak valid / invalid lens ${file}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'LensError';
  }
}

const DEFAULT_LENS_DIR = path.join(projectRoot, 'config', 'lenses');
const DEFAULT_SCHEMA_DIR = path.join(projectRoot, 'config', 'schemas');
const LENS_SCHEMA_FILE = path.join(DEFAULT_SCHEMA_DIR, 'lens.schema.json');

const describeAll = (errors: ErrorObject[] | null | undefined): string[] => [
  ...new Set((errors ?? []).map(describeSchemaError)),
];

/**
 * What makes an output schema strict, walked through every node: objects closed with
 * `additionalProperties: false`, every string with `maxLength`, every array with `maxItems` and
 * `items`, no key that looks like a grade, and the common fields every lens answers with.
 */
export function outputSchemaProblems(schema: unknown): string[] {
  const problems: string[] = [];
  const walk = (node: unknown, where: string): void => {
    if (!isObject(node)) {
      problems.push(`${where}: not a schema object`);
      return;
    }
    if ('$ref' in node || 'anyOf' in node || 'oneOf' in node || 'allOf' in node || 'patternProperties' in node) {
      problems.push(
        `${where}: $ref, anyOf, oneOf, allOf and patternProperties are not allowed (the schema is described to the model field by field)`,
      );
    }
    if ('enum' in node) return;
    switch (node.type) {
      case 'object': {
        if (node.additionalProperties !== false)
          problems.push(`${where}: an object must have "additionalProperties": false`);
        const props = isObject(node.properties) ? node.properties : {};
        if (!Object.keys(props).length) problems.push(`${where}: an object must list its properties`);
        for (const [key, child] of Object.entries(props)) {
          if (GRADE_KEY.test(key))
            problems.push(`${where}.properties.${key}: looks like a score, grade or level; a lens never grades`);
          walk(child, `${where}.properties.${key}`);
        }
        const required = Array.isArray(node.required) ? node.required : [];
        for (const r of required)
          if (!(String(r) in props)) problems.push(`${where}.required: "${String(r)}" is not a property`);
        break;
      }
      case 'array':
        if (typeof node.maxItems !== 'number') problems.push(`${where}: an array must have "maxItems"`);
        if (!isObject(node.items)) problems.push(`${where}: an array must have one "items" schema`);
        else walk(node.items, `${where}.items`);
        break;
      case 'string':
        if (typeof node.maxLength !== 'number') problems.push(`${where}: a string must have "maxLength"`);
        break;
      default:
        problems.push(
          `${where}: type must be object, array, string or an enum (got ${JSON.stringify(node.type)}): a lens answers in words, never in numbers`,
        );
    }
  };
  walk(schema, '$');
  if (problems.length || !isObject(schema) || !isObject(schema.properties)) return problems;
  const props = schema.properties;
  const required = Array.isArray(schema.required) ? schema.required.map(String) : [];
  for (const f of COMMON_FIELDS) {
    if (!(f in props))
      problems.push(`$.properties.${f}: missing (every lens answers with ${COMMON_FIELDS.join(', ')})`);
    else if (!required.includes(f)) problems.push(`$.required: must include "${f}"`);
  }
  const questions = props.questions;
  if (isObject(questions) && (typeof questions.minItems !== 'number' || questions.minItems < 1)) {
    problems.push(
      '$.properties.questions: minItems must be at least 1 (every lens hands the thinking back with a question)',
    );
  }
  const valueEnum = (props.values as { items?: { properties?: { value?: { enum?: unknown } } } } | undefined)?.items
    ?.properties?.value?.enum;
  if (
    !Array.isArray(valueEnum) ||
    valueEnum.length !== BERAKHLAK_VALUES.length ||
    BERAKHLAK_VALUES.some((v) => !valueEnum.includes(v))
  ) {
    problems.push(
      `$.properties.values.items.properties.value.enum: must be exactly the seven BerAKHLAK ids (${BERAKHLAK_VALUES.join(', ')})`,
    );
  }
  return problems;
}

function fingerprintOf(l: Omit<Lens, 'fingerprint'>): string {
  const material = JSON.stringify([l.id, l.version, l.system, l.schema, l.maxTokens, l.temperature]);
  return crypto.createHash('sha256').update(material).digest('hex').slice(0, 16);
}

function rank(id: string): number {
  const i = (LENS_IDS as readonly string[]).indexOf(id);
  return i === -1 ? LENS_IDS.length : i;
}

/** A set of loaded lenses with each answer validator compiled once. */
export class LensLibrary {
  private readonly byId: Map<string, Lens>;

  constructor(
    readonly lenses: readonly Lens[],
    private readonly validators: ReadonlyMap<string, ValidateFunction<LensAnswer>>,
  ) {
    this.byId = new Map(lenses.map((l) => [l.id, l]));
  }

  get(id: string): Lens | undefined {
    return this.byId.get(id);
  }

  /** The lenses an activity's AI mode offers: none when 'off', the mirror lenses when 'mirror', all when 'all'. */
  lensesFor(aiMode: AiMode): Lens[] {
    if (aiMode !== 'mirror' && aiMode !== 'all') return [];
    return this.lenses.filter((l) => l.availableIn.includes(aiMode));
  }

  validate(lensId: string, value: unknown): LensResult {
    const validate = this.validators.get(lensId);
    if (!validate) return { ok: false, errors: [`unknown lens "${lensId}"`] };
    if (validate(value)) return { ok: true, value: value as LensAnswer };
    return { ok: false, errors: describeAll(validate.errors) };
  }

  /** The model's raw text → the first JSON object in it that validates (or why none does). */
  parse(lensId: string, raw: string): LensResult {
    if (!this.validators.has(lensId)) return { ok: false, errors: [`unknown lens "${lensId}"`] };
    const candidates = jsonObjectsIn(raw);
    if (!candidates.ok) return { ok: false, errors: [candidates.error] };
    let first: LensResult | undefined;
    for (const c of candidates.objects) {
      const result = this.validate(lensId, c);
      if (result.ok) return result;
      first ??= result;
    }
    return first as LensResult;
  }
}

/**
 * Every `*.json` file of `dir` (default config/lenses), checked against lens.schema.json, with
 * its output schema read from `schemaDir` (default config/schemas), checked for strictness and
 * compiled once. Throws LensError naming the file and every problem in it.
 *
 * Each library has its own strict Ajv (as the template loader has): a reload after editing a
 * prompt, or a test's library, never meets schemas compiled from older files. The `$id` of an
 * output schema is dropped before compiling, so two lenses may share one schema.
 */
export function loadLenses(dir: string = DEFAULT_LENS_DIR, schemaDir: string = DEFAULT_SCHEMA_DIR): LensLibrary {
  const ajv = new Ajv({ allErrors: true, strict: true });
  const lensSchema = readJsonFile(LENS_SCHEMA_FILE);
  if (lensSchema.problem) throw new LensError(LENS_SCHEMA_FILE, [lensSchema.problem]);
  const validateLens = ajv.compile(lensSchema.doc as object);

  let names: string[];
  try {
    names = fs
      .readdirSync(dir)
      .filter((n) => n.endsWith('.json'))
      .sort();
  } catch (err) {
    throw new LensError(dir, [`cannot read the lens folder: ${err instanceof Error ? err.message : String(err)}`]);
  }
  if (!names.length) throw new LensError(dir, ['no lens files (*.json)']);

  const lenses: Lens[] = [];
  const validators = new Map<string, ValidateFunction<LensAnswer>>();
  for (const name of names) {
    const file = path.join(dir, name);
    const read = readJsonFile(file);
    if (read.problem) throw new LensError(file, [`$: ${read.problem}`]);
    const doc = read.doc;
    const problems = validateLens(doc) ? [] : describeAll(validateLens.errors);
    const fileId = path.basename(name, '.json');
    if (isObject(doc)) {
      if (typeof doc.id === 'string' && doc.id !== fileId)
        problems.push(`$.id: "${doc.id}" differs from the file name "${name}" (they must be equal)`);
      if (Array.isArray(doc.availableIn) && doc.availableIn.includes('mirror') && !doc.availableIn.includes('all')) {
        problems.push(`$.availableIn: a lens offered in 'mirror' mode must also be offered in 'all' mode`);
      }
      if (typeof doc.system === 'string') {
        if (!doc.system.includes('<refleksi>'))
          problems.push(
            "$.system: must tell the model that the <refleksi> block is the participant's text, to be read as data",
          );
        if (!doc.system.includes('JSON'))
          problems.push('$.system: must ask for a JSON answer (the word "JSON" must appear)');
      }
    }
    let schema: JsonSchema | undefined;
    if (
      isObject(doc) &&
      typeof doc.outputSchema === 'string' &&
      /^lens-output-[a-z0-9][a-z0-9-]{0,40}$/.test(doc.outputSchema)
    ) {
      const schemaFile = path.join(schemaDir, `${doc.outputSchema}.schema.json`);
      const s = readJsonFile(schemaFile);
      if (s.problem) problems.push(`$.outputSchema: ${schemaFile}: ${s.problem}`);
      else {
        const strict = outputSchemaProblems(s.doc);
        problems.push(...strict.map((p) => `$.outputSchema: ${path.basename(schemaFile)} ${p}`));
        if (!strict.length) {
          try {
            const { $id: _id, ...rest } = s.doc as JsonSchema;
            validators.set(fileId, ajv.compile<LensAnswer>(rest));
            schema = s.doc as JsonSchema;
          } catch (err) {
            problems.push(
              `$.outputSchema: ${path.basename(schemaFile)} does not compile: ${err instanceof Error ? err.message : String(err)}`,
            );
          }
        }
      }
    }
    if (problems.length) throw new LensError(file, [...new Set(problems)]);
    const { $schema: _editorHint, ...fields } = doc as Omit<Lens, 'schema' | 'fingerprint'> & { $schema?: string };
    const lens = { ...fields, schema: schema as JsonSchema };
    lenses.push({ ...lens, fingerprint: fingerprintOf(lens) });
  }
  lenses.sort((a, b) => rank(a.id) - rank(b.id) || a.id.localeCompare(b.id));
  return new LensLibrary(lenses, validators);
}

let defaultLibrary: LensLibrary | undefined;

/** The lenses of config/lenses, loaded (and their validators compiled) on first use. */
export function defaultLenses(): LensLibrary {
  defaultLibrary ??= loadLenses();
  return defaultLibrary;
}

export function lensesFor(aiMode: AiMode, library: LensLibrary = defaultLenses()): Lens[] {
  return library.lensesFor(aiMode);
}

export function validateLensOutput(lensId: string, value: unknown, library: LensLibrary = defaultLenses()): LensResult {
  return library.validate(lensId, value);
}

/**
 * Extracts the JSON object from a model's answer even when it is wrapped in ```json fences or
 * has prose around it, then validates it against the lens's schema.
 */
export function parseLensAnswer(lensId: string, raw: string, library: LensLibrary = defaultLenses()): LensResult {
  return library.parse(lensId, raw);
}

const MAX_RAW = 100_000;
const MAX_CANDIDATES = 20;

/** The end (exclusive) of the balanced `{…}` starting at `start`, honouring strings; -1 if it never closes. */
function balancedEnd(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i + 1;
  }
  return -1;
}

/**
 * The JSON objects a model's text may hold, most likely first: the whole text, the contents of
 * each ``` fence, then each balanced `{…}` in order.
 */
export function jsonObjectsIn(
  raw: string,
): { ok: true; objects: Record<string, unknown>[] } | { ok: false; error: string } {
  if (typeof raw !== 'string' || !raw.trim()) return { ok: false, error: 'empty answer' };
  if (raw.length > MAX_RAW) return { ok: false, error: `answer too long (${raw.length} characters)` };
  const text = raw.replace(/^\uFEFF/, '').trim();
  const candidates: string[] = [text];
  for (const m of text.matchAll(/```[ \t]*(?:json|JSON|javascript|js)?[ \t]*\r?\n?([\s\S]*?)```/g))
    candidates.push(m[1].trim());
  let from = 0;
  while (candidates.length < MAX_CANDIDATES) {
    const start = text.indexOf('{', from);
    if (start === -1) break;
    const end = balancedEnd(text, start);
    if (end === -1) break;
    candidates.push(text.slice(start, end));
    from = start + 1;
  }
  const seen = new Set<string>();
  const objects: Record<string, unknown>[] = [];
  for (const c of candidates) {
    if (!c.startsWith('{') || seen.has(c)) continue;
    seen.add(c);
    try {
      const parsed: unknown = JSON.parse(c);
      if (isObject(parsed)) objects.push(parsed);
    } catch {
      // not this one
    }
  }
  return objects.length ? { ok: true, objects } : { ok: false, error: 'no JSON object in the answer' };
}

// ---------------------------------------------------------------------------------------------
// Screening an answer after validation

export type ScreenKind = 'grade' | 'personal-data' | 'placeholder' | 'evidence';
export interface ScreenReason {
  kind: ScreenKind;
  /** Where in the answer, e.g. `$.observations[1]`. */
  path: string;
  /** What was found; never the personal data itself. */
  message: string;
}

export interface ScreenContext {
  /**
   * The redacted text the model saw: its placeholders are allowed, and each `evidence` quote
   * must be found in it (a quote the participant did not write is refused).
   */
  text?: string;
  /** Placeholders of the redaction map (`[NAMA_1]` or `NAMA_1`): an array, a Set, `map.keys()`, or the map as a plain object. */
  placeholders?: Iterable<string> | Readonly<Record<string, unknown>>;
}

/** `[NAMA_1]`, `[NAMA_INSTANSI_2]`: a redaction placeholder, and anything shaped like one (another case included). */
const PLACEHOLDER = /\[[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*_\d+\]/g;

const GRADE_PATTERNS: Array<[RegExp, string]> = [
  [
    /(?<![\p{L}\p{N}])(?:nilai|skor|score|grade|rating|peringkat)(?:\s+(?:anda|akhir|kamu|your|final|total)){0,2}(?:\s+(?:adalah|ialah|sebesar|menjadi|is|of))?\s*[:=]?\s*\d{1,3}(?:[.,]\d+)?(?![\p{N}])/iu,
    'a score',
  ],
  [
    /(?<![\p{N}/])(?:\d{1,3}(?:[.,]\d+)?\s*)?\/\s*100(?![\p{N}/])|(?<![\p{N}/])\d{1,2}\s*\/\s*10(?![\p{N}/])/u,
    'a mark out of 10 or 100',
  ],
  [/(?<![\p{N}])\d{1,3}\s+(?:dari|out of)\s+100(?![\p{N}])/iu, 'a mark out of 100'],
  [/(?<![\p{L}])(?:lulus|kelulusan|meluluskan|diluluskan)(?![\p{L}])/iu, 'a pass or fail verdict'],
  [
    /(?<![\p{L}])(?:you|anda)\s+(?:have\s+|has\s+)?(?:passed|failed|pass|fail)(?![\p{L}])|(?<![\p{L}])pass(?:ing)?\s+(?:grade|mark)(?![\p{L}])/iu,
    'a pass or fail verdict',
  ],
  [/(?<![\p{L}])predikat(?![\p{L}])/iu, 'a grade (predikat)'],
  [/(?<![\p{L}])(?:[Nn]ilai|NILAI|[Gg]rade|GRADE)\s*[:=]?\s*[A-E][+-]?(?![\p{L}\p{N}])/u, 'a letter grade'],
];

const PERSONAL_PATTERNS: Array<[RegExp, string]> = [
  [/[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+/u, 'an e-mail address'],
  // NIK (16 digits) and NIP (18 digits, often written 8 6 1 3), with or without separators.
  [/(?<![\p{N}])(?:\d[ .-]?){15,17}\d(?![\p{N}])/u, 'a NIK or NIP-like number'],
  [/(?<![\p{N}+])(?:\+62|62|0)[\s-]?8\d{1,3}(?:[\s.-]?\d{2,4}){2,3}(?![\p{N}])/u, 'a phone number'],
];

/** Lower case, compatibility forms folded, everything but letters and digits as single spaces. */
function normalizeForQuote(s: string): string {
  return s
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** Whether a quote (or each part of one shortened with "..."/"…") appears in the text. */
export function quoteFoundIn(quote: string, text: string): boolean {
  const haystack = ` ${normalizeForQuote(text)} `;
  const parts = quote
    .split(/\.{3,}|…|\[\s*\.\.\.\s*\]/)
    .map(normalizeForQuote)
    .filter(Boolean);
  return parts.length > 0 && parts.every((p) => haystack.includes(` ${p} `));
}

/** The placeholders in a text, e.g. `[NAMA_1]`. */
export function placeholdersIn(text: string): Set<string> {
  return new Set(text.match(PLACEHOLDER) ?? []);
}

function allowedPlaceholders(ctx: ScreenContext): Set<string> {
  const allowed = ctx.text ? placeholdersIn(ctx.text) : new Set<string>();
  const given = ctx.placeholders;
  if (given) {
    const tokens: Iterable<string> = Symbol.iterator in given ? (given as Iterable<string>) : Object.keys(given);
    for (const t of tokens) if (typeof t === 'string') allowed.add(t.startsWith('[') ? t : `[${t}]`);
  }
  return allowed;
}

/**
 * The last check before an answer is shown or stored: every string of it is searched for a
 * grade or score, personal data, a placeholder the input did not have, and (when `ctx.text` is
 * given) an evidence quote the participant did not write. Returns the reasons to refuse it;
 * an empty list means it passes. An evidence quote found word for word in the participant's text
 * is not searched for grades ("lulus seleksi CPNS" is their own words).
 */
export function screenOutput(answer: unknown, ctx: ScreenContext = {}): ScreenReason[] {
  const reasons: ScreenReason[] = [];
  const allowed = allowedPlaceholders(ctx);
  const check = (s: string, where: string, isEvidence: boolean): void => {
    const quoted = isEvidence && ctx.text !== undefined && quoteFoundIn(s, ctx.text);
    if (isEvidence && ctx.text !== undefined && !quoted) {
      reasons.push({ kind: 'evidence', path: where, message: "the quote is not found in the participant's text" });
    }
    if (!quoted) {
      for (const [re, what] of GRADE_PATTERNS) {
        const m = re.exec(s);
        if (m) reasons.push({ kind: 'grade', path: where, message: `looks like ${what} ("${m[0].trim()}")` });
      }
    }
    for (const [re, what] of PERSONAL_PATTERNS) {
      if (re.test(s)) reasons.push({ kind: 'personal-data', path: where, message: `contains ${what}` });
    }
    for (const p of s.match(PLACEHOLDER) ?? []) {
      if (!allowed.has(p))
        reasons.push({ kind: 'placeholder', path: where, message: `placeholder ${p} was not in the input` });
    }
  };
  const walk = (v: unknown, where: string, key?: string): void => {
    if (typeof v === 'string') check(v, where, key === 'evidence');
    else if (Array.isArray(v)) v.forEach((item, i) => walk(item, `${where}[${i}]`));
    else if (isObject(v))
      for (const [k, item] of Object.entries(v))
        walk(item, /^[A-Za-z_$][\w$]*$/.test(k) ? `${where}.${k}` : `${where}[${JSON.stringify(k)}]`, k);
  };
  walk(answer, '$');
  return reasons;
}
