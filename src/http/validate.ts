/**
 * Input validation before a route sees its input: `validate(check)` refuses a body (or query)
 * the compiled schema rejects with a translated 400, so a handler reads `req.body` as the
 * schema's type. Schemas are compiled once with the shared ajv (core/validation.ts).
 */
import type express from 'express';
import type { ValidateFunction } from 'ajv';
import { ajv } from '../core/validation';
import { HttpError } from './errors';

export function validate(check: ValidateFunction, where: 'body' | 'query' = 'body'): express.RequestHandler {
  return (req, _res, next) => {
    if (!check(req[where])) throw new HttpError(400, 'error.badRequest');
    next();
  };
}

/** The ltik a form posts as a hidden field (ltijs reads it from the body as well as the query). */
export const ltikField = { type: 'string', maxLength: 4096 } as const;

/** A button whose post carries nothing but the session (a coach's draft request, the admin's connection test): what it acts on is in the URL. */
export const validateSessionOnly = ajv.compile<{ ltik?: string }>({
  type: 'object',
  additionalProperties: false,
  properties: { ltik: ltikField },
});
