/** Request bodies and query strings of the coach's review and roster pages. */
import { Type, type Static } from '@sinclair/typebox';
import type { ValidateFunction } from 'ajv';
import { Ltik, oneOf, schema } from '../../http/validate';

/** The coach's review form: `level.<criterion>` fields and a few named ones, all strings (checked in review/domain.ts). */
const ReviewForm = Type.Object(
  {
    revision: Type.Optional(Type.String({ pattern: '^[0-9]{1,9}$' })),
    comment: Type.Optional(Type.String()),
    override: Type.Optional(Type.String()),
    overrideReason: Type.Optional(Type.String()),
    release: Type.Optional(oneOf(['now', 'held'] as const)),
  },
  { additionalProperties: Type.String({ maxLength: 20000 }) },
);
export type ReviewFormBody = Static<typeof ReviewForm> & { [field: string]: string | undefined };
export const validateReviewForm = schema(ReviewForm) as ValidateFunction<ReviewFormBody>;

/** The roster page's query string: search, filter, sort, page. */
const RosterQuerySchema = Type.Object(
  {
    q: Type.Optional(Type.String({ maxLength: 100 })),
    activity: Type.Optional(Type.String({ maxLength: 64 })),
    status: Type.Optional(
      oneOf(['', 'all', 'notStarted', 'draft', 'submitted', 'reviewed', 'waiting', 'sent', 'failed', 'left'] as const),
    ),
    sort: Type.Optional(oneOf(['name', 'status', 'updated'] as const)),
    page: Type.Optional(Type.String({ pattern: '^[0-9]{1,5}$' })),
    refresh: Type.Optional(Type.Literal('1')),
    released: Type.Optional(Type.String({ pattern: '^[0-9]{1,6}$' })),
    followedUp: Type.Optional(Type.Literal('1')),
    ltik: Type.Optional(Type.String({ maxLength: 4096 })),
    lang: Type.Optional(Type.String({ maxLength: 5 })),
  },
  { additionalProperties: false },
);
export type RosterQuery = Static<typeof RosterQuerySchema>;
export const validateRosterQuery = schema(RosterQuerySchema);

/** A coach's follow-up of a safety alert: what they did (may be short, never required to be long). */
const SafetyFollowUpForm = Type.Object(
  {
    ltik: Ltik,
    note: Type.String({ maxLength: 1000 }),
  },
  { additionalProperties: false },
);
export const validateSafetyFollowUp = schema(SafetyFollowUpForm);

/** Reopening a submission: the reason the participant reads on their journal. */
const ReopenForm = Type.Object(
  {
    ltik: Ltik,
    reason: Type.String({ maxLength: 1000 }),
    list: Type.Optional(oneOf(['todo', 'all'] as const)),
  },
  { additionalProperties: false },
);
export const validateReopenForm = schema(ReopenForm);

/** Removing a comment from the coach's bank, from the review page it was shown on. */
const BankDeleteForm = Type.Object(
  { ltik: Ltik, id: Type.String({ maxLength: 200 }), back: Type.Optional(Type.String({ maxLength: 500 })) },
  { additionalProperties: false },
);
export const validateBankDelete = schema(BankDeleteForm);

/** Reopening several submissions from the worklist, with one reason for all of them. */
const BulkReopenForm = Type.Object(
  {
    ltik: Ltik,
    reason: Type.String({ maxLength: 1000 }),
    userId: Type.Union([
      Type.String({ maxLength: 200 }),
      Type.Array(Type.String({ maxLength: 200 }), { maxItems: 500 }),
    ]),
    show: Type.Optional(oneOf(['todo', 'all'] as const)),
  },
  { additionalProperties: false },
);
export const validateBulkReopen = schema(BulkReopenForm);
