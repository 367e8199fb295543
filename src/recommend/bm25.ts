/**
 * A BM25 index over documents with weighted fields, built once, searched many times.
 *
 * Scoring is "BM25F-lite": a term's frequency in a document is the weighted sum of its frequency
 * in each field (title ×3, tags/values/competencies ×2, description ×1 by default), the document
 * length is the same weighted sum of field lengths, and BM25's saturation and length
 * normalization are applied once to those sums (one k1, one b). Why not score each field with its
 * own BM25 and add the scores: then a word in the title and again in the tags counts twice
 * before saturating, so items that repeat their keywords in every field win over items that are
 * simply about the topic. Summing before saturating (as BM25F does) lets the field weight say how
 * much one occurrence is worth while the k1 saturation still caps the whole. What we leave out
 * of full BM25F: a separate b per field (our fields are short and similar across items).
 *
 * IDF is Lucene's ln(1 + (N − df + 0.5)/(df + 0.5)), never negative, so a word found in most of the
 * catalog adds a little rather than subtracting.
 *
 * Layout, for speed (a whole recommend() over 10,000 items takes about a millisecond at the median,
 * bench/recommend.ts):
 *  - postings in one CSR block: `offsets[t]..offsets[t+1]` index `postingDocs` (Int32Array, doc
 *    numbers ascending) and `postingImpacts` (Float32Array). The impact is the term's whole BM25
 *    contribution to that document (idf × saturated weighted tf); both depend only on the
 *    catalog, so they are computed at build and a query is a weighted sum of impacts;
 *  - the score accumulator and the list of touched documents are typed arrays allocated once at
 *    build and reset after each query by walking only the touched documents, so a query allocates
 *    nothing proportional to the catalog (search is synchronous: JavaScript never runs two at once);
 *  - the top `limit` come from a bounded heap over the touched documents.
 */
import type { Analyzer } from './analyzer';

export interface Bm25Document {
  id: string;
  /** Field name → text; fields without a weight are ignored. */
  fields: Readonly<Record<string, string>>;
}

export interface Bm25Options {
  analyzer: Analyzer;
  /** Field name → weight of one occurrence there. */
  fieldWeights?: Readonly<Record<string, number>>;
  k1?: number;
  b?: number;
}

/** Title words say most about an item; labels next; the description's many words least each. */
export const DEFAULT_FIELD_WEIGHTS: Readonly<Record<string, number>> = {
  title: 3,
  tags: 2,
  values: 2,
  competencies: 2,
  description: 1,
};
export const DEFAULT_K1 = 1.2;
export const DEFAULT_B = 0.75;

/** A query: term → weight (a term's weight multiplies its BM25 contribution). */
export type QueryTerms = ReadonlyMap<string, number>;

export interface ScoredDoc {
  /** Position of the document in the list the index was built from. */
  doc: number;
  id: string;
  score: number;
}

export interface SearchOptions {
  limit: number;
  /** Keep a document only when this says true (called only for documents that matched). */
  filter?: (doc: number) => boolean;
}

/** A growable typed array, for the build's term lists. */
class GrowableInt32 {
  data = new Int32Array(1024);
  length = 0;
  push(x: number): void {
    if (this.length === this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = x;
  }
}

class GrowableFloat32 {
  data = new Float32Array(1024);
  length = 0;
  push(x: number): void {
    if (this.length === this.data.length) {
      const next = new Float32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = x;
  }
}

export class Bm25Index {
  readonly analyzer: Analyzer;
  readonly k1: number;
  readonly b: number;
  readonly fieldWeights: Readonly<Record<string, number>>;
  readonly ids: readonly string[];
  /** Mean weighted document length. */
  readonly avgDocLength: number;
  private readonly docById: Map<string, number>;
  private readonly termIds: Map<string, number>;
  private readonly docFreq: Int32Array;
  private readonly offsets: Int32Array;
  private readonly postingDocs: Int32Array;
  private readonly postingImpacts: Float32Array;
  private readonly idfs: Float64Array;
  private readonly acc: Float64Array;
  private readonly touched: Int32Array;

  private constructor(parts: {
    analyzer: Analyzer;
    k1: number;
    b: number;
    fieldWeights: Readonly<Record<string, number>>;
    ids: string[];
    avgDocLength: number;
    termIds: Map<string, number>;
    docFreq: Int32Array;
    offsets: Int32Array;
    postingDocs: Int32Array;
    postingImpacts: Float32Array;
    idfs: Float64Array;
  }) {
    this.analyzer = parts.analyzer;
    this.k1 = parts.k1;
    this.b = parts.b;
    this.fieldWeights = parts.fieldWeights;
    this.ids = parts.ids;
    this.avgDocLength = parts.avgDocLength;
    this.termIds = parts.termIds;
    this.docFreq = parts.docFreq;
    this.offsets = parts.offsets;
    this.postingDocs = parts.postingDocs;
    this.postingImpacts = parts.postingImpacts;
    this.idfs = parts.idfs;
    this.docById = new Map(parts.ids.map((id, i) => [id, i]));
    this.acc = new Float64Array(parts.ids.length);
    this.touched = new Int32Array(parts.ids.length);
  }

  /** Analyzes every document once and lays out the postings. Ids must be unique. */
  static build(docs: readonly Bm25Document[], options: Bm25Options): Bm25Index {
    const analyzer = options.analyzer;
    const fieldWeights = options.fieldWeights ?? DEFAULT_FIELD_WEIGHTS;
    const k1 = options.k1 ?? DEFAULT_K1;
    const b = options.b ?? DEFAULT_B;
    const fields = Object.entries(fieldWeights).filter(([, w]) => w > 0);
    const n = docs.length;
    const seen = new Set<string>();
    for (const d of docs) {
      if (seen.has(d.id)) throw new Error(`Bm25Index: duplicate document id "${d.id}"`);
      seen.add(d.id);
    }

    // Pass 1: per document, weighted term frequencies (doc-major triples) and the weighted length.
    const termIds = new Map<string, number>();
    const dfList = new GrowableInt32();
    const tripleDoc = new GrowableInt32();
    const tripleTerm = new GrowableInt32();
    const tripleTf = new GrowableFloat32();
    const docLength = new Float64Array(n);
    const tf = new Map<number, number>();
    let totalLength = 0;
    for (let d = 0; d < n; d++) {
      tf.clear();
      let length = 0;
      for (const [field, weight] of fields) {
        const text = docs[d].fields[field];
        if (!text) continue;
        const terms = analyzer.terms(text);
        length += weight * terms.length;
        for (const term of terms) {
          let t = termIds.get(term);
          if (t === undefined) {
            t = termIds.size;
            termIds.set(term, t);
            dfList.push(0);
          }
          tf.set(t, (tf.get(t) ?? 0) + weight);
        }
      }
      docLength[d] = length;
      totalLength += length;
      for (const [t, f] of tf) {
        tripleDoc.push(d);
        tripleTerm.push(t);
        tripleTf.push(f);
        dfList.data[t]++;
      }
    }
    const termCount = termIds.size;
    const avgDocLength = n > 0 ? totalLength / n || 1 : 1;

    // Pass 2: term-major postings (counting sort by term keeps documents ascending within a term).
    const docFreq = dfList.data.slice(0, termCount);
    const offsets = new Int32Array(termCount + 1);
    for (let t = 0; t < termCount; t++) offsets[t + 1] = offsets[t] + docFreq[t];
    const total = tripleDoc.length;
    const postingDocs = new Int32Array(total);
    const postingImpacts = new Float32Array(total);
    const cursor = offsets.slice(0, termCount);
    const idfs = new Float64Array(termCount);
    for (let t = 0; t < termCount; t++) idfs[t] = Math.log(1 + (n - docFreq[t] + 0.5) / (docFreq[t] + 0.5));
    for (let i = 0; i < total; i++) {
      const d = tripleDoc.data[i];
      const t = tripleTerm.data[i];
      const f = tripleTf.data[i];
      const norm = k1 * (1 - b + (b * docLength[d]) / avgDocLength);
      const p = cursor[t]++;
      postingDocs[p] = d;
      postingImpacts[p] = (idfs[t] * f * (k1 + 1)) / (f + norm);
    }
    return new Bm25Index({
      analyzer,
      k1,
      b,
      fieldWeights,
      ids: docs.map((d) => d.id),
      avgDocLength,
      termIds,
      docFreq,
      offsets,
      postingDocs,
      postingImpacts,
      idfs,
    });
  }

  get size(): number {
    return this.ids.length;
  }

  get termCount(): number {
    return this.termIds.size;
  }

  docOf(id: string): number | undefined {
    return this.docById.get(id);
  }

  /** How many documents hold the (analyzed) term. */
  documentFrequency(term: string): number {
    const t = this.termIds.get(term);
    return t === undefined ? 0 : this.docFreq[t];
  }

  /** The term's IDF; an unknown term gets the IDF of a term found nowhere (the highest). */
  idf(term: string): number {
    const t = this.termIds.get(term);
    return t === undefined ? Math.log(1 + (this.size + 0.5) / 0.5) : this.idfs[t];
  }

  /** A text as a query: its analyzed terms, each weighted by how often it occurs. */
  queryTerms(text: string): Map<string, number> {
    const out = new Map<string, number>();
    for (const term of this.analyzer.terms(text)) out.set(term, (out.get(term) ?? 0) + 1);
    return out;
  }

  /**
   * The best `limit` documents for a query (a text, analyzed with this index's analyzer, or
   * already weighted terms), best first; equal scores keep catalog order. Documents matching no
   * query term are never returned.
   */
  search(query: string | QueryTerms, options: SearchOptions): ScoredDoc[] {
    const terms = typeof query === 'string' ? this.queryTerms(query) : query;
    const { acc, touched, offsets, postingDocs, postingImpacts } = this;
    let touchedCount = 0;
    for (const [term, weight] of terms) {
      if (!(weight > 0)) continue;
      const t = this.termIds.get(term);
      if (t === undefined) continue;
      for (let p = offsets[t], end = offsets[t + 1]; p < end; p++) {
        const d = postingDocs[p];
        if (acc[d] === 0) touched[touchedCount++] = d;
        acc[d] += weight * postingImpacts[p];
      }
    }
    const heap = new TopK(Math.max(0, Math.floor(options.limit)));
    const filter = options.filter;
    for (let i = 0; i < touchedCount; i++) {
      const d = touched[i];
      const score = acc[d];
      acc[d] = 0;
      if (heap.wouldAccept(score, d) && (!filter || filter(d))) heap.push(score, d);
    }
    return heap.sorted().map(({ doc, score }) => ({ doc, id: this.ids[doc], score }));
  }

  /** Bytes held by the typed arrays (postings, statistics, accumulators); the term dictionary is extra. */
  typedArrayBytes(): number {
    return [
      this.docFreq,
      this.offsets,
      this.postingDocs,
      this.postingImpacts,
      this.idfs,
      this.acc,
      this.touched,
    ].reduce((s, a) => s + a.byteLength, 0);
  }
}

/**
 * The k best (score, doc) pairs: a min-heap whose root is the worst kept pair. Higher score is
 * better; on equal scores the lower doc (earlier in the catalog) is better, so results are stable.
 */
export class TopK {
  private readonly scores: Float64Array;
  private readonly docs: Int32Array;
  private count = 0;

  constructor(private readonly k: number) {
    this.scores = new Float64Array(k);
    this.docs = new Int32Array(k);
  }

  /** a is worse than b. */
  private worse(sa: number, da: number, sb: number, db: number): boolean {
    return sa < sb || (sa === sb && da > db);
  }

  /** Would (score, doc) be kept? Cheap, so a costly filter runs only for contenders. */
  wouldAccept(score: number, doc: number): boolean {
    if (this.k === 0) return false;
    if (this.count < this.k) return true;
    return this.worse(this.scores[0], this.docs[0], score, doc);
  }

  push(score: number, doc: number): void {
    if (!this.wouldAccept(score, doc)) return;
    const { scores, docs } = this;
    let i: number;
    if (this.count < this.k) {
      i = this.count++;
      // sift up
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!this.worse(score, doc, scores[parent], docs[parent])) break;
        scores[i] = scores[parent];
        docs[i] = docs[parent];
        i = parent;
      }
      scores[i] = score;
      docs[i] = doc;
      return;
    }
    // replace the root, sift down
    i = 0;
    const n = this.count;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.worse(scores[r], docs[r], scores[l], docs[l]) ? r : l;
      if (!this.worse(scores[c], docs[c], score, doc)) break;
      scores[i] = scores[c];
      docs[i] = docs[c];
      i = c;
    }
    scores[i] = score;
    docs[i] = doc;
  }

  /** Best first. */
  sorted(): Array<{ doc: number; score: number }> {
    const out: Array<{ doc: number; score: number }> = [];
    for (let i = 0; i < this.count; i++) out.push({ doc: this.docs[i], score: this.scores[i] });
    return out.sort((a, b) => b.score - a.score || a.doc - b.doc);
  }
}
