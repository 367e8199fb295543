/**
 * The coach's catalog import and export (src/recommend/import.ts): CSV as spreadsheets write it,
 * JSON as the export writes it, every bad row reported with its line and reason, nothing partial,
 * and the round trip export → import on the whole sample catalog.
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadSampleCatalog, type CatalogItem } from '../../../src/recommend/catalog';
import {
  CSV_COLUMNS,
  CSV_REQUIRED_COLUMNS,
  MAX_IMPORT_BYTES,
  MAX_IMPORT_ITEMS,
  MAX_IMPORT_PROBLEMS,
  catalogToCsv,
  catalogToJson,
  detectFormat,
  parseCatalogImport,
  type ImportProblem,
  type ImportResult,
} from '../../../src/recommend/import';
import { projectRoot } from '../../../src/core/paths';

const FIXTURES = path.join(projectRoot, 'test', 'fixtures', 'catalog-import');
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'utf8');
const COURSE = 'course-A';
const HEADER = CSV_COLUMNS.join(',');

function problemsOf(result: ImportResult): ImportProblem[] {
  if (result.ok) throw new Error(`expected a refused import, got ${result.items.length} items`);
  return result.problems;
}

function itemsOf(result: ImportResult): CatalogItem[] {
  if (!result.ok) throw new Error(`expected a good import, got ${JSON.stringify(result.problems, null, 2)}`);
  return result.items;
}

/** A valid CSV row for `id`, with cells overridden by column name. */
function row(id: string, over: Record<string, string> = {}): string {
  const cells: Record<string, string> = {
    id,
    title: `Materi ${id}`,
    description: 'Bahan belajar.',
    url: `https://example.org/${id}`,
    type: 'article',
    language: 'id',
    sizeKb: '',
    durationMinutes: '',
    values: 'kompeten',
    competencies: '',
    tags: '',
    level: 'dasar',
    phases: '',
    ...over,
  };
  return CSV_COLUMNS.map((c) => cells[c]).join(',');
}

describe('format and fixtures', () => {
  test('detectFormat looks at the first non-space character', () => {
    expect(detectFormat('  \n [ ]')).toBe('json');
    expect(detectFormat('\uFEFF{"items":[]}')).toBe('json');
    expect(detectFormat('id,title')).toBe('csv');
    expect(detectFormat('')).toBe('csv');
  });

  test('the good CSV fixture really has a byte-order mark and CRLF line ends (git keeps the bytes)', () => {
    const text = fixture('good.csv');
    expect(text.startsWith('\uFEFF')).toBe(true);
    expect(text).toContain('\r\n');
  });

  test("the required columns are the schema's required properties but the lists that may be empty", () => {
    const schema = JSON.parse(
      fs.readFileSync(path.join(projectRoot, 'config', 'schemas', 'catalog-item.schema.json'), 'utf8'),
    ) as { required: string[]; properties: Record<string, unknown> };
    expect([...CSV_REQUIRED_COLUMNS].sort()).toEqual(
      schema.required.filter((k) => k !== 'competencies' && k !== 'tags').sort(),
    );
    expect([...CSV_COLUMNS].sort()).toEqual(Object.keys(schema.properties).sort());
  });
});

describe('CSV import', () => {
  test('a good CSV (BOM, CRLF, multi-line quoted description, value names, Indonesian words) gives exactly the expected items', () => {
    const result = parseCatalogImport(fixture('good.csv'), { courseKey: COURSE });
    expect(result.ok && result.format).toBe('csv');
    expect(itemsOf(result)).toStrictEqual([
      {
        id: 'pelayanan-loket',
        title: 'Pelayanan di Loket',
        description: 'Video singkat tentang melayani warga di loket.\nBaris kedua: sapa, dengarkan, jelaskan.',
        url: 'https://example.org/materi/pelayanan-loket',
        type: 'video',
        language: 'id',
        sizeKb: 2048,
        durationMinutes: 12,
        values: ['berorientasi-pelayanan', 'harmonis'],
        competencies: ['pelayanan publik', 'komunikasi dengan warga'],
        tags: ['loket', 'ramah'],
        level: 'dasar',
        phases: ['reality', 'options'],
      },
      {
        id: 'studi-kasus-pengaduan',
        title: 'Studi Kasus: Pengaduan "Lambat"',
        description: 'Kasus pengaduan layanan yang lambat di kantor kecamatan.',
        url: 'https://example.org/materi/pengaduan',
        type: 'case-study',
        language: 'id',
        durationMinutes: 30,
        values: ['akuntabel', 'kompeten'],
        competencies: [],
        tags: ['pengaduan'],
        level: 'menengah',
      },
      {
        id: 'etika-birokrasi',
        title: 'Etika Birokrasi',
        description: 'Artikel tentang kode etik dan perilaku ASN.',
        url: 'https://example.org/materi/etika',
        type: 'article',
        language: 'id',
        sizeKb: 350,
        values: ['akuntabel'],
        competencies: ['etika'],
        tags: [],
        level: 'lanjut',
        phases: ['will'],
      },
      {
        id: 'kerja-tim-lintas-unit',
        title: 'Kerja Tim Lintas Unit',
        description: 'Modul latihan kolaborasi antarunit.',
        url: 'https://example.org/materi/kerja-tim',
        type: 'module',
        language: 'en',
        sizeKb: 1200,
        durationMinutes: 45,
        values: ['kolaboratif', 'adaptif'],
        competencies: ['kolaborasi'],
        tags: ['tim', 'lintas unit'],
        level: 'menengah',
        phases: ['goal', 'will'],
      },
    ]);
  });

  test('a semicolon-delimited CSV (Excel, Indonesian locale): commas separate list entries; optional columns may be left out', () => {
    const items = itemsOf(parseCatalogImport(fixture('good-semicolon.csv'), { courseKey: COURSE }));
    expect(items).toStrictEqual([
      {
        id: 'orientasi-nilai-dasar',
        title: 'Orientasi Nilai Dasar',
        description: 'Pengantar nilai dasar ASN; dengan contoh nyata',
        url: 'https://example.org/materi/orientasi',
        type: 'module',
        language: 'id',
        values: ['loyal', 'adaptif'],
        competencies: ['nilai dasar'],
        tags: ['orientasi', 'asn baru'],
        level: 'dasar',
      },
      {
        id: 'laporan-kinerja',
        title: 'Laporan Kinerja yang Jujur',
        description: 'Cara menulis laporan kinerja yang dapat dipertanggungjawabkan.',
        url: 'https://example.org/materi/laporan',
        type: 'pdf',
        language: 'id',
        values: ['akuntabel', 'kompeten'],
        competencies: ['pelaporan'],
        tags: ['laporan', 'kinerja'],
        level: 'menengah',
      },
    ]);
  });

  test('header names are case-insensitive and trimmed; the competencies and tags columns may be left out', () => {
    const text =
      ' ID , Title,DESCRIPTION,url,Type,language,values,level\nsatu,Satu,Desk,https://example.org/1,pdf,id,kompeten,dasar\n';
    expect(itemsOf(parseCatalogImport(text, { courseKey: COURSE }))).toStrictEqual([
      {
        id: 'satu',
        title: 'Satu',
        description: 'Desk',
        url: 'https://example.org/1',
        type: 'pdf',
        language: 'id',
        values: ['kompeten'],
        competencies: [],
        tags: [],
        level: 'dasar',
      },
    ]);
  });

  test('bad rows are all reported with their 1-based lines (after a multi-line record) and reasons; nothing is imported', () => {
    const result = parseCatalogImport(fixture('bad.csv'), { courseKey: COURSE });
    expect(result.ok).toBe(false);
    expect(result.format).toBe('csv');
    const problems = problemsOf(result);
    expect(problems).toEqual([
      { line: 3, id: 'url-jahat', code: 'invalid', field: 'sizeKb', detail: 'must be a whole number' },
      { line: 3, id: 'url-jahat', code: 'invalid', field: 'url', detail: 'must be an absolute http(s) URL' },
      { line: 5, id: 'baik-satu', code: 'duplicateInFile', field: 'id', detail: '2' },
      {
        line: 6,
        id: 'nilai-salah',
        code: 'invalid',
        field: 'type',
        detail: expect.stringContaining('must be one of "video"'),
      },
      {
        line: 6,
        id: 'nilai-salah',
        code: 'invalid',
        field: 'values[0]',
        detail: expect.stringContaining('"berorientasi-pelayanan"'),
      },
      {
        line: 6,
        id: 'nilai-salah',
        code: 'invalid',
        field: 'level',
        detail: 'must be one of "dasar", "menengah", "lanjut"',
      },
      { line: 7, code: 'invalid', field: 'id', detail: 'missing' },
    ]);
    // Never the whole row in a problem.
    for (const p of problems) expect(JSON.stringify(p)).not.toContain('Deskripsi');
  });

  test('blank lines are skipped and do not shift the lines reported', () => {
    const text = `\n${HEADER}\n\n${row('satu')}\n,,,,,,,,,,,,\n\n${row('dua', { url: 'ftp://example.org/x' })}\n`;
    expect(problemsOf(parseCatalogImport(text, { courseKey: COURSE }))).toEqual([
      { line: 7, id: 'dua', code: 'invalid', field: 'url', detail: 'must be an absolute http(s) URL' },
    ]);
  });

  test('a javascript: URL is refused', () => {
    const text = `${HEADER}\n${row('jahat', { url: 'javascript:alert(document.cookie)' })}\n`;
    expect(problemsOf(parseCatalogImport(text, { courseKey: COURSE }))).toEqual([
      { line: 2, id: 'jahat', code: 'invalid', field: 'url', detail: 'must be an absolute http(s) URL' },
    ]);
  });

  test('numbers are strict', () => {
    const text = `${HEADER}\n${row('a', { sizeKb: '12kb' })}\n${row('b', { durationMinutes: '"1,5"' })}\n${row('c', { durationMinutes: '2.5' })}\n${row('d', { sizeKb: ' 12 ' })}\n`;
    expect(problemsOf(parseCatalogImport(text, { courseKey: COURSE }))).toEqual([
      { line: 2, id: 'a', code: 'invalid', field: 'sizeKb', detail: 'must be a whole number' },
      { line: 3, id: 'b', code: 'invalid', field: 'durationMinutes', detail: 'must be a whole number' },
      { line: 4, id: 'c', code: 'invalid', field: 'durationMinutes', detail: 'must be integer' },
    ]);
  });

  test('a size with its thousands grouped the Indonesian way is the number meant', () => {
    const text = `${HEADER}\n${row('a', { sizeKb: '2.048' })}\n${row('b', { sizeKb: '1.200.000', durationMinutes: '1.200' })}\n`;
    expect(itemsOf(parseCatalogImport(text, { courseKey: COURSE })).map((i) => [i.sizeKb, i.durationMinutes])).toEqual([
      [2048, undefined],
      [1200000, 1200],
    ]);
  });

  test('an unknown column and a missing required column refuse the file at the header', () => {
    const text =
      'id,title,judul,url,type,language,values,level\nsatu,Satu,x,https://example.org/1,pdf,id,kompeten,dasar\n';
    expect(problemsOf(parseCatalogImport(text, { courseKey: COURSE }))).toEqual([
      { line: 1, code: 'unknownColumn', field: 'judul' },
      { line: 1, code: 'missingColumn', field: 'description' },
    ]);
  });

  test('a file without a header row is refused as such', () => {
    const text = `${row('satu')}\n${row('dua')}\n`;
    expect(problemsOf(parseCatalogImport(text, { courseKey: COURSE }))).toEqual([
      { line: 1, code: 'noHeader', detail: expect.stringContaining('id, title') },
    ]);
  });

  test('an unterminated quote is refused with the line where it opens', () => {
    const text = `${HEADER}\n${row('satu')}\n${row('dua', { description: '"Tidak ditutup' })}\n${row('tiga')}\n`;
    expect(problemsOf(parseCatalogImport(text, { courseKey: COURSE }))).toEqual([
      { line: 3, code: 'badCsv', detail: 'unterminated quote' },
    ]);
  });

  test('text after a closing quote, and extra cells, are refused', () => {
    const text = `${HEADER}\n${row('satu', { title: '"Judul" lagi' })}\n${row('dua')},lebih\n${row('tiga')},,\n`;
    expect(problemsOf(parseCatalogImport(text, { courseKey: COURSE }))).toEqual([
      { line: 2, id: 'satu', code: 'badCsv', detail: expect.stringContaining('closing quote') },
      { line: 3, id: 'dua', code: 'badCsv', detail: 'the row has 14 cells, the header 13' },
    ]);
  });

  test('duplicate ids in the file are refused on the later rows', () => {
    const text = `${HEADER}\n${row('satu')}\n${row('dua')}\n${row('satu')}\n${row('satu')}\n`;
    expect(problemsOf(parseCatalogImport(text, { courseKey: COURSE }))).toEqual([
      { line: 4, id: 'satu', code: 'duplicateInFile', field: 'id', detail: '2' },
      { line: 5, id: 'satu', code: 'duplicateInFile', field: 'id', detail: '2' },
    ]);
  });

  test('ids already in the course are refused unless replaceExisting', () => {
    const existingIds = new Set(['etika-birokrasi', 'lain']);
    expect(problemsOf(parseCatalogImport(fixture('good.csv'), { courseKey: COURSE, existingIds }))).toEqual([
      { line: 6, id: 'etika-birokrasi', code: 'exists', field: 'id' },
    ]);
    expect(
      itemsOf(parseCatalogImport(fixture('good.csv'), { courseKey: COURSE, existingIds, replaceExisting: true })),
    ).toHaveLength(4);
  });

  test('a course column naming another course is refused row by row; the same course is fine', () => {
    const text = `${HEADER},course\n${row('satu')},course-A\n${row('dua')},course-B\n${row('tiga')},\n`;
    expect(problemsOf(parseCatalogImport(text, { courseKey: COURSE }))).toEqual([
      { line: 3, id: 'dua', code: 'otherCourse', field: 'course', detail: 'course-B' },
    ]);
    const same = itemsOf(parseCatalogImport(`${HEADER},course\n${row('satu')},course-A\n`, { courseKey: COURSE }));
    expect(same[0]).not.toHaveProperty('course');
  });

  test('a binary file (an .xlsx read as text) is refused as not CSV', () => {
    expect(problemsOf(parseCatalogImport('PK\u0003\u0004\u0000\u0000garbage', { courseKey: COURSE }))).toEqual([
      { line: 0, code: 'badCsv', detail: expect.stringContaining('not a text file') },
    ]);
  });
});

describe('limits', () => {
  test('oversized text is refused before parsing: only tooBig, even when the text is not valid CSV or JSON', () => {
    const maxBytes = 1000;
    for (const text of [`"${'a'.repeat(maxBytes)}`, `[${'{'.repeat(maxBytes)}`]) {
      const result = parseCatalogImport(text, { courseKey: COURSE, maxBytes });
      expect(result).toEqual({ ok: false, problems: [{ line: 0, code: 'tooBig', detail: '1 KB' }] });
    }
    // Bytes, not characters: 600 × "é" is 1200 UTF-8 bytes.
    expect(problemsOf(parseCatalogImport('é'.repeat(600), { courseKey: COURSE, maxBytes }))).toEqual([
      { line: 0, code: 'tooBig', detail: '1 KB' },
    ]);
    // The default limit.
    expect(problemsOf(parseCatalogImport(`"${'x'.repeat(MAX_IMPORT_BYTES)}`, { courseKey: COURSE }))).toEqual([
      { line: 0, code: 'tooBig', detail: '1000 KB' },
    ]);
  });

  test('exactly maxBytes is accepted', () => {
    const text = `${HEADER}\n${row('satu')}\n`;
    expect(itemsOf(parseCatalogImport(text, { courseKey: COURSE, maxBytes: Buffer.byteLength(text) }))).toHaveLength(1);
  });

  test('too many items are refused, with nothing else', () => {
    const csv = `${HEADER}\n${row('a')}\n${row('b', { url: 'javascript:x' })}\n${row('c')}\n`;
    expect(problemsOf(parseCatalogImport(csv, { courseKey: COURSE, maxItems: 2 }))).toEqual([
      { line: 0, code: 'tooMany', detail: '2' },
    ]);
    const items = Array.from({ length: MAX_IMPORT_ITEMS + 1 }, (_, k) => ({ id: `item-${k}` }));
    expect(problemsOf(parseCatalogImport(JSON.stringify(items), { courseKey: COURSE }))).toEqual([
      { line: 0, code: 'tooMany', detail: String(MAX_IMPORT_ITEMS) },
    ]);
  });

  test('empty text, a header without rows and an empty array are refused as empty', () => {
    expect(problemsOf(parseCatalogImport('', { courseKey: COURSE }))).toEqual([{ line: 0, code: 'empty' }]);
    expect(problemsOf(parseCatalogImport('\uFEFF \r\n ', { courseKey: COURSE }))).toEqual([{ line: 0, code: 'empty' }]);
    expect(problemsOf(parseCatalogImport(`${HEADER}\r\n`, { courseKey: COURSE }))).toEqual([
      { line: 0, code: 'empty' },
    ]);
    expect(problemsOf(parseCatalogImport('[]', { courseKey: COURSE }))).toEqual([{ line: 0, code: 'empty' }]);
  });

  test('problems are capped, the last one saying how many more there are', () => {
    const rows = Array.from({ length: MAX_IMPORT_PROBLEMS + 50 }, (_, k) => row(`item-${k}`, { url: 'javascript:x' }));
    const problems = problemsOf(parseCatalogImport(`${HEADER}\n${rows.join('\n')}\n`, { courseKey: COURSE }));
    expect(problems).toHaveLength(MAX_IMPORT_PROBLEMS + 1);
    expect(problems[MAX_IMPORT_PROBLEMS - 1]).toMatchObject({ line: MAX_IMPORT_PROBLEMS + 1, code: 'invalid' });
    expect(problems[MAX_IMPORT_PROBLEMS]).toEqual({ line: 0, code: 'moreProblems', detail: '50' });
  });
});

describe('JSON import', () => {
  test('the export format: course equal to the target is fine and stripped, on the file and on an item', () => {
    const result = parseCatalogImport(fixture('good.json'), { courseKey: COURSE });
    expect(result.ok && result.format).toBe('json');
    const items = itemsOf(result);
    expect(items.map((i) => i.id)).toEqual(['menyusun-rencana-aksi', 'mendengar-aktif']);
    for (const item of items) expect(item).not.toHaveProperty('course');
  });

  test('a plain array of items', () => {
    const items = itemsOf(parseCatalogImport(fixture('good.json'), { courseKey: COURSE }));
    expect(itemsOf(parseCatalogImport(JSON.stringify(items), { courseKey: COURSE }))).toEqual(items);
  });

  test('the export of another course is refused with the line of its course key, and its items stay out', () => {
    expect(problemsOf(parseCatalogImport(fixture('good.json'), { courseKey: 'course-Z' }))).toEqual([
      { line: 2, code: 'otherCourse', field: 'course', detail: 'course-A' },
      { line: 18, id: 'mendengar-aktif', code: 'otherCourse', field: 'course', detail: 'course-A' },
    ]);
  });

  test('a bad JSON file: items of another course, a javascript: URL, a duplicate, an unknown key and an unknown value, each with its line', () => {
    const result = parseCatalogImport(fixture('bad.json'), { courseKey: COURSE });
    expect(result.format).toBe('json');
    expect(problemsOf(result)).toEqual([
      { line: 2, id: 'dari-kursus-lain', code: 'otherCourse', field: 'course', detail: 'course-B' },
      { line: 15, id: 'tautan-jahat', code: 'invalid', field: 'url', detail: 'must be an absolute http(s) URL' },
      { line: 16, id: 'tautan-jahat', code: 'invalid', field: 'author', detail: 'unknown key' },
      { line: 16, id: 'tautan-jahat', code: 'duplicateInFile', field: 'id', detail: '15' },
      {
        line: 17,
        id: 'nilai-salah',
        code: 'invalid',
        field: 'values[1]',
        detail: expect.stringContaining('must be one of'),
      },
    ]);
  });

  test('the sample catalog file shape { sample, note, items } is accepted; other top-level keys are not', () => {
    const sample = fs.readFileSync(path.join(projectRoot, 'config', 'catalog', 'sample.json'), 'utf8');
    expect(itemsOf(parseCatalogImport(sample, { courseKey: COURSE }))).toEqual(loadSampleCatalog().items);
    expect(problemsOf(parseCatalogImport('{\n  "items": [],\n  "owner": "x"\n}', { courseKey: COURSE }))).toEqual([
      { line: 0, code: 'empty' },
    ]);
    const withExtra = `{\n  "owner": "x",\n  "items": ${JSON.stringify(itemsOf(parseCatalogImport(fixture('good.json'), { courseKey: COURSE })))}\n}`;
    expect(problemsOf(parseCatalogImport(withExtra, { courseKey: COURSE }))).toEqual([
      { line: 2, code: 'invalid', field: 'owner', detail: expect.stringContaining('unknown key') },
    ]);
  });

  test('a syntax error is refused with its line and column, also where Node gives no position', () => {
    const missingComma = '[\n  { "id": "a" },\n  { "id": "b" }\n  { "id": "c" }\n]';
    expect(problemsOf(parseCatalogImport(missingComma, { courseKey: COURSE }))).toEqual([
      { line: 4, code: 'badJson', detail: "expected ',' or ']' (line 4 column 3)" },
    ]);
    const trailingComma = '{\n  "items": [\n    { "id": "a" },\n  ]\n}';
    expect(problemsOf(parseCatalogImport(trailingComma, { courseKey: COURSE }))).toEqual([
      { line: 4, code: 'badJson', detail: 'unexpected character "]" (line 4 column 3)' },
    ]);
    const unterminated = '[\n  { "id": "a", "title": "tanpa akhir }\n]';
    expect(problemsOf(parseCatalogImport(unterminated, { courseKey: COURSE }))).toEqual([
      { line: 2, code: 'badJson', detail: expect.stringContaining('line 2') },
    ]);
    expect(problemsOf(parseCatalogImport('[\n  {', { courseKey: COURSE }))).toEqual([
      { line: 2, code: 'badJson', detail: 'unexpected end of the text (line 2 column 4)' },
    ]);
  });

  test('JSON that is not a list of items is refused', () => {
    expect(problemsOf(parseCatalogImport('{ "id": "x" }', { courseKey: COURSE }))).toEqual([
      { line: 1, code: 'badJson', detail: expect.stringContaining('array of catalog items') },
    ]);
    expect(problemsOf(parseCatalogImport('"x"', { courseKey: COURSE, format: 'json' }))).toEqual([
      { line: 1, code: 'badJson', detail: expect.stringContaining('array of catalog items') },
    ]);
    expect(problemsOf(parseCatalogImport('[1, null]', { courseKey: COURSE }))).toEqual([
      { line: 1, code: 'invalid', detail: 'must be object' },
      { line: 1, code: 'invalid', detail: 'must be object' },
    ]);
  });

  test('JSON ids already in the course are refused unless replaceExisting', () => {
    const existingIds = new Set(['mendengar-aktif']);
    expect(problemsOf(parseCatalogImport(fixture('good.json'), { courseKey: COURSE, existingIds }))).toEqual([
      { line: 18, id: 'mendengar-aktif', code: 'exists', field: 'id' },
    ]);
    expect(
      itemsOf(parseCatalogImport(fixture('good.json'), { courseKey: COURSE, existingIds, replaceExisting: true })),
    ).toHaveLength(2);
  });
});

describe('export and round trip', () => {
  const sample = loadSampleCatalog().items;

  test('CSV: header, RFC 4180 quoting, lists joined with "; ", CRLF, no BOM', () => {
    const items = itemsOf(parseCatalogImport(fixture('good.csv'), { courseKey: COURSE }));
    const csv = catalogToCsv(items);
    expect(csv.startsWith(`${HEADER}\r\n`)).toBe(true);
    expect(csv.charCodeAt(0)).not.toBe(0xfeff);
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(csv).toContain('"Studi Kasus: Pengaduan ""Lambat"""');
    expect(csv).toContain(',berorientasi-pelayanan; harmonis,pelayanan publik; komunikasi dengan warga,');
    expect(csv).toContain('"Video singkat tentang melayani warga di loket.\nBaris kedua: sapa, dengarkan, jelaskan."');
    expect(csv.split('\r\n')).toHaveLength(items.length + 2);
  });

  test('CSV round trip of the whole sample catalog gives the same items', () => {
    expect(itemsOf(parseCatalogImport(catalogToCsv(sample), { courseKey: COURSE }))).toStrictEqual(sample);
    expect(itemsOf(parseCatalogImport(catalogToCsv(sample, { delimiter: ';' }), { courseKey: COURSE }))).toStrictEqual(
      sample,
    );
  });

  test('JSON round trip of the whole sample catalog gives the same items', () => {
    const json = catalogToJson(sample, COURSE);
    expect(JSON.parse(json)).toEqual({ course: COURSE, items: sample });
    expect(json).toContain('\n  "items": [\n');
    expect(itemsOf(parseCatalogImport(json, { courseKey: COURSE }))).toStrictEqual(sample);
  });

  test('the exports of one course are refused by another, CSV with its course column too', () => {
    const json = problemsOf(parseCatalogImport(catalogToJson(sample.slice(0, 2), COURSE), { courseKey: 'course-B' }));
    expect(json).toEqual([{ line: 2, code: 'otherCourse', field: 'course', detail: COURSE }]);
    const csv = problemsOf(
      parseCatalogImport(catalogToCsv(sample.slice(0, 2), { courseKey: COURSE }), { courseKey: 'course-B' }),
    );
    expect(csv).toEqual([
      { line: 2, id: sample[0].id, code: 'otherCourse', field: 'course', detail: COURSE },
      { line: 3, id: sample[1].id, code: 'otherCourse', field: 'course', detail: COURSE },
    ]);
    expect(
      itemsOf(parseCatalogImport(catalogToCsv(sample.slice(0, 2), { courseKey: COURSE }), { courseKey: COURSE })),
    ).toStrictEqual(sample.slice(0, 2));
  });

  test('a cell a spreadsheet would run as a formula is exported with an apostrophe and imported without it', () => {
    const items: CatalogItem[] = [
      {
        ...sample[0],
        id: 'formula',
        title: '=HYPERLINK("https://evil.example")',
        description: "'=already quoted",
        tags: ['+tag', '@tag', '-tag'],
      },
    ];
    const csv = catalogToCsv(items);
    expect(csv).toContain(`"'=HYPERLINK(""https://evil.example"")"`);
    expect(csv).toContain("'+tag; @tag; -tag");
    expect(itemsOf(parseCatalogImport(csv, { courseKey: COURSE }))).toStrictEqual(items);
  });
});
