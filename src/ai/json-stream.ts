/**
 * Reads a JSON object as it streams in and hands out each string value the moment its closing
 * quote arrives, with where it sits (`questions[1]`, `critique[0].why`). A lens answer is one
 * JSON object; this lets the page show its questions one by one while the model is still
 * writing, yet every piece shown is whole and can be screened on its own first.
 *
 * Tolerant on purpose: text before the first `{` (a code fence, "Here is the JSON:") is skipped,
 * and everything after the object closes is ignored. It does not validate: the whole answer is
 * parsed and checked against the lens schema at the end, and that verdict is what is kept.
 */

export type JsonPath = Array<string | number>;

export interface JsonLeaf {
  path: JsonPath;
  value: string;
}

type Frame =
  | { kind: 'object'; at?: string | number; key?: string; expectingKey: boolean }
  | { kind: 'array'; at?: string | number; index: number };

const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/** `questions[1]`, `critique[0].why`: a path as the page and the audit name it. */
export function pathText(path: JsonPath): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

export class JsonLeafStream {
  private readonly stack: Frame[] = [];
  private started = false;
  private finished = false;
  private inString = false;
  private buffer = '';
  /** Characters of an escape still being read (`\`, `\u00`), split across chunks. */
  private escape = '';
  /** Characters seen so far: a runaway answer is cut by the provider's max tokens, but not trusted to be. */
  private seen = 0;

  constructor(private readonly maxChars = 200_000) {}

  /** Whether the top-level object has closed. */
  get done(): boolean {
    return this.finished;
  }

  /** Feeds the next piece of text; returns the string values completed by it, in order. */
  push(chunk: string): JsonLeaf[] {
    const leaves: JsonLeaf[] = [];
    for (const c of chunk) {
      if (this.finished || ++this.seen > this.maxChars) break;
      if (!this.started) {
        if (c === '{') {
          this.started = true;
          this.stack.push({ kind: 'object', expectingKey: true });
        }
        continue;
      }
      if (this.inString) {
        this.readStringChar(c, leaves);
        continue;
      }
      this.readStructureChar(c);
    }
    return leaves;
  }

  private readStringChar(c: string, leaves: JsonLeaf[]): void {
    if (this.escape) {
      this.escape += c;
      if (this.escape.length === 2 && this.escape[1] !== 'u') {
        this.buffer += ESCAPES[this.escape[1]] ?? this.escape[1];
        this.escape = '';
      } else if (this.escape.length === 6) {
        const code = Number.parseInt(this.escape.slice(2), 16);
        this.buffer += Number.isNaN(code) ? '' : String.fromCharCode(code);
        this.escape = '';
      }
      return;
    }
    if (c === '\\') {
      this.escape = c;
      return;
    }
    if (c !== '"') {
      this.buffer += c;
      return;
    }
    this.inString = false;
    const text = this.buffer;
    this.buffer = '';
    const top = this.stack[this.stack.length - 1];
    if (top?.kind === 'object' && top.expectingKey) {
      top.key = text;
      top.expectingKey = false;
      return;
    }
    // Surrogate pairs written as two \u escapes were joined above character by character; a lone half is dropped.
    leaves.push({
      path: this.pathHere(),
      value: text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, ''),
    });
  }

  private readStructureChar(c: string): void {
    const top = this.stack[this.stack.length - 1];
    switch (c) {
      case '"':
        this.inString = true;
        return;
      case '{':
      case '[': {
        const at = this.slotHere();
        this.stack.push(c === '{' ? { kind: 'object', at, expectingKey: true } : { kind: 'array', at, index: 0 });
        return;
      }
      case '}':
      case ']':
        this.stack.pop();
        if (this.stack.length === 0) this.finished = true;
        return;
      case ',':
        if (top?.kind === 'object') {
          top.expectingKey = true;
          top.key = undefined;
        } else if (top?.kind === 'array') top.index += 1;
        return;
      default:
      // ':' whitespace, numbers, true/false/null: nothing to hand out.
    }
  }

  /** The key or index a value opened now sits at. */
  private slotHere(): string | number | undefined {
    const top = this.stack[this.stack.length - 1];
    if (!top) return undefined;
    return top.kind === 'object' ? (top.key ?? '') : top.index;
  }

  private pathHere(): JsonPath {
    const path: JsonPath = [];
    for (const frame of this.stack.slice(1)) if (frame.at !== undefined) path.push(frame.at);
    const slot = this.slotHere();
    if (slot !== undefined) path.push(slot);
    return path;
  }
}
