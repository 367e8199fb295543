/**
 * Which provider a platform's participants use: their platform admin's, else the operator's, else
 * the environment's; a stored key that cannot be opened (LTI_KEY changed since) still leaves usable
 * pages; and a stored key never outlives the address it was given for.
 */
import crypto from 'node:crypto';
import mongoose from 'mongoose';
import { ProviderSource } from '../../../src/ai/provider-source';
import { INSTANCE } from '../../../src/domain/launch';
import { platformKeyOf } from '../../../src/lti/launch-context';
import { aiProviderView } from '../../../src/admin/ai-provider';
import { testDatabaseUri } from '../../support/stack';
import { startFakeOpenAI } from '../../../sim/fake-openai';
import { hostWithPort } from '../../../src/outbound/address-policy';
import { createGuardedFetch } from '../../../src/outbound/guarded-fetch';

beforeAll(async () => {
  await mongoose.connect(testDatabaseUri(`cermin_provider_${crypto.randomBytes(4).toString('hex')}`));
});
afterAll(async () => {
  await mongoose.connection.db?.dropDatabase();
  await mongoose.disconnect();
});
afterEach(async () => {
  await mongoose.connection.db?.collection('ai_provider').deleteMany({});
});

const env = {
  baseUrl: 'http://127.0.0.1:9/env/v1',
  model: 'env-model',
  timeoutMs: 5000,
  maxRetries: 0,
  name: 'Lingkungan',
};
const A = platformKeyOf('https://lms-a.example', 'client-a');
const B = platformKeyOf('https://lms-b.example', 'client-b');

test('a key sealed under another LTI_KEY: the provider is still read (without a key), and says so', async () => {
  const before = new ProviderSource(env, 'kunci-lama-'.repeat(4));
  expect(
    await before.set(
      INSTANCE,
      { baseUrl: 'http://127.0.0.1:9/v1', model: 'admin-model', name: 'Server BPSDM', apiKey: 'sk-rahasia' },
      'admin',
    ),
  ).toEqual({ ok: true, key: 'replaced' });
  expect((await before.current(INSTANCE)).provider?.settings.apiKey).toBe('sk-rahasia');

  const after = new ProviderSource(env, 'kunci-baru-'.repeat(4));
  const choice = await after.current(A);
  expect(choice).toMatchObject({ source: 'instance', name: 'Server BPSDM', model: 'admin-model', keyUnreadable: true });
  expect(choice.provider?.settings.apiKey).toBeUndefined();
  expect(aiProviderView(choice, A)).toMatchObject({ configured: true, keySet: false, keyUnreadable: true, own: false });
  // Entering the key again under the new LTI_KEY mends it.
  expect(
    await after.set(
      INSTANCE,
      { baseUrl: 'http://127.0.0.1:9/v1', model: 'admin-model', name: 'Server BPSDM', apiKey: 'sk-baru' },
      'admin',
    ),
  ).toEqual({ ok: true, key: 'replaced' });
  const mended = await after.current(INSTANCE);
  expect(mended.keyUnreadable).toBeUndefined();
  expect(mended.provider?.settings.apiKey).toBe('sk-baru');
});

test("a platform's own provider is its own; the operator's is every other platform's default; the environment's is the last", async () => {
  const source = new ProviderSource(env, 'kunci-'.repeat(6));
  expect(await source.current(A)).toMatchObject({ source: 'environment', model: 'env-model' });
  await source.set(
    INSTANCE,
    { baseUrl: 'http://127.0.0.1:9/instance/v1', model: 'instance-model', name: 'Operator', apiKey: 'sk-operator' },
    'setup-token',
  );
  await source.set(
    A,
    { baseUrl: 'http://127.0.0.1:9/a/v1', model: 'a-model', name: 'Server A', apiKey: 'sk-a' },
    'admin-a',
  );
  expect(await source.current(A)).toMatchObject({ source: 'platform', model: 'a-model', name: 'Server A' });
  expect(await source.current(B)).toMatchObject({ source: 'instance', model: 'instance-model' });
  expect((await source.current(B)).provider?.settings.apiKey).toBe('sk-operator');
  // A's admin going back to the default leaves the operator's and B's untouched.
  await source.reset(A);
  expect(await source.current(A)).toMatchObject({ source: 'instance', model: 'instance-model' });
});

// Reproduced against 27e6e1e: "test connection" after changing only the address sent the stored key to the new address.
test('a stored key is dropped when its address changes, and never handed to another scope', async () => {
  const source = new ProviderSource(env, 'kunci-'.repeat(6));
  await source.set(A, { baseUrl: 'http://127.0.0.1:9/a/v1', model: 'm', name: 'A', apiKey: 'sk-a-rahasia' }, 'admin-a');
  // Same address, empty key field: the key stays.
  expect(await source.set(A, { baseUrl: 'http://127.0.0.1:9/a/v1', model: 'm2', name: 'A' }, 'admin-a')).toEqual({
    ok: true,
    key: 'kept',
  });
  expect((await source.current(A)).provider?.settings.apiKey).toBe('sk-a-rahasia');
  // Another address, empty key field: the key is gone.
  expect(await source.set(A, { baseUrl: 'http://evil.example/v1', model: 'm2', name: 'A' }, 'admin-a')).toEqual({
    ok: true,
    key: 'cleared',
  });
  expect((await source.current(A)).provider?.settings.apiKey).toBeUndefined();
  // Back to the first address: the key does not come back either.
  await source.set(A, { baseUrl: 'http://127.0.0.1:9/a/v1', model: 'm2', name: 'A' }, 'admin-a');
  expect((await source.current(A)).provider?.settings.apiKey).toBeUndefined();
  // A platform that sets its own provider never inherits the operator's key, even at the operator's address.
  await source.set(
    INSTANCE,
    { baseUrl: 'http://127.0.0.1:9/instance/v1', model: 'm', name: 'Operator', apiKey: 'sk-operator' },
    'setup-token',
  );
  expect(await source.set(B, { baseUrl: 'http://127.0.0.1:9/instance/v1', model: 'm', name: 'B' }, 'admin-b')).toEqual({
    ok: true,
    key: 'none',
  });
  expect((await source.current(B)).provider?.settings.apiKey).toBeUndefined();
});

test("a platform admin's provider reaches only what the operator allowed for everyone, not the operator's own AI address", async () => {
  const fake = await startFakeOpenAI({ models: ['m'] });
  try {
    const operatorOnly = createGuardedFetch({
      allow: [hostWithPort(fake.baseURL)],
      maxBytes: 1_000_000,
      timeoutMs: 5000,
    });
    const everyone = createGuardedFetch({ allow: [], maxBytes: 1_000_000, timeoutMs: 5000 });
    const source = new ProviderSource(
      { ...env, baseUrl: fake.baseURL, apiKey: fake.apiKey, model: 'm' },
      'kunci-'.repeat(6),
      { fetch: operatorOnly, platformFetch: everyone },
    );
    expect(await (await source.current(A)).provider?.testConnection()).toMatchObject({ ok: true }); // the environment's, inherited
    await source.set(
      A,
      { baseUrl: fake.baseURL, model: 'm', name: 'Ke server operator', apiKey: fake.apiKey },
      'admin-a',
    );
    const before = fake.requests.length;
    expect(await (await source.current(A)).provider?.testConnection()).toMatchObject({ ok: false, kind: 'blocked' });
    expect(fake.requests.length).toBe(before);
  } finally {
    await fake.close();
  }
});
