/**
 * The persistent EmbeddingCache: item vectors in the database, so a catalog is embedded by the
 * provider once, not at every start of every instance, and an edited item alone is embedded again
 * (its cache key holds a hash of its text, see embeddingCacheKey).
 *
 * One document per cache key in `recommend_vectors`: `_id` is the key, so reads and writes go by
 * `_id` only and no other index is needed. The vector is stored as base64 of its little-endian
 * float32s (a 1,536-dimension vector is 8 KB rather than ~30 KB of JSON numbers, and float32 is what
 * providers compute anyway), with `dims` to check it on reading and `at`, the time it was written,
 * for clean-ups (Cermin prunes itself: no TTL index needed of the engine).
 *
 * Vectors that come and go (participants' query vectors) belong in a collection of their own
 * (`new MongoEmbeddingCache({ collection: ... })`), pruned with deleteWrittenBefore().
 */
import mongoose, { Schema, type Model } from 'mongoose';
import { defineModel, findByIds, isDuplicateKey } from '../db/model';
import type { EmbeddingCache } from './vectors';

interface VectorDoc {
  _id: string;
  vector: string;
  dims: number;
  at: Date;
}

/** Participants' query vectors: apart from the items', pruned by age (items' never are: that would embed them again). */
export const QUERY_VECTOR_COLLECTION = 'recommend_query_vectors';
export const VECTOR_COLLECTION = 'recommend_vectors';

function vectorSchema(collection: string): Schema<VectorDoc> {
  return new Schema<VectorDoc>(
    {
      _id: { type: String, required: true },
      vector: { type: String, required: true },
      dims: { type: Number, required: true },
      at: { type: Date, required: true },
    },
    { collection, autoIndex: false, _id: false, versionKey: false },
  );
}

/** The model of a vector collection (one per collection name, registered once per process). */
export function vectorModel(collection: string = VECTOR_COLLECTION): Model<VectorDoc> {
  const name = collection === VECTOR_COLLECTION ? 'RecommendVector' : `RecommendVector_${collection}`;
  return defineModel(name, vectorSchema(collection));
}

export const VectorRecord = vectorModel();

/** Little-endian float32s in base64 (explicit byte order: the stored bytes mean the same on any machine). */
export function encodeVector(v: ArrayLike<number>): string {
  const bytes = Buffer.alloc(v.length * 4);
  for (let i = 0; i < v.length; i++) bytes.writeFloatLE(v[i], i * 4);
  return bytes.toString('base64');
}

/** The vector, or undefined when the bytes do not hold `dims` float32s (then the item is embedded again). */
export function decodeVector(base64: string, dims: number): number[] | undefined {
  const bytes = Buffer.from(base64, 'base64');
  if (!Number.isInteger(dims) || dims <= 0 || bytes.length !== dims * 4) return undefined;
  const v = new Array<number>(dims);
  for (let i = 0; i < dims; i++) v[i] = bytes.readFloatLE(i * 4);
  return v;
}

/**
 * A failed insertMany whose every failure is a duplicate key: the vectors are there already. The
 * driver's WriteError has `code`; mongoose's lean insertMany lists plain `{ err: { code }, index }`.
 */
function onlyDuplicates(err: unknown): boolean {
  const writeErrors = (err as { writeErrors?: unknown } | null)?.writeErrors;
  if (!Array.isArray(writeErrors) || writeErrors.length === 0) return isDuplicateKey(err);
  return writeErrors.every((w: unknown) => isDuplicateKey(w) || isDuplicateKey((w as { err?: unknown } | null)?.err));
}

export class MongoEmbeddingCache implements EmbeddingCache {
  private readonly model: Model<VectorDoc>;

  constructor(options: { collection?: string } = {}) {
    this.model = vectorModel(options.collection);
  }

  /** By `_id`, all keys in one read through the `_id` index (10,000 keys of ~100 bytes are about 1 MB, far below the 16 MB limit). */
  async getMany(keys: readonly string[]): Promise<Map<string, readonly number[]>> {
    const out = new Map<string, readonly number[]>();
    const unique = [...new Set(keys)];
    if (unique.length === 0) return out;
    const docs = await findByIds<VectorDoc>(this.model, unique);
    const damaged: string[] = [];
    for (const doc of docs) {
      const v = decodeVector(doc.vector, doc.dims);
      if (v) out.set(doc._id, v);
      else damaged.push(doc._id);
    }
    // A damaged record would block its own replacement (setMany keeps the first record of a key): remove it.
    if (damaged.length) await this.model.deleteMany({ _id: mongoose.trusted({ $in: damaged }) });
    return out;
  }

  /**
   * Inserts each vector unless its key is there already. Two instances that embed the same item at
   * once write the same key: the second insert fails as a duplicate, which is success here (the same
   * key is the same model and the same text, so the same vector). One insertMany, not a putById per
   * key: one round trip, and no key is written twice.
   */
  async setMany(entries: ReadonlyArray<readonly [string, readonly number[]]>): Promise<void> {
    const byKey = new Map(entries);
    if (byKey.size === 0) return;
    const at = new Date();
    const docs = [...byKey].map(([_id, v]) => ({ _id, vector: encodeVector(v), dims: v.length, at }));
    try {
      await this.model.insertMany(docs, { ordered: false, lean: true });
    } catch (err) {
      if (!onlyDuplicates(err)) throw err;
    }
  }

  /**
   * Removes vectors written before `before` (for a maintenance job). Meant for a
   * collection of short-lived vectors such as query vectors; in the item collection it would also
   * remove unchanged items' vectors, which would then be embedded again.
   */
  async deleteWrittenBefore(before: Date): Promise<number> {
    return (await this.model.deleteMany({ at: mongoose.trusted({ $lt: before }) })).deletedCount;
  }
}
