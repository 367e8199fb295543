/**
 * A person's choices, remembered per platform user: the language (the launch's locale is the
 * default) and data saver (prefer small materials; also on when the browser asks to save data).
 */
import crypto from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { Schema } from 'mongoose';
import { defineModel } from '../db/model';
import type { Locale } from '../domain/launch';
import { deleteAll, findAll, type PersonDataProvider } from '../db/person-data';

interface PreferenceDoc {
  _id: string;
  platform: string;
  userId: string;
  locale?: Locale;
  dataSaver?: boolean;
  updatedAt: Date;
}
const preferenceSchema = new Schema<PreferenceDoc>(
  {
    // Read on every page: keyed by _id (platform and person) so no database has to scan for it.
    _id: { type: String, required: true },
    platform: { type: String, required: true },
    userId: { type: String, required: true },
    locale: { type: String },
    dataSaver: { type: Boolean },
    updatedAt: { type: Date, default: Date.now },
  },
  { collection: 'cermin_preferences', autoIndex: false, _id: false },
);
const Preference = defineModel('CerminPreference', preferenceSchema);

/** A person's preferences record: by `_id`, read on every page. */
export const preferenceId = (platform: string, userId: string) =>
  crypto
    .createHash('sha256')
    .update(JSON.stringify([platform, userId]))
    .digest('base64url')
    .slice(0, 27);
const idOf = preferenceId;

/**
 * How long an instance keeps a person's choices (read on every request, autosaves included: a
 * fifth of a save's database work). This instance forgets them at once when it changes or erases
 * them; another instance behind the same load balancer shows a new language within this time.
 */
export const PREFERENCES_CACHE_MS = 5000;
type Chosen = { locale?: Locale; dataSaver?: boolean };
const recent = new LRUCache<string, Chosen>({ max: 20_000, ttl: PREFERENCES_CACHE_MS });

/** The person's remembered choices, one read: their language, and data saver (undefined: never chosen, the browser's hint decides). */
export async function preferencesOf(platform: string, userId: string): Promise<Chosen> {
  const id = idOf(platform, userId);
  const known = recent.get(id);
  if (known) return { ...known };
  const doc = await Preference.findById(id, { locale: 1, dataSaver: 1 }).lean();
  const chosen = { locale: doc?.locale, dataSaver: doc?.dataSaver };
  recent.set(id, chosen);
  return { ...chosen };
}

export async function rememberLocale(platform: string, userId: string, locale: Locale): Promise<void> {
  recent.delete(idOf(platform, userId));
  await Preference.updateOne(
    { _id: idOf(platform, userId) },
    { $set: { platform, userId, locale, updatedAt: new Date() } },
    { upsert: true },
  );
  // Again after the write: a read that began before it may have put the old choice back meanwhile.
  recent.delete(idOf(platform, userId));
}

export async function rememberDataSaver(platform: string, userId: string, on: boolean): Promise<void> {
  recent.delete(idOf(platform, userId));
  await Preference.updateOne(
    { _id: idOf(platform, userId) },
    { $set: { platform, userId, dataSaver: on, updatedAt: new Date() } },
    { upsert: true },
  );
  // Again after the write: a read that began before it may have put the old choice back meanwhile.
  recent.delete(idOf(platform, userId));
}

/** The browser asks to save data (Save-Data), or reports a slow connection (Network Information client hints). */
export function connectionAsksToSaveData(headers: Record<string, string | string[] | undefined>): boolean {
  const header = (name: string) => String(headers[name] ?? '').toLowerCase();
  return header('save-data') === 'on' || ['slow-2g', '2g', '3g'].includes(header('ect'));
}

/**
 * Records were once keyed by issuer alone, with a unique index on it that two registrations of one
 * issuer would now collide on: dropped where an older Cermin created it (an upgrade step).
 */
export async function dropLegacyPreferenceIndex(): Promise<void> {
  await Preference.collection.dropIndex('iss_1_userId_1').catch(() => undefined);
}

/** A person's remembered choices: theirs to download and to have erased. */
export const preferencesPrivacy: PersonDataProvider = {
  id: 'preferences',
  async exportFor(p) {
    return { preferences: await findAll(Preference, { _id: idOf(p.platform.key, p.userId) }) };
  },
  async eraseFor(p) {
    const erased = await deleteAll(Preference, { _id: idOf(p.platform.key, p.userId) });
    recent.delete(idOf(p.platform.key, p.userId));
    return { preferences: erased };
  },
};
