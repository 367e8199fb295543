/**
 * One activity's grades and comments as CSV, for the coach's own records or a report: one row per
 * participant with work, in worklist order, in the coach's language. Cells a spreadsheet would run
 * as a formula (a name or comment starting with "=", "+", "-", "@") are quoted as text.
 */
import { stringify } from 'csv-stringify/sync';
import { formatTime } from '../../http/format';
import type { Translate } from '../../http/i18n';
import type { Locale } from '../../domain/launch';
import type { ActivityDoc } from '../models';
import type { ReviewDoc } from './service';
import { orderWorklist, type WorklistRow } from './worklist';

const FORMULA_START = /^[=+\-@\t\r]/;
const asText = (value: string) => (FORMULA_START.test(value) ? `'${value}` : value);

export function worklistCsv(
  activity: Pick<ActivityDoc, 'rubric' | 'maxScore'>,
  rows: WorklistRow[],
  reviews: ReviewDoc[],
  t: Translate,
  locale: Locale,
): string {
  const reviewBy = new Map(reviews.map((r) => [r.userId, r]));
  const criteria = activity.rubric.criteria;
  const header = [
    t('export.name'),
    t('export.userId'),
    t('export.status'),
    t('export.progress'),
    t('export.score'),
    t('export.maxScore'),
    ...criteria.map((c) => c.name),
    t('export.comment'),
    t('export.reviewedBy'),
    t('export.reviewedAt'),
  ];
  const body = orderWorklist(rows).map((r) => {
    // Levels and comment only of a decision that still applies (its score is the row's).
    const decision = r.score !== undefined ? reviewBy.get(r.userId)?.decision : undefined;
    return [
      r.name,
      r.userId,
      t(`roster.status.${r.status}`),
      r.progress ? `${r.progress.done}/${r.progress.required}` : '',
      r.score ?? '',
      activity.maxScore,
      ...criteria.map((c) => (decision ? (c.levels[decision.levels[c.id]]?.label ?? '') : '')),
      decision?.comment ?? '',
      decision?.by.name ?? '',
      decision ? formatTime(decision.at, locale) : '',
    ];
  });
  return stringify([header, ...body], {
    bom: true, // Excel reads UTF-8 (names with diacritics) only with it
    cast: { string: asText },
  });
}
