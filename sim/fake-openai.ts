/**
 * A fake OpenAI-compatible Chat Completions and Embeddings server for tests, over real HTTP on
 * 127.0.0.1, so the AI engine is exercised through the real `openai` SDK (its headers, retries,
 * timeouts, SSE parsing, base64 embeddings).
 *
 * It checks the request the way the real API does (key, JSON body, model, messages, sampling
 * parameters, response_format, stream options; for embeddings input, encoding_format, dimensions
 * and unknown parameters) and answers with OpenAI-style errors when the request is wrong. Valid
 * requests take their answer from a queue of `FakeReply`s: chat requests the first reply queued
 * for 'chat' (the default target), embeddings requests the first one queued for 'embeddings'. With
 * none queued, chat answers with `fallback` and embeddings normally. A reply can also be a fault
 * (an HTTP status, a delay, a hang).
 *
 * Embeddings are deterministic: HashingEmbedder's vector of each text (src/recommend/vectors.ts,
 * FAKE_EMBEDDING_DIMENSIONS), cut to `dimensions` and re-normalised when asked, as text-embedding-3
 * models do; `fakeEmbedding()` gives a test the same vector to compare with.
 *
 * Routes (each with or without the `/v1` prefix, so either kind of baseURL works):
 *   POST /v1/chat/completions   (non-streaming JSON or `stream: true` server-sent events)
 *   POST /v1/embeddings         ({ object: 'list', data: [{ object: 'embedding', index, embedding }], model, usage })
 *   GET  /v1/models             ({ object: 'list', data: [{ id, object: 'model', created, owned_by }] })
 *   GET  /v1/models/:id
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { HashingEmbedder, normalize } from '../src/recommend/vectors';

export interface FakeReply {
  /** Which endpoint's requests use this reply: 'chat' (the default) or 'embeddings'. */
  target?: 'chat' | 'embeddings';
  /** The assistant message content (a string; for JSON-mode callers, a JSON string). */
  content?: string;
  /** Or: a function of the request body that returns the content (lets a test echo or inspect). */
  respond?: (body: ChatRequest) => string;
  /** Fault: answer this HTTP status (>= 400) with an OpenAI-style error body { error: { message, type, param, code } }. */
  status?: number;
  /** With `status`: override the error's message, type or code (e.g. 429 with code 'insufficient_quota'). */
  error?: { message?: string; type?: string; code?: string | null };
  /** Wait before answering (when streaming: before the headers and the first chunk). */
  delayMs?: number;
  /** Never answer (the client must time out); the socket is destroyed when the server closes. */
  hang?: boolean;
  /** Streaming: wait between chunks. */
  chunkDelayMs?: number;
  /** Default: computed roughly from lengths (about 4 characters a token). Embeddings use prompt_tokens only. */
  usage?: { prompt_tokens: number; completion_tokens: number };
  /** Embeddings: list the vectors last to first (the API does not promise the order; clients must use `index`). */
  reverseOrder?: boolean;
  /** Embeddings: answer lists of numbers whatever encoding_format asked for, as some compatible servers do (Ollama, Infinity). */
  ignoreEncodingFormat?: boolean;
  /** Embeddings: the vectors to answer (one per input, in input order) instead of the hashing embedder's. */
  vectors?: (input: string[]) => number[][];
}

const CHAT_ONLY: ReadonlyArray<keyof FakeReply> = ['content', 'respond', 'chunkDelayMs'];
const EMBEDDINGS_ONLY: ReadonlyArray<keyof FakeReply> = ['reverseOrder', 'ignoreEncodingFormat', 'vectors'];

/** The size of every fake embedding model's vectors (what `dimensions` may cut them down from). */
export const FAKE_EMBEDDING_DIMENSIONS = 256;
const MAX_EMBEDDING_INPUTS = 2048;
const MAX_EMBEDDING_INPUT_TOKENS = 8192;
const EMBEDDING_PARAMS = new Set(['model', 'input', 'encoding_format', 'dimensions', 'user']);
const hashing = new HashingEmbedder({ dimensions: FAKE_EMBEDDING_DIMENSIONS });

/** The fake's vector for a text: the hashing embedder's, cut to `dimensions` and re-normalised. */
export function fakeEmbedding(text: string, dimensions: number = FAKE_EMBEDDING_DIMENSIONS): number[] {
  const full = hashing.embedOne(text);
  return Array.from(dimensions < full.length ? normalize(full.slice(0, dimensions)) : full);
}

export interface EmbeddingRequest {
  model: string;
  input: string | string[];
  encoding_format?: 'float' | 'base64';
  dimensions?: number;
  user?: string;
}

export interface ChatRequest {
  model: string;
  /** As sent: `content` may also be an array of { type: 'text', text } parts (or null for an assistant's tool call). */
  messages: Array<{ role: string; content: string }>;
  stream?: boolean;
  temperature?: number;
  max_tokens?: number;
  response_format?: unknown;
  stream_options?: unknown;
  [k: string]: unknown;
}

export interface RecordedRequest {
  /** The path as requested, e.g. '/v1/chat/completions' (query string included, if any). */
  path: string;
  method: string;
  headers: Record<string, string | string[] | undefined>;
  /**
   * The parsed JSON body when it was a JSON object; undefined for GETs and unparsable bodies. Typed
   * as a chat request (what most tests read); an embeddings body is an EmbeddingRequest (cast it).
   */
  body: ChatRequest | undefined;
  at: number;
}

export interface FakeOpenAI {
  /** e.g. http://127.0.0.1:PORT/v1 (what a caller passes to new OpenAI({ baseURL })). */
  baseURL: string;
  /** The only key accepted (others → 401 with an OpenAI-style error). */
  apiKey: string;
  /** Every request received, in arrival order (rejected ones too). */
  requests: RecordedRequest[];
  /**
   * Queue replies, used in order by valid requests of their target (chat unless `target` says
   * 'embeddings'); when none is queued for chat, `fallback` answers; for embeddings, a normal answer.
   */
  reply(...replies: FakeReply[]): void;
  /** Default: a fixed JSON content ({"ok":true,"source":"fake-openai"}). Chat only. */
  fallback: FakeReply;
  /** GET /models lists these, and a chat request's `model` must be one of them; default ['fake-model']. */
  models: string[];
  /** An embeddings request's `model` must be one of these (404 model_not_found otherwise); default ['fake-embed']. */
  embeddingModels: string[];
  /**
   * The encoding_format values accepted (absent means 'float'); default both, like the real API.
   * ['float'] plays a compatible server that refuses base64 with a 400.
   */
  embeddingEncodings: Array<'float' | 'base64'>;
  /** How many queued replies are still unused. */
  readonly pending: number;
  /** Clears requests and the queue; restores fallback, models, embeddingModels and embeddingEncodings to their defaults. */
  reset(): void;
  /** Stops listening and destroys every open connection (hanging ones too). */
  close(): Promise<void>;
}

export const DEFAULT_FAKE_CONTENT = JSON.stringify({ ok: true, source: 'fake-openai' });
const ROLES = new Set(['system', 'user', 'assistant', 'tool', 'developer']);
const SCHEMA_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: string,
    readonly code: string | null,
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

function invalid(message: string, param: string | null = null, code: string | null = null): HttpError {
  return new HttpError(400, message, 'invalid_request_error', code, param);
}

function defaultErrorFor(status: number): { message: string; type: string; code: string | null } {
  if (status === 400) return { message: 'Bad request (fake)', type: 'invalid_request_error', code: null };
  if (status === 401)
    return { message: 'Incorrect API key provided (fake)', type: 'invalid_request_error', code: 'invalid_api_key' };
  if (status === 403)
    return {
      message: 'You are not allowed to sample from this model (fake)',
      type: 'invalid_request_error',
      code: 'unsupported_country_region_territory',
    };
  if (status === 404) return { message: 'Not found (fake)', type: 'invalid_request_error', code: 'model_not_found' };
  if (status === 429)
    return { message: 'Rate limit reached for requests (fake)', type: 'requests', code: 'rate_limit_exceeded' };
  if (status === 503)
    return {
      message: 'The engine is currently overloaded, please try again later (fake)',
      type: 'server_error',
      code: null,
    };
  if (status >= 500)
    return {
      message: 'The server had an error while processing your request (fake)',
      type: 'server_error',
      code: null,
    };
  return { message: `Error ${status} (fake)`, type: 'invalid_request_error', code: null };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The text of a message's content (a string or text parts), for the json-word check and token estimates. */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content))
    return content.map((p) => (isObject(p) && typeof p.text === 'string' ? p.text : '')).join('');
  return '';
}

function validateChat(body: unknown, models: string[]): ChatRequest {
  if (!isObject(body)) throw invalid('The request body must be a JSON object.');
  const { model, messages } = body;
  if (model === undefined) throw invalid('you must provide a model parameter', 'model');
  if (typeof model !== 'string' || model === '')
    throw invalid(`Invalid type for 'model': expected a non-empty string.`, 'model', 'invalid_type');
  if (messages === undefined)
    throw invalid("Missing required parameter: 'messages'.", 'messages', 'missing_required_parameter');
  if (!Array.isArray(messages))
    throw invalid(`Invalid type for 'messages': expected an array.`, 'messages', 'invalid_type');
  if (messages.length === 0)
    throw invalid(
      "Invalid 'messages': empty array. Expected an array with minimum length 1.",
      'messages',
      'empty_array',
    );
  messages.forEach((m, i) => {
    const at = `messages[${i}]`;
    if (!isObject(m)) throw invalid(`Invalid type for '${at}': expected an object.`, at, 'invalid_type');
    if (typeof m.role !== 'string' || !ROLES.has(m.role)) {
      throw invalid(
        `Invalid value: '${String(m.role)}'. Supported values are: 'system', 'assistant', 'user', 'tool', 'function' and 'developer'.`,
        `${at}.role`,
        'invalid_value',
      );
    }
    const c = m.content;
    if (typeof c === 'string') return;
    if (Array.isArray(c)) {
      c.forEach((p, j) => {
        if (!isObject(p) || p.type !== 'text' || typeof p.text !== 'string') {
          throw invalid(
            `Invalid content part: expected { type: 'text', text: string }.`,
            `${at}.content[${j}]`,
            'invalid_value',
          );
        }
      });
      return;
    }
    if ((c === null || c === undefined) && m.role === 'assistant' && Array.isArray(m.tool_calls)) return;
    if (c === undefined)
      throw invalid(`Missing required parameter: '${at}.content'.`, `${at}.content`, 'missing_required_parameter');
    throw invalid(
      `Invalid type for '${at}.content': expected one of a string or array of objects.`,
      `${at}.content`,
      'invalid_type',
    );
  });
  const { temperature, max_tokens, max_completion_tokens, stream, stream_options, response_format } = body;
  if (temperature !== undefined && temperature !== null) {
    if (typeof temperature !== 'number' || !Number.isFinite(temperature))
      throw invalid(`Invalid type for 'temperature': expected a decimal.`, 'temperature', 'invalid_type');
    if (temperature < 0 || temperature > 2)
      throw invalid(
        `Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got ${temperature} instead.`,
        'temperature',
        'decimal_above_max_value',
      );
  }
  for (const [name, v] of [
    ['max_tokens', max_tokens],
    ['max_completion_tokens', max_completion_tokens],
  ] as const) {
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isInteger(v))
      throw invalid(`Invalid type for '${name}': expected an integer.`, name, 'invalid_type');
    if (v < 1)
      throw invalid(
        `Invalid '${name}': integer below minimum value. Expected a value >= 1, but got ${v} instead.`,
        name,
        'integer_below_min_value',
      );
  }
  if (stream !== undefined && stream !== null && typeof stream !== 'boolean')
    throw invalid(`Invalid type for 'stream': expected a boolean.`, 'stream', 'invalid_type');
  if (stream_options !== undefined && stream_options !== null) {
    if (stream !== true)
      throw invalid(
        "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
        'stream_options',
        'invalid_value',
      );
    if (!isObject(stream_options))
      throw invalid(`Invalid type for 'stream_options': expected an object.`, 'stream_options', 'invalid_type');
    if (stream_options.include_usage !== undefined && typeof stream_options.include_usage !== 'boolean') {
      throw invalid(
        `Invalid type for 'stream_options.include_usage': expected a boolean.`,
        'stream_options.include_usage',
        'invalid_type',
      );
    }
  }
  if (response_format !== undefined && response_format !== null) {
    if (!isObject(response_format))
      throw invalid(`Invalid type for 'response_format': expected an object.`, 'response_format', 'invalid_type');
    const t = response_format.type;
    if (t === 'json_schema') {
      const js = response_format.json_schema;
      if (!isObject(js))
        throw invalid(
          "Missing required parameter: 'response_format.json_schema'.",
          'response_format.json_schema',
          'missing_required_parameter',
        );
      if (typeof js.name !== 'string' || !SCHEMA_NAME.test(js.name)) {
        throw invalid(
          "Invalid 'response_format.json_schema.name': expected a string of letters, digits, '_' or '-' (at most 64).",
          'response_format.json_schema.name',
          'invalid_value',
        );
      }
      if (!isObject(js.schema))
        throw invalid(
          "Invalid 'response_format.json_schema.schema': expected an object.",
          'response_format.json_schema.schema',
          'invalid_type',
        );
    } else if (t === 'json_object') {
      // The real API refuses JSON mode unless the prompt itself asks for JSON.
      if (!messages.some((m) => /json/i.test(contentText((m as Record<string, unknown>).content)))) {
        throw invalid(
          "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
          'messages',
          null,
        );
      }
    } else if (t !== 'text') {
      throw invalid(
        `Invalid value: '${String(t)}'. Supported values are: 'json_object', 'json_schema', and 'text'.`,
        'response_format.type',
        'invalid_value',
      );
    }
  }
  if (!models.includes(model)) {
    throw new HttpError(
      404,
      `The model \`${model}\` does not exist or you do not have access to it.`,
      'invalid_request_error',
      'model_not_found',
    );
  }
  return body as ChatRequest;
}

/** The real API's "'$.input' is invalid" answer, which names neither the item nor the reason. */
const invalidInput = (): HttpError =>
  invalid("'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.");

/** The input as a list of texts: a string or a non-empty list of at most 2,048 non-empty strings. */
function embeddingInputs(input: unknown): string[] {
  if (input === undefined) throw invalid("Missing required parameter: 'input'.", 'input', 'missing_required_parameter');
  const texts = typeof input === 'string' ? [input] : input;
  if (!Array.isArray(texts))
    throw invalid(`Invalid type for 'input': expected a string or an array of strings.`, 'input', 'invalid_type');
  if (texts.length === 0 || texts.length > MAX_EMBEDDING_INPUTS) throw invalidInput();
  if (texts.some((t) => typeof t === 'number' || Array.isArray(t))) {
    // The real API takes token arrays too; nothing in Cermin sends them, so the fake keeps to text.
    throw invalid('fake-openai: token arrays are not supported here; send text.', 'input', 'invalid_type');
  }
  if (texts.some((t) => typeof t !== 'string' || t === '')) throw invalidInput();
  const tooLong = (texts as string[]).find((t) => roughTokens(t) > MAX_EMBEDDING_INPUT_TOKENS);
  if (tooLong !== undefined) {
    throw invalid(
      `This model's maximum context length is ${MAX_EMBEDDING_INPUT_TOKENS} tokens, however you requested ${roughTokens(tooLong)} tokens in the input. Please reduce your prompt; or completion length.`,
    );
  }
  return texts as string[];
}

function validateEmbeddings(
  body: unknown,
  models: string[],
  encodings: ReadonlyArray<'float' | 'base64'>,
): EmbeddingRequest {
  if (!isObject(body)) throw invalid('The request body must be a JSON object.');
  const unknown = Object.keys(body).find((k) => !EMBEDDING_PARAMS.has(k));
  if (unknown !== undefined) throw invalid(`Unrecognized request argument supplied: ${unknown}`);
  const { model, encoding_format, dimensions, user } = body;
  if (model === undefined) throw invalid('you must provide a model parameter', 'model');
  if (typeof model !== 'string' || model === '')
    throw invalid(`Invalid type for 'model': expected a non-empty string.`, 'model', 'invalid_type');
  embeddingInputs(body.input);
  if (
    encoding_format !== undefined &&
    encoding_format !== null &&
    !encodings.includes(encoding_format as 'float' | 'base64')
  ) {
    const supported = encodings.map((e) => `'${e}'`).join(' and ');
    throw invalid(
      `Invalid value: '${String(encoding_format)}'. Supported values are: ${supported}.`,
      'encoding_format',
      'invalid_value',
    );
  }
  if (dimensions !== undefined && dimensions !== null) {
    if (typeof dimensions !== 'number' || !Number.isInteger(dimensions))
      throw invalid(`Invalid type for 'dimensions': expected an integer.`, 'dimensions', 'invalid_type');
    if (dimensions < 1)
      throw invalid(
        `Invalid 'dimensions': integer below minimum value. Expected a value >= 1, but got ${dimensions} instead.`,
        'dimensions',
        'integer_below_min_value',
      );
    if (dimensions > FAKE_EMBEDDING_DIMENSIONS) {
      throw invalid(
        `Invalid 'dimensions': integer above maximum value. Expected a value <= ${FAKE_EMBEDDING_DIMENSIONS}, but got ${dimensions} instead.`,
        'dimensions',
        'integer_above_max_value',
      );
    }
  }
  if (user !== undefined && typeof user !== 'string')
    throw invalid(`Invalid type for 'user': expected a string.`, 'user', 'invalid_type');
  if (!models.includes(model)) {
    throw new HttpError(
      404,
      `The model \`${model}\` does not exist or you do not have access to it.`,
      'invalid_request_error',
      'model_not_found',
    );
  }
  return body as unknown as EmbeddingRequest;
}

/** Little-endian float32s in base64, as the real API answers encoding_format 'base64'. */
function base64Floats(v: readonly number[]): string {
  const bytes = Buffer.alloc(v.length * 4);
  v.forEach((x, i) => bytes.writeFloatLE(x, i * 4));
  return bytes.toString('base64');
}

function roughTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

/** Splits into pieces of about 20 characters, and into at least 3 pieces when there are 3 characters or more (code points kept whole). */
export function splitForStream(content: string): string[] {
  const chars = Array.from(content);
  if (chars.length === 0) return [];
  const size = Math.max(1, Math.min(20, Math.ceil(chars.length / 3)));
  const pieces: string[] = [];
  for (let i = 0; i < chars.length; i += size) pieces.push(chars.slice(i, i + size).join(''));
  return pieces;
}

/** Refuses a reply that mixes one endpoint's options into the other's: the option would be silently ignored. */
function checkReply(r: FakeReply): void {
  if (r.status !== undefined && (!Number.isInteger(r.status) || r.status < 400 || r.status > 599)) {
    throw new Error(`fake-openai: reply status must be an HTTP error status (400–599), got ${r.status}`);
  }
  const foreign = (r.target === 'embeddings' ? CHAT_ONLY : EMBEDDINGS_ONLY).filter((k) => r[k] !== undefined);
  if (foreign.length)
    throw new Error(`fake-openai: ${foreign.join(', ')} cannot be used in a reply for ${r.target ?? 'chat'}`);
}

export async function startFakeOpenAI(
  opts: { apiKey?: string; models?: string[]; embeddingModels?: string[] } = {},
): Promise<FakeOpenAI> {
  const apiKey = opts.apiKey ?? 'sk-fake-test-key';
  const initialModels = [...(opts.models ?? ['fake-model'])];
  const initialEmbeddingModels = [...(opts.embeddingModels ?? ['fake-embed'])];
  const queue: FakeReply[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;

  const sleep = (ms: number, res: http.ServerResponse): Promise<boolean> =>
    new Promise((resolve) => {
      if (ms <= 0) return resolve(!res.destroyed);
      const t = setTimeout(() => {
        timers.delete(t);
        res.off('close', onClose);
        resolve(!res.destroyed && !closed);
      }, ms);
      const onClose = (): void => {
        clearTimeout(t);
        timers.delete(t);
        resolve(false);
      };
      timers.add(t);
      res.once('close', onClose);
    });

  const sendJson = (
    res: http.ServerResponse,
    status: number,
    payload: unknown,
    extraHeaders: Record<string, string> = {},
  ): void => {
    if (res.destroyed || res.headersSent) return;
    const text = JSON.stringify(payload);
    res.writeHead(status, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(text),
      'x-request-id': `req_${randomUUID().replace(/-/g, '')}`,
      'openai-processing-ms': '1',
      ...extraHeaders,
    });
    res.end(text);
  };

  const sendError = (
    res: http.ServerResponse,
    status: number,
    error: { message: string; type: string; code: string | null; param?: string | null },
  ): void => {
    // A short hint lets SDK retries (maxRetries > 0) of 429/5xx go fast instead of backing off ~0.5–8 s.
    const retryHeaders: Record<string, string> = status === 429 || status >= 500 ? { 'retry-after-ms': '10' } : {};
    sendJson(
      res,
      status,
      { error: { message: error.message, type: error.type, param: error.param ?? null, code: error.code } },
      retryHeaders,
    );
  };

  const modelObject = (id: string): Record<string, unknown> => ({
    id,
    object: 'model',
    created: 1700000000,
    owned_by: 'fake-openai',
  });

  /** The next queued reply for an endpoint (replies for the other endpoint keep their places). */
  const takeReply = (target: 'chat' | 'embeddings'): FakeReply | undefined => {
    const at = queue.findIndex((r) => (r.target ?? 'chat') === target);
    return at < 0 ? undefined : queue.splice(at, 1)[0];
  };

  /** A reply's hang, delay and status, shared by the endpoints: true when the request is answered (or dropped) already. */
  const faultHandled = async (res: http.ServerResponse, reply: FakeReply): Promise<boolean> => {
    if (reply.hang) return true; // the socket stays open until the client gives up or the server closes
    if (reply.delayMs && !(await sleep(reply.delayMs, res))) return true;
    if (reply.status === undefined) return false;
    sendError(res, reply.status, { ...defaultErrorFor(reply.status), ...reply.error });
    return true;
  };

  const answerEmbeddings = async (
    res: http.ServerResponse,
    body: EmbeddingRequest,
    reply: FakeReply,
  ): Promise<void> => {
    if (await faultHandled(res, reply)) return;
    const input = embeddingInputs(body.input);
    let vectors: number[][];
    try {
      vectors = reply.vectors
        ? reply.vectors(input)
        : input.map((t) => fakeEmbedding(t, body.dimensions ?? FAKE_EMBEDDING_DIMENSIONS));
    } catch (err) {
      sendError(res, 500, {
        message: `fake-openai: the reply failed: ${(err as Error).message}`,
        type: 'server_error',
        code: null,
      });
      return;
    }
    const base64 = body.encoding_format === 'base64' && !reply.ignoreEncodingFormat;
    const data = vectors.map((v, index) => ({ object: 'embedding', index, embedding: base64 ? base64Floats(v) : v }));
    if (reply.reverseOrder) data.reverse();
    const promptTokens = reply.usage?.prompt_tokens ?? input.reduce((sum, t) => sum + roughTokens(t), 0);
    sendJson(res, 200, {
      object: 'list',
      data,
      model: body.model,
      usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
    });
  };

  const answerChat = async (res: http.ServerResponse, body: ChatRequest, reply: FakeReply): Promise<void> => {
    if (await faultHandled(res, reply)) return;
    let content: string;
    try {
      content = reply.respond ? reply.respond(body) : (reply.content ?? DEFAULT_FAKE_CONTENT);
      if (typeof content !== 'string') throw new Error(`respond() returned ${typeof content}, not a string`);
    } catch (err) {
      sendError(res, 500, {
        message: `fake-openai: the reply failed: ${(err as Error).message}`,
        type: 'server_error',
        code: null,
      });
      return;
    }
    const promptText = body.messages.map((m) => contentText(m.content)).join('\n');
    const usageIn = reply.usage ?? { prompt_tokens: roughTokens(promptText), completion_tokens: roughTokens(content) };
    const usage = {
      prompt_tokens: usageIn.prompt_tokens,
      completion_tokens: usageIn.completion_tokens,
      total_tokens: usageIn.prompt_tokens + usageIn.completion_tokens,
    };
    const id = `chatcmpl-${randomUUID().replace(/-/g, '').slice(0, 24)}`;
    const created = Math.floor(Date.now() / 1000);

    if (body.stream !== true) {
      sendJson(res, 200, {
        id,
        object: 'chat.completion',
        created,
        model: body.model,
        system_fingerprint: 'fp_fake',
        choices: [
          { index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'stop' },
        ],
        usage,
      });
      return;
    }

    const includeUsage = isObject(body.stream_options) && body.stream_options.include_usage === true;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache',
      Connection: 'keep-alive',
      'x-request-id': `req_${randomUUID().replace(/-/g, '')}`,
    });
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}): string =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model, system_fingerprint: 'fp_fake', choices, ...(includeUsage ? { usage: null } : {}), ...extra })}\n\n`;
    const events = [
      chunk([{ index: 0, delta: { role: 'assistant' }, logprobs: null, finish_reason: null }]),
      ...splitForStream(content).map((piece) =>
        chunk([{ index: 0, delta: { content: piece }, logprobs: null, finish_reason: null }]),
      ),
      chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }]),
      ...(includeUsage ? [chunk([], { usage })] : []),
      'data: [DONE]\n\n',
    ];
    for (let i = 0; i < events.length; i++) {
      if (i > 0 && reply.chunkDelayMs && !(await sleep(reply.chunkDelayMs, res))) return;
      if (res.destroyed || closed) return;
      res.write(events[i]);
    }
    res.end();
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse, raw: string): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const route = url.pathname.replace(/^\/v1(?=\/)/, '').replace(/\/+$/, '');
    const method = req.method ?? 'GET';
    let parsed: unknown;
    let parseFailed = false;
    if (raw.length > 0) {
      try {
        parsed = JSON.parse(raw);
      } catch {
        parseFailed = true;
      }
    }
    fake.requests.push({
      path: req.url ?? '/',
      method,
      headers: { ...req.headers },
      body: isObject(parsed) ? (parsed as ChatRequest) : undefined,
      at: Date.now(),
    });

    const known =
      (method === 'POST' && (route === '/chat/completions' || route === '/embeddings')) ||
      (method === 'GET' && (route === '/models' || route.startsWith('/models/')));
    if (!known) {
      throw new HttpError(404, `Invalid URL (${method} ${url.pathname})`, 'invalid_request_error', null);
    }
    const auth = req.headers.authorization;
    if (!auth) {
      throw new HttpError(
        401,
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        'invalid_request_error',
        null,
      );
    }
    const m = /^Bearer (.+)$/.exec(auth);
    if (!m || m[1] !== apiKey) {
      const given = m ? m[1] : auth;
      const shown = given.length > 8 ? `${given.slice(0, 3)}*****${given.slice(-4)}` : '*****';
      throw new HttpError(
        401,
        `Incorrect API key provided: ${shown}. You can find your API key at https://platform.openai.com/account/api-keys.`,
        'invalid_request_error',
        'invalid_api_key',
      );
    }

    if (method === 'GET') {
      if (route === '/models') return sendJson(res, 200, { object: 'list', data: fake.models.map(modelObject) });
      const id = decodeURIComponent(route.slice('/models/'.length));
      if (!fake.models.includes(id))
        throw new HttpError(
          404,
          `The model '${id}' does not exist`,
          'invalid_request_error',
          'model_not_found',
          'model',
        );
      return sendJson(res, 200, modelObject(id));
    }

    const contentType = String(req.headers['content-type'] ?? '');
    if (!/^application\/json\b/i.test(contentType)) {
      throw invalid(`Invalid Content-Type header (${contentType || 'none'}), expected application/json.`);
    }
    if (raw.length === 0) throw invalid('We could not parse the JSON body of your request. (HINT: the body is empty.)');
    if (parseFailed)
      throw invalid(
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload.)",
      );
    if (route === '/embeddings') {
      const body = validateEmbeddings(parsed, fake.embeddingModels, fake.embeddingEncodings);
      await answerEmbeddings(res, body, takeReply('embeddings') ?? { target: 'embeddings' });
      return;
    }
    const body = validateChat(parsed, fake.models);
    const reply = takeReply('chat') ?? fake.fallback;
    await answerChat(res, body, reply);
  };

  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (b: Buffer) => parts.push(b));
    req.on('end', () => {
      handle(req, res, Buffer.concat(parts).toString('utf8')).catch((err: unknown) => {
        if (err instanceof HttpError)
          sendError(res, err.status, { message: err.message, type: err.type, code: err.code, param: err.param });
        else
          sendError(res, 500, {
            message: `fake-openai: ${(err as Error)?.message ?? String(err)}`,
            type: 'server_error',
            code: null,
          });
      });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  const fake: FakeOpenAI = {
    baseURL: `http://127.0.0.1:${port}/v1`,
    apiKey,
    requests: [],
    fallback: { content: DEFAULT_FAKE_CONTENT },
    models: [...initialModels],
    embeddingModels: [...initialEmbeddingModels],
    embeddingEncodings: ['float', 'base64'],
    get pending() {
      return queue.length;
    },
    reply(...replies: FakeReply[]) {
      replies.forEach(checkReply);
      queue.push(...replies);
    },
    reset() {
      fake.requests.length = 0;
      queue.length = 0;
      fake.fallback = { content: DEFAULT_FAKE_CONTENT };
      fake.models = [...initialModels];
      fake.embeddingModels = [...initialEmbeddingModels];
      fake.embeddingEncodings = ['float', 'base64'];
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      for (const s of sockets) s.destroy();
      await done;
    },
  };
  return fake;
}
