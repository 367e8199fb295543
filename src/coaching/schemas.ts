/** Request bodies of the coaching pages (form posts and the autosave's JSON), validated by ajv. */
import { ltikField } from '../http/validate';
import { ajv } from '../core/validation';

const revision = { anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string', pattern: '^\\d{1,9}$' }] } as const;
const ltik = ltikField;

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

export const validateTemplateChoice = ajv.compile<{ templateId: string; ltik?: string }>({
  type: 'object',
  required: ['templateId'],
  properties: { templateId: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,40}$' }, ltik },
});

export function toInt(value: number | string): number {
  return typeof value === 'number' ? value : Number.parseInt(value, 10);
}

/** The coach's review form: `level.<criterion>` fields and a few named ones, all strings (checked in review-domain). */
export interface ReviewFormBody {
  revision?: string;
  comment?: string;
  override?: string;
  overrideReason?: string;
  release?: 'now' | 'held';
  [field: string]: string | undefined;
}
export const validateReviewForm = ajv.compile<ReviewFormBody>({
  type: 'object',
  additionalProperties: { type: 'string', maxLength: 20000 },
  properties: {
    revision: { type: 'string', pattern: '^[0-9]{1,9}$' },
    release: { enum: ['now', 'held'] },
  },
});

/** The roster page's query string: search, filter, sort, page. */
export interface RosterQuery { q?: string; activity?: string; status?: string; sort?: 'name' | 'status' | 'updated'; page?: string; refresh?: '1'; released?: string; ltik?: string; lang?: string }
export const validateRosterQuery = ajv.compile<RosterQuery>({
  type: 'object',
  additionalProperties: false,
  properties: {
    q: { type: 'string', maxLength: 100 },
    activity: { type: 'string', maxLength: 64 },
    status: { enum: ['', 'all', 'notStarted', 'draft', 'submitted', 'reviewed', 'waiting', 'sent', 'failed', 'left'] },
    sort: { enum: ['name', 'status', 'updated'] },
    page: { type: 'string', pattern: '^[0-9]{1,5}$' },
    refresh: { const: '1' },
    released: { type: 'string', pattern: '^[0-9]{1,6}$' },
    ltik,
    lang: { type: 'string', maxLength: 5 },
  },
});

/** Asking a lens on an entry. */
export const validateReflect = ajv.compile<{ lens: string; ltik?: string }>({
  type: 'object',
  required: ['lens'],
  properties: { lens: { type: 'string', pattern: '^[a-z-]{1,40}$' }, ltik },
});

/** The consent page's buttons. */
export const validateConsentChoice = ajv.compile<{ choice: 'accept' | 'decline' | 'withdraw'; back?: string; ltik?: string }>({
  type: 'object',
  required: ['choice'],
  properties: { choice: { enum: ['accept', 'decline', 'withdraw'] }, back: { type: 'string', maxLength: 500 }, ltik },
});

