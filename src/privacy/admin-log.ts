/**
 * What admins changed, and who, and when: every change made in the admin console (a person's
 * data exported or erased on their behalf, retention settings, …) is one insert-only record, per
 * platform. The record names the admin (they act in their role) and what was done, never the
 * content of anyone's data.
 */
import crypto from 'node:crypto';
import mongoose, { Schema } from 'mongoose';
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

/**
 * Changes that apply to the whole instance, whichever admin made them: the AI provider, the consent
 * text, lenses and budgets, a purge run. Every platform's change log shows them (a record's issuer
 * stays the acting admin's platform, or '*' for the setup token).
 */
export const INSTANCE_WIDE_ACTIONS = ['ai.providerSet', 'ai.providerReset', 'consent.publish', 'ai.set', 'retention.run'] as const;

/** The platform's latest changes and the instance-wide ones, newest first; every change when no issuer is given. */
export async function adminChanges(issuer: string | undefined, limit = 100): Promise<AdminChangeDoc[]> {
  const filter = issuer === undefined ? {} : { $or: [{ issuer: mongoose.trusted({ $in: [issuer, '*'] }) }, { action: mongoose.trusted({ $in: [...INSTANCE_WIDE_ACTIONS] }) }] };
  return AdminChange.find(mongoose.trusted(filter)).sort({ at: -1 }).limit(limit).lean<AdminChangeDoc[]>();
}

export async function ensureAdminLogIndexes(): Promise<void> {
  await AdminChange.createIndexes();
}
