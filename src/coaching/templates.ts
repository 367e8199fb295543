/**
 * Coaching templates: the starting points a coach picks when placing an activity
 * (config/templates/<id>.json, Indonesian first with English). Each file is checked against
 * config/schemas/template.schema.json and then for what a schema cannot say (unique ids,
 * ascending rubric levels, a rubric that adds up to maxScore, file name = id). A bad file stops
 * the load with every problem of that file named, so an author fixes them in one go.
 */
import fs from 'node:fs';
import path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import { arrayAt, describeSchemaError, isObject, jsonParseProblem } from '../core/validation';
import { projectRoot } from '../core/paths';
import type { AiMode } from '../domain/vocabulary';

export interface LocalizedText {
  id: string;
  en: string;
}
export type { AiMode };
export interface RubricLevel {
  points: number;
  label: LocalizedText;
  descriptor: LocalizedText;
}
/** Levels in ascending points, at least two. */
export interface RubricCriterion {
  id: string;
  name: LocalizedText;
  levels: RubricLevel[];
}
export interface TemplatePrompt {
  id: string;
  text: LocalizedText;
  hint?: LocalizedText;
}
export interface TemplateSection {
  id: string;
  title: LocalizedText;
  description?: LocalizedText;
  checkpoint?: LocalizedText;
  prompts: TemplatePrompt[];
}
export interface CoachingTemplate {
  /** Equals the file name without `.json`. */
  id: string;
  /** Bumped when the wording changes (activities remember the version they started from). */
  version: number;
  /** sections: one entry per prompt; journal: dated entries answering the guiding prompts. */
  kind: 'sections' | 'journal';
  title: LocalizedText;
  summary: LocalizedText;
  instructions: LocalizedText;
  sections: TemplateSection[];
  rubric: { criteria: RubricCriterion[] };
  /** minEntries: entries of at least minWords words needed to submit without a warning. */
  completion: { minEntries: number; minWords: number };
  /** The sum of every criterion's top level. */
  maxScore: number;
  /** The default; the coach may change it when placing the activity. */
  aiMode: AiMode;
  /** Suggested due date, in days after placement. */
  dueInDays?: number;
}

export class TemplateError extends Error {
  constructor(
    public readonly file: string,
    public readonly problems: string[],
  ) {
    super(`Templat tidak valid / invalid template ${file}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'TemplateError';
  }
}

/** The order coaches see them in; any other template follows, by id. */
const ORDER = ['berakhlak', 'aktualisasi', 'habituasi', 'bebas'];

const SCHEMA_FILE = path.join(projectRoot, 'config', 'schemas', 'template.schema.json');
let validator: ValidateFunction<CoachingTemplate> | undefined;

function validatorOf(): ValidateFunction<CoachingTemplate> {
  if (!validator) {
    const schema = JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8')) as object;
    validator = new Ajv({ allErrors: true, strict: true }).compile<CoachingTemplate>(schema);
  }
  return validator;
}

/**
 * What the schema cannot check. Written defensively so it can run on a document the schema
 * refused, and the author learns every problem at once.
 */
function semanticProblems(doc: unknown, fileId: string): string[] {
  const problems: string[] = [];
  if (!isObject(doc)) return problems;
  if (typeof doc.id === 'string' && doc.id !== fileId)
    problems.push(`$.id: "${doc.id}" differs from the file name "${fileId}.json" (they must be equal)`);

  const seen = (kind: string) => {
    const first = new Map<string, string>();
    return (id: unknown, where: string) => {
      if (typeof id !== 'string') return;
      const earlier = first.get(id);
      if (earlier) problems.push(`${where}: duplicate ${kind} id "${id}" (first at ${earlier})`);
      else first.set(id, where);
    };
  };
  const sectionId = seen('section');
  const promptId = seen('prompt');
  let promptCount = 0;
  arrayAt(doc, 'sections').forEach((s, i) => {
    if (isObject(s)) sectionId(s.id, `$.sections[${i}].id`);
    arrayAt(s, 'prompts').forEach((p, j) => {
      promptCount++;
      if (isObject(p)) promptId(p.id, `$.sections[${i}].prompts[${j}].id`);
    });
  });

  const criterionId = seen('criterion');
  let total = 0;
  let totalKnown = true;
  const criteria = arrayAt(doc.rubric, 'criteria');
  criteria.forEach((c, i) => {
    if (isObject(c)) criterionId(c.id, `$.rubric.criteria[${i}].id`);
    const points = arrayAt(c, 'levels').map((l) =>
      isObject(l) && typeof l.points === 'number' ? l.points : undefined,
    );
    points.forEach((p, j) => {
      const prev = points[j - 1];
      if (j > 0 && p !== undefined && prev !== undefined && p <= prev) {
        problems.push(
          `$.rubric.criteria[${i}].levels[${j}].points: ${p} must be more than the level before it (${prev}): levels go up, each distinct`,
        );
      }
    });
    const top = points.length ? points[points.length - 1] : undefined;
    if (top === undefined) totalKnown = false;
    else total += Math.max(...points.filter((p): p is number => p !== undefined));
  });
  if (totalKnown && criteria.length && typeof doc.maxScore === 'number' && total !== doc.maxScore) {
    problems.push(
      `$.rubric.criteria: the top levels add up to ${total}, but maxScore is ${doc.maxScore} (they must be equal)`,
    );
  }

  const minEntries = isObject(doc.completion) ? doc.completion.minEntries : undefined;
  if (doc.kind === 'sections' && typeof minEntries === 'number' && minEntries > promptCount) {
    problems.push(`$.completion.minEntries: ${minEntries} is more than the ${promptCount} prompt(s) of this template`);
  }
  return problems;
}

/** Reads and checks one template file; throws TemplateError with all its problems. */
function loadOne(file: string): CoachingTemplate {
  const text = fs.readFileSync(file, 'utf8');
  let doc: unknown;
  try {
    doc = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new TemplateError(file, [jsonParseProblem(text, err)]);
  }
  const validate = validatorOf();
  const problems = validate(doc) ? [] : (validate.errors ?? []).map(describeSchemaError);
  problems.push(...semanticProblems(doc, path.basename(file, '.json')));
  if (problems.length) throw new TemplateError(file, [...new Set(problems)]);
  const { $schema: _editorHint, ...template } = doc as CoachingTemplate & { $schema?: string };
  return template;
}

function rank(id: string): number {
  const i = ORDER.indexOf(id);
  return i === -1 ? ORDER.length : i;
}

/**
 * Every `*.json` file of `dir` (default: config/templates), checked, in the order coaches see
 * them: berakhlak, aktualisasi, habituasi, bebas, then any others by id.
 */
export function loadTemplates(dir: string = path.join(projectRoot, 'config', 'templates')): CoachingTemplate[] {
  let names: string[];
  try {
    names = fs
      .readdirSync(dir)
      .filter((n) => n.endsWith('.json'))
      .sort();
  } catch (err) {
    throw new TemplateError(dir, [
      `cannot read the template folder: ${err instanceof Error ? err.message : String(err)}`,
    ]);
  }
  const templates = names.map((n) => loadOne(path.join(dir, n)));
  return templates.sort((a, b) => rank(a.id) - rank(b.id) || a.id.localeCompare(b.id));
}

/** The text in the wanted language, falling back to Indonesian (the source) when the other is empty. */
export function localize(text: LocalizedText, locale: 'id' | 'en'): string {
  return text[locale] || text.id;
}
