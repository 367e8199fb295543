/**
 * Input validation before a route sees its input: `validate(check)` refuses a body (or query)
 * the compiled schema rejects with a translated 400, so a handler reads `req.body` as the
 * schema's type. Schemas are compiled once with the shared ajv (core/validation.ts).
 */
import type express from 'express';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { ValidateFunction } from 'ajv';
import { ajv } from '../core/validation';
import { HttpError } from './errors';

export function validate(check: ValidateFunction, where: 'body' | 'query' = 'body'): express.RequestHandler {
  return (req, _res, next) => {
    if (!check(req[where])) throw new HttpError(400, 'error.badRequest');
    next();
  };
}

/**
 * A request schema written once: `schema(Type.Object(…))` compiles it with the shared ajv and
 * its TypeScript type is derived from it (`Static<typeof S>`), so the two cannot drift apart.
 */
export function schema<S extends TSchema>(s: S): ValidateFunction<Static<S>> {
  return ajv.compile<Static<S>>(s);
}

/** One of a few strings, as a JSON Schema `enum` (TypeBox's literal unions would be `anyOf`). */
export function oneOf<const T extends readonly string[]>(values: T) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values] });
}

/** The ltik a form posts as a hidden field (ltijs reads it from the body as well as the query). */
export const Ltik = Type.Optional(Type.String({ maxLength: 4096 }));

/** A button whose post carries nothing but the session (a coach's draft request, the admin's connection test): what it acts on is in the URL. */
export const validateSessionOnly = schema(Type.Object({ ltik: Ltik }, { additionalProperties: false }));
