/**
 * CSV as spreadsheets read it (RFC 4180 quoting, CRLF line ends), written safely: a cell that
 * starts with = + - @ would run as a formula in Excel or LibreOffice, so it gets a leading
 * apostrophe, which `unguardCell` takes off again when the file is imported back.
 */

const FORMULA_START = /^[=+\-@\t\r]/;
const GUARDED = /^'[=+\-@\t\r']/;

export const guardCell = (s: string): string => (FORMULA_START.test(s) || GUARDED.test(s) ? `'${s}` : s);
export const unguardCell = (s: string): string => (GUARDED.test(s) ? s.slice(1) : s);

/** One cell: dates as ISO, nothing as empty, guarded, quoted when the delimiter, a quote, a line end or edge spaces need it. */
export function csvCell(value: unknown, delimiter: ',' | ';' = ','): string {
  const s = guardCell(
    value instanceof Date ? value.toISOString() : value === undefined || value === null ? '' : String(value),
  );
  return s.includes(delimiter) || /["\r\n]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A header and rows of cells as CSV text. */
export function csvText(
  header: readonly string[],
  rows: ReadonlyArray<readonly unknown[]>,
  delimiter: ',' | ';' = ',',
): string {
  const lines = [
    header.map((h) => csvCell(h, delimiter)).join(delimiter),
    ...rows.map((r) => r.map((v) => csvCell(v, delimiter)).join(delimiter)),
  ];
  return `${lines.join('\r\n')}\r\n`;
}
