/**
 * An admin change's details in words for the change log (and a person page): "Model: llama3.1 ·
 * Alamat API: https://…", never the raw JSON the record keeps. Known fields get their form's label;
 * an unknown one keeps its name, so nothing recorded is hidden.
 */
import { formatTime } from '../http/format';
import { hasMessage, type Translate } from '../http/i18n';
import type { Locale } from '../domain/launch';

function valueText(value: unknown, t: Translate, locale: Locale): string {
  if (value === null || value === undefined || value === '') return '–';
  if (value instanceof Date) return formatTime(value, locale);
  if (typeof value === 'boolean') return t(value ? 'adminConsole.detailYes' : 'adminConsole.detailNo');
  if (Array.isArray(value)) return value.length ? value.map((v) => valueText(v, t, locale)).join(', ') : '–';
  if (typeof value === 'object') return changeDetail(value as Record<string, unknown>, t, locale, '; ');
  return String(value);
}

export function changeDetail(detail: Record<string, unknown>, t: Translate, locale: Locale, separator = ' · '): string {
  const entries = Object.entries(detail ?? {});
  if (!entries.length) return '–';
  return entries
    .map(([key, value]) => {
      const label = hasMessage(`adminConsole.detail.${key}`) ? t(`adminConsole.detail.${key}`) : key;
      return `${label}: ${valueText(value, t, locale)}`;
    })
    .join(separator);
}
