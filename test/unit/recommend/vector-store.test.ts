/**
 * The recommender's embeddings path, over real HTTP and the test database: AiProvider.embed against
 * the fake OpenAI server (which checks requests as the real API does and answers HashingEmbedder's
 * vectors), ProviderEmbedder, and MongoEmbeddingCache. Item vectors are embedded once, kept by
 * cache key, and an edited item alone goes back to the provider; the hybrid ranking then runs on a
 * query vector from the same provider.
 */
import crypto from 'node:crypto';
import mongoose from 'mongoose';
import OpenAI from 'openai';
import { AiProvider, EMBED_BATCH_SIZE, type ProviderSettings } from '../../../src/ai/provider';
import { loadSampleCatalog, type CatalogItem } from '../../../src/recommend/catalog';
import { ProviderEmbedder } from '../../../src/recommend/provider-embedder';
import { buildCatalogIndex, recommend } from '../../../src/recommend/rank';
import { decodeVector, encodeVector, MongoEmbeddingCache, VectorRecord } from '../../../src/recommend/vector-store';
import { buildVectorIndex, embeddingCacheKey, embeddingText, HashingEmbedder } from '../../../src/recommend/vectors';
import {
  FAKE_EMBEDDING_DIMENSIONS,
  fakeEmbedding,
  startFakeOpenAI,
  type EmbeddingRequest,
  type FakeOpenAI,
} from '../../../sim/fake-openai';
import { failureOf } from '../../support/provider-failure';
import { testDatabaseUri } from '../../support/stack';

let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI({ models: ['fake-model'], embeddingModels: ['fake-embed', 'other-embed'] });
  await mongoose.connect(testDatabaseUri(`cermin_vectors_${crypto.randomBytes(4).toString('hex')}`));
});
afterAll(async () => {
  await fake.close();
  await mongoose.connection.db?.dropDatabase();
  await mongoose.disconnect();
});
beforeEach(async () => {
  fake.reset();
  await VectorRecord.deleteMany({});
});

const settings = (over: Partial<ProviderSettings> = {}): ProviderSettings => ({
  baseUrl: fake.baseURL,
  apiKey: fake.apiKey,
  model: 'fake-model',
  embeddingModel: 'fake-embed',
  timeoutMs: 2000,
  maxRetries: 0,
  ...over,
});
const provider = (over: Partial<ProviderSettings> = {}) => new AiProvider(settings(over));
const hashing = new HashingEmbedder({ dimensions: FAKE_EMBEDDING_DIMENSIONS });
const texts = [
  'Saya melayani warga di loket dengan ramah.',
  'Laporan anggaran selesai tepat waktu.',
  'Rapat koordinasi lintas bidang.',
];

/** The embeddings requests received, with their bodies as sent. */
const embeddingRequests = () =>
  fake.requests.filter((r) => r.path.endsWith('/embeddings')).map((r) => r.body as unknown as EmbeddingRequest);

describe('AiProvider.embed', () => {
  it("sends the model, the texts and encoding_format base64, and gets back the hashing embedder's vectors", async () => {
    const answer = await provider().embed(texts);
    const [sent] = fake.requests;
    expect(sent.path).toBe('/v1/embeddings');
    expect(sent.headers.authorization).toBe(`Bearer ${fake.apiKey}`);
    expect(sent.body).toEqual({ model: 'fake-embed', input: texts, encoding_format: 'base64' });
    expect(answer.vectors).toEqual(await hashing.embed(texts));
    expect(answer.model).toBe('fake-embed');
    expect(answer.usage.promptTokens).toBeGreaterThan(0);
    expect(answer.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('takes floats from a server that ignores encoding_format', async () => {
    fake.reply({ target: 'embeddings', ignoreEncodingFormat: true });
    expect((await provider().embed(texts)).vectors).toEqual(await hashing.embed(texts));
    expect(embeddingRequests()[0].encoding_format).toBe('base64');
  });

  it('asks a server that refuses base64 once more in floats, and stays with floats', async () => {
    fake.embeddingEncodings = ['float'];
    const p = provider();
    expect((await p.embed(texts)).vectors).toEqual(await hashing.embed(texts));
    expect((await p.embed(texts.slice(0, 1))).vectors).toEqual(await hashing.embed(texts.slice(0, 1)));
    expect(embeddingRequests().map((b) => b.encoding_format)).toEqual(['base64', 'float', 'float']);
  });

  it('places vectors by their index when the server lists them in another order', async () => {
    fake.reply({ target: 'embeddings', reverseOrder: true });
    expect((await provider().embed(texts)).vectors).toEqual(await hashing.embed(texts));
  });

  it('sends more than 256 texts in batches of 256, one after another, and keeps their order', async () => {
    const many = Array.from({ length: 600 }, (_, i) => `Refleksi nomor ${i}: melayani warga ke-${i}.`);
    fake.reply(
      ...[10, 20, 30].map((n) => ({
        target: 'embeddings' as const,
        usage: { prompt_tokens: n, completion_tokens: 0 },
      })),
    );
    const answer = await provider().embed(many);
    expect(EMBED_BATCH_SIZE).toBe(256);
    expect(embeddingRequests().map((b) => (b.input as string[]).length)).toEqual([256, 256, 88]);
    expect(embeddingRequests().flatMap((b) => b.input)).toEqual(many);
    expect(answer.vectors).toEqual(many.map((t) => Array.from(hashing.embedOne(t))));
    expect(answer.usage.promptTokens).toBe(60);
  });

  it("passes on a model's own size: vectors cut by `dimensions` as the SDK asks, and a ProviderEmbedder over a 64-dimension model", async () => {
    const client = new OpenAI({ baseURL: fake.baseURL, apiKey: fake.apiKey, maxRetries: 0 });
    const cut = await client.embeddings.create({ model: 'fake-embed', input: texts, dimensions: 64 });
    expect(cut.data.map((d) => d.embedding)).toEqual(texts.map((t) => fakeEmbedding(t, 64)));
    expect(embeddingRequests()[0]).toMatchObject({ dimensions: 64, encoding_format: 'base64' });

    fake.reply({ target: 'embeddings', vectors: (input) => input.map((t) => fakeEmbedding(t, 64)) });
    const vectors = await new ProviderEmbedder(provider()).embed(texts);
    expect(vectors.map((v) => v.length)).toEqual([64, 64, 64]);
  });

  it('turns each failure into a ProviderError kind', async () => {
    const wrongKey = await failureOf(provider({ apiKey: 'sk-salah-sekali-0000' }).embed(texts));
    expect({ kind: wrongKey.kind, status: wrongKey.status }).toEqual({ kind: 'auth', status: 401 });
    expect(wrongKey.reason).not.toContain('sk-salah-sekali-0000');
    const unknown = await failureOf(provider({ embeddingModel: 'text-embedding-3-small' }).embed(texts));
    expect({ kind: unknown.kind, status: unknown.status }).toEqual({ kind: 'notFound', status: 404 });
    for (const [status, kind] of [
      [500, 'server'],
      [429, 'rateLimited'],
      [503, 'server'],
    ] as const) {
      fake.reply({ target: 'embeddings', status });
      expect(await failureOf(provider().embed(texts))).toMatchObject({ kind, status });
    }
    fake.reply({ target: 'embeddings', hang: true });
    expect((await failureOf(provider({ timeoutMs: 300 }).embed(texts))).kind).toBe('timeout');
  });

  it('a real 400 is not hidden by the float retry', async () => {
    const failure = await failureOf(provider().embed(['kata '.repeat(9000)]));
    expect({ kind: failure.kind, status: failure.status }).toEqual({ kind: 'badRequest', status: 400 });
    expect(failure.reason).toContain('maximum context length');
    expect(embeddingRequests().map((b) => b.encoding_format)).toEqual(['base64', 'float']);
  });

  it('refuses a malformed answer: too few vectors, or vectors of different sizes', async () => {
    fake.reply({ target: 'embeddings', vectors: (input) => input.slice(1).map((t) => fakeEmbedding(t)) });
    const short = await failureOf(provider().embed(texts));
    expect(short.kind).toBe('server');
    expect(short.reason).toContain('2 embeddings for 3 texts');
    fake.reply({ target: 'embeddings', vectors: (input) => input.map((t, i) => fakeEmbedding(t, i === 1 ? 32 : 64)) });
    expect((await failureOf(provider().embed(texts))).reason).toContain('dimensions');
  });

  it('retries a 503 when told to', async () => {
    fake.reply({ target: 'embeddings', status: 503 });
    expect((await provider({ maxRetries: 1 }).embed(texts)).vectors).toHaveLength(3);
    expect(embeddingRequests()).toHaveLength(2);
  });

  it('refuses without sending anything: no embedding model configured, or an empty text', async () => {
    await expect(provider({ embeddingModel: undefined }).embed(texts)).rejects.toThrow(
      /no embedding model is configured/,
    );
    expect(() => new ProviderEmbedder(provider({ embeddingModel: undefined }))).toThrow(/AI_EMBEDDING_MODEL/);
    const blank = await failureOf(provider().embed(['ada isi', '  ']));
    expect(blank).toMatchObject({ kind: 'badRequest' });
    expect(blank.reason).toContain('text 1 is empty');
    expect(await provider().embed([])).toMatchObject({ vectors: [] });
    expect(fake.requests).toHaveLength(0);
  });
});

describe('item vectors cached in the database', () => {
  const catalog = () => loadSampleCatalog().items;

  it('embeds every item the first time, none the second (a fresh cache, the same database), then only an edited item', async () => {
    const items = catalog();
    const first = await buildVectorIndex(items, new ProviderEmbedder(provider()), { cache: new MongoEmbeddingCache() });
    expect({ embedded: first.embedded, cached: first.cached }).toEqual({ embedded: items.length, cached: 0 });
    expect(first.index.embedderId).toBe('provider:fake-embed');
    expect(first.index.dimensions).toBe(FAKE_EMBEDDING_DIMENSIONS);
    expect(embeddingRequests().flatMap((b) => b.input)).toEqual(items.map(embeddingText));
    expect(await VectorRecord.countDocuments()).toBe(items.length);

    fake.reset();
    const embedder = new ProviderEmbedder(provider());
    const second = await buildVectorIndex(items, embedder, { cache: new MongoEmbeddingCache() });
    expect({ embedded: second.embedded, cached: second.cached }).toEqual({ embedded: 0, cached: items.length });
    expect(fake.requests).toHaveLength(0);
    expect(embedder.usage.calls).toBe(0);
    const probe = Array.from(hashing.embedOne('melayani warga dengan ramah di loket'));
    expect(second.index.search(probe, { limit: 10 })).toEqual(first.index.search(probe, { limit: 10 }));

    const edited: CatalogItem[] = items.map((item, i) =>
      i === 7 ? { ...item, description: `${item.description} Edisi revisi dengan studi kasus baru.` } : item,
    );
    const third = await buildVectorIndex(edited, new ProviderEmbedder(provider()), {
      cache: new MongoEmbeddingCache(),
    });
    expect({ embedded: third.embedded, cached: third.cached }).toEqual({ embedded: 1, cached: items.length - 1 });
    expect(embeddingRequests().map((b) => b.input)).toEqual([[embeddingText(edited[7])]]);
  });

  it('stores one compact document per cache key', async () => {
    const [item] = catalog();
    await buildVectorIndex([item], new ProviderEmbedder(provider()), { cache: new MongoEmbeddingCache() });
    const key = embeddingCacheKey(item, 'provider:fake-embed');
    const doc = await VectorRecord.findById(key).lean();
    expect(doc).toMatchObject({ _id: key, dims: FAKE_EMBEDDING_DIMENSIONS });
    expect(typeof doc?.vector).toBe('string');
    expect(Buffer.from(doc?.vector ?? '', 'base64')).toHaveLength(FAKE_EMBEDDING_DIMENSIONS * 4);
    expect(doc?.at).toBeInstanceOf(Date);
    expect(decodeVector(doc?.vector ?? '', FAKE_EMBEDDING_DIMENSIONS)).toEqual(fakeEmbedding(embeddingText(item)));
  });

  it('another model gets its own vectors', async () => {
    const items = catalog().slice(0, 5);
    await buildVectorIndex(items, new ProviderEmbedder(provider()), { cache: new MongoEmbeddingCache() });
    const other = await buildVectorIndex(items, new ProviderEmbedder(provider({ embeddingModel: 'other-embed' })), {
      cache: new MongoEmbeddingCache(),
    });
    expect(other.embedded).toBe(5);
    expect(embeddingRequests().map((b) => b.model)).toEqual(['fake-embed', 'other-embed']);
  });

  it('two instances embedding the same items at once both succeed, and each key is stored once', async () => {
    const items = catalog().slice(0, 20);
    const builds = await Promise.all(
      [0, 1].map(() => buildVectorIndex(items, new ProviderEmbedder(provider()), { cache: new MongoEmbeddingCache() })),
    );
    expect(builds.map((b) => b.index.size)).toEqual([20, 20]);
    expect(await VectorRecord.countDocuments()).toBe(20);

    const cache = new MongoEmbeddingCache();
    const entries = texts.map((t, i) => [`k${i}`, fakeEmbedding(t)] as const);
    await Promise.all([cache.setMany(entries.slice(0, 2)), new MongoEmbeddingCache().setMany(entries)]);
    await cache.setMany(entries);
    expect([...(await cache.getMany(['k0', 'k1', 'k2', 'k9'])).keys()].sort()).toEqual(['k0', 'k1', 'k2']);
  });

  it('a damaged record counts as missing and is removed, so the item is embedded again', async () => {
    const items = catalog().slice(0, 3);
    const key = embeddingCacheKey(items[1], 'provider:fake-embed');
    await VectorRecord.create({
      _id: key,
      vector: encodeVector([1, 2, 3]),
      dims: FAKE_EMBEDDING_DIMENSIONS,
      at: new Date(),
    });
    const build = await buildVectorIndex(items, new ProviderEmbedder(provider()), { cache: new MongoEmbeddingCache() });
    expect(build.embedded).toBe(3);
    expect(decodeVector((await VectorRecord.findById(key).lean())?.vector ?? '', FAKE_EMBEDDING_DIMENSIONS)).toEqual(
      fakeEmbedding(embeddingText(items[1])),
    );
  });
});

describe('a cache in a collection of its own', () => {
  it('keeps short-lived vectors (queries) apart from item vectors, and prunes them by age', async () => {
    const queries = new MongoEmbeddingCache({ collection: 'recommend_query_vectors_test' });
    await queries.setMany([['query:provider:fake-embed:abc', fakeEmbedding(texts[0])]]);
    expect(await VectorRecord.countDocuments()).toBe(0);
    expect((await queries.getMany(['query:provider:fake-embed:abc'])).get('query:provider:fake-embed:abc')).toEqual(
      fakeEmbedding(texts[0]),
    );
    expect(await new MongoEmbeddingCache().getMany(['query:provider:fake-embed:abc'])).toEqual(new Map());
    expect(await queries.deleteWrittenBefore(new Date(Date.now() - 60_000))).toBe(0);
    expect(await queries.deleteWrittenBefore(new Date(Date.now() + 1000))).toBe(1);
    expect((await queries.getMany(['query:provider:fake-embed:abc'])).size).toBe(0);
  });

  it('reads many keys and a few keys alike, the missing ones left out', async () => {
    const cache = new MongoEmbeddingCache();
    const entries = Array.from({ length: 32 }, (_, i) => [`key-${i}`, fakeEmbedding(`teks ${i}`)] as const);
    await cache.setMany(entries);
    const wanted = [...entries.map(([k]) => k), 'key-missing'];
    const many = await cache.getMany(wanted);
    expect(many.size).toBe(entries.length);
    const few = await cache.getMany(wanted.slice(-5));
    expect([...few.keys()].sort()).toEqual(wanted.slice(-5, -1).sort());
    for (const [k, v] of entries) expect(many.get(k)).toEqual(v);
  });
});

describe("hybrid recommendations with the provider's vectors", () => {
  it('a reflection embedded by the provider turns on the hybrid ranking and returns items', async () => {
    const { items } = loadSampleCatalog();
    const embedder = new ProviderEmbedder(provider());
    const vectors = await buildVectorIndex(items, embedder, { cache: new MongoEmbeddingCache() });
    const index = buildCatalogIndex(items, { vectors: vectors.index });
    const reflection =
      'Warga mengeluh antrean di loket terlalu lama, jadi saya menata ulang alur pelayanan dan papan informasi.';
    fake.reset();
    const queryVector = await embedder.embedQuery(reflection);
    expect(embeddingRequests()).toEqual([{ model: 'fake-embed', input: [reflection], encoding_format: 'base64' }]);
    const picked = recommend({ index, reflection, queryVector, limit: 5 });
    expect(picked).toHaveLength(5);
    expect(new Set(picked.map((r) => r.id)).size).toBe(5);
    expect(picked.every((r) => items.some((i) => i.id === r.id) && r.reasons.length > 0)).toBe(true);
    expect(embedder.usage).toMatchObject({ texts: items.length + 1 });
  });
});
