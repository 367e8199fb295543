/** The provider in force when its stored key cannot be opened (LTI_KEY changed since): usable pages, a clear word to the admin. */
import crypto from 'node:crypto';
import mongoose from 'mongoose';
import { ProviderSource } from '../src/ai/provider-source';
import { aiProviderView } from '../src/web/ai-admin';
import { testDatabaseUri } from './support/stack';

beforeAll(async () => {
  await mongoose.connect(testDatabaseUri(`cermin_provider_${crypto.randomBytes(4).toString('hex')}`));
});
afterAll(async () => {
  await mongoose.connection.db?.dropDatabase();
  await mongoose.disconnect();
});

const env = { model: 'env-model', timeoutMs: 5000, maxRetries: 0, name: 'Lingkungan' };

test('a key sealed under another LTI_KEY: the provider is still read (without a key), and says so', async () => {
  const before = new ProviderSource(env, 'kunci-lama-'.repeat(4));
  expect(await before.set({ baseUrl: 'http://127.0.0.1:9/v1', model: 'admin-model', name: 'Server BPSDM', apiKey: 'sk-rahasia' }, 'admin')).toEqual({ ok: true });
  expect((await before.current()).provider?.settings.apiKey).toBe('sk-rahasia');

  const after = new ProviderSource(env, 'kunci-baru-'.repeat(4));
  const choice = await after.current();
  expect(choice).toMatchObject({ source: 'admin', name: 'Server BPSDM', model: 'admin-model', keyUnreadable: true });
  expect(choice.provider?.settings.apiKey).toBeUndefined();
  expect(aiProviderView(choice)).toMatchObject({ configured: true, keySet: false, keyUnreadable: true });
  // Entering the key again under the new LTI_KEY mends it.
  expect(await after.set({ baseUrl: 'http://127.0.0.1:9/v1', model: 'admin-model', name: 'Server BPSDM', apiKey: 'sk-baru' }, 'admin')).toEqual({ ok: true });
  const mended = await after.current();
  expect(mended.keyUnreadable).toBeUndefined();
  expect(mended.provider?.settings.apiKey).toBe('sk-baru');
});
