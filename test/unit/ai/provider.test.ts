/**
 * The AI provider against an OpenAI-compatible server over real HTTP (sim/fake-openai.ts,
 * which checks the request shape the real API expects): whole and streamed answers with token
 * counts, JSON mode, each failure as a kind an admin can act on (the key never in a reason), a
 * stream that stalls midway cut by its own idle timer, and the admin's "test connection".
 */
import { AiProvider, type ProviderSettings } from '../../../src/ai/provider';
import { freePort } from '../../../src/db/embedded';
import { hostWithPort } from '../../../src/outbound/address-policy';
import { createGuardedFetch } from '../../../src/outbound/guarded-fetch';
import { startFakeOpenAI, type FakeOpenAI } from '../../../sim/fake-openai';
import { failureOf } from '../../support/provider-failure';

let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI({ models: ['qwen2.5-7b-instruct', 'fake-model'] });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.reset();
});

const settings = (over: Partial<ProviderSettings> = {}): ProviderSettings => ({
  baseUrl: fake.baseURL,
  apiKey: fake.apiKey,
  model: 'qwen2.5-7b-instruct',
  timeoutMs: 2000,
  maxRetries: 0,
  ...over,
});
const ask = [
  { role: 'system' as const, content: 'Jawab dalam JSON.' },
  { role: 'user' as const, content: 'Apa yang saya pelajari minggu ini?' },
];

test('a whole answer, with the model, token counts and the request the API expects', async () => {
  fake.reply({ content: '{"pertanyaan":["Apa buktinya?"]}', usage: { prompt_tokens: 42, completion_tokens: 9 } });
  const answer = await new AiProvider(settings()).complete(ask, { json: true, maxTokens: 300, temperature: 0.4 });
  expect(answer.content).toBe('{"pertanyaan":["Apa buktinya?"]}');
  expect(answer.usage).toEqual({ promptTokens: 42, completionTokens: 9 });
  expect(answer.model).toBe('qwen2.5-7b-instruct');
  const sent = fake.requests.at(-1);
  expect(sent?.headers.authorization).toBe(`Bearer ${fake.apiKey}`);
  expect(sent?.body).toMatchObject({
    model: 'qwen2.5-7b-instruct',
    max_tokens: 300,
    temperature: 0.4,
    response_format: { type: 'json_object' },
    messages: ask,
  });
});

test('a streamed answer arrives in pieces and ends with the whole text and its usage', async () => {
  const text = 'Anda menulis bahwa Anda menunda surat karena takut salah. Apa yang membuat rasa takut itu muncul?';
  fake.reply({ content: text, usage: { prompt_tokens: 30, completion_tokens: 25 } });
  const pieces: string[] = [];
  const answer = await new AiProvider(settings()).stream(ask, (d) => pieces.push(d));
  expect(pieces.length).toBeGreaterThan(2);
  expect(pieces.join('')).toBe(text);
  expect(answer.content).toBe(text);
  expect(answer.usage).toEqual({ promptTokens: 30, completionTokens: 25 });
  expect(fake.requests.at(-1)?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
});

test('each failure is a kind with a reason, never the key', async () => {
  const cases: Array<[Parameters<FakeOpenAI['reply']>[0], string]> = [
    [{ status: 429 }, 'rateLimited'],
    [{ status: 500 }, 'server'],
    [{ status: 400 }, 'badRequest'],
  ];
  for (const [reply, kind] of cases) {
    fake.reply(reply);
    const failure = await failureOf(new AiProvider(settings()).complete(ask));
    expect({ kind: failure.kind, status: failure.status }).toEqual({ kind, status: reply.status });
  }
  const wrongKey = await failureOf(new AiProvider(settings({ apiKey: 'sk-rahasia-yang-salah-123' })).complete(ask));
  expect(wrongKey.kind).toBe('auth');
  expect(wrongKey.reason).not.toContain('sk-rahasia-yang-salah-123');
  expect((await failureOf(new AiProvider(settings({ model: 'gpt-9' })).complete(ask))).kind).toBe('notFound');
  const port = await freePort();
  expect(
    (await failureOf(new AiProvider(settings({ baseUrl: `http://127.0.0.1:${port}/v1` })).complete(ask))).kind,
  ).toBe('unreachable');
});

test('a provider that does not answer times out; one that stalls midway through a stream is cut too', async () => {
  fake.reply({ hang: true });
  expect((await failureOf(new AiProvider(settings({ timeoutMs: 300 })).complete(ask))).kind).toBe('timeout');
  fake.reply({ content: 'Satu dua tiga empat lima enam tujuh delapan sembilan sepuluh.', chunkDelayMs: 1500 });
  const pieces: string[] = [];
  const started = Date.now();
  const stalled = await failureOf(new AiProvider(settings({ timeoutMs: 400 })).stream(ask, (d) => pieces.push(d)));
  expect(stalled.kind).toBe('timeout');
  expect(Date.now() - started).toBeLessThan(1400);
  expect(pieces.length).toBeLessThan(3);
});

test('retries a 503 when told to, then answers', async () => {
  fake.reply({ status: 503 }, { content: '{"ok":true}' });
  const answer = await new AiProvider(settings({ maxRetries: 1 })).complete(ask);
  expect(answer.content).toBe('{"ok":true}');
  expect(fake.requests.filter((r) => r.path.endsWith('/chat/completions'))).toHaveLength(2);
});

test('test connection: reachable and the model listed, or the reason it is not', async () => {
  expect(await new AiProvider(settings()).testConnection()).toMatchObject({ ok: true, modelListed: true });
  expect(await new AiProvider(settings({ model: 'llama3' })).testConnection()).toMatchObject({
    ok: true,
    modelListed: false,
  });
  expect(await new AiProvider(settings({ apiKey: 'salah' })).testConnection()).toMatchObject({
    ok: false,
    kind: 'auth',
  });
  const port = await freePort();
  expect(await new AiProvider(settings({ baseUrl: `http://127.0.0.1:${port}/v1` })).testConnection()).toMatchObject({
    ok: false,
    kind: 'unreachable',
  });
});

test('through the guarded client: answers stream as before; an address the operator did not allow is refused before a byte (or the key) is sent', async () => {
  const allowed = createGuardedFetch({ allow: [hostWithPort(fake.baseURL)], maxBytes: 1_000_000, timeoutMs: 5000 });
  const pieces: string[] = [];
  fake.reply({ respond: () => '{"ok":true}' });
  const answer = await new AiProvider(settings(), { fetch: allowed }).stream(ask, (d) => pieces.push(d));
  expect(answer.content).toBe('{"ok":true}');
  expect(pieces.join('')).toBe('{"ok":true}');
  const strict = createGuardedFetch({ allow: [], maxBytes: 1_000_000, timeoutMs: 5000 });
  fake.reset();
  const tested = await new AiProvider(settings(), { fetch: strict }).testConnection();
  expect(tested).toMatchObject({ ok: false, kind: 'blocked' });
  expect((tested as { reason: string }).reason).toContain('OUTBOUND_ALLOW');
  expect(fake.requests).toEqual([]);
});
