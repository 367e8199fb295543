/**
 * Formatting for people, in their language and on Indonesia's western clock (WIB, where Latsar
 * runs at most agencies): part of the HTTP kit, used by every feature's pages and presenters.
 */
import type { Locale } from '../domain/launch';

const TIME_ZONE = 'Asia/Jakarta';
const tag = (locale: Locale) => (locale === 'en' ? 'en-GB' : 'id-ID');

/** A moment with the zone named: "6 Des 2026 10.46 WIB". */
export function formatTime(d: Date | string, locale: Locale): string {
  return `${formatMoment(d, locale)} WIB`;
}

/** A moment in WIB, to the minute (or the second, for an entry's versions). */
export function formatMoment(d: Date | string, locale: Locale, precision: 'minute' | 'second' = 'minute'): string {
  return new Intl.DateTimeFormat(tag(locale), {
    dateStyle: 'medium',
    timeStyle: precision === 'second' ? 'medium' : 'short',
    timeZone: TIME_ZONE,
  }).format(new Date(d));
}

/** A calendar day (YYYY-MM-DD) with its weekday: "Minggu, 6 Desember 2026". */
export function formatDay(day: string, locale: Locale): string {
  return new Date(`${day}T00:00:00Z`).toLocaleDateString(tag(locale), {
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    timeZone: 'UTC',
  });
}

/** A number with the language's separators ("20.000" in Indonesian). */
export function formatNumber(n: number, locale: Locale, maxFractionDigits?: number): string {
  return n.toLocaleString(
    tag(locale),
    maxFractionDigits === undefined ? undefined : { maximumFractionDigits: maxFractionDigits },
  );
}
