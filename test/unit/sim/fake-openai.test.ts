/**
 * The fake OpenAI server, driven only through the real `openai` SDK: what the engine's tests rely on
 * (answers, streaming, usage, errors of each kind, timeouts, recorded requests) and that it refuses
 * requests the real API would refuse.
 */
import OpenAI, {
  APIConnectionError,
  APIConnectionTimeoutError,
  AuthenticationError,
  BadRequestError,
  InternalServerError,
  NotFoundError,
  RateLimitError,
} from 'openai';
import {
  FAKE_EMBEDDING_DIMENSIONS,
  fakeEmbedding,
  startFakeOpenAI,
  type ChatRequest,
  type FakeOpenAI,
} from '../../../sim/fake-openai';

let fake: FakeOpenAI;

beforeAll(async () => {
  fake = await startFakeOpenAI({ apiKey: 'sk-test-123456789', models: ['fake-model', 'other-model'] });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => fake.reset());

function client(opts: { apiKey?: string; timeout?: number; baseURL?: string } = {}): OpenAI {
  return new OpenAI({
    baseURL: opts.baseURL ?? fake.baseURL,
    apiKey: opts.apiKey ?? fake.apiKey,
    timeout: opts.timeout ?? 5000,
    maxRetries: 0,
  });
}

const ask = [{ role: 'user' as const, content: 'Halo, apa kabar?' }];

/** Resolves with the error the promise rejects with, failing the test if it resolves. */
async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

describe('fake OpenAI server through the openai SDK', () => {
  it('answers a non-streaming call with the queued content, the request model and usage', async () => {
    fake.reply({ content: '{"feedback":"Bagus"}', usage: { prompt_tokens: 11, completion_tokens: 7 } });
    const res = await client().chat.completions.create({
      model: 'other-model',
      messages: ask,
      temperature: 0.2,
      max_tokens: 50,
    });
    expect(res.object).toBe('chat.completion');
    expect(res.model).toBe('other-model');
    expect(res.id).toMatch(/^chatcmpl-/);
    expect(res.choices).toHaveLength(1);
    expect(res.choices[0].message).toMatchObject({ role: 'assistant', content: '{"feedback":"Bagus"}' });
    expect(res.choices[0].finish_reason).toBe('stop');
    expect(res.usage).toEqual({ prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 });
  });

  it('uses queued replies in order, then the fallback; default usage is estimated from lengths', async () => {
    fake.reply({ content: 'first' }, { content: 'second' });
    fake.fallback = { content: 'from fallback' };
    const c = client();
    const contents: Array<string | null> = [];
    for (let i = 0; i < 4; i++)
      contents.push(
        (await c.chat.completions.create({ model: 'fake-model', messages: ask })).choices[0].message.content,
      );
    expect(contents).toEqual(['first', 'second', 'from fallback', 'from fallback']);
    expect(fake.pending).toBe(0);

    fake.reset();
    const res = await c.chat.completions.create({ model: 'fake-model', messages: ask });
    expect(JSON.parse(res.choices[0].message.content ?? '')).toEqual({ ok: true, source: 'fake-openai' });
    expect(res.usage?.prompt_tokens).toBeGreaterThan(0);
    expect(res.usage?.completion_tokens).toBeGreaterThan(0);
    expect(res.usage?.total_tokens).toBe((res.usage?.prompt_tokens ?? 0) + (res.usage?.completion_tokens ?? 0));
  });

  it('streams the content in several chunks and ends with a usage chunk', async () => {
    const text = 'Refleksi Anda sudah menyebut tujuan, tetapi belum menyebut langkah yang konkret.';
    fake.reply({ content: text, usage: { prompt_tokens: 30, completion_tokens: 20 }, chunkDelayMs: 5 });
    const stream = await client().chat.completions.create({
      model: 'fake-model',
      messages: ask,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);

    const pieces = chunks
      .map((c) => c.choices[0]?.delta?.content)
      .filter((d): d is string => typeof d === 'string' && d.length > 0);
    expect(pieces.length).toBeGreaterThanOrEqual(3);
    expect(pieces.join('')).toBe(text);
    expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.model === 'fake-model')).toBe(true);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks[0].choices[0].delta.role).toBe('assistant');
    const finishes = chunks.filter((c) => c.choices[0]?.finish_reason);
    expect(finishes).toHaveLength(1);
    expect(finishes[0].choices[0]).toMatchObject({ finish_reason: 'stop', delta: {} });
    const last = chunks[chunks.length - 1];
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual({ prompt_tokens: 30, completion_tokens: 20, total_tokens: 50 });
    expect(chunks.slice(0, -1).every((c) => !c.usage)).toBe(true);
  });

  it('streams without a usage chunk when include_usage is not asked for', async () => {
    fake.reply({ content: 'abcdefghij' });
    const stream = await client().chat.completions.create({ model: 'fake-model', messages: ask, stream: true });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('abcdefghij');
    expect(chunks.some((c) => c.usage)).toBe(false);
    expect(chunks[chunks.length - 1].choices[0].finish_reason).toBe('stop');
  });

  it('lists and retrieves models', async () => {
    const c = client();
    const ids: string[] = [];
    for await (const m of c.models.list()) ids.push(m.id);
    expect(ids).toEqual(['fake-model', 'other-model']);
    expect((await c.models.retrieve('other-model')).id).toBe('other-model');
    expect(await rejection(c.models.retrieve('gpt-nope'))).toBeInstanceOf(NotFoundError);
    fake.models = ['only-this'];
    const after: string[] = [];
    for await (const m of c.models.list()) after.push(m.id);
    expect(after).toEqual(['only-this']);
  });

  it('works with a baseURL without /v1', async () => {
    fake.reply({ content: 'no prefix' });
    const base = fake.baseURL.replace(/\/v1$/, '');
    const res = await client({ baseURL: base }).chat.completions.create({ model: 'fake-model', messages: ask });
    expect(res.choices[0].message.content).toBe('no prefix');
    expect(fake.requests[0].path).toBe('/chat/completions');
  });

  it('refuses a wrong key with 401 (AuthenticationError) without using the queue', async () => {
    fake.reply({ content: 'kept for later' });
    const err = await rejection(
      client({ apiKey: 'sk-wrong-key-000000' }).chat.completions.create({ model: 'fake-model', messages: ask }),
    );
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as AuthenticationError).status).toBe(401);
    expect((err as AuthenticationError).code).toBe('invalid_api_key');
    expect((err as Error).message).not.toContain('sk-wrong-key-000000');
    expect(await rejection(client({ apiKey: 'nope' }).models.list())).toBeInstanceOf(AuthenticationError);
    expect(fake.pending).toBe(1);
    const res = await client().chat.completions.create({ model: 'fake-model', messages: ask });
    expect(res.choices[0].message.content).toBe('kept for later');
  });

  it('answers an unknown model with 404 model_not_found (NotFoundError)', async () => {
    const err = await rejection(client().chat.completions.create({ model: 'gpt-4o', messages: ask }));
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as NotFoundError).status).toBe(404);
    expect((err as NotFoundError).code).toBe('model_not_found');
    expect((err as Error).message).toContain('gpt-4o');
  });

  it('refuses a bad message role with 400 (BadRequestError)', async () => {
    const messages = [
      { role: 'robot', content: 'hi' },
    ] as unknown as OpenAI.Chat.Completions.ChatCompletionMessageParam[];
    const err = await rejection(client().chat.completions.create({ model: 'fake-model', messages }));
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as BadRequestError).status).toBe(400);
    expect((err as BadRequestError).param).toBe('messages[0].role');
    expect((err as BadRequestError).type).toBe('invalid_request_error');
  });

  it.each<[string, Record<string, unknown>]>([
    ['no messages', { messages: [] }],
    ['messages not an array', { messages: 'hi' }],
    ['content a number', { messages: [{ role: 'user', content: 42 }] }],
    ['content part not text', { messages: [{ role: 'user', content: [{ type: 'image', url: 'x' }] }] }],
    ['empty model', { model: '' }],
    ['temperature above 2', { temperature: 2.5 }],
    ['temperature a string', { temperature: '0.5' }],
    ['max_tokens 0', { max_tokens: 0 }],
    ['max_tokens fractional', { max_tokens: 1.5 }],
    ['unknown response_format type', { response_format: { type: 'xml' } }],
    ['json_schema without schema', { response_format: { type: 'json_schema', json_schema: { name: 'x' } } }],
    ['json_object without the word json in the prompt', { response_format: { type: 'json_object' } }],
    ['stream not a boolean', { stream: 'yes' }],
    ['stream_options without stream', { stream_options: { include_usage: true } }],
  ])('refuses %s with 400', async (_name, override) => {
    fake.reply({ content: 'must not be used' });
    const body = {
      model: 'fake-model',
      messages: ask,
      ...override,
    } as unknown as OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming;
    const err = await rejection(client().chat.completions.create(body));
    expect(err).toBeInstanceOf(BadRequestError);
    expect(fake.pending).toBe(1);
  });

  it('accepts the documented variants: text parts, the developer role, json_object, json_schema, text', async () => {
    const c = client();
    const parts = [
      { role: 'developer', content: 'Jawab dalam JSON.' },
      { role: 'user', content: [{ type: 'text', text: 'Halo' }] },
    ] as OpenAI.Chat.Completions.ChatCompletionMessageParam[];
    await expect(
      c.chat.completions.create({ model: 'fake-model', messages: parts, response_format: { type: 'json_object' } }),
    ).resolves.toBeDefined();
    await expect(
      c.chat.completions.create({
        model: 'fake-model',
        messages: ask,
        temperature: 0,
        max_tokens: 1,
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'feedback_v1', schema: { type: 'object' }, strict: true },
        },
      }),
    ).resolves.toBeDefined();
    await expect(
      c.chat.completions.create({
        model: 'fake-model',
        messages: ask,
        response_format: { type: 'text' },
        stream: false,
      }),
    ).resolves.toBeDefined();
  });

  it('answers a queued 500 as InternalServerError and a queued 429 as RateLimitError', async () => {
    fake.reply(
      { status: 500 },
      { status: 429 },
      { status: 429, error: { code: 'insufficient_quota', message: 'You exceeded your current quota' } },
    );
    const c = client();
    const e500 = await rejection(c.chat.completions.create({ model: 'fake-model', messages: ask }));
    expect(e500).toBeInstanceOf(InternalServerError);
    expect((e500 as InternalServerError).status).toBe(500);
    const e429 = await rejection(c.chat.completions.create({ model: 'fake-model', messages: ask }));
    expect(e429).toBeInstanceOf(RateLimitError);
    expect((e429 as RateLimitError).code).toBe('rate_limit_exceeded');
    const quota = await rejection(c.chat.completions.create({ model: 'fake-model', messages: ask, stream: true }));
    expect(quota).toBeInstanceOf(RateLimitError);
    expect((quota as RateLimitError).code).toBe('insufficient_quota');
    expect((quota as Error).message).toContain('You exceeded your current quota');
  });

  it('lets the SDK retry past a queued fault when the caller allows retries', async () => {
    fake.reply({ status: 503 }, { content: 'after retry' });
    const c = new OpenAI({ baseURL: fake.baseURL, apiKey: fake.apiKey, timeout: 5000, maxRetries: 1 });
    const res = await c.chat.completions.create({ model: 'fake-model', messages: ask });
    expect(res.choices[0].message.content).toBe('after retry');
    expect(fake.requests.map((r) => r.headers['x-stainless-retry-count'])).toEqual(['0', '1']);
  });

  it('hang: the SDK gives up with APIConnectionTimeoutError after its timeout', async () => {
    fake.reply({ hang: true });
    const started = Date.now();
    const err = await rejection(
      client({ timeout: 300 }).chat.completions.create({ model: 'fake-model', messages: ask }),
    );
    const elapsed = Date.now() - started;
    expect(err).toBeInstanceOf(APIConnectionTimeoutError);
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(3000);
  });

  it('delayMs: a delay shorter than the timeout answers, a longer one times out', async () => {
    fake.reply({ content: 'late but fine', delayMs: 100 }, { content: 'too late', delayMs: 1000 });
    const c = client({ timeout: 400 });
    const started = Date.now();
    const res = await c.chat.completions.create({ model: 'fake-model', messages: ask });
    expect(res.choices[0].message.content).toBe('late but fine');
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(await rejection(c.chat.completions.create({ model: 'fake-model', messages: ask }))).toBeInstanceOf(
      APIConnectionTimeoutError,
    );
  });

  it('respond sees the request body as sent', async () => {
    const seen: ChatRequest[] = [];
    fake.reply({
      respond: (body) => {
        seen.push(body);
        return `echo: ${body.messages[body.messages.length - 1].content} @${body.temperature}`;
      },
    });
    const res = await client().chat.completions.create({
      model: 'fake-model',
      temperature: 0.7,
      max_tokens: 64,
      messages: [
        { role: 'system', content: 'Kamu pelatih.' },
        { role: 'user', content: 'Tolong nilai refleksi saya' },
      ],
    });
    expect(res.choices[0].message.content).toBe('echo: Tolong nilai refleksi saya @0.7');
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      model: 'fake-model',
      max_tokens: 64,
      messages: [{ role: 'system', content: 'Kamu pelatih.' }, { role: 'user' }],
    });
    expect(seen[0].stream).toBeUndefined();
  });

  it('records each request with its path, method, headers and body', async () => {
    await client().chat.completions.create({ model: 'fake-model', messages: ask });
    await client({ apiKey: 'sk-bad' })
      .models.list()
      .catch(() => undefined);
    expect(fake.requests).toHaveLength(2);
    const [chat, models] = fake.requests;
    expect(chat.path).toBe('/v1/chat/completions');
    expect(chat.method).toBe('POST');
    expect(chat.headers.authorization).toBe(`Bearer ${fake.apiKey}`);
    expect(chat.headers['content-type']).toBe('application/json');
    expect(chat.body).toEqual({ model: 'fake-model', messages: ask });
    expect(chat.at).toBeGreaterThan(0);
    expect(models).toMatchObject({ path: '/v1/models', method: 'GET', body: undefined });
    expect(models.headers.authorization).toBe('Bearer sk-bad');
  });

  it('close() ends hanging connections, so the waiting client fails at once', async () => {
    const own = await startFakeOpenAI();
    own.reply({ hang: true });
    const c = new OpenAI({ baseURL: own.baseURL, apiKey: own.apiKey, timeout: 20000, maxRetries: 0 });
    const pending = rejection(c.chat.completions.create({ model: 'fake-model', messages: ask }));
    while (own.requests.length === 0) await new Promise((r) => setTimeout(r, 10));
    const started = Date.now();
    await own.close();
    const err = await pending;
    expect(err).toBeInstanceOf(APIConnectionError);
    expect(err).not.toBeInstanceOf(APIConnectionTimeoutError);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('fake OpenAI embeddings through the openai SDK', () => {
  const texts = ['Saya melayani warga dengan ramah.', 'Laporan keuangan tepat waktu.', 'Kolaborasi lintas bidang.'];
  const embeddingBody = (i = -1) => fake.requests.at(i)?.body as unknown as Record<string, unknown>;

  it('answers floats when asked, in the API shape, with the deterministic vectors and usage', async () => {
    const res = await client().embeddings.create({ model: 'fake-embed', input: texts, encoding_format: 'float' });
    expect(res.object).toBe('list');
    expect(res.model).toBe('fake-embed');
    expect(res.data.map((d) => [d.object, d.index])).toEqual([
      ['embedding', 0],
      ['embedding', 1],
      ['embedding', 2],
    ]);
    expect(res.data.map((d) => d.embedding)).toEqual(texts.map((t) => fakeEmbedding(t)));
    expect(res.data[0].embedding).toHaveLength(FAKE_EMBEDDING_DIMENSIONS);
    expect(res.usage.prompt_tokens).toBeGreaterThan(0);
    expect(res.usage.total_tokens).toBe(res.usage.prompt_tokens);
    expect(embeddingBody()).toEqual({ model: 'fake-embed', input: texts, encoding_format: 'float' });
  });

  it('answers base64 (the SDK asks for it when the caller does not) that decodes to the same float32 vectors', async () => {
    const res = await client().embeddings.create({ model: 'fake-embed', input: texts[0] });
    expect(embeddingBody()).toEqual({ model: 'fake-embed', input: texts[0], encoding_format: 'base64' });
    expect(res.data[0].embedding).toEqual(fakeEmbedding(texts[0]));
    const raw = await client().embeddings.create({ model: 'fake-embed', input: [texts[1]], encoding_format: 'base64' });
    const encoded = raw.data[0].embedding as unknown as string;
    expect(typeof encoded).toBe('string');
    const bytes = Buffer.from(encoded, 'base64');
    expect(bytes.length).toBe(FAKE_EMBEDDING_DIMENSIONS * 4);
    expect(Array.from({ length: FAKE_EMBEDDING_DIMENSIONS }, (_, i) => bytes.readFloatLE(i * 4))).toEqual(
      fakeEmbedding(texts[1]),
    );
  });

  it('cuts vectors to `dimensions` and re-normalises them', async () => {
    const res = await client().embeddings.create({
      model: 'fake-embed',
      input: texts,
      dimensions: 64,
      encoding_format: 'float',
    });
    for (const [i, d] of res.data.entries()) {
      expect(d.embedding).toEqual(fakeEmbedding(texts[i], 64));
      expect(Math.hypot(...d.embedding)).toBeCloseTo(1, 5);
    }
    expect(fakeEmbedding(texts[0], 64)).not.toEqual(fakeEmbedding(texts[0]).slice(0, 64));
  });

  it('answers an unknown embedding model (or a chat model) with 404 model_not_found', async () => {
    for (const model of ['text-embedding-3-small', 'fake-model']) {
      const err = await rejection(client().embeddings.create({ model, input: 'x' }));
      expect(err).toBeInstanceOf(NotFoundError);
      expect((err as NotFoundError).code).toBe('model_not_found');
    }
    fake.embeddingModels = ['nomic-embed-text'];
    await expect(client().embeddings.create({ model: 'nomic-embed-text', input: 'x' })).resolves.toBeDefined();
    expect(
      await rejection(client().chat.completions.create({ model: 'nomic-embed-text', messages: ask })),
    ).toBeInstanceOf(NotFoundError);
  });

  it.each<[string, Record<string, unknown>]>([
    ['no model', { model: undefined }],
    ['no input', { input: undefined }],
    ['an empty string', { input: '' }],
    ['an empty array', { input: [] }],
    ['an empty string in the array', { input: ['a', ''] }],
    ['more than 2048 inputs', { input: Array.from({ length: 2049 }, (_, i) => `teks ${i}`) }],
    ['an input over 8192 tokens', { input: ['kata '.repeat(8000)] }],
    ['token arrays', { input: [[1, 2, 3]] }],
    ['input a number', { input: 42 }],
    ['an unknown encoding_format', { encoding_format: 'binary' }],
    ['dimensions 0', { dimensions: 0 }],
    ['dimensions above the model size', { dimensions: FAKE_EMBEDDING_DIMENSIONS + 1 }],
    ['dimensions fractional', { dimensions: 1.5 }],
    ['an unknown parameter', { temperature: 0 }],
  ])('refuses %s with 400 without using the queue', async (_name, override) => {
    fake.reply({ target: 'embeddings', status: 500 });
    const body = {
      model: 'fake-embed',
      input: texts,
      encoding_format: 'float',
      ...override,
    } as unknown as OpenAI.EmbeddingCreateParams;
    const err = await rejection(client().embeddings.create(body));
    expect(err).toBeInstanceOf(BadRequestError);
    expect(fake.pending).toBe(1);
  });

  it('names the unknown parameter, and a float-only server refuses base64', async () => {
    const body = {
      model: 'fake-embed',
      input: 'x',
      encoding_format: 'float',
      normalize: true,
    } as unknown as OpenAI.EmbeddingCreateParams;
    expect(((await rejection(client().embeddings.create(body))) as Error).message).toContain(
      'Unrecognized request argument supplied: normalize',
    );
    fake.embeddingEncodings = ['float'];
    const err = await rejection(
      client().embeddings.create({ model: 'fake-embed', input: 'x', encoding_format: 'base64' }),
    );
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as BadRequestError).param).toBe('encoding_format');
    await expect(
      client().embeddings.create({ model: 'fake-embed', input: 'x', encoding_format: 'float' }),
    ).resolves.toBeDefined();
  });

  it('checks the key like the other routes', async () => {
    const err = await rejection(
      client({ apiKey: 'sk-wrong-key-000000' }).embeddings.create({ model: 'fake-embed', input: 'x' }),
    );
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(fake.requests.at(-1)?.path).toBe('/v1/embeddings');
  });

  it('replies target one endpoint: each takes its own in order, the other endpoint is not affected', async () => {
    fake.reply({ target: 'embeddings', status: 500 }, { content: 'chat first' }, { target: 'embeddings', status: 429 });
    const c = client();
    expect((await c.chat.completions.create({ model: 'fake-model', messages: ask })).choices[0].message.content).toBe(
      'chat first',
    );
    expect(await rejection(c.embeddings.create({ model: 'fake-embed', input: 'x' }))).toBeInstanceOf(
      InternalServerError,
    );
    expect(await rejection(c.embeddings.create({ model: 'fake-embed', input: 'x' }))).toBeInstanceOf(RateLimitError);
    await expect(c.embeddings.create({ model: 'fake-embed', input: 'x' })).resolves.toBeDefined();
    fake.fallback = { status: 503 };
    await expect(c.embeddings.create({ model: 'fake-embed', input: 'x' })).resolves.toBeDefined();
    expect(fake.pending).toBe(0);
  });

  it('embedding replies can reorder, ignore encoding_format, supply vectors, delay and hang', async () => {
    fake.reply(
      { target: 'embeddings', reverseOrder: true },
      { target: 'embeddings', ignoreEncodingFormat: true },
      { target: 'embeddings', vectors: (input) => input.map((t) => [t.length, 0, 0]) },
      { target: 'embeddings', delayMs: 100 },
      { target: 'embeddings', hang: true },
    );
    const c = client({ timeout: 400 });
    const reversed = await c.embeddings.create({ model: 'fake-embed', input: texts, encoding_format: 'float' });
    expect(reversed.data.map((d) => d.index)).toEqual([2, 1, 0]);
    expect(reversed.data[0].embedding).toEqual(fakeEmbedding(texts[2]));
    const floats = await c.embeddings.create({ model: 'fake-embed', input: ['x'], encoding_format: 'base64' });
    expect(floats.data[0].embedding).toEqual(fakeEmbedding('x'));
    expect(
      (await c.embeddings.create({ model: 'fake-embed', input: ['abc'], encoding_format: 'float' })).data[0].embedding,
    ).toEqual([3, 0, 0]);
    const started = Date.now();
    await c.embeddings.create({ model: 'fake-embed', input: 'x' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(await rejection(c.embeddings.create({ model: 'fake-embed', input: 'x' }))).toBeInstanceOf(
      APIConnectionTimeoutError,
    );
  });

  it("refuses a reply that mixes the endpoints' options", () => {
    expect(() => fake.reply({ target: 'embeddings', content: 'x' })).toThrow(/content/);
    expect(() => fake.reply({ reverseOrder: true })).toThrow(/reverseOrder/);
    expect(fake.pending).toBe(0);
  });
});
