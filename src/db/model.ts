import mongoose, { type Model, type Schema } from 'mongoose';

/**
 * Registers a model once per process (modules can be loaded again, e.g. by test runners),
 * on the one mongoose connection Cermin shares with ltijs.
 */
export function defineModel<T>(name: string, schema: Schema<T>): Model<T> {
  return (mongoose.models[name] as Model<T> | undefined) ?? mongoose.model<T>(name, schema);
}
