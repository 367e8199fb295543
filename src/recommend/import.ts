/**
 * A coach's import of learning materials into their course's recommendation catalog, from a CSV
 * or JSON text (pasted, or read from a file by the page), and the export it round-trips with.
 *
 * The import is all or nothing: every problem of the file is reported, each with the 1-based line
 * where its row (CSV) or array element (JSON) starts and a reason the coach can act on, and a file
 * with any problem imports nothing. Items are checked with the catalog schema through
 * validateCatalog (src/recommend/catalog.ts), never a second copy of it.
 *
 * CSV is what a spreadsheet writes: RFC 4180 quoting, CRLF or LF, an optional byte-order mark, a
 * header row, and `;` as the delimiter when the header has semicolons and no comma (Excel in an
 * Indonesian locale). Cells may use the names people know (value "Berorientasi Pelayanan", type
 * "studi kasus") and are mapped to the catalog's ids.
 *
 * JSON is an array of items, or the export `{ "course": key, "items": [...] }` (the sample
 * catalog's `{ sample, note, items }` too). An export of another course is refused, item by item,
 * so it is never poured into this one by mistake; removing `course` copies it deliberately.
 *
 * Pure: text in, items or problems out. Size is checked before any parsing.
 */
import { csvText, unguardCell } from '../core/csv';
import { VALUE_NAMES, PHASE_NAMES } from '../domain/vocabulary';
import { validateCatalog, type CatalogItem } from './catalog';
import { isObject, wholeNumberFromForm } from '../core/validation';

export type ImportFormat = 'csv' | 'json';

export type ImportProblemCode =
  | 'tooBig'
  | 'tooMany'
  | 'empty'
  | 'badJson'
  | 'badCsv'
  | 'noHeader'
  | 'unknownColumn'
  | 'missingColumn'
  | 'invalid'
  | 'duplicateInFile'
  | 'otherCourse'
  | 'exists'
  /** The last problem of a capped list: `detail` is how many more were not listed. */
  | 'moreProblems';

export interface ImportProblem {
  /** 1-based line in the file where the item (row, or JSON array element) starts; 0 for the whole file. */
  line: number;
  /** The item's id when it has a string one. */
  id?: string;
  code: ImportProblemCode;
  /** Details safe to show (a field name, a column name, a limit, an ajv reason in English, the other course's key); never the whole row. */
  field?: string;
  detail?: string;
}

export type ImportResult =
  | { ok: true; format: ImportFormat; items: CatalogItem[] }
  | { ok: false; format?: ImportFormat; problems: ImportProblem[] };

export interface ImportOptions {
  /** The course the items are imported into. */
  courseKey: string;
  /** Ids already in the course's catalog: refused (`exists`) unless replaceExisting. */
  existingIds?: ReadonlySet<string>;
  replaceExisting?: boolean;
  /** Default: detectFormat(text). */
  format?: ImportFormat;
  /** Default MAX_IMPORT_BYTES. */
  maxBytes?: number;
  /** Default MAX_IMPORT_ITEMS. */
  maxItems?: number;
}

/** UTF-8 bytes of the text. */
export const MAX_IMPORT_BYTES = 1_000_000;
export const MAX_IMPORT_ITEMS = 1000;
/** Problems listed before the rest are summed up in one `moreProblems`. */
export const MAX_IMPORT_PROBLEMS = 200;

export const CSV_COLUMNS: readonly string[] = Object.freeze([
  'id',
  'title',
  'description',
  'url',
  'type',
  'language',
  'sizeKb',
  'durationMinutes',
  'values',
  'competencies',
  'tags',
  'level',
  'phases',
]);

/**
 * Columns a CSV must have: the schema's required properties, except the two lists that may be
 * empty (competencies, tags), which a sheet may leave out.
 */
export const CSV_REQUIRED_COLUMNS: readonly string[] = Object.freeze([
  'id',
  'title',
  'description',
  'url',
  'type',
  'language',
  'values',
  'level',
]);

/** An optional CSV column (not in CSV_COLUMNS): the course the rows were exported from, checked like JSON's `course`. */
export const CSV_COURSE_COLUMN = 'course';

const LIST_COLUMNS = new Set(['values', 'competencies', 'tags', 'phases']);
const NUMBER_COLUMNS = new Set(['sizeKb', 'durationMinutes']);
/** Lists that are required but may be empty: an empty cell is `[]`, not absent. */
const EMPTY_LIST_COLUMNS = new Set(['competencies', 'tags']);

const BOM = '\uFEFF';

// ---------------------------------------------------------------------------------------------
// Entry point

/** `json` when the first non-space character is `[` or `{` (after a byte-order mark), else `csv`. */
export function detectFormat(text: string): ImportFormat {
  const m = /^\uFEFF?\s*(\S)/.exec(text);
  return m && (m[1] === '[' || m[1] === '{') ? 'json' : 'csv';
}

/** Parses and checks an import; `ok` only when the whole file is good (nothing partial). */
export function parseCatalogImport(text: string, opts: ImportOptions): ImportResult {
  const maxBytes = opts.maxBytes ?? MAX_IMPORT_BYTES;
  const maxItems = opts.maxItems ?? MAX_IMPORT_ITEMS;
  // A UTF-16 code unit is at least one UTF-8 byte: a long string is refused without counting.
  if (text.length > maxBytes || Buffer.byteLength(text, 'utf8') > maxBytes) {
    return refuse(opts.format, [{ line: 0, code: 'tooBig', detail: `${formatKb(maxBytes)} KB` }]);
  }
  const body = text.startsWith(BOM) ? text.slice(1) : text;
  if (!body.trim()) return refuse(opts.format, [{ line: 0, code: 'empty' }]);
  const format = opts.format ?? detectFormat(body);
  const read = format === 'json' ? readJson(body, opts.courseKey) : readCsv(body, opts.courseKey);
  if (read.fatal) return refuse(format, read.problems);
  if (!read.rows.length) return refuse(format, [{ line: 0, code: 'empty' }]);
  if (read.rows.length > maxItems) return refuse(format, [{ line: 0, code: 'tooMany', detail: String(maxItems) }]);

  const problems = [...read.problems];
  const lines = read.rows.map((r) => r.line);
  const ids = read.rows.map((r) => (isObject(r.item) && typeof r.item.id === 'string' ? r.item.id : undefined));
  const checked = validateCatalog(read.rows.map((r) => r.item));
  if (!checked.ok) {
    for (const p of checked.problems) {
      const line = p.index >= 0 ? lines[p.index] : 0;
      problems.push(fromCatalogProblem(p.message, line, p.id, lines));
    }
  }
  if (!opts.replaceExisting && opts.existingIds?.size) {
    const seen = new Set<string>();
    ids.forEach((id, i) => {
      if (id === undefined || seen.has(id)) return;
      seen.add(id);
      if (opts.existingIds?.has(id)) problems.push({ line: lines[i], id, code: 'exists', field: 'id' });
    });
  }
  if (problems.length) return refuse(format, problems);
  return { ok: true, format, items: read.rows.map((r) => r.item as CatalogItem) };
}

function refuse(format: ImportFormat | undefined, problems: ImportProblem[]): ImportResult {
  // Stable: problems of one line keep the order they were found in.
  const sorted = problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => a.p.line - b.p.line || a.i - b.i)
    .map((x) => x.p);
  const listed =
    sorted.length > MAX_IMPORT_PROBLEMS
      ? [
          ...sorted.slice(0, MAX_IMPORT_PROBLEMS),
          { line: 0, code: 'moreProblems' as const, detail: String(sorted.length - MAX_IMPORT_PROBLEMS) },
        ]
      : sorted;
  return format === undefined ? { ok: false, problems: listed } : { ok: false, format, problems: listed };
}

function formatKb(bytes: number): string {
  return String(Math.round(bytes / 100) / 10);
}

/** One row of the file, converted but not yet checked. */
interface Row {
  line: number;
  item: unknown;
}

interface Read {
  rows: Row[];
  problems: ImportProblem[];
  /** The problems make the rows meaningless (syntax, header): report them alone. */
  fatal?: boolean;
}

/**
 * validateCatalog's `$[3].values[1]: must be one of …` as an import problem: `field` is the path
 * inside the item (`values[1]`), `detail` the reason. Its duplicate-id message becomes
 * `duplicateInFile`, with the line of the first.
 */
function fromCatalogProblem(
  message: string,
  line: number,
  id: string | undefined,
  lines: readonly number[],
): ImportProblem {
  const base = { line, ...(id === undefined ? {} : { id }) };
  const split = splitCatalogMessage(message);
  if (!split) return { ...base, code: 'invalid', detail: message };
  const dup = /^duplicate id ".*" \(first at \$\[(\d+)\]\)$/.exec(split.reason);
  if (dup && split.field === 'id') {
    const first = lines[Number(dup[1])];
    return { ...base, code: 'duplicateInFile', field: 'id', ...(first === undefined ? {} : { detail: String(first) }) };
  }
  return { ...base, code: 'invalid', ...(split.field ? { field: split.field } : {}), detail: split.reason };
}

/** `$[3].values[1]: reason` → `{ field: 'values[1]', reason }`; undefined when it is not of that shape. */
function splitCatalogMessage(message: string): { field: string; reason: string } | undefined {
  const head = /^\$\[\d+\]/.exec(message);
  if (!head) return undefined;
  let rest = message.slice(head[0].length);
  const parts: string[] = [];
  for (;;) {
    const seg = /^(?:\.([A-Za-z_$][\w$]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\])/.exec(rest);
    if (!seg) break;
    if (seg[1] !== undefined) parts.push(parts.length ? `.${seg[1]}` : seg[1]);
    else if (seg[2] !== undefined) parts.push(`[${seg[2]}]`);
    else {
      const key = JSON.parse(seg[3]) as string;
      parts.push(parts.length ? `.${key}` : key);
    }
    rest = rest.slice(seg[0].length);
  }
  if (!rest.startsWith(': ')) return undefined;
  return { field: parts.join(''), reason: rest.slice(2) };
}

// ---------------------------------------------------------------------------------------------
// CSV

interface CsvRecord {
  /** Physical line where the record starts. */
  line: number;
  fields: string[];
  /** Quoting mistakes the record was read despite. */
  notes: string[];
}

/** `;` when the header line has semicolons and no comma, else `,`. */
function csvDelimiter(text: string): ',' | ';' {
  const header = /^[\s]*([^\r\n]*)/.exec(text)?.[1] ?? '';
  return !header.includes(',') && header.includes(';') ? ';' : ',';
}

/**
 * RFC 4180 records with the line each starts on. A quoted field may hold delimiters, `""` and
 * line breaks (CRLF inside it becomes LF). An unterminated quote is fatal: the rest of the file
 * would be read as one cell. Written here rather than with csv-parse: a coach's spreadsheet often
 * has text after a closing quote, which csv-parse either refuses (the row is lost) or, relaxed,
 * keeps as raw text with its quotes without saying so; this reader reads the row and names it.
 */
function parseCsvRecords(text: string, delimiter: string): { records: CsvRecord[]; problem?: ImportProblem } {
  const records: CsvRecord[] = [];
  const n = text.length;
  let i = 0;
  let line = 1;
  const isBreak = (c: string | undefined) => c === '\n' || c === '\r';
  while (i < n) {
    const recordLine = line;
    const fields: string[] = [];
    const notes: string[] = [];
    for (;;) {
      let value: string;
      if (text[i] === '"') {
        const quoteLine = line;
        let buf = '';
        i++;
        for (;;) {
          const q = text.indexOf('"', i);
          if (q < 0) {
            return { records, problem: { line: quoteLine, code: 'badCsv', detail: 'unterminated quote' } };
          }
          const chunk = text.slice(i, q);
          line += countBreaks(chunk);
          buf += chunk;
          if (text[q + 1] === '"') {
            buf += '"';
            i = q + 2;
          } else {
            i = q + 1;
            break;
          }
        }
        if (i < n && text[i] !== delimiter && !isBreak(text[i])) {
          notes.push('text after a closing quote (write a quote inside a quoted cell as "")');
          const start = i;
          while (i < n && text[i] !== delimiter && !isBreak(text[i])) i++;
          buf += text.slice(start, i);
        }
        value = buf.replace(/\r\n?/g, '\n');
      } else {
        const start = i;
        while (i < n && text[i] !== delimiter && !isBreak(text[i])) i++;
        value = text.slice(start, i);
      }
      fields.push(value);
      if (i < n && text[i] === delimiter) {
        i++;
        continue;
      }
      // End of the record: a line break or the end of the text.
      if (text[i] === '\r') i++;
      if (text[i] === '\n') i++;
      line++;
      break;
    }
    if (fields.some((f) => f.trim() !== '')) records.push({ line: recordLine, fields, notes });
  }
  return { records };
}

/** Line breaks in a chunk: LF, CRLF, or a lone CR. */
function countBreaks(s: string): number {
  let count = 0;
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c === 10) count++;
    else if (c === 13 && s.charCodeAt(k + 1) !== 10) count++;
  }
  return count;
}

function readCsv(text: string, courseKey: string): Read {
  if (text.includes('\u0000')) {
    return {
      rows: [],
      fatal: true,
      problems: [{ line: 0, code: 'badCsv', detail: 'not a text file (save the spreadsheet as CSV UTF-8)' }],
    };
  }
  const delimiter = csvDelimiter(text);
  const parsed = parseCsvRecords(text, delimiter);
  if (parsed.problem) return { rows: [], problems: [parsed.problem], fatal: true };
  const [header, ...records] = parsed.records;
  if (!header) return { rows: [], problems: [] };

  // Header: known names case-insensitively; unknown and missing ones refuse the file.
  const known = new Map([...CSV_COLUMNS, CSV_COURSE_COLUMN].map((c) => [c.toLowerCase(), c]));
  const names = header.fields.map((f) => f.trim().toLowerCase());
  // A data row may hold a column's name (language `id`), never a URL.
  if (!names.some((name) => known.has(name)) || names.some((name) => /^https?:\/\//.test(name))) {
    return {
      rows: [],
      fatal: true,
      problems: [
        {
          line: header.line,
          code: 'noHeader',
          detail: `the first row must name the columns: ${CSV_COLUMNS.join(', ')}`,
        },
      ],
    };
  }
  const problems: ImportProblem[] = [];
  const columns: (string | undefined)[] = [];
  const seen = new Set<string>();
  const filled = new Set<number>();
  for (const r of records) r.fields.forEach((f, k) => f.trim() !== '' && filled.add(k));
  names.forEach((name, k) => {
    const column = known.get(name);
    if (name === '') {
      // A nameless column (a trailing delimiter) is fine while it stays empty.
      if (filled.has(k))
        problems.push({ line: header.line, code: 'unknownColumn', field: '', detail: `column ${k + 1} has no name` });
    } else if (column === undefined) {
      problems.push({ line: header.line, code: 'unknownColumn', field: header.fields[k].trim() });
    } else if (seen.has(column)) {
      problems.push({ line: header.line, code: 'badCsv', field: column, detail: 'the column appears twice' });
    } else {
      seen.add(column);
    }
    columns.push(column && !columns.includes(column) ? column : undefined);
  });
  for (const column of CSV_REQUIRED_COLUMNS) {
    if (!seen.has(column)) problems.push({ line: header.line, code: 'missingColumn', field: column });
  }
  if (problems.length) return { rows: [], problems, fatal: true };

  const rows: Row[] = [];
  for (const record of records) {
    const item: Record<string, unknown> = {};
    const cells = new Map<string, string>();
    record.fields.forEach((raw, k) => {
      const column = columns[k];
      if (column !== undefined) cells.set(column, unguardCell(raw.trim()));
    });
    const rawId = cells.get('id');
    const idPart = rawId ? { id: rawId } : {};
    for (const note of record.notes) problems.push({ line: record.line, ...idPart, code: 'badCsv', detail: note });
    if (
      record.fields.length > header.fields.length &&
      record.fields.slice(header.fields.length).some((f) => f.trim() !== '')
    ) {
      problems.push({
        line: record.line,
        ...idPart,
        code: 'badCsv',
        detail: `the row has ${record.fields.length} cells, the header ${header.fields.length}`,
      });
    }
    for (const column of CSV_COLUMNS) {
      const cell = cells.get(column) ?? '';
      if (LIST_COLUMNS.has(column)) {
        const list = splitList(cell, delimiter).map((entry) => mapListEntry(column, entry));
        if (list.length || EMPTY_LIST_COLUMNS.has(column)) item[column] = list;
      } else if (cell === '') {
        continue; // absent: the schema says so when it is required
      } else if (NUMBER_COLUMNS.has(column)) {
        // "2048", or "2.048" as an Indonesian sheet groups it; a decimal ("2.5") goes on for the schema to refuse as not whole.
        const n = wholeNumberFromForm(cell);
        if (typeof n === 'number') item[column] = n;
        else if (/^-?\d+\.\d+$/.test(cell)) item[column] = Number(cell);
        else
          problems.push({
            line: record.line,
            ...idPart,
            code: 'invalid',
            field: column,
            detail: 'must be a whole number',
          });
      } else {
        item[column] = mapScalar(column, cell);
      }
    }
    const course = cells.get(CSV_COURSE_COLUMN);
    if (course && course !== courseKey)
      problems.push({ line: record.line, ...idPart, code: 'otherCourse', field: CSV_COURSE_COLUMN, detail: course });
    rows.push({ line: record.line, item });
  }
  return { rows, problems };
}

/** `a; b | c` → [a, b, c]; with `;` as the delimiter a comma separates too. Empties dropped. */
function splitList(cell: string, delimiter: string): string[] {
  const separators = delimiter === ';' ? /[;|,]/ : /[;|]/;
  return cell
    .split(separators)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Lowercase, runs of spaces, hyphens and underscores as one space: `Berorientasi-Pelayanan` ≈ `berorientasi pelayanan`. */
const normalizeWord = (s: string): string =>
  s
    .toLowerCase()
    .replace(/[\s_-]+/g, ' ')
    .trim();

function lookup(entries: [string, string][]): Map<string, string> {
  return new Map(entries.map(([word, id]) => [normalizeWord(word), id]));
}

const VALUE_WORDS = lookup(
  Object.entries(VALUE_NAMES).flatMap(
    ([id, name]) =>
      [
        [id, id],
        [name.id, id],
        [name.en, id],
      ] as [string, string][],
  ),
);
const PHASE_WORDS = lookup([
  ...Object.keys(PHASE_NAMES).map((id) => [id, id] as [string, string]),
  ['tujuan', 'goal'],
  ['kenyataan', 'reality'],
  ['realitas', 'reality'],
  ['pilihan', 'options'],
  ['opsi', 'options'],
  ['langkah', 'will'],
]);
const TYPE_WORDS = lookup([
  ['video', 'video'],
  ['pdf', 'pdf'],
  ['article', 'article'],
  ['artikel', 'article'],
  ['module', 'module'],
  ['modul', 'module'],
  ['case-study', 'case-study'],
  ['case study', 'case-study'],
  ['studi kasus', 'case-study'],
]);
const LEVEL_WORDS = lookup([
  ['dasar', 'dasar'],
  ['menengah', 'menengah'],
  ['lanjut', 'lanjut'],
  ['lanjutan', 'lanjut'],
]);
const LANGUAGE_WORDS = lookup([
  ['id', 'id'],
  ['en', 'en'],
  ['indonesia', 'id'],
  ['bahasa indonesia', 'id'],
  ['english', 'en'],
  ['inggris', 'en'],
  ['bahasa inggris', 'en'],
]);

/** A known word as its id; anything else unchanged, for the schema to refuse with the allowed ids. */
const mapWord = (words: Map<string, string>, s: string): string => words.get(normalizeWord(s)) ?? s;

function mapListEntry(column: string, entry: string): string {
  if (column === 'values') return mapWord(VALUE_WORDS, entry);
  if (column === 'phases') return mapWord(PHASE_WORDS, entry);
  return entry;
}

function mapScalar(column: string, cell: string): string {
  if (column === 'type') return mapWord(TYPE_WORDS, cell);
  if (column === 'level') return mapWord(LEVEL_WORDS, cell);
  if (column === 'language') return mapWord(LANGUAGE_WORDS, cell);
  return cell;
}

// ---------------------------------------------------------------------------------------------
// JSON

const JSON_ROOT_KEYS = new Set(['course', 'items', 'sample', 'note']);
const JSON_SHAPE = 'must be an array of catalog items, or { "course": "…", "items": [ … ] }';

function readJson(text: string, courseKey: string): Read {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    const scan = scanJson(text);
    const at = scan.ok ? positionFromMessage(err) : { offset: scan.offset, reason: scan.reason };
    if (at === undefined)
      return { rows: [], fatal: true, problems: [{ line: 1, code: 'badJson', detail: 'invalid JSON' }] };
    const { line, column } = lineAndColumn(text, at.offset);
    return {
      rows: [],
      fatal: true,
      problems: [{ line, code: 'badJson', detail: `${at.reason} (line ${line} column ${column})` }],
    };
  }
  const scan = scanJson(text);
  const lineOf = lineFinder(text);
  const offsetsToLines = (offsets: readonly number[] | undefined, count: number): number[] =>
    Array.from({ length: count }, (_, k) => (offsets && offsets[k] !== undefined ? lineOf(offsets[k]) : 0));

  const problems: ImportProblem[] = [];
  let elements: unknown[];
  let lines: number[];
  if (Array.isArray(doc)) {
    elements = doc;
    lines = offsetsToLines(scan.ok ? scan.rootArray : undefined, doc.length);
  } else if (isObject(doc) && Array.isArray(doc.items)) {
    elements = doc.items;
    const keys = scan.ok ? scan.rootKeys : new Map<string, RootKey>();
    lines = offsetsToLines(keys.get('items')?.elements, doc.items.length);
    const keyLine = (key: string) => {
      const at = keys.get(key);
      return at ? lineOf(at.offset) : 0;
    };
    for (const key of Object.keys(doc)) {
      if (!JSON_ROOT_KEYS.has(key))
        problems.push({
          line: keyLine(key),
          code: 'invalid',
          field: key,
          detail: 'unknown key (the file may hold "course" and "items")',
        });
    }
    if ('course' in doc) {
      if (typeof doc.course !== 'string')
        problems.push({ line: keyLine('course'), code: 'invalid', field: 'course', detail: 'must be a string' });
      else if (doc.course !== courseKey)
        problems.push({ line: keyLine('course'), code: 'otherCourse', field: 'course', detail: doc.course });
    }
  } else {
    return { rows: [], fatal: true, problems: [{ line: 1, code: 'badJson', detail: JSON_SHAPE }] };
  }

  const rows = elements.map((element, k): Row => {
    const line = lines[k];
    if (!isObject(element) || !('course' in element)) return { line, item: element };
    const { course, ...item } = element;
    const idPart = typeof item.id === 'string' ? { id: item.id } : {};
    if (typeof course !== 'string')
      problems.push({ line, ...idPart, code: 'invalid', field: 'course', detail: 'must be a string' });
    else if (course !== courseKey)
      problems.push({ line, ...idPart, code: 'otherCourse', field: 'course', detail: course });
    return { line, item };
  });
  return { rows, problems };
}

/** Node's `… in JSON at position 12`, when the message has one (Node 20 does not always). */
function positionFromMessage(err: unknown): { offset: number; reason: string } | undefined {
  const message = err instanceof Error ? err.message : String(err);
  const at = /position (\d+)/.exec(message);
  return at ? { offset: Number(at[1]), reason: 'invalid JSON' } : undefined;
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const lastBreak = before.lastIndexOf('\n');
  return { line: countLf(before) + 1, column: offset - lastBreak };
}

function countLf(s: string): number {
  let count = 0;
  for (let k = s.indexOf('\n'); k >= 0; k = s.indexOf('\n', k + 1)) count++;
  return count;
}

/** offset → 1-based line, by binary search over the line starts. */
function lineFinder(text: string): (offset: number) => number {
  const starts = [0];
  for (let k = text.indexOf('\n'); k >= 0; k = text.indexOf('\n', k + 1)) starts.push(k + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

interface RootKey {
  /** Offset of the key's opening quote. */
  offset: number;
  /** When its value is an array: the offset where each element starts. */
  elements?: number[];
}

type JsonScan =
  { ok: true; rootArray?: number[]; rootKeys: Map<string, RootKey> } | { ok: false; offset: number; reason: string };

interface Frame {
  kind: 'array' | 'object';
  /** Element offsets, for the root array and the arrays directly under the root object. */
  elements?: number[];
}

/**
 * A JSON syntax checker that also finds where things start: each element of the root array, each
 * key of the root object, and each element of an array under it. It knows strings and escapes,
 * never recurses (a deeply nested file cannot overflow the stack) and, on a syntax error, gives
 * the offset and a reason Node's message may lack.
 */
function scanJson(text: string): JsonScan {
  const n = text.length;
  const stack: Frame[] = [];
  const rootKeys = new Map<string, RootKey>();
  let rootArray: number[] | undefined;
  let i = 0;
  let state: 'value' | 'key' | 'after' = 'value';
  let pendingKey: RootKey | undefined;
  const fail = (reason: string): JsonScan => ({ ok: false, offset: i, reason });
  const unexpected = (): JsonScan =>
    i >= n ? fail('unexpected end of the text') : fail(`unexpected character ${JSON.stringify(text[i])}`);
  const skipSpace = () => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) i++;
      else break;
    }
  };
  /** At a `"`: moves past the string, or returns the problem. */
  const skipString = (): string | undefined => {
    i++;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 34) {
        i++;
        return undefined;
      }
      if (c === 92) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return 'bad \\u escape in a string';
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) {
          i += 2;
        } else {
          return 'bad escape in a string';
        }
      } else if (c < 0x20) {
        return 'line break or control character inside a string (write \\n)';
      } else {
        i++;
      }
    }
    return 'unterminated string';
  };
  const literal = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;

  for (;;) {
    skipSpace();
    const top = stack[stack.length - 1];
    if (state === 'value') {
      if (top?.kind === 'array' && top.elements) top.elements.push(i);
      const c = text[i];
      if (c === '{' || c === '[') {
        const frame: Frame = { kind: c === '{' ? 'object' : 'array' };
        if (c === '[' && stack.length === 0) frame.elements = rootArray = [];
        else if (c === '[' && stack.length === 1 && pendingKey) frame.elements = pendingKey.elements = [];
        stack.push(frame);
        i++;
        skipSpace();
        if (text[i] === (c === '{' ? '}' : ']')) {
          i++;
          stack.pop();
          state = 'after';
        } else {
          state = c === '{' ? 'key' : 'value';
        }
      } else if (c === '"') {
        const problem = skipString();
        if (problem) return fail(problem);
        state = 'after';
      } else {
        literal.lastIndex = i;
        const m = literal.exec(text);
        if (!m) return unexpected();
        i += m[0].length;
        state = 'after';
      }
      pendingKey = undefined;
    } else if (state === 'key') {
      if (text[i] !== '"') return i >= n ? unexpected() : fail('expected a property name in double quotes');
      const start = i;
      const problem = skipString();
      if (problem) return fail(problem);
      if (stack.length === 1) {
        pendingKey = { offset: start };
        rootKeys.set(JSON.parse(text.slice(start, i)) as string, pendingKey);
      }
      skipSpace();
      if (text[i] !== ':') return i >= n ? unexpected() : fail("expected ':' after a property name");
      i++;
      state = 'value';
    } else {
      if (!top) {
        if (i < n) return fail('text after the end of the JSON');
        return { ok: true, rootKeys, ...(rootArray ? { rootArray } : {}) };
      }
      const close = top.kind === 'array' ? ']' : '}';
      if (text[i] === ',') {
        i++;
        state = top.kind === 'array' ? 'value' : 'key';
      } else if (text[i] === close) {
        i++;
        stack.pop();
      } else {
        return i >= n ? unexpected() : fail(`expected ',' or '${close}'`);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Export

export interface CsvExportOptions {
  /** Adds a last `course` column, so an import into another course is refused (remove it to copy deliberately). */
  courseKey?: string;
  /** `;` for Excel in an Indonesian locale; default `,`. */
  delimiter?: ',' | ';';
}

/**
 * The items as CSV: a header of CSV_COLUMNS, RFC 4180 quoting, lists joined with "; ", CRLF line
 * ends, no byte-order mark (add one when serving it to Excel). parseCatalogImport reads it back
 * to the same items.
 */
export function catalogToCsv(items: readonly CatalogItem[], options: CsvExportOptions = {}): string {
  const delimiter = options.delimiter ?? ',';
  const columns = options.courseKey === undefined ? CSV_COLUMNS : [...CSV_COLUMNS, CSV_COURSE_COLUMN];
  const cell = (item: CatalogItem, column: string): unknown => {
    if (column === CSV_COURSE_COLUMN) return options.courseKey ?? '';
    const value = (item as unknown as Record<string, unknown>)[column];
    return Array.isArray(value) ? value.map((v) => String(v)).join('; ') : value;
  };
  return csvText(
    columns,
    items.map((item) => columns.map((column) => cell(item, column))),
    delimiter,
  );
}

/** The items as `{ "course": courseKey, "items": [...] }`, pretty-printed: the JSON import reads it back. */
export function catalogToJson(items: readonly CatalogItem[], courseKey: string): string {
  return `${JSON.stringify({ course: courseKey, items }, null, 2)}\n`;
}
