import mongoose, { type Model, type Schema } from 'mongoose';

/**
 * Registers a model once per process (modules can be loaded again, e.g. by test runners),
 * on the one mongoose connection Cermin shares with ltijs.
 */
export function defineModel<T>(name: string, schema: Schema<T>): Model<T> {
  return (mongoose.models[name] as Model<T> | undefined) ?? mongoose.model<T>(name, schema);
}

/** MongoDB's duplicate key error (E11000): an insert lost to a record with the same unique key. */
export function isDuplicateKey(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: number }).code === 11000;
}

/**
 * Writes the whole document of an `_id`, creating it if needed. Two such writes racing on a new
 * `_id` can both try the insert (FerretDB does not retry an upsert that lost, as MongoDB does):
 * the loser tries again, now as a replace.
 */
export async function putById<T>(model: Model<T>, _id: string, doc: Record<string, unknown>): Promise<void> {
  const clean = Object.fromEntries(Object.entries({ ...doc, _id }).filter(([, v]) => v !== undefined));
  try {
    await model.replaceOne({ _id }, clean, { upsert: true });
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    await model.replaceOne({ _id }, clean, { upsert: true });
  }
}
