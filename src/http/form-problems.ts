/**
 * A form's schema errors as sentences in the page's language, each naming the field by its label.
 * The domain's own checks describe problems for logs and config files (describeSchemaError, in
 * English, by JSON path); a person at a form needs "Judul: wajib diisi", not "$.id.title: must NOT
 * have fewer than 1 characters".
 */
import { formatNumber } from './format';
import type { ErrorObject } from 'ajv';
import type { Locale } from '../domain/launch';
import { translator } from './i18n';

/** The field an error is about: its instance path (`/id/body/0`), or the missing or unknown key under it. */
function fieldPath(err: ErrorObject): string {
  const params = err.params as Record<string, unknown>;
  const child =
    err.keyword === 'required'
      ? params.missingProperty
      : err.keyword === 'additionalProperties'
        ? params.additionalProperty
        : undefined;
  return child === undefined ? err.instancePath : `${err.instancePath}/${String(child)}`;
}

/**
 * One sentence per field at most (its first error), in the order of the errors. `labelOf` names a
 * field from its path (`/userDailyTokens`, `/id/body/2`); undefined: a generic "this form".
 */
export function formProblems(
  errors: readonly ErrorObject[] | null | undefined,
  locale: Locale,
  labelOf: (path: string) => string | undefined,
): string[] {
  const t = translator(locale);
  const number = (n: unknown) => formatNumber(Number(n), locale);
  const seen = new Set<string>();
  const out: string[] = [];
  for (const err of errors ?? []) {
    const path = fieldPath(err);
    if (seen.has(path)) continue;
    seen.add(path);
    const field = labelOf(path) ?? t('form.problem.thisForm');
    const limit = (err.params as { limit?: number }).limit;
    switch (err.keyword) {
      case 'required':
        out.push(t('form.problem.required', { field }));
        break;
      case 'minLength':
      case 'minItems':
        out.push(t(limit === 1 ? 'form.problem.required' : 'form.problem.tooShort', { field, n: Number(limit) }));
        break;
      case 'maxLength':
      case 'maxItems':
        out.push(t('form.problem.tooLong', { field, n: Number(limit) }));
        break;
      case 'type':
        out.push(
          t(
            (err.params as { type?: string }).type === 'integer' ? 'form.problem.wholeNumber' : 'form.problem.invalid',
            { field },
          ),
        );
        break;
      case 'minimum':
        out.push(t('form.problem.atLeast', { field, n: number(limit) }));
        break;
      case 'maximum':
        out.push(t('form.problem.atMost', { field, n: number(limit) }));
        break;
      default:
        out.push(t('form.problem.invalid', { field }));
    }
  }
  return out;
}
