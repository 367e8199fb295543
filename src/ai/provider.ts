/**
 * The AI provider: any OpenAI-compatible Chat Completions endpoint (OpenAI, Azure OpenAI, vLLM,
 * Ollama, LiteLLM) through the `openai` SDK with a configurable base URL, so an agency can keep
 * participants' text on its own servers. Answers whole or streamed; every failure becomes one
 * of a few kinds with a reason an admin can act on, and never carries the API key. When an
 * embedding model is configured, it also embeds texts (the recommender's hybrid ranking).
 */
import OpenAI, { type ClientOptions } from 'openai';
import { OutboundError, type GuardedFetch } from '../outbound/guarded-fetch';

/** A streamed answer may take several provider timeouts in all (each piece resets the idle timer). */
const WHOLE_EXCHANGE_FACTOR = 10;

export interface ProviderSettings {
  baseUrl: string;
  /** Local servers (Ollama, vLLM) often need none. */
  apiKey?: string;
  model: string;
  /** The embedding model (Embeddings API); unset: `embed()` refuses and the recommender ranks lexically. */
  embeddingModel?: string;
  timeoutMs: number;
  maxRetries: number;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface Completion {
  content: string;
  model: string;
  usage: { promptTokens: number; completionTokens: number };
  latencyMs: number;
}

export interface Embeddings {
  /** One vector per text, in the texts' order. */
  vectors: number[][];
  model: string;
  usage: { promptTokens: number };
  latencyMs: number;
}

/**
 * Texts per embeddings request. The API takes up to 2,048 inputs (and 300,000 tokens) a request;
 * smaller requests keep each one well inside the timeout and make a retry cheaper.
 */
export const EMBED_BATCH_SIZE = 256;

export type ProviderFailureKind =
  'auth' | 'unreachable' | 'blocked' | 'timeout' | 'rateLimited' | 'badRequest' | 'notFound' | 'server' | 'empty';

export class ProviderError extends Error {
  constructor(
    readonly kind: ProviderFailureKind,
    readonly reason: string,
    readonly status?: number,
  ) {
    super(reason);
    this.name = 'ProviderError';
  }
}

/** The SDK's error as a kind and a short reason (the SDK never puts the key in its messages; the reason is cut anyway). */
export function providerFailure(err: unknown): ProviderError {
  if (err instanceof ProviderError) return err;
  const message = (err as Error)?.message ?? String(err);
  const reason = message.replace(/\s+/g, ' ').slice(0, 240);
  // The guarded client refused the address (or a redirect, or an oversized answer): its reason, not "Connection error.".
  const refusal = err instanceof OutboundError ? err : (err as { cause?: unknown })?.cause;
  if (refusal instanceof OutboundError)
    return new ProviderError(refusal.kind === 'blocked' ? 'blocked' : 'server', refusal.reason);
  if (err instanceof OpenAI.APIConnectionTimeoutError) return new ProviderError('timeout', reason);
  if (err instanceof OpenAI.APIConnectionError) return new ProviderError('unreachable', reason);
  if (err instanceof OpenAI.APIError) {
    const status = err.status;
    if (status === 401 || status === 403) return new ProviderError('auth', reason, status);
    if (status === 404) return new ProviderError('notFound', reason, status);
    if (status === 429) return new ProviderError('rateLimited', reason, status);
    if (status !== undefined && status >= 400 && status < 500) return new ProviderError('badRequest', reason, status);
    return new ProviderError('server', reason, status);
  }
  if ((err as Error)?.name === 'AbortError') return new ProviderError('timeout', reason);
  return new ProviderError('server', reason);
}

export interface CompleteOptions {
  /** Ask for a JSON object (response_format json_object); the caller still validates it. */
  json?: boolean;
  maxTokens?: number;
  temperature?: number;
  signal?: AbortSignal;
}

export class AiProvider {
  private readonly client: OpenAI;
  /** Cleared once the server refuses base64 embeddings (see embedBatch). */
  private base64Embeddings = true;

  private readonly now: () => number;

  /**
   * `fetch`: the guarded client (src/outbound), so an address an admin typed reaches only what the
   * operator allows and never follows a redirect elsewhere with the key. The SDK's own timeout and
   * the stream's idle timer bound each wait; the client's cap only bounds the whole exchange.
   */
  constructor(
    readonly settings: ProviderSettings,
    opts: { fetch?: GuardedFetch; now?: () => number } = {},
  ) {
    this.now = opts.now ?? Date.now;
    const guarded = opts.fetch;
    this.client = new OpenAI({
      baseURL: settings.baseUrl,
      apiKey: settings.apiKey ?? 'none',
      timeout: settings.timeoutMs,
      maxRetries: settings.maxRetries,
      ...(guarded
        ? {
            fetch: ((url: string, init?: RequestInit) =>
              guarded(url, {
                ...init,
                timeoutMs: settings.timeoutMs * WHOLE_EXCHANGE_FACTOR,
              })) as unknown as ClientOptions['fetch'],
          }
        : {}),
    });
  }

  private params(messages: ChatMessage[], opts: CompleteOptions) {
    return {
      model: this.settings.model,
      messages,
      ...(opts.temperature !== undefined ? { temperature: opts.temperature } : {}),
      ...(opts.maxTokens !== undefined ? { max_tokens: opts.maxTokens } : {}),
      ...(opts.json ? { response_format: { type: 'json_object' as const } } : {}),
    };
  }

  async complete(messages: ChatMessage[], opts: CompleteOptions = {}): Promise<Completion> {
    const started = this.now();
    try {
      const res = await this.client.chat.completions.create(
        { ...this.params(messages, opts), stream: false },
        { signal: opts.signal },
      );
      const content = res.choices[0]?.message?.content ?? '';
      if (!content) throw new ProviderError('empty', 'the provider answered with no content');
      return {
        content,
        model: res.model || this.settings.model,
        latencyMs: this.now() - started,
        usage: { promptTokens: res.usage?.prompt_tokens ?? 0, completionTokens: res.usage?.completion_tokens ?? 0 },
      };
    } catch (err) {
      throw providerFailure(err);
    }
  }

  /**
   * Streams the answer: `onDelta` gets each piece as it arrives; resolves with the whole answer.
   * The SDK's timeout ends once the response starts, so a stream that stalls midway is cut here
   * when no piece arrives for `timeoutMs`.
   */
  async stream(
    messages: ChatMessage[],
    onDelta: (text: string) => void,
    opts: CompleteOptions = {},
  ): Promise<Completion> {
    const started = this.now();
    const idle = new AbortController();
    let stalled = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        stalled = true;
        idle.abort();
      }, this.settings.timeoutMs);
    };
    const signal = opts.signal ? AbortSignal.any([opts.signal, idle.signal]) : idle.signal;
    try {
      arm();
      const stream = await this.client.chat.completions.create(
        { ...this.params(messages, opts), stream: true, stream_options: { include_usage: true } },
        { signal },
      );
      let content = '';
      let model = this.settings.model;
      let usage = { promptTokens: 0, completionTokens: 0 };
      for await (const chunk of stream) {
        arm();
        if (chunk.model) model = chunk.model;
        const delta = chunk.choices[0]?.delta?.content;
        if (delta) {
          content += delta;
          onDelta(delta);
        }
        if (chunk.usage)
          usage = { promptTokens: chunk.usage.prompt_tokens, completionTokens: chunk.usage.completion_tokens };
      }
      if (!content) throw new ProviderError('empty', 'the provider answered with no content');
      return { content, model, usage, latencyMs: this.now() - started };
    } catch (err) {
      if (stalled) throw new ProviderError('timeout', `no answer from the provider for ${this.settings.timeoutMs} ms`);
      throw providerFailure(err);
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  /**
   * The admin's "test connection": lists the models (the cheapest authenticated call) and says
   * whether the configured one is among them. Some servers (Azure deployments, LiteLLM routes) do
   * not list models: then a one-token completion decides.
   */
  async testConnection(): Promise<
    | { ok: true; latencyMs: number; modelListed: boolean | null }
    | { ok: false; kind: ProviderFailureKind; reason: string; status?: number }
  > {
    const started = this.now();
    try {
      const ids: string[] = [];
      try {
        for await (const m of this.client.models.list()) ids.push(m.id);
      } catch (err) {
        const failure = providerFailure(err);
        if (failure.kind !== 'notFound') throw failure;
        await this.complete([{ role: 'user', content: 'ping' }], { maxTokens: 1 });
        return { ok: true, latencyMs: this.now() - started, modelListed: null };
      }
      return { ok: true, latencyMs: this.now() - started, modelListed: ids.includes(this.settings.model) };
    } catch (err) {
      const failure = providerFailure(err);
      return {
        ok: false,
        kind: failure.kind,
        reason: failure.reason,
        ...(failure.status ? { status: failure.status } : {}),
      };
    }
  }

  /**
   * Embeds texts with the configured embedding model, EMBED_BATCH_SIZE at a time, one request after
   * another (a catalog is embedded once and cached, so there is no hurry, and a provider's rate limit
   * is spared). Vectors come back in the texts' order, whatever order the server lists them in.
   */
  async embed(texts: string[], opts: { signal?: AbortSignal } = {}): Promise<Embeddings> {
    const model = this.settings.embeddingModel;
    if (!model) throw new Error('AiProvider.embed: no embedding model is configured (set AI_EMBEDDING_MODEL)');
    const blank = texts.findIndex((t) => t.trim() === '');
    // The API refuses empty input with a 400 that does not say which text; say it here, before any request.
    if (blank >= 0) throw new ProviderError('badRequest', `text ${blank} is empty: there is nothing to embed`);
    const started = this.now();
    const vectors: number[][] = [];
    let promptTokens = 0;
    let answeredModel = model;
    for (let start = 0; start < texts.length; start += EMBED_BATCH_SIZE) {
      const batch = await this.embedBatch(model, texts.slice(start, start + EMBED_BATCH_SIZE), opts.signal);
      vectors.push(...batch.vectors);
      promptTokens += batch.promptTokens;
      if (batch.model) answeredModel = batch.model;
    }
    checkSameDimensions(vectors);
    return { vectors, model: answeredModel, usage: { promptTokens }, latencyMs: this.now() - started };
  }

  /**
   * Base64 first: the official SDKs' own default, about 60 % fewer bytes than JSON numbers and the
   * float32 bits exactly. A server that knows only floats and refuses it with a 400 is asked once
   * more in floats, and this provider stays with floats from then on.
   */
  private async embedBatch(model: string, input: string[], signal?: AbortSignal): Promise<EmbeddingBatch> {
    try {
      return await this.requestEmbeddings(model, input, this.base64Embeddings ? 'base64' : 'float', signal);
    } catch (err) {
      const failure = providerFailure(err);
      if (failure.kind !== 'badRequest' || !this.base64Embeddings) throw failure;
      try {
        const answer = await this.requestEmbeddings(model, input, 'float', signal);
        this.base64Embeddings = false;
        return answer;
      } catch (again) {
        throw providerFailure(again);
      }
    }
  }

  private async requestEmbeddings(
    model: string,
    input: string[],
    encoding: 'float' | 'base64',
    signal?: AbortSignal,
  ): Promise<EmbeddingBatch> {
    // encoding_format is always set, so the SDK hands the answer over as sent (it decodes base64 only
    // when it chose base64 itself, and then garbles the floats of a server that ignored the choice).
    const res = await this.client.embeddings.create({ model, input, encoding_format: encoding }, { signal });
    const data: unknown = res.data;
    return {
      vectors: orderedVectors(data, input.length),
      model: res.model,
      promptTokens: res.usage?.prompt_tokens ?? 0,
    };
  }
}

interface EmbeddingBatch {
  vectors: number[][];
  model: string;
  promptTokens: number;
}

/** The answer's vectors placed by their `index` (the API does not promise the order), each decoded. */
function orderedVectors(data: unknown, count: number): number[][] {
  if (!Array.isArray(data) || data.length === 0)
    throw new ProviderError('empty', 'the provider answered with no embeddings');
  if (data.length !== count)
    throw new ProviderError('server', `the provider answered ${data.length} embeddings for ${count} texts`);
  const out: Array<number[] | undefined> = new Array<number[] | undefined>(count);
  for (const entry of data as unknown[]) {
    const index = (entry as { index?: unknown } | null)?.index;
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= count || out[index]) {
      throw new ProviderError(
        'server',
        `the provider answered an embedding with a missing, repeated or out-of-range index (${String(index)})`,
      );
    }
    out[index] = decodeEmbedding((entry as { embedding?: unknown }).embedding, index);
  }
  return out as number[][];
}

/** A vector as a list of numbers, or as base64 of little-endian float32s (encoding_format 'base64'). */
function decodeEmbedding(raw: unknown, index: number): number[] {
  if (typeof raw === 'string') {
    const bytes = Buffer.from(raw, 'base64');
    if (bytes.length === 0 || bytes.length % 4 !== 0)
      throw new ProviderError('server', `embedding ${index} is not base64 of float32 values`);
    const v = new Array<number>(bytes.length / 4);
    for (let i = 0; i < v.length; i++) v[i] = bytes.readFloatLE(i * 4);
    return v;
  }
  if (Array.isArray(raw) && raw.length > 0 && raw.every((x) => typeof x === 'number' && Number.isFinite(x)))
    return raw as number[];
  throw new ProviderError('server', `embedding ${index} is neither a list of numbers nor base64`);
}

/** One model gives one size; a mix means the server is misconfigured, and cosines across sizes mean nothing. */
function checkSameDimensions(vectors: readonly number[][]): void {
  const size = vectors[0]?.length;
  const odd = vectors.findIndex((v) => v.length !== size);
  if (odd >= 0)
    throw new ProviderError('server', `the provider answered vectors of ${size} and ${vectors[odd].length} dimensions`);
}
