/**
 * Records an earlier Cermin kept under an issuer (consent and its events, preferences, retention
 * settings, the change log) move to the key of the issuer's one registration at start-up, and are
 * then found where the current code looks; an issuer with two registrations keeps its records
 * where they were (whose they were cannot be told). Running it again changes nothing.
 */
import crypto from 'node:crypto';
import mongoose from 'mongoose';
import { idOf } from '../../../src/db/ids';
import { INSTANCE } from '../../../src/domain/launch';
import { platformKeyOf } from '../../../src/lti/launch-context';
import { moveIssuerKeyedRecords } from '../../../src/privacy/issuer-keyed-records';
import { ConsentService } from '../../../src/consent/consent';
import { adminChanges } from '../../../src/privacy/admin-log';
import { DEFAULT_RETENTION, RetentionSettingsStore } from '../../../src/privacy/retention';
import { preferencesOf } from '../../../src/preferences/store';
import { testDatabaseUri } from '../../support/stack';

beforeAll(async () => {
  await mongoose.connect(testDatabaseUri(`cermin_move_${crypto.randomBytes(4).toString('hex')}`));
});
afterAll(async () => {
  await mongoose.connection.db?.dropDatabase();
  await mongoose.disconnect();
});

const ONE = 'https://lms-satu.example.go.id';
const TWO = 'https://lms-dua.example.go.id';
const prefIdBefore = (iss: string, userId: string) =>
  crypto
    .createHash('sha256')
    .update(JSON.stringify([iss, userId]))
    .digest('base64url')
    .slice(0, 27);

test("an issuer's one registration gets its records; an issuer with two keeps them where they were", async () => {
  const db = mongoose.connection.db!;
  const text = {
    version: 1,
    id: { title: 't', body: ['b'], accept: 'a', decline: 'd', withdraw: 'w' },
    en: { title: 't', body: ['b'], accept: 'a', decline: 'd', withdraw: 'w' },
  };
  for (const iss of [ONE, TWO]) {
    await db.collection('ai_consents').insertOne({
      _id: idOf('ac', iss, 'u-1') as never,
      issuer: iss,
      userId: 'u-1',
      version: 1,
      givenAt: new Date(),
      textHash: 'h',
    });
    await db.collection('ai_consent_events').insertOne({
      _id: `ev-${iss}` as never,
      consentId: idOf('ac', iss, 'u-1'),
      action: 'given',
      version: 1,
      at: new Date(),
      textHash: 'h',
    });
    await db
      .collection('cermin_preferences')
      .insertOne({ _id: prefIdBefore(iss, 'u-1') as never, iss, userId: 'u-1', locale: 'en', updatedAt: new Date() });
    await db.collection('privacy_retention_settings').insertOne({
      _id: idOf('rts', iss) as never,
      issuer: iss,
      settings: { ...DEFAULT_RETENTION, aiConversationDays: 30 },
      updatedAt: new Date(),
      updatedBy: 'admin',
    });
    await db.collection('admin_changes').insertOne({
      _id: `ch-${iss}` as never,
      issuer: iss,
      at: new Date(),
      by: { id: 'a', name: 'Admin' },
      action: 'retention.set',
      detail: {},
    });
  }
  await db.collection('admin_changes').insertOne({
    _id: 'ch-setup' as never,
    issuer: '*',
    at: new Date(),
    by: { id: 'setup-token', name: 'setup token' },
    action: 'ai.set',
    detail: {},
  });
  const platforms = [
    { issuer: ONE, clientId: 'a' },
    { issuer: TWO, clientId: 'b' },
    { issuer: TWO, clientId: 'c' },
  ];

  const first = await moveIssuerKeyedRecords(platforms);
  expect(first.moved).toEqual({ consents: 1, preferences: 1, retentionSettings: 1, adminChanges: 2 });
  expect(first.ambiguous).toBe(4);
  const again = await moveIssuerKeyedRecords(platforms);
  expect(again.moved).toEqual({ consents: 0, preferences: 0, retentionSettings: 0, adminChanges: 0 });

  // The current code finds ONE's records under its platform key.
  const key = platformKeyOf(ONE, 'a');
  expect((await new ConsentService(text).status(key, 'u-1'))?.givenAt).toBeInstanceOf(Date);
  expect(await db.collection('ai_consent_events').countDocuments({ consentId: idOf('ac', key, 'u-1') })).toBe(1);
  expect((await preferencesOf(key, 'u-1')).locale).toBe('en');
  expect((await new RetentionSettingsStore().get(key)).aiConversationDays).toBe(30);
  expect((await adminChanges(key)).map((c) => c._id).sort()).toEqual([`ch-${ONE}`, 'ch-setup']);
  expect((await adminChanges(INSTANCE)).map((c) => c._id)).toEqual(['ch-setup']);
  // TWO's stay as they were (two registrations: whose they were cannot be told).
  expect(await db.collection('ai_consents').countDocuments({ issuer: TWO })).toBe(1);
  expect(await db.collection('cermin_preferences').countDocuments({ iss: TWO })).toBe(1);
  expect((await new RetentionSettingsStore().get(platformKeyOf(TWO, 'b'))).aiConversationDays).toBe(
    DEFAULT_RETENTION.aiConversationDays,
  );
});
