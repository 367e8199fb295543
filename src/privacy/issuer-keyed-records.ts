/**
 * Cermin once kept a person's consent and preferences, a platform's retention settings and the
 * change log under the platform's issuer alone; they are now kept under the platform's key (issuer
 * and client id), so that a second registration of an issuer is a tenant of its own. At start-up,
 * records still under an issuer move to the key of that issuer's one registration. An issuer with
 * several registrations (or none left) cannot be told apart: its records stay where they are and
 * are counted, for the operator to see in the log. Idempotent: a moved record is not found again.
 */
import mongoose from 'mongoose';
import { idOf } from '../db/ids';
import { INSTANCE } from '../domain/launch';
import { platformKeyOf } from '../lti/launch-context';
import { preferenceId } from '../preferences/store';

export interface MoveReport {
  moved: Record<string, number>;
  ambiguous: number;
}

type Doc = Record<string, unknown> & { _id: string };

export async function moveIssuerKeyedRecords(
  platforms: ReadonlyArray<{ issuer: string; clientId: string }>,
): Promise<MoveReport> {
  const db = mongoose.connection.db;
  const report: MoveReport = {
    moved: { consents: 0, preferences: 0, retentionSettings: 0, adminChanges: 0 },
    ambiguous: 0,
  };
  if (!db) return report;
  const byIssuer = new Map<string, string[]>();
  for (const p of platforms)
    byIssuer.set(p.issuer, [...(byIssuer.get(p.issuer) ?? []), platformKeyOf(p.issuer, p.clientId)]);
  /** The one platform key of an issuer (`*` stays `*`); undefined when it cannot be told. */
  const keyOf = (issuer: unknown): string | undefined => {
    if (issuer === INSTANCE) return INSTANCE;
    const keys = typeof issuer === 'string' ? byIssuer.get(issuer) : undefined;
    if (keys?.length === 1) return keys[0];
    report.ambiguous += 1;
    return undefined;
  };
  const legacy = (field: string) => ({ [field]: { $exists: true }, platform: { $exists: false } });

  /** A record whose `_id` is made from what it names: written under its new `_id`, the old one removed. */
  async function rekey(
    collection: string,
    field: string,
    newIdOf: (key: string, doc: Doc) => string,
    also?: (oldId: string, newId: string) => Promise<void>,
  ): Promise<number> {
    let n = 0;
    for (const doc of await db!.collection<Doc>(collection).find(legacy(field)).toArray()) {
      const key = keyOf(doc[field]);
      if (!key) continue;
      const { _id: oldId, [field]: _old, ...rest } = doc;
      const newId = newIdOf(key, doc);
      await db!
        .collection<Doc>(collection)
        .replaceOne({ _id: newId }, { ...rest, _id: newId, platform: key }, { upsert: true });
      await also?.(oldId, newId);
      if (newId !== oldId) await db!.collection<Doc>(collection).deleteOne({ _id: oldId });
      n += 1;
    }
    return n;
  }

  report.moved.consents = await rekey(
    'ai_consents',
    'issuer',
    (key, d) => idOf('ac', key, String(d.userId)),
    async (oldId, newId) => {
      await db.collection('ai_consent_events').updateMany({ consentId: oldId }, { $set: { consentId: newId } });
    },
  );
  report.moved.preferences = await rekey('cermin_preferences', 'iss', (key, d) => preferenceId(key, String(d.userId)));
  report.moved.retentionSettings = await rekey('privacy_retention_settings', 'issuer', (key) => idOf('rts', key));
  for (const doc of await db.collection<Doc>('admin_changes').find(legacy('issuer')).toArray()) {
    const key = keyOf(doc.issuer);
    if (!key) continue;
    await db
      .collection<Doc>('admin_changes')
      .updateOne({ _id: doc._id }, { $set: { platform: key }, $unset: { issuer: '' } });
    report.moved.adminChanges += 1;
  }
  return report;
}
