import { formatDay, formatMoment, formatNumber, formatTime } from '../../../src/http/format';

const moment = new Date('2026-12-06T03:46:05Z'); // 10:46:05 WIB

test("times are shown on the WIB clock, in the reader's language", () => {
  expect(formatTime(moment, 'id')).toMatch(/6 Des 2026.*10\.46 WIB$/);
  expect(formatTime(moment, 'en')).toMatch(/6 Dec 2026.*10:46 WIB$/);
  expect(formatMoment(moment, 'id', 'second')).toMatch(/10\.46\.05$/);
  expect(formatMoment(moment, 'en')).not.toMatch(/WIB/);
});

test("a journal day is named with its weekday, whatever the server's zone", () => {
  expect(formatDay('2026-12-06', 'id')).toBe('Minggu, 6 Desember 2026');
  expect(formatDay('2026-12-06', 'en')).toBe('Sunday, 6 December 2026');
});

test("numbers carry the language's separators", () => {
  expect(formatNumber(20000, 'id')).toBe('20.000');
  expect(formatNumber(20000, 'en')).toBe('20,000');
  expect(formatNumber(12.345, 'id', 1)).toBe('12,3');
});
