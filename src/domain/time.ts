/**
 * Indonesia's western time (WIB, UTC+7, no daylight saving): the clock Latsar runs on at most
 * agencies. A day, a due date and a token budget's day all end at WIB midnight.
 */
const WIB_OFFSET_MS = 7 * 3600_000;

/** The calendar day (YYYY-MM-DD) a moment falls on in WIB. */
export function wibDay(moment: Date | number): string {
  return new Date(new Date(moment).getTime() + WIB_OFFSET_MS).toISOString().slice(0, 10);
}

/** The month (YYYY-MM) a moment falls on in WIB. */
export function wibMonth(moment: Date | number): string {
  return wibDay(moment).slice(0, 7);
}
