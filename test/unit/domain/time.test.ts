import { wibDay, wibMonth } from '../../../src/domain/time';

test('a moment belongs to the WIB day it falls on, not the UTC one', () => {
  // 17:30 UTC is 00:30 WIB the next day; 16:59 UTC is still 23:59 WIB the same day.
  expect(wibDay(new Date('2026-12-06T17:30:00Z'))).toBe('2026-12-07');
  expect(wibDay(new Date('2026-12-06T16:59:00Z'))).toBe('2026-12-06');
  expect(wibMonth(new Date('2026-12-31T17:00:00Z'))).toBe('2027-01');
  expect(wibDay(Date.parse('2026-02-28T18:00:00Z'))).toBe('2026-03-01');
});
