/** Request bodies of the AI mirror's pages. */
import { Type } from '@sinclair/typebox';
import { Ltik, oneOf, schema } from '../../http/validate';

/** Asking a lens on an entry. */
export const validateReflect = schema(Type.Object({ lens: Type.String({ pattern: '^[a-z-]{1,40}$' }), ltik: Ltik }));

/** The consent page's buttons. */
export const validateConsentChoice = schema(
  Type.Object({
    choice: oneOf(['accept', 'decline', 'withdraw'] as const),
    back: Type.Optional(Type.String({ maxLength: 500 })),
    ltik: Ltik,
  }),
);
