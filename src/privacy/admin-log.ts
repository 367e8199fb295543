/**
 * What admins changed, and who, and when: every change made in the admin console (a person's
 * data exported or erased on their behalf, retention settings, …) is one insert-only record, kept
 * under the platform it concerns (its key), or `*` for the instance operator's own changes to the
 * instance. The record names the admin (they act in their role) and what was done, never the
 * content of anyone's data.
 */
import mongoose, { Schema } from 'mongoose';
import { defineModel } from '../db/model';
import { INSTANCE } from '../domain/launch';

export interface AdminChangeDoc {
  _id: string;
  /** The platform's key, or `*`: the instance operator's changes to the instance. */
  platform: string;
  at: Date;
  by: { id: string; name: string };
  action: string;
  /** What it applied to and the values set (short, no personal content). */
  detail: Record<string, unknown>;
}

const changeSchema = new Schema<AdminChangeDoc>(
  {
    _id: { type: String, required: true },
    platform: { type: String, required: true },
    at: { type: Date, required: true },
    by: { type: Schema.Types.Mixed, required: true },
    action: { type: String, required: true },
    detail: { type: Schema.Types.Mixed, default: {} },
  },
  { collection: 'admin_changes', autoIndex: false, _id: false, minimize: false },
);
changeSchema.index({ platform: 1, at: -1, _id: -1 });
export const AdminChange = defineModel('AdminChange', changeSchema);

export async function recordAdminChange(change: Omit<AdminChangeDoc, '_id' | 'at'> & { at?: Date }): Promise<void> {
  // An ObjectId's hex grows with each one made here, so two changes of one millisecond keep their order.
  await AdminChange.create({
    _id: new mongoose.Types.ObjectId().toHexString(),
    at: change.at ?? new Date(),
    ...change,
  });
}

/**
 * A platform's latest changes and the operator's changes to the instance (which it follows), newest
 * first: never another platform's, nor the name of another platform's admin. Every change when no
 * platform is given (the operator).
 */
export async function adminChanges(platform: string | undefined, limit = 100): Promise<AdminChangeDoc[]> {
  const filter = platform === undefined ? {} : { platform: mongoose.trusted({ $in: [platform, INSTANCE] }) };
  return AdminChange.find(filter).sort({ at: -1, _id: -1 }).limit(limit).lean<AdminChangeDoc[]>();
}
