/** Request bodies of the coach's activity pages. */
import { Type } from '@sinclair/typebox';
import { Ltik, schema } from '../../http/validate';

/** The picker's template choice. */
export const validateTemplateChoice = schema(
  Type.Object({ templateId: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,40}$' }), ltik: Ltik }),
);
