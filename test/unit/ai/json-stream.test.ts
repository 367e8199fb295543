/**
 * The streaming JSON reader hands out each string value once it is whole, wherever the chunks
 * happen to split the text (inside a key, an escape, a \u sequence), and never a key.
 */
import { JsonLeafStream, pathText, type JsonLeaf } from '../../../src/ai/json-stream';

/** Every string leaf of a parsed value, in document order, as the stream should report them. */
function leavesOf(value: unknown, path: Array<string | number> = []): JsonLeaf[] {
  if (typeof value === 'string') return [{ path, value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => leavesOf(v, [...path, i]));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => leavesOf(v, [...path, k]));
  return [];
}

const ANSWER = {
  observations: [
    'Anda menulis "melayani dengan ramah" — tetapi belum bagaimana warga menanggapi.',
    'Baris\nkedua\tdengan tab',
  ],
  questions: ['Apa buktinya?', 'Siapa yang terdampak? \u00e9\u2014 \ud83d\ude00'],
  values: [{ value: 'akuntabel', evidence: 'mencatat di buku register' }],
  critique: [{ point: 'Kabur', why: 'Tidak ada angka \\ garis miring / di sini' }],
  count: 3,
  ok: true,
  none: null,
  nested: { deeper: [['a', { b: 'c' }]] },
};

test('every split of the text gives the same leaves as parsing it whole', () => {
  const text = JSON.stringify(ANSWER, null, 1);
  const expected = leavesOf(ANSWER);
  for (let cut = 0; cut <= text.length; cut++) {
    const stream = new JsonLeafStream();
    const got = [...stream.push(text.slice(0, cut)), ...stream.push(text.slice(cut))];
    expect(got).toEqual(expected);
    expect(stream.done).toBe(true);
  }
});

test('one character at a time, with \\u escapes written out (ASCII-only JSON), still whole', () => {
  const text = JSON.stringify(ANSWER).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  expect(text).toContain('\\ud83d\\ude00');
  const stream = new JsonLeafStream();
  const got = [...text].flatMap((c) => stream.push(c));
  expect(got).toEqual(leavesOf(ANSWER));
});

test('a leaf is handed out as soon as its closing quote arrives, not at the end', () => {
  const stream = new JsonLeafStream();
  expect(stream.push('{"questions": ["Apa yang Anda ')).toEqual([]);
  expect(stream.push('rasakan?", "Mengapa')).toEqual([{ path: ['questions', 0], value: 'Apa yang Anda rasakan?' }]);
  expect(stream.done).toBe(false);
  expect(stream.push('?"]}')).toEqual([{ path: ['questions', 1], value: 'Mengapa?' }]);
  expect(stream.done).toBe(true);
});

test('text around the object (a fence, a preamble, a second object) is skipped', () => {
  const stream = new JsonLeafStream();
  const got = stream.push('Berikut jawabannya:\n```json\n{"caution": "hati-hati"}\n```\n{"caution": "kedua"}');
  expect(got).toEqual([{ path: ['caution'], value: 'hati-hati' }]);
});

test('keys are never handed out; a lone surrogate half is dropped; a runaway answer stops at the limit', () => {
  const stream = new JsonLeafStream();
  expect(stream.push('{"a": "x\\ud800y", "b": {"c": "d"}}')).toEqual([
    { path: ['a'], value: 'xy' },
    { path: ['b', 'c'], value: 'd' },
  ]);
  const small = new JsonLeafStream(20);
  expect(small.push('{"a": "short", "b": "this one is past the limit"}')).toEqual([{ path: ['a'], value: 'short' }]);
});

test('paths read as the page and the audit name them', () => {
  expect(pathText(['questions', 1])).toBe('questions[1]');
  expect(pathText(['critique', 0, 'why'])).toBe('critique[0].why');
  expect(pathText(['caution'])).toBe('caution');
});
