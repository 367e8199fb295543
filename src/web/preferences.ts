/** A person's chosen language, remembered per platform user (the launch's locale is the default). */
import crypto from 'node:crypto';
import { Schema } from 'mongoose';
import { defineModel } from '../db/model';
import type { Locale } from '../lti/context';

interface PreferenceDoc { _id: string; iss: string; userId: string; locale: Locale; updatedAt: Date }
const preferenceSchema = new Schema<PreferenceDoc>({
  // Read on every page: keyed by _id so no database has to scan for it.
  _id: { type: String, required: true },
  iss: { type: String, required: true },
  userId: { type: String, required: true },
  locale: { type: String, required: true },
  updatedAt: { type: Date, default: Date.now },
}, { collection: 'cermin_preferences', autoIndex: false, _id: false });
preferenceSchema.index({ iss: 1, userId: 1 }, { unique: true });
const Preference = defineModel('CerminPreference', preferenceSchema);

const idOf = (iss: string, userId: string) => crypto.createHash('sha256').update(JSON.stringify([iss, userId])).digest('base64url').slice(0, 27);

export async function preferredLocale(iss: string, userId: string): Promise<Locale | undefined> {
  return (await Preference.findById(idOf(iss, userId), { locale: 1 }).lean())?.locale;
}

export async function rememberLocale(iss: string, userId: string, locale: Locale): Promise<void> {
  await Preference.updateOne({ _id: idOf(iss, userId) }, { $set: { iss, userId, locale, updatedAt: new Date() } }, { upsert: true });
}

export async function ensurePreferenceIndexes(): Promise<void> {
  await Preference.createIndexes();
}
