import mongoose, { type Model, type Schema } from 'mongoose';

// Query filters built from request input can never smuggle in `$` operators; code that means an
// operator wraps it in mongoose.trusted(). Set here, where every model is defined, so the app and
// its tests run with the same rules as production (not only when main.ts is the entry point).
mongoose.set('sanitizeFilter', true);
mongoose.set('strictQuery', true);

/** Every model Cermin defines (not ltijs's own), whose declared indexes are ensured at start. */
const declared = new Map<string, Model<unknown>>();

/**
 * Registers a model once per process (modules can be loaded again, e.g. by test runners),
 * on the one mongoose connection Cermin shares with ltijs. A feature declares its indexes on the
 * schema (`schema.index(...)`, `autoIndex: false`); ensureDeclaredIndexes creates them all.
 */
export function defineModel<T>(name: string, schema: Schema<T>): Model<T> {
  const model = (mongoose.models[name] as Model<T> | undefined) ?? mongoose.model<T>(name, schema);
  declared.set(name, model as Model<unknown>);
  return model;
}

/**
 * Creates every declared index of every model defined so far (those of the modules loaded: the
 * composition root loads them all). Safe to repeat: an index that exists is left as it is.
 */
export async function ensureDeclaredIndexes(): Promise<string[]> {
  const models = [...declared.values()];
  await Promise.all(models.map((m) => m.createIndexes()));
  return models.map((m) => m.modelName).sort();
}

/** MongoDB's duplicate key error (E11000): an insert lost to a record with the same unique key. */
export function isDuplicateKey(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: number }).code === 11000;
}

/**
 * Runs an upsert by `_id` again if it lost the race to create the document: two upserts of a new
 * `_id` can both try the insert, and not every server retries the loser itself (MongoDB does since
 * 4.2, for this case only). The second run finds the document and updates it.
 */
export async function retryLostUpsert<R>(upsert: () => Promise<R>): Promise<R> {
  try {
    return await upsert();
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    return upsert();
  }
}

/** A filter value matching strings that begin with `prefix` (taken literally). */
export function startingWith(prefix: string): unknown {
  return mongoose.trusted({ $regex: `^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}` });
}

/** Writes the whole document of an `_id`, creating it if needed (undefined fields left out). */
export async function putById<T>(model: Model<T>, _id: string, doc: Record<string, unknown>): Promise<void> {
  const clean = Object.fromEntries(Object.entries({ ...doc, _id }).filter(([, v]) => v !== undefined));
  await retryLostUpsert(() => model.replaceOne({ _id }, clean, { upsert: true }));
}

/** The records of these `_id`s that exist (in no particular order): one read, served by the `_id` index. */
export async function findByIds<T>(model: Model<T>, ids: readonly string[]): Promise<T[]> {
  const unique = [...new Set(ids)];
  if (!unique.length) return [];
  return model.find({ _id: mongoose.trusted({ $in: unique }) }).lean<T[]>();
}
