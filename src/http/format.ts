/** Formatting for people, in their language: part of the HTTP kit, used by every feature's pages. */

/** Times in Indonesia's western zone (WIB), where Latsar runs on the clock of most agencies. */
export function formatTime(d: Date, locale: 'id' | 'en'): string {
  return (
    new Intl.DateTimeFormat(locale === 'en' ? 'en-GB' : 'id-ID', {
      dateStyle: 'medium',
      timeStyle: 'short',
      timeZone: 'Asia/Jakarta',
    }).format(new Date(d)) + ' WIB'
  );
}
