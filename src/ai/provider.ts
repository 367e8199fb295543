/**
 * The AI provider: any OpenAI-compatible Chat Completions endpoint (OpenAI, Azure OpenAI, vLLM,
 * Ollama, LiteLLM) through the `openai` SDK with a configurable base URL, so an agency can keep
 * participants' text on its own servers. Answers whole or streamed; every failure becomes one
 * of a few kinds with a reason an admin can act on, and never carries the API key.
 */
import OpenAI from 'openai';

export interface ProviderSettings {
  baseUrl: string;
  /** Local servers (Ollama, vLLM) often need none. */
  apiKey?: string;
  model: string;
  timeoutMs: number;
  maxRetries: number;
}

export interface ChatMessage { role: 'system' | 'user' | 'assistant'; content: string }

export interface Completion {
  content: string;
  model: string;
  usage: { promptTokens: number; completionTokens: number };
  latencyMs: number;
}

export type ProviderFailureKind = 'auth' | 'unreachable' | 'timeout' | 'rateLimited' | 'badRequest' | 'notFound' | 'server' | 'empty';

export class ProviderError extends Error {
  constructor(readonly kind: ProviderFailureKind, readonly reason: string, readonly status?: number) {
    super(reason);
    this.name = 'ProviderError';
  }
}

/** The SDK's error as a kind and a short reason (the SDK never puts the key in its messages; the reason is cut anyway). */
export function providerFailure(err: unknown): ProviderError {
  if (err instanceof ProviderError) return err;
  const message = (err as Error)?.message ?? String(err);
  const reason = message.replace(/\s+/g, ' ').slice(0, 240);
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

  constructor(readonly settings: ProviderSettings, private readonly now: () => number = Date.now) {
    this.client = new OpenAI({
      baseURL: settings.baseUrl,
      apiKey: settings.apiKey ?? 'none',
      timeout: settings.timeoutMs,
      maxRetries: settings.maxRetries,
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
      const res = await this.client.chat.completions.create({ ...this.params(messages, opts), stream: false }, { signal: opts.signal });
      const content = res.choices[0]?.message?.content ?? '';
      if (!content) throw new ProviderError('empty', 'the provider answered with no content');
      return {
        content, model: res.model || this.settings.model, latencyMs: this.now() - started,
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
  async stream(messages: ChatMessage[], onDelta: (text: string) => void, opts: CompleteOptions = {}): Promise<Completion> {
    const started = this.now();
    const idle = new AbortController();
    let stalled = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => { stalled = true; idle.abort(); }, this.settings.timeoutMs);
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
        if (chunk.usage) usage = { promptTokens: chunk.usage.prompt_tokens, completionTokens: chunk.usage.completion_tokens };
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
  async testConnection(): Promise<{ ok: true; latencyMs: number; modelListed: boolean | null } | { ok: false; kind: ProviderFailureKind; reason: string }> {
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
      return { ok: false, kind: failure.kind, reason: failure.reason };
    }
  }
}
