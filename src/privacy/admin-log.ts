/**
 * What admins changed, and who, and when: every change made in the admin console (a person's
 * data exported or erased on their behalf, retention settings, …) is one insert-only record, per
 * platform. The record names the admin (they act in their role) and what was done, never the
 * content of anyone's data.
 */
import crypto from 'node:crypto';
import { Schema } from 'mongoose';
import { defineModel } from '../db/model';

export interface AdminChangeDoc {
  _id: string;
  issuer: string;
  at: Date;
  by: { id: string; name: string };
  action: string;
  /** What it applied to and the values set (short, no personal content). */
  detail: Record<string, unknown>;
}

const changeSchema = new Schema<AdminChangeDoc>({
  _id: { type: String, required: true }, issuer: { type: String, required: true }, at: { type: Date, required: true },
  by: { type: Schema.Types.Mixed, required: true }, action: { type: String, required: true }, detail: { type: Schema.Types.Mixed, default: {} },
}, { collection: 'admin_changes', autoIndex: false, _id: false, minimize: false });
changeSchema.index({ issuer: 1, at: -1 });
export const AdminChange = defineModel('AdminChange', changeSchema);

export async function recordAdminChange(change: Omit<AdminChangeDoc, '_id' | 'at'> & { at?: Date }): Promise<void> {
  await AdminChange.create({ _id: crypto.randomBytes(12).toString('base64url'), at: change.at ?? new Date(), ...change });
}

/** The platform's latest changes, newest first; every platform's (and the instance's) when no issuer is given. */
export async function adminChanges(issuer: string | undefined, limit = 100): Promise<AdminChangeDoc[]> {
  return AdminChange.find(issuer === undefined ? {} : { issuer }).sort({ at: -1 }).limit(limit).lean<AdminChangeDoc[]>();
}

export async function ensureAdminLogIndexes(): Promise<void> {
  await AdminChange.createIndexes();
}
