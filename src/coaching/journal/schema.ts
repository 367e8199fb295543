/** Request bodies of the participant's journal (form posts and the autosave's JSON). */
import { Type } from '@sinclair/typebox';
import { Ltik, oneOf, schema } from '../../http/validate';

/** A revision as the form posts it (a string) or the autosave sends it (a number). */
const Revision = Type.Union([Type.Integer({ minimum: 0 }), Type.String({ pattern: '^\\d{1,9}$' })]);
const Visibility = oneOf(['private', 'coach', 'mentor'] as const);

export const validateSaveEntry = schema(
  Type.Object({
    // The real limit (20,000 characters) is checked with a clear message; this only stops abuse.
    text: Type.String({ maxLength: 200000 }),
    baseRevision: Revision,
    visibility: Type.Optional(Visibility),
    date: Type.Optional(Type.String({ maxLength: 10 })),
    fromCopies: Type.Optional(Type.Literal('1')),
    ltik: Ltik,
  }),
);

export const validateVisibility = schema(Type.Object({ visibility: Visibility, ltik: Ltik }));

export const validateRestore = schema(Type.Object({ revision: Revision, baseRevision: Revision, ltik: Ltik }));

export const validateNewJournalEntry = schema(
  Type.Object({ date: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' }), ltik: Ltik }),
);

export function toInt(value: number | string): number {
  return typeof value === 'number' ? value : Number.parseInt(value, 10);
}

/** "Kirim untuk dinilai": the first press asks, `confirm=1` submits. */
export const validateSubmit = schema(
  Type.Object({ confirm: Type.Optional(Type.Literal('1')), ltik: Ltik }, { additionalProperties: false }),
);

/**
 * Every entry of the page in one post (the form without JavaScript): `entry.<key>` texts,
 * `base.<key>` revisions, and which entry's "Simpan" was pressed.
 */
export const validateSaveAll = schema(
  Type.Object(
    { ltik: Ltik, from: Type.Optional(Type.String({ maxLength: 200 })) },
    {
      patternProperties: {
        '^entry\\.[\\w-]{1,120}$': Type.String({ maxLength: 200000 }),
        '^base\\.[\\w-]{1,120}$': Type.String({ pattern: '^\\d{1,9}$' }),
      },
      additionalProperties: false,
      maxProperties: 401,
    },
  ),
);
