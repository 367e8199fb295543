/**
 * Consent to AI help on a real database: none until given; given to one version of the text, a
 * new version asks again; one call withdraws; every change kept as an event; the text names the
 * provider, the model and how long text is kept.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mongoose from 'mongoose';
import { ConsentService, loadConsentText, renderConsent } from '../../../src/consent/consent';
import { testDatabaseUri } from '../../support/stack';

beforeAll(async () => {
  await mongoose.connect(testDatabaseUri(`cermin_consent_${crypto.randomBytes(4).toString('hex')}`));
});
afterAll(async () => {
  await mongoose.connection.db?.dropDatabase();
  await mongoose.disconnect();
});

const ISS = 'https://lms.bpsdm.example.go.id';
const text = loadConsentText();

test('no consent until given; withdrawn with one call; every change kept with its version', async () => {
  let now = new Date('2026-11-25T02:00:00Z');
  const consent = new ConsentService(text, {}, () => now);
  expect(await consent.hasConsent(ISS, 'u-p-001')).toBe(false);
  await consent.give(ISS, 'u-p-001');
  expect(await consent.hasConsent(ISS, 'u-p-001')).toBe(true);
  expect(await consent.hasConsent(ISS, 'u-p-002')).toBe(false);
  expect(await consent.hasConsent('https://other.example.go.id', 'u-p-001')).toBe(false);
  now = new Date('2026-11-26T02:00:00Z');
  await consent.withdraw(ISS, 'u-p-001');
  expect(await consent.hasConsent(ISS, 'u-p-001')).toBe(false);
  const history = await consent.history(ISS, 'u-p-001');
  expect(history.map((h) => [h.action, h.version, h.at.toISOString()])).toEqual([
    ['given', text.version, '2026-11-25T02:00:00.000Z'],
    ['withdrawn', text.version, '2026-11-26T02:00:00.000Z'],
  ]);
});

test('a new version of the consent text, or another provider or model, asks again', async () => {
  const facts = { provider: 'Ollama di server BPSDM', model: 'qwen2.5-7b-instruct' };
  await new ConsentService(text, facts).give(ISS, 'u-p-003');
  expect(await new ConsentService(text, facts).mustAsk(ISS, 'u-p-003')).toBe(false);
  const revised = new ConsentService({ ...text, version: text.version + 1 }, facts);
  expect(await revised.hasConsent(ISS, 'u-p-003')).toBe(false);
  expect(await revised.mustAsk(ISS, 'u-p-003')).toBe(true);
  await revised.give(ISS, 'u-p-003');
  expect(await revised.hasConsent(ISS, 'u-p-003')).toBe(true);
  const elsewhere = new ConsentService({ ...text, version: text.version + 1 }, { ...facts, provider: 'OpenAI' });
  expect(await elsewhere.hasConsent(ISS, 'u-p-003')).toBe(false);
  expect(await elsewhere.mustAsk(ISS, 'u-p-003')).toBe(true);
  await elsewhere.withdraw(ISS, 'u-p-003');
  expect(await elsewhere.mustAsk(ISS, 'u-p-003')).toBe(false); // declining is an answer too
});

test('the text says what is sent, to which provider and model, for how long; both languages', () => {
  const id = renderConsent(text, 'id', {
    provider: 'Ollama di server BPSDM',
    model: 'qwen2.5-7b-instruct',
    retentionDays: 180,
  });
  const joined = id.body.join('\n');
  for (const part of [
    'Ollama di server BPSDM',
    'qwen2.5-7b-instruct',
    '180 hari',
    '[NAMA_1]',
    'NIK',
    'menarik persetujuan',
  ])
    expect(joined).toContain(part);
  expect(joined).not.toMatch(/\{(provider|model|retentionDays)\}/);
  const en = renderConsent(text, 'en', { provider: 'OpenAI', model: 'gpt-4o-mini', retentionDays: 30 });
  expect(en.body.join('\n')).toContain('30 days');
});

test('a broken consent text stops loading, naming the problem', () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'consent-')), 'consent.json');
  fs.writeFileSync(file, JSON.stringify({ version: 0, id: text.id }));
  expect(() => loadConsentText(file)).toThrow(/consent\.json: .*(version|en)/);
});
