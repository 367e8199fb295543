/**
 * The offline lens moves (config/offline/lens-moves.json): how each lens answers without AI. For
 * the strongest tension the reader found (or else the entry's GROW phase, or `story` for a past
 * event), a lead sentence that carries the lens's move around one of the writer's sentences, and
 * two questions, each naming its topic so a question the text already answers is never asked.
 * Checked against config/schemas/lens-moves.schema.json, then for what a schema cannot say; a bad
 * file stops the load with every problem named.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ValidateFunction } from 'ajv';
import { projectRoot } from '../../core/paths';
import { ajv, arrayAt, describeSchemaError, isObject, jsonParseProblem } from '../../core/validation';
import type { BankText } from './bank';
import { LENS_IDS } from '../lenses';

export const MOVE_SITUATIONS = [
  'rule-vs-shortcut',
  'acted-without-supervisor',
  'missing-measure',
  'unnamed-stakeholder',
  'feeling-without-action',
  'blame-without-own-part',
  'phase:goal',
  'phase:reality',
  'phase:options',
  'phase:will',
  'story',
] as const;
export type MoveSituation = (typeof MOVE_SITUATIONS)[number];

/** What a question asks about: a gap of the reflection, or what a tension or a lens turns on. */
export type MoveTopic =
  | 'story'
  | 'action'
  | 'evidence'
  | 'value'
  | 'stakeholder'
  | 'measure'
  | 'feeling'
  | 'learning'
  | 'rule'
  | 'supervisor'
  | 'own-part'
  | 'assumption'
  | 'other-view'
  | 'options'
  | 'risk';

export interface LensMove {
  lens: string;
  when: MoveSituation;
  lead: BankText;
  questions: Array<{ topic: MoveTopic; text: BankText }>;
}

export interface LensMoves {
  version: number;
  moves: LensMove[];
}

export const DEFAULT_MOVES_FILE = path.join(projectRoot, 'config', 'offline', 'lens-moves.json');
const SCHEMA_FILE = path.join(projectRoot, 'config', 'schemas', 'lens-moves.schema.json');

export class LensMovesError extends Error {
  constructor(
    public readonly file: string,
    public readonly problems: string[],
  ) {
    super(`Langkah lensa tidak valid / invalid lens moves ${file}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'LensMovesError';
  }
}

let validator: ValidateFunction<LensMoves> | undefined;

function semanticProblems(doc: unknown): string[] {
  const problems: string[] = [];
  const seen = new Map<string, number>();
  const questions = new Map<string, string>();
  arrayAt(doc, 'moves').forEach((m, i) => {
    if (!isObject(m) || typeof m.lens !== 'string' || typeof m.when !== 'string') return;
    const key = `${m.lens} ${m.when}`;
    if (seen.has(key)) problems.push(`$.moves[${i}]: "${key}" again (first at $.moves[${seen.get(key)}])`);
    else seen.set(key, i);
    if (isObject(m.lead))
      for (const lang of ['id', 'en'] as const) {
        const lead = m.lead[lang];
        if (typeof lead === 'string' && lead.split('{quote}').length !== 2)
          problems.push(`$.moves[${i}].lead.${lang}: must hold {quote} exactly once`);
      }
    arrayAt(m, 'questions').forEach((q, j) => {
      const text = isObject(q) && isObject(q.text) ? q.text.id : undefined;
      if (typeof text !== 'string') return;
      const at = `$.moves[${i}].questions[${j}]`;
      if (questions.has(text))
        problems.push(`${at}: the same question as ${questions.get(text)} (each lens asks its own)`);
      else questions.set(text, at);
    });
  });
  for (const lens of LENS_IDS)
    for (const when of MOVE_SITUATIONS)
      if (!seen.has(`${lens} ${when}`)) problems.push(`$.moves: no move for lens "${lens}" when "${when}"`);
  return problems;
}

/** Reads and checks the moves; throws LensMovesError naming the file and every problem. */
export function loadLensMoves(file: string = DEFAULT_MOVES_FILE): LensMoves {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new LensMovesError(file, [`cannot read the file: ${err instanceof Error ? err.message : String(err)}`]);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new LensMovesError(file, [jsonParseProblem(text, err)]);
  }
  validator ??= ajv.compile<LensMoves>(JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8')) as object);
  const problems = validator(doc) ? [] : (validator.errors ?? []).map(describeSchemaError);
  problems.push(...semanticProblems(doc));
  if (problems.length) throw new LensMovesError(file, [...new Set(problems)]);
  const { $schema: _editorHint, ...moves } = doc as LensMoves & { $schema?: string };
  return moves;
}
