/**
 * The offline coach's question bank (config/offline/question-bank.json): versioned questions in
 * Indonesian and English, the BerAKHLAK lexicon and the cue lexicons for each gap. Checked
 * against config/schemas/question-bank.schema.json with the shared ajv instance, then for what a
 * schema cannot say. A bad bank stops the load with every problem named, so an author fixes them
 * in one go.
 */
import { GROW_PHASES, type GrowPhase } from '../../domain/vocabulary';
import fs from 'node:fs';
import path from 'node:path';
import type { ValidateFunction } from 'ajv';
import { projectRoot } from '../../core/paths';
import { ajv, arrayAt, describeSchemaError, isObject, jsonParseProblem } from '../../core/validation';
import { tokenize } from './stemmer';
import { loadLensMoves, type LensMoves } from './moves';

export type Phase = GrowPhase;
/** What a reflection can be missing. */
export type Gap = 'action' | 'evidence' | 'value' | 'stakeholder' | 'measure' | 'feeling' | 'learning';
/** What a question asks about: a gap, or `general` (deepening) or `story` (for a very short text). */
export type QuestionGap = Gap | 'general' | 'story';
export type CueKind =
  'intent' | 'actionVerbs' | 'time' | 'evidence' | 'stakeholder' | 'measure' | 'feeling' | 'learning';

export const PHASES: readonly Phase[] = GROW_PHASES;
export const GAPS: readonly Gap[] = ['action', 'evidence', 'value', 'stakeholder', 'measure', 'feeling', 'learning'];
export const QUESTION_GAPS: readonly QuestionGap[] = [...GAPS, 'general', 'story'];
export const CUE_KINDS: readonly CueKind[] = [
  'intent',
  'actionVerbs',
  'time',
  'evidence',
  'stakeholder',
  'measure',
  'feeling',
  'learning',
];

export interface BankText {
  id: string;
  en: string;
}

export interface BankQuestion {
  id: string;
  gap: QuestionGap;
  /** Only in these GROW phases (and preferred there). */
  phases?: Phase[];
  /** Only when this value is the one missing. */
  value?: string;
  /** Only in activities made from these templates (and preferred there). */
  templates?: string[];
  text: BankText;
}

export interface BankValue {
  id: string;
  name: BankText;
  signals: string[];
  /** What the writer does that shows the value: a verb the writer is the doer of, in a sentence with one of `with`'s words when given. */
  acts?: Array<{ verbs: string[]; with?: string[] }>;
}

export interface QuestionBank {
  version: number;
  note: BankText;
  shortTextWords: number;
  priorities: Record<'default' | Phase, Gap[]>;
  values: BankValue[];
  cues: Record<CueKind, string[]>;
  questions: BankQuestion[];
  /** The lenses' own moves (lens-moves.json beside the bank); without them every lens asks the bank's questions. */
  moves?: LensMoves;
}

export const DEFAULT_BANK_FILE = path.join(projectRoot, 'config', 'offline', 'question-bank.json');
const SCHEMA_FILE = path.join(projectRoot, 'config', 'schemas', 'question-bank.schema.json');

export class QuestionBankError extends Error {
  constructor(
    public readonly file: string,
    public readonly problems: string[],
  ) {
    super(
      `Bank pertanyaan tidak valid / invalid question bank ${file}:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
    this.name = 'QuestionBankError';
  }
}

let validator: ValidateFunction<QuestionBank> | undefined;

function validatorOf(): ValidateFunction<QuestionBank> {
  if (!validator) {
    const schema = JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8')) as object;
    validator = ajv.compile<QuestionBank>(schema);
  }
  return validator;
}

/** A lexicon entry that would never match anything: no word or number left after tokenizing. */
function emptyEntry(entry: string): boolean {
  const body = entry.startsWith('=') ? entry.slice(1) : entry;
  return !body.split(/\s+/).some((part) => part === '#' || tokenize(part).length > 0);
}

/**
 * What the schema cannot check, written defensively so it also runs on a document the schema
 * refused (the author learns every problem at once).
 */
function semanticProblems(doc: unknown): string[] {
  const problems: string[] = [];
  if (!isObject(doc)) return problems;

  const valueIds = new Map<string, number>();
  arrayAt(doc, 'values').forEach((v, i) => {
    if (!isObject(v) || typeof v.id !== 'string') return;
    if (valueIds.has(v.id))
      problems.push(`$.values[${i}].id: duplicate value id "${v.id}" (first at $.values[${valueIds.get(v.id)}])`);
    else valueIds.set(v.id, i);
    arrayAt(v, 'signals').forEach((s, j) => {
      if (typeof s === 'string' && emptyEntry(s))
        problems.push(`$.values[${i}].signals[${j}]: "${s}" has no word or number to match`);
    });
    arrayAt(v, 'acts').forEach((act, a) => {
      // The reader takes one word after the writer as the act's verb.
      arrayAt(act, 'verbs').forEach((verb, j) => {
        if (typeof verb === 'string' && (emptyEntry(verb) || verb.replace(/^=/, '').trim().split(/\s+/).length !== 1))
          problems.push(`$.values[${i}].acts[${a}].verbs[${j}]: "${verb}" must be one word`);
      });
    });
  });
  if (isObject(doc.cues)) {
    for (const [kind, list] of Object.entries(doc.cues)) {
      if (!Array.isArray(list)) continue;
      list.forEach((s, j) => {
        if (typeof s === 'string' && emptyEntry(s))
          problems.push(`$.cues.${kind}[${j}]: "${s}" has no word or number to match`);
      });
    }
  }

  const questionIds = new Map<string, number>();
  const unrestricted = new Set<string>();
  arrayAt(doc, 'questions').forEach((q, i) => {
    if (!isObject(q)) return;
    if (typeof q.id === 'string') {
      if (questionIds.has(q.id))
        problems.push(
          `$.questions[${i}].id: duplicate question id "${q.id}" (first at $.questions[${questionIds.get(q.id)}])`,
        );
      else questionIds.set(q.id, i);
    }
    if (q.value !== undefined) {
      if (typeof q.value === 'string' && !valueIds.has(q.value))
        problems.push(`$.questions[${i}].value: "${q.value}" is not one of the values in $.values`);
      if (q.gap !== 'value') problems.push(`$.questions[${i}].value: only questions with gap "value" may name a value`);
    }
    if (q.phases === undefined && q.value === undefined && q.templates === undefined && typeof q.gap === 'string')
      unrestricted.add(q.gap);
  });
  for (const gap of QUESTION_GAPS) {
    if (!unrestricted.has(gap))
      problems.push(
        `$.questions: no question for gap "${gap}" without phases, value or templates (one is needed so the gap can always be asked about)`,
      );
  }
  return problems;
}

/**
 * Reads and checks the bank (default: config/offline/question-bank.json) and the lens moves beside
 * it (lens-moves.json, when there); throws QuestionBankError or LensMovesError naming the file and
 * every problem.
 */
export function loadQuestionBank(file: string = DEFAULT_BANK_FILE): QuestionBank {
  const bank = loadBankFile(file);
  const movesFile = path.join(path.dirname(file), 'lens-moves.json');
  return fs.existsSync(movesFile) ? { ...bank, moves: loadLensMoves(movesFile) } : bank;
}

function loadBankFile(file: string): QuestionBank {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new QuestionBankError(file, [`cannot read the file: ${err instanceof Error ? err.message : String(err)}`]);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new QuestionBankError(file, [jsonParseProblem(text, err)]);
  }
  const validate = validatorOf();
  const problems = validate(doc) ? [] : (validate.errors ?? []).map(describeSchemaError);
  problems.push(...semanticProblems(doc));
  if (problems.length) throw new QuestionBankError(file, [...new Set(problems)]);
  const { $schema: _editorHint, ...bank } = doc as QuestionBank & { $schema?: string };
  return bank;
}
