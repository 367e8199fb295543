/**
 * Dense vectors for the hybrid ranker: the Embedder seam (a provider's embedding model plugs in
 * here), a deterministic stand-in embedder for tests and the evaluation, the cache key that spares
 * re-embedding unchanged items, and a brute-force cosine index.
 *
 * No I/O here: an Embedder or an EmbeddingCache that talks to a provider or the database is passed
 * in. Brute force is deliberate: 10,000 items × 256 dimensions is 2.6 M multiply-adds a query
 * (about a millisecond), well within the budget, and it is exact; an approximate index would only
 * pay off far beyond the catalogs a training institute curates.
 */
import crypto from 'node:crypto';
import { stemmedAnalyzer } from './analyzer';
import type { CatalogItem } from './catalog';

export interface Embedder {
  /** Names the model (and its version or dimensions): part of every cache key. */
  readonly id: string;
  /** One vector per text, in order. */
  embed(texts: string[]): Promise<number[][]>;
}

/**
 * A fake embedder: feature hashing of the stemmed analyzer's terms (weight 1) and of their character
 * trigrams (weight 0.5, so related spellings and unknown inflections still overlap) into
 * `dimensions` buckets with a hashed sign, then L2-normalised. Deterministic and free.
 *
 * It is NOT semantic: "antrean" and "menunggu giliran" share nothing. It stands in for a real
 * embedding model in tests, the evaluation and the benchmarks, so the hybrid path and its cost can
 * be exercised without a provider; its evaluation figures say nothing about a real model's.
 */
export class HashingEmbedder implements Embedder {
  readonly id: string;
  readonly dimensions: number;

  constructor(options: { dimensions?: number } = {}) {
    this.dimensions = options.dimensions ?? 256;
    if (!Number.isInteger(this.dimensions) || this.dimensions < 8)
      throw new Error('HashingEmbedder: dimensions must be an integer ≥ 8');
    this.id = `hashing-v1-${this.dimensions}`;
  }

  async embed(texts: string[]): Promise<number[][]> {
    return texts.map((t) => Array.from(this.embedOne(t)));
  }

  /** The same vector as embed(), synchronously, as a Float32Array. */
  embedOne(text: string): Float32Array {
    const v = new Float32Array(this.dimensions);
    for (const term of stemmedAnalyzer.terms(text)) {
      addHashed(v, `w:${term}`, 1);
      const padded = `^${term}$`;
      for (let i = 0; i + 3 <= padded.length; i++) addHashed(v, `c:${padded.slice(i, i + 3)}`, 0.5);
    }
    normalize(v);
    return v;
  }
}

/** FNV-1a, 32 bits. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function addHashed(v: Float32Array, feature: string, weight: number): void {
  const h = fnv1a(feature);
  v[h % v.length] += h & 0x80000000 ? -weight : weight;
}

/** Scales v to unit length in place (a zero vector stays zero). */
export function normalize(v: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i] * v[i];
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i] /= norm;
  return v;
}

/** The text an item is embedded from: what it is about, not where it lives or how big it is. */
export function embeddingText(item: CatalogItem): string {
  return [item.title, item.tags.join(', '), item.competencies.join(', '), item.values.join(' '), item.description].join(
    '\n',
  );
}

/** A short hash of the embedded text: changes when the item's words change. */
export function contentHash(text: string): string {
  return crypto.createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/**
 * The cache key of an item's vector: embedder + item id + content hash. An edited item or another
 * model gets a new key, an unchanged one is never sent to the provider again.
 */
export function embeddingCacheKey(item: CatalogItem, embedderId: string): string {
  return `${embedderId}:${item.id}:${contentHash(embeddingText(item))}`;
}

/** Where item vectors are kept between builds. Batch calls, so a database answers in one round trip. */
export interface EmbeddingCache {
  getMany(keys: readonly string[]): Promise<Map<string, readonly number[]>>;
  setMany(entries: ReadonlyArray<readonly [string, readonly number[]]>): Promise<void>;
}

/** An EmbeddingCache in memory (tests, benches, a single process); the storage layer persists its own. */
export class MemoryEmbeddingCache implements EmbeddingCache {
  readonly entries = new Map<string, readonly number[]>();

  async getMany(keys: readonly string[]): Promise<Map<string, readonly number[]>> {
    const out = new Map<string, readonly number[]>();
    for (const k of keys) {
      const v = this.entries.get(k);
      if (v) out.set(k, v);
    }
    return out;
  }

  async setMany(entries: ReadonlyArray<readonly [string, readonly number[]]>): Promise<void> {
    for (const [k, v] of entries) this.entries.set(k, v);
  }
}

export interface VectorHit {
  doc: number;
  id: string;
  /** Cosine similarity, −1..1. */
  score: number;
}

/** Unit vectors in one Float32Array (row i = document i); cosine top-k by brute force. */
export class VectorIndex {
  readonly ids: readonly string[];
  readonly dimensions: number;
  readonly embedderId: string;
  private readonly matrix: Float32Array;
  private readonly query: Float32Array;

  /** rows: one vector per id, each normalised here. */
  constructor(ids: readonly string[], rows: ReadonlyArray<ArrayLike<number>>, embedderId: string) {
    if (ids.length !== rows.length) throw new Error('VectorIndex: one vector per id');
    const dimensions = rows.length ? rows[0].length : 0;
    this.ids = ids;
    this.dimensions = dimensions;
    this.embedderId = embedderId;
    this.matrix = new Float32Array(ids.length * dimensions);
    rows.forEach((row, i) => {
      if (row.length !== dimensions)
        throw new Error(`VectorIndex: vector ${i} (${ids[i]}) has ${row.length} dimensions, not ${dimensions}`);
      const v = normalize(Float32Array.from(row));
      this.matrix.set(v, i * dimensions);
    });
    this.query = new Float32Array(dimensions);
  }

  get size(): number {
    return this.ids.length;
  }

  /** The `limit` nearest documents by cosine, best first; equal scores keep catalog order. */
  search(queryVector: ArrayLike<number>, options: { limit: number; filter?: (doc: number) => boolean }): VectorHit[] {
    const { dimensions, matrix, query } = this;
    if (queryVector.length !== dimensions)
      throw new Error(`VectorIndex: query has ${queryVector.length} dimensions, not ${dimensions}`);
    for (let j = 0; j < dimensions; j++) query[j] = queryVector[j];
    normalize(query);
    const limit = Math.max(0, Math.floor(options.limit));
    // A plain sorted buffer: limit is small (tens), so insertion beats a heap's bookkeeping.
    const bestScores: number[] = [];
    const bestDocs: number[] = [];
    const unrolled = dimensions - (dimensions % 4);
    for (let d = 0, base = 0; d < this.ids.length; d++, base += dimensions) {
      // Four partial sums: independent multiply-adds the CPU can overlap (about 2× a plain loop).
      let s0 = 0,
        s1 = 0,
        s2 = 0,
        s3 = 0;
      let j = 0;
      for (; j < unrolled; j += 4) {
        s0 += matrix[base + j] * query[j];
        s1 += matrix[base + j + 1] * query[j + 1];
        s2 += matrix[base + j + 2] * query[j + 2];
        s3 += matrix[base + j + 3] * query[j + 3];
      }
      for (; j < dimensions; j++) s0 += matrix[base + j] * query[j];
      const s = s0 + s1 + s2 + s3;
      if (bestScores.length === limit && s <= bestScores[limit - 1]) continue;
      if (limit === 0 || (options.filter && !options.filter(d))) continue;
      let i = bestScores.length;
      while (i > 0 && bestScores[i - 1] < s) i--;
      bestScores.splice(i, 0, s);
      bestDocs.splice(i, 0, d);
      if (bestScores.length > limit) {
        bestScores.pop();
        bestDocs.pop();
      }
    }
    return bestDocs.map((doc, i) => ({ doc, id: this.ids[doc], score: bestScores[i] }));
  }

  typedArrayBytes(): number {
    return this.matrix.byteLength + this.query.byteLength;
  }
}

export interface VectorBuild {
  index: VectorIndex;
  /** Items sent to the embedder this time. */
  embedded: number;
  /** Items whose vector came from the cache. */
  cached: number;
}

/**
 * Vectors for every item, in the items' order: cached ones reused, the rest embedded in batches
 * and written back to the cache.
 */
export async function buildVectorIndex(
  items: readonly CatalogItem[],
  embedder: Embedder,
  options: { cache?: EmbeddingCache; batchSize?: number } = {},
): Promise<VectorBuild> {
  const batchSize = options.batchSize ?? 64;
  const keys = items.map((item) => embeddingCacheKey(item, embedder.id));
  const known = options.cache ? await options.cache.getMany(keys) : new Map<string, readonly number[]>();
  const rows: Array<ArrayLike<number> | undefined> = keys.map((k) => known.get(k));
  const missing = rows.flatMap((r, i) => (r === undefined ? [i] : []));
  for (let start = 0; start < missing.length; start += batchSize) {
    const batch = missing.slice(start, start + batchSize);
    const vectors = await embedder.embed(batch.map((i) => embeddingText(items[i])));
    if (vectors.length !== batch.length)
      throw new Error(`embedder ${embedder.id} returned ${vectors.length} vectors for ${batch.length} texts`);
    batch.forEach((i, j) => {
      rows[i] = vectors[j];
    });
    if (options.cache) await options.cache.setMany(batch.map((i, j) => [keys[i], vectors[j]] as const));
  }
  const index = new VectorIndex(
    items.map((i) => i.id),
    rows as Array<ArrayLike<number>>,
    embedder.id,
  );
  return { index, embedded: missing.length, cached: items.length - missing.length };
}
