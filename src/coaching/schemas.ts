/** Request bodies of the coaching pages (form posts and the autosave's JSON), validated by ajv. */
import { ajv } from '../validation';

const revision = { anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string', pattern: '^\\d{1,9}$' }] } as const;
const ltik = { type: 'string', maxLength: 4096 } as const;

export interface SaveEntryBody { text: string; baseRevision: number | string; visibility?: 'private' | 'coach' | 'mentor'; ltik?: string; date?: string; fromCopies?: '1' }
export const validateSaveEntry = ajv.compile<SaveEntryBody>({
  type: 'object',
  required: ['text', 'baseRevision'],
  properties: {
    // The real limit (20,000 characters) is checked with a clear message; this only stops abuse.
    text: { type: 'string', maxLength: 200000 },
    baseRevision: revision,
    visibility: { enum: ['private', 'coach', 'mentor'] },
    date: { type: 'string', maxLength: 10 },
    fromCopies: { const: '1' },
    ltik,
  },
});

export const validateVisibility = ajv.compile<{ visibility: 'private' | 'coach' | 'mentor'; ltik?: string }>({
  type: 'object',
  required: ['visibility'],
  properties: { visibility: { enum: ['private', 'coach', 'mentor'] }, ltik },
});

export const validateRestore = ajv.compile<{ revision: number | string; baseRevision: number | string; ltik?: string }>({
  type: 'object',
  required: ['revision', 'baseRevision'],
  properties: { revision, baseRevision: revision, ltik },
});

export const validateNewJournalEntry = ajv.compile<{ date: string; ltik?: string }>({
  type: 'object',
  required: ['date'],
  properties: { date: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' }, ltik },
});

export const validateLanguage = ajv.compile<{ lang: 'id' | 'en'; back?: string; ltik?: string }>({
  type: 'object',
  required: ['lang'],
  properties: { lang: { enum: ['id', 'en'] }, back: { type: 'string', maxLength: 500, pattern: '^(/lti/app/[^?#]*)?$' }, ltik },
});

export const validateTemplateChoice = ajv.compile<{ templateId: string; ltik?: string }>({
  type: 'object',
  required: ['templateId'],
  properties: { templateId: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,40}$' }, ltik },
});

export function toInt(value: number | string): number {
  return typeof value === 'number' ? value : Number.parseInt(value, 10);
}
