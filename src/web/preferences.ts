/** A person's chosen language, remembered per platform user (the launch's locale is the default). */
import { Schema } from 'mongoose';
import { defineModel } from '../db/model';
import type { Locale } from '../lti/context';

interface PreferenceDoc { iss: string; userId: string; locale: Locale; updatedAt: Date }
const preferenceSchema = new Schema<PreferenceDoc>({
  iss: { type: String, required: true },
  userId: { type: String, required: true },
  locale: { type: String, required: true },
  updatedAt: { type: Date, default: Date.now },
}, { collection: 'cermin_preferences', autoIndex: false });
preferenceSchema.index({ iss: 1, userId: 1 }, { unique: true });
const Preference = defineModel('CerminPreference', preferenceSchema);

export async function preferredLocale(iss: string, userId: string): Promise<Locale | undefined> {
  return (await Preference.findOne({ iss, userId }, { locale: 1 }).lean())?.locale;
}

export async function rememberLocale(iss: string, userId: string, locale: Locale): Promise<void> {
  await Preference.updateOne({ iss, userId }, { $set: { locale, updatedAt: new Date() } }, { upsert: true });
}

export async function ensurePreferenceIndexes(): Promise<void> {
  await Preference.createIndexes();
}
