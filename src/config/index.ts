/**
 * Configuration: `config/default.json`, then `config/<NODE_ENV>.json` when present, then the
 * environment. Validated once at start with ajv; every bad key is named in one message so an
 * admin fixes them all in one go. Secrets (LTI_KEY, AI_API_KEY) come only from the environment.
 */
import fs from 'node:fs';
import path from 'node:path';
import Ajv, { type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import { configSchema } from './schema';
import { projectRoot } from '../core/paths';
import { AllowEntryError, allowList } from '../outbound/address-policy';

export type NodeEnv = 'development' | 'production' | 'test';

export interface AppConfig {
  env: NodeEnv;
  port: number;
  host: string;
  /** Express `trust proxy`: the proxies whose X-Forwarded-For names the client. */
  trustProxy: string;
  /** The URL Moodle and browsers reach Cermin at, without a trailing slash. */
  publicUrl: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  dataDir: string;
  toolsDir: string;
  /** Coaching templates (JSON files checked against config/schemas/template.schema.json). */
  templatesDir: string;
  database: {
    /** Set: use this MongoDB-wire server. Unset: the embedded chain (src/db/embedded.ts). */
    uri?: string;
    embedded: 'auto' | 'mongod' | 'java' | 'ferretdb' | 'off';
    ferretdbVersion: string;
    mongodVersion: string;
    connectTimeoutMs: number;
  };
  lti: {
    /** Secret that signs ltiks and encrypts keys at rest. */
    key: string;
    /** True when the key was generated for this development machine rather than given. */
    keyGenerated: boolean;
    toolName: string;
    toolDescription: string;
    tokenMaxAgeSeconds: number;
    /** How long a launch's session (its ltik) opens pages; then the person opens Cermin from Moodle again. */
    sessionHours: number;
    /** When set, dynamic registration needs `?key=` with this value (the admin pages show the full URL). */
    registrationKey?: string;
    clockSkewSeconds: number;
    nonceTtlSeconds: number;
    jwksCacheSeconds: number;
    rsaModulusLength: number;
  };
  ai: {
    baseUrl?: string; apiKey?: string; model: string; timeoutMs: number; maxRetries: number;
    /** The provider's embedding model (e.g. text-embedding-3-small, nomic-embed-text). Unset: no embeddings, lexical ranking only. */
    embeddingModel?: string;
    /** Named to participants in the consent text (e.g. "Ollama di server BPSDM"). */
    providerName: string;
    userDailyTokens: number; courseMonthlyTokens: number; turnsPerMinute: number;
    breakerFailures: number; breakerCooldownSeconds: number;
    /** Keep reflection text and answers in the audit (off: only counts, lens, model, outcome). */
    keepRawText: boolean; rawTextRetentionDays: number;
  };
  /** `publicUrl`: the demo LMS's own origin when it must differ from Cermin's (a cross-site iframe, as with Moodle); default Cermin's. */
  demo: { enabled: boolean; participants: number; publicUrl?: string };
  /** `savesPerMinute`: a participant's saves (autosaves, forms, restores) per minute, per person. */
  rateLimit: { windowSeconds: number; ltiMaxPerWindow: number; registerMaxPerWindow: number; savesPerMinute: number };
  grades: {
    /** This instance runs the delivery worker (several instances may: deliveries are leased). */
    workerEnabled: boolean;
    pollMs: number;
    /** One HTTP request to the platform. */
    requestTimeoutMs: number;
    /** One whole attempt (token, line item, score, one token refresh) must end within this. */
    attemptTimeoutMs: number;
    /** Length of a lease slot; an attempt holds at most two. */
    leaseSeconds: number;
    concurrency: number;
    backoffBaseMs: number;
    backoffMaxMs: number;
  };
  /** Roster and review: `blindShare` of submissions are first reviewed without the AI draft (blind re-marking). */
  roster: { maxAgeMinutes: number; pageSize: number; blindShare: number };
  /**
   * Requests to addresses that came from outside the configuration (registration, a platform's
   * endpoints, an admin's AI provider): `allow` names the private or loopback hosts, host:port pairs
   * and CIDR ranges they may reach (everything else must be a public address); answers larger than
   * `maxBytes` are cut off; `timeoutMs` bounds an exchange whose caller sets no time of its own.
   */
  outbound: { allow: string[]; maxBytes: number; timeoutMs: number };
  shutdownGraceMs: number;
}

/** Environment variable → path in the config object, and how to read it. */
const ENV_MAP: ReadonlyArray<{ env: string; path: string; type: 'string' | 'number' | 'boolean' | 'boolean-or-auto' | 'list' }> = [
  { env: 'NODE_ENV', path: 'env', type: 'string' },
  { env: 'PORT', path: 'port', type: 'number' },
  { env: 'HOST', path: 'host', type: 'string' },
  { env: 'TRUST_PROXY', path: 'trustProxy', type: 'string' },
  { env: 'PUBLIC_URL', path: 'publicUrl', type: 'string' },
  { env: 'LOG_LEVEL', path: 'logLevel', type: 'string' },
  { env: 'DATA_DIR', path: 'dataDir', type: 'string' },
  { env: 'TOOLS_DIR', path: 'toolsDir', type: 'string' },
  { env: 'TEMPLATES_DIR', path: 'templatesDir', type: 'string' },
  { env: 'MONGODB_URI', path: 'database.uri', type: 'string' },
  { env: 'EMBEDDED_DB', path: 'database.embedded', type: 'string' },
  { env: 'LTI_KEY', path: 'lti.key', type: 'string' },
  { env: 'ENCRYPTION_KEY', path: 'lti.key', type: 'string' },
  { env: 'LTI_TOKEN_MAX_AGE', path: 'lti.tokenMaxAgeSeconds', type: 'number' },
  { env: 'LTI_SESSION_HOURS', path: 'lti.sessionHours', type: 'number' },
  { env: 'LTI_REGISTRATION_KEY', path: 'lti.registrationKey', type: 'string' },
  { env: 'AI_BASE_URL', path: 'ai.baseUrl', type: 'string' },
  { env: 'AI_API_KEY', path: 'ai.apiKey', type: 'string' },
  { env: 'AI_MODEL', path: 'ai.model', type: 'string' },
  { env: 'AI_EMBEDDING_MODEL', path: 'ai.embeddingModel', type: 'string' },
  { env: 'AI_TIMEOUT_MS', path: 'ai.timeoutMs', type: 'number' },
  { env: 'AI_PROVIDER_NAME', path: 'ai.providerName', type: 'string' },
  { env: 'AI_MAX_RETRIES', path: 'ai.maxRetries', type: 'number' },
  { env: 'AI_USER_DAILY_TOKENS', path: 'ai.userDailyTokens', type: 'number' },
  { env: 'AI_COURSE_MONTHLY_TOKENS', path: 'ai.courseMonthlyTokens', type: 'number' },
  { env: 'AI_TURNS_PER_MINUTE', path: 'ai.turnsPerMinute', type: 'number' },
  { env: 'AI_BREAKER_FAILURES', path: 'ai.breakerFailures', type: 'number' },
  { env: 'AI_BREAKER_COOLDOWN_SECONDS', path: 'ai.breakerCooldownSeconds', type: 'number' },
  { env: 'AI_KEEP_RAW_TEXT', path: 'ai.keepRawText', type: 'boolean' },
  { env: 'AI_RAW_TEXT_RETENTION_DAYS', path: 'ai.rawTextRetentionDays', type: 'number' },
  { env: 'DEMO', path: 'demo.enabled', type: 'boolean-or-auto' },
  { env: 'DEMO_PARTICIPANTS', path: 'demo.participants', type: 'number' },
  { env: 'DEMO_PUBLIC_URL', path: 'demo.publicUrl', type: 'string' },
  { env: 'GRADES_WORKER', path: 'grades.workerEnabled', type: 'boolean-or-auto' },
  { env: 'GRADES_POLL_MS', path: 'grades.pollMs', type: 'number' },
  { env: 'GRADES_REQUEST_TIMEOUT_MS', path: 'grades.requestTimeoutMs', type: 'number' },
  { env: 'GRADES_ATTEMPT_TIMEOUT_MS', path: 'grades.attemptTimeoutMs', type: 'number' },
  { env: 'GRADES_LEASE_SECONDS', path: 'grades.leaseSeconds', type: 'number' },
  { env: 'GRADES_CONCURRENCY', path: 'grades.concurrency', type: 'number' },
  { env: 'GRADES_BACKOFF_BASE_MS', path: 'grades.backoffBaseMs', type: 'number' },
  { env: 'GRADES_BACKOFF_MAX_MS', path: 'grades.backoffMaxMs', type: 'number' },
  { env: 'ROSTER_MAX_AGE_MINUTES', path: 'roster.maxAgeMinutes', type: 'number' },
  { env: 'REVIEW_BLIND_SHARE', path: 'roster.blindShare', type: 'number' },
  { env: 'RATE_LIMIT_LTI', path: 'rateLimit.ltiMaxPerWindow', type: 'number' },
  { env: 'RATE_LIMIT_REGISTER', path: 'rateLimit.registerMaxPerWindow', type: 'number' },
  { env: 'RATE_LIMIT_SAVES', path: 'rateLimit.savesPerMinute', type: 'number' },
  { env: 'OUTBOUND_ALLOW', path: 'outbound.allow', type: 'list' },
  { env: 'OUTBOUND_MAX_BYTES', path: 'outbound.maxBytes', type: 'number' },
];

/** Keys that may only come from the environment, never from a file in git. */
const SECRET_PATHS = ['lti.key', 'ai.apiKey', 'lti.registrationKey'];

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Konfigurasi tidak valid / invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Json = Record<string, unknown>;

function setPath(target: Json, dotted: string, value: unknown): void {
  const parts = dotted.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    if (typeof node[part] !== 'object' || node[part] === null) node[part] = {};
    node = node[part] as Json;
  }
  node[parts[parts.length - 1]] = value;
}

function getPath(source: Json, dotted: string): unknown {
  return dotted.split('.').reduce<unknown>((node, part) => (node && typeof node === 'object' ? (node as Json)[part] : undefined), source);
}

function deepMerge(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) {
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && typeof out[k] === 'object' ? deepMerge(out[k] as Json, v as Json) : v;
  }
  return out;
}

function readJson(file: string, problems: string[]): Json {
  if (!fs.existsSync(file)) return {};
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Json;
  } catch (err) {
    problems.push(`${path.basename(file)}: not valid JSON (${(err as Error).message})`);
    return {};
  }
}

/** Which environment variable (or file key) a schema error is about, for a message an admin can act on. */
function nameOf(instancePath: string, missing?: string): string {
  const dotted = [...instancePath.split('/').filter(Boolean), ...(missing ? [missing] : [])].join('.');
  const envs = ENV_MAP.filter((e) => e.path === dotted).map((e) => e.env);
  return envs.length ? `${envs.join(' or ')} (${dotted})` : dotted;
}

function describe(err: ErrorObject): string {
  if (err.keyword === 'required') {
    const missing = (err.params as { missingProperty: string }).missingProperty;
    return `${nameOf(err.instancePath, missing)}: missing`;
  }
  if (err.keyword === 'additionalProperties') {
    return `${nameOf(err.instancePath, (err.params as { additionalProperty: string }).additionalProperty)}: unknown key`;
  }
  return `${nameOf(err.instancePath)}: ${err.message ?? 'invalid'}`;
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  configDir?: string;
  /** Called when a development key must be generated; returns the key persisted under dataDir. */
  devKey?: (dataDir: string) => string;
}

/** Loads, merges and validates the configuration; throws ConfigError naming every bad key. */
export function loadConfig(opts: LoadOptions = {}): AppConfig {
  const env = opts.env ?? process.env;
  const configDir = opts.configDir ?? path.join(projectRoot, 'config');
  const problems: string[] = [];
  const nodeEnv = env.NODE_ENV || 'development';

  const base = readJson(path.join(configDir, 'default.json'), problems);
  const overlay = readJson(path.join(configDir, `${nodeEnv}.json`), problems);
  for (const secret of SECRET_PATHS) {
    if (getPath(base, secret) !== undefined || getPath(overlay, secret) !== undefined) {
      problems.push(`${secret}: secrets are read only from the environment, remove it from config/*.json`);
    }
  }
  const merged: Json = deepMerge(base, overlay);
  merged.env = nodeEnv;

  for (const { env: name, path: dotted, type } of ENV_MAP) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    if (type === 'number') {
      const n = Number(raw);
      setPath(merged, dotted, Number.isFinite(n) && raw.trim() !== '' ? n : raw);
    } else if (type === 'list') {
      setPath(merged, dotted, raw.split(/[\s,]+/).filter(Boolean));
    } else if (type === 'boolean') {
      // Anything but true/false stays a string, which the schema then refuses by name.
      setPath(merged, dotted, raw === 'true' ? true : raw === 'false' ? false : raw);
    } else {
      setPath(merged, dotted, raw);
    }
  }

  // A development machine gets a generated, persisted key so `npm start` works on a fresh clone;
  // production must be given one (checked by the schema below).
  let keyGenerated = false;
  if (getPath(merged, 'lti.key') === undefined && nodeEnv !== 'production' && opts.devKey) {
    setPath(merged, 'lti.key', opts.devKey(String(getPath(merged, 'dataDir') ?? './data')));
    keyGenerated = true;
  }
  setPath(merged, 'lti.keyGenerated', keyGenerated);

  const ajv = new Ajv({ allErrors: true, coerceTypes: false, useDefaults: true });
  addFormats(ajv);
  const validate = ajv.compile(configSchema);
  if (!validate(merged)) problems.push(...(validate.errors ?? []).map(describe));
  const leaseMs = Number(getPath(merged, 'grades.leaseSeconds')) * 1000;
  const attemptMs = Number(getPath(merged, 'grades.attemptTimeoutMs'));
  // A worker holds a delivery for one to two lease slots and starts an attempt only if it, and the
  // writing of its outcome (3 s kept), ends inside them: see grades/worker.ts.
  if (Number.isFinite(leaseMs) && Number.isFinite(attemptMs) && attemptMs + 3000 > leaseMs) {
    problems.push(`GRADES_ATTEMPT_TIMEOUT_MS (grades.attemptTimeoutMs): must be at least 3 s shorter than GRADES_LEASE_SECONDS (${leaseMs / 1000} s), or deliveries could not start`);
  }
  try {
    allowList((getPath(merged, 'outbound.allow') as string[] | undefined) ?? []);
  } catch (err) {
    if (!(err instanceof AllowEntryError)) throw err;
    problems.push(`OUTBOUND_ALLOW (outbound.allow): ${err.message}`);
  }
  if (nodeEnv === 'production' && getPath(merged, 'lti.registrationKey') === undefined) {
    problems.push('LTI_REGISTRATION_KEY (lti.registrationKey): required in production (≥ 16 characters): a dynamic registration carrying it is approved at once, one without it waits for the operator');
  }
  if (nodeEnv === 'production' && String(getPath(merged, 'publicUrl') ?? '').startsWith('http://') && !/^http:\/\/(localhost|127\.0\.0\.1)(:|\/|$)/.test(String(merged.publicUrl))) {
    problems.push('PUBLIC_URL (publicUrl): must be https in production (Moodle embeds Cermin in an iframe and needs secure cookies)');
  }
  if (problems.length) throw new ConfigError([...new Set(problems)]);

  const cfg = merged as unknown as AppConfig;
  cfg.publicUrl = cfg.publicUrl.replace(/\/+$/, '');
  if (cfg.demo.publicUrl) cfg.demo.publicUrl = cfg.demo.publicUrl.replace(/\/+$/, '');
  // The schema allows 'auto' and the strings an environment variable carries; settle them here.
  const demo: unknown = getPath(merged, 'demo.enabled');
  cfg.demo.enabled = demo === 'auto' ? nodeEnv !== 'production' : demo === true || demo === 'true';
  // 'auto': every instance delivers grades (leases keep them from sending one delivery twice).
  const worker: unknown = getPath(merged, 'grades.workerEnabled');
  cfg.grades.workerEnabled = worker === 'auto' || worker === true || worker === 'true';
  return cfg;
}

/** A copy safe to log: secrets replaced by whether they are set. */
export function redactedConfig(cfg: AppConfig): Json {
  const copy = JSON.parse(JSON.stringify(cfg)) as Json;
  for (const secret of SECRET_PATHS) {
    if (getPath(copy, secret) !== undefined) setPath(copy, secret, '[set]');
  }
  if (cfg.database.uri) setPath(copy, 'database.uri', cfg.database.uri.replace(/\/\/[^@/]*@/, '//[credentials]@'));
  return copy;
}
