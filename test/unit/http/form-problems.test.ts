/** Numbers typed into admin forms, and schema errors as sentences naming each field in the page's language. */
import { ajv, wholeNumberFromForm } from '../../../src/core/validation';
import { formProblems } from '../../../src/http/form-problems';

test('a whole number as typed: plain, grouped by dots, spaces or commas; anything else stays text', () => {
  expect(['30', ' 30 ', '-3', '100.000', '4.000.000', '100 000', '100,000'].map(wholeNumberFromForm)).toEqual([
    30, 30, -3, 100000, 4000000, 100000, 100000,
  ]);
  // Not whole, mixed separators, misplaced groups, words: left for the schema to refuse by name.
  expect(['1.5', '2,5', '1.000,5', '10.00', '1.0000', 'tiga puluh', ''].map(wholeNumberFromForm)).toEqual([
    '1.5',
    '2,5',
    '1.000,5',
    '10.00',
    '1.0000',
    'tiga puluh',
    '',
  ]);
  expect(wholeNumberFromForm(7)).toBe(7);
});

const validate = ajv.compile({
  type: 'object',
  additionalProperties: false,
  required: ['days', 'title'],
  properties: {
    days: { type: 'integer', minimum: 1, maximum: 36500 },
    title: { type: 'string', minLength: 1, maxLength: 5 },
    notes: { type: 'string', minLength: 3 },
  },
});
const labels: Record<string, string> = { '/days': 'Hari', '/title': 'Judul', '/notes': 'Catatan' };
const problemsOf = (value: unknown, locale: 'id' | 'en' = 'id') => {
  validate(value);
  return formProblems(validate.errors, locale, (path) => labels[path]);
};

test('each field named by its label, once, in Indonesian or English', () => {
  expect(problemsOf({ title: '' })).toEqual(['Hari: wajib diisi.', 'Judul: wajib diisi.']);
  expect(problemsOf({ days: 0, title: 'abcdef' })).toEqual([
    'Hari: paling kecil 1.',
    'Judul: paling banyak 5 karakter atau butir.',
  ]);
  expect(problemsOf({ days: 40000, title: 'a' })).toEqual(['Hari: paling besar 36.500.']);
  expect(problemsOf({ days: 40000, title: 'a' }, 'en')).toEqual(['Hari: at most 36,500.']);
  expect(problemsOf({ days: 'tiga', title: 'a', notes: 'ab' })).toEqual([
    'Hari: isi dengan bilangan bulat, misalnya 30.',
    'Catatan: paling sedikit 3.',
  ]);
  // A key the form does not have: no label to give, still said.
  expect(problemsOf({ days: 3, title: 'a', extra: 1 })).toEqual(['Isian ini: isinya tidak dapat dipakai.']);
});
