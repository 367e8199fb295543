/**
 * The one ajv instance for request bodies, CLI arguments and platform answers (the config loader
 * keeps its own: it fills defaults). Schemas compile once, at module load.
 */
import fs from 'node:fs';
import Ajv, { type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';

export const ajv = new Ajv({ allErrors: true });
addFormats(ajv);

/** An absolute http(s) URL of sane length. */
export const httpUrlSchema = { type: 'string', format: 'uri', pattern: '^https?://', maxLength: 2048 } as const;

/** `/sections/0/prompts/1` → `$.sections[0].prompts[1]`: a path an author of a config file can follow. */
export function jsonPath(pointer: string, child?: string): string {
  const parts = [
    ...pointer
      .split('/')
      .slice(1)
      .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~')),
    ...(child === undefined ? [] : [child]),
  ];
  return parts.reduce(
    (acc, p) =>
      /^\d+$/.test(p) ? `${acc}[${p}]` : /^[A-Za-z_$][\w$]*$/.test(p) ? `${acc}.${p}` : `${acc}[${JSON.stringify(p)}]`,
    '$',
  );
}

/** What the config files' patterns mean, in words. */
const PATTERN_MEANING: Record<string, string> = {
  '\\S': 'must not be blank',
  '^[^\\n]*\\S[^\\n]*$': 'must be one line, not blank',
};

/** One ajv error as a line an author can act on: where, and what is wrong there. */
export function describeSchemaError(err: ErrorObject): string {
  const params = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'required':
      return `${jsonPath(err.instancePath, String(params.missingProperty))}: missing`;
    case 'additionalProperties':
      return `${jsonPath(err.instancePath, String(params.additionalProperty))}: unknown key`;
    case 'enum':
      return `${jsonPath(err.instancePath)}: must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'uniqueItems':
      return `${jsonPath(err.instancePath)}: items ${String(params.j)} and ${String(params.i)} are the same (each must appear once)`;
    case 'pattern':
      return `${jsonPath(err.instancePath)}: ${PATTERN_MEANING[String(params.pattern)] ?? `must match ${String(params.pattern)}`}`;
    default:
      return `${jsonPath(err.instancePath)}: ${err.message ?? 'invalid'}`;
  }
}

/** The invalid-JSON message of a config file with a line and column, which Node does not always give. */
export function jsonParseProblem(text: string, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const at = /position (\d+)/.exec(message);
  if (!at || /line \d+/.test(message)) return `$: invalid JSON: ${message}`;
  const before = text.slice(0, Number(at[1])).split('\n');
  return `$: invalid JSON: ${message} (line ${before.length} column ${before[before.length - 1].length + 1})`;
}

/**
 * A whole number typed into a form: "100000", "100.000" or "100 000" (Indonesian groups thousands
 * with dots), "100,000"; anything else is left as typed for the schema to refuse by name.
 */
export function wholeNumberFromForm(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const typed = value.trim();
  if (/^-?\d+$/.test(typed)) return Number(typed);
  if (/^\d{1,3}([.,\s]\d{3})+$/.test(typed) && new Set(typed.replace(/\d/g, '')).size === 1)
    return Number(typed.replace(/\D/g, ''));
  return value;
}

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
/** `o[key]` when it is an array, else an empty one: for checks that run on documents a schema refused. */
export const arrayAt = (o: unknown, key: string): unknown[] => (isObject(o) && Array.isArray(o[key]) ? o[key] : []);

/** A JSON config file read and parsed, or why it could not be (a byte-order mark is allowed). */
export function readJsonFile(file: string): { doc?: unknown; problem?: string } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    return { problem: `cannot read: ${err instanceof Error ? err.message : String(err)}` };
  }
  try {
    return { doc: JSON.parse(text.replace(/^\uFEFF/, '')) };
  } catch (err) {
    return { problem: `invalid JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
}
