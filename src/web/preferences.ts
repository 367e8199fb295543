/**
 * A person's choices, remembered per platform user: the language (the launch's locale is the
 * default) and data saver (prefer small materials; also on when the browser asks to save data).
 */
import crypto from 'node:crypto';
import { Schema } from 'mongoose';
import { defineModel } from '../db/model';
import type { Locale } from '../lti/context';
import { deleteAll, findAll, type PersonDataProvider } from '../privacy/person-data';

interface PreferenceDoc { _id: string; iss: string; userId: string; locale?: Locale; dataSaver?: boolean; updatedAt: Date }
const preferenceSchema = new Schema<PreferenceDoc>({
  // Read on every page: keyed by _id so no database has to scan for it.
  _id: { type: String, required: true },
  iss: { type: String, required: true },
  userId: { type: String, required: true },
  locale: { type: String },
  dataSaver: { type: Boolean },
  updatedAt: { type: Date, default: Date.now },
}, { collection: 'cermin_preferences', autoIndex: false, _id: false });
preferenceSchema.index({ iss: 1, userId: 1 }, { unique: true });
const Preference = defineModel('CerminPreference', preferenceSchema);

const idOf = (iss: string, userId: string) => crypto.createHash('sha256').update(JSON.stringify([iss, userId])).digest('base64url').slice(0, 27);

/** The person's remembered choices, one read: their language, and data saver (undefined: never chosen, the browser's hint decides). */
export async function preferencesOf(iss: string, userId: string): Promise<{ locale?: Locale; dataSaver?: boolean }> {
  const doc = await Preference.findById(idOf(iss, userId), { locale: 1, dataSaver: 1 }).lean();
  return { locale: doc?.locale, dataSaver: doc?.dataSaver };
}

export async function rememberLocale(iss: string, userId: string, locale: Locale): Promise<void> {
  await Preference.updateOne({ _id: idOf(iss, userId) }, { $set: { iss, userId, locale, updatedAt: new Date() } }, { upsert: true });
}

export async function rememberDataSaver(iss: string, userId: string, on: boolean): Promise<void> {
  await Preference.updateOne({ _id: idOf(iss, userId) }, { $set: { iss, userId, dataSaver: on, updatedAt: new Date() } }, { upsert: true });
}

/** The browser asks to save data (Save-Data), or reports a slow connection (Network Information client hints). */
export function connectionAsksToSaveData(headers: Record<string, string | string[] | undefined>): boolean {
  const header = (name: string) => String(headers[name] ?? '').toLowerCase();
  return header('save-data') === 'on' || ['slow-2g', '2g', '3g'].includes(header('ect'));
}

export async function ensurePreferenceIndexes(): Promise<void> {
  await Preference.createIndexes();
}

/** A person's remembered choices: theirs to download and to have erased. */
export const preferencesPrivacy: PersonDataProvider = {
  id: 'preferences',
  async exportFor(p) {
    return { preferences: await findAll(Preference, { _id: idOf(p.issuer, p.userId) }) };
  },
  async eraseFor(p) {
    return { preferences: await deleteAll(Preference, { _id: idOf(p.issuer, p.userId) }) };
  },
};
