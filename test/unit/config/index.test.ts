/** Configuration: defaults, environment overrides, and one message naming every bad key. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig, redactedConfig } from '../../../src/config';
import { projectRoot } from '../../../src/core/paths';

const KEY = 'k'.repeat(40);

function problemsOf(env: Record<string, string>, configDir?: string): string[] {
  try {
    loadConfig({ env, configDir });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

test('defaults plus environment give one typed object', () => {
  const cfg = loadConfig({ env: { NODE_ENV: 'development', LTI_KEY: KEY, PORT: '4010', PUBLIC_URL: 'https://cermin.example.go.id/', AI_MODEL: 'llama3' } });
  expect(cfg.port).toBe(4010);
  expect(cfg.publicUrl).toBe('https://cermin.example.go.id');
  expect(cfg.ai.model).toBe('llama3');
  expect(cfg.lti.key).toBe(KEY);
  expect(cfg.demo.enabled).toBe(true);
  expect(cfg.database.uri).toBeUndefined();
});

test('the AI limits and audit settings come from the environment too; a word that is not a boolean is named', () => {
  const cfg = loadConfig({ env: { NODE_ENV: 'development', LTI_KEY: KEY, AI_USER_DAILY_TOKENS: '0', AI_TURNS_PER_MINUTE: '2', AI_KEEP_RAW_TEXT: 'true', AI_RAW_TEXT_RETENTION_DAYS: '30' } });
  expect(cfg.ai).toMatchObject({ userDailyTokens: 0, turnsPerMinute: 2, keepRawText: true, rawTextRetentionDays: 30 });
  expect(problemsOf({ NODE_ENV: 'development', LTI_KEY: KEY, AI_KEEP_RAW_TEXT: 'yes' }).join('\n')).toContain('AI_KEEP_RAW_TEXT');
});

test('every bad key is named at once, with the environment variable to fix', () => {
  const problems = problemsOf({ NODE_ENV: 'development', LTI_KEY: 'short', PORT: 'eighty', PUBLIC_URL: 'moodle', MONGODB_URI: 'postgres://x', AI_BASE_URL: 'not a url', LOG_LEVEL: 'loud' });
  const text = problems.join('\n');
  for (const name of ['LTI_KEY', 'PORT', 'PUBLIC_URL', 'MONGODB_URI', 'AI_BASE_URL', 'LOG_LEVEL']) expect(text).toContain(name);
  expect(problems.length).toBeGreaterThanOrEqual(6);
});

test('production needs LTI_KEY (no generated key), LTI_REGISTRATION_KEY and an https PUBLIC_URL, and turns the demo off', () => {
  const problems = problemsOf({ NODE_ENV: 'production', PUBLIC_URL: 'http://cermin.example.go.id' }).join('\n');
  expect(problems).toMatch(/LTI_KEY or ENCRYPTION_KEY \(lti\.key\): missing/);
  expect(problems).toMatch(/PUBLIC_URL.*https/);
  expect(problems).toMatch(/LTI_REGISTRATION_KEY.*production/);
  const cfg = loadConfig({ env: { NODE_ENV: 'production', PUBLIC_URL: 'https://cermin.example.go.id', ENCRYPTION_KEY: KEY, LTI_REGISTRATION_KEY: 'r'.repeat(24) } });
  expect(cfg.demo.enabled).toBe(false);
  expect(cfg.lti.keyGenerated).toBe(false);
});

test('development without LTI_KEY uses the persisted machine key', () => {
  const cfg = loadConfig({ env: { NODE_ENV: 'development' }, devKey: () => 'd'.repeat(64) });
  expect(cfg.lti.key).toBe('d'.repeat(64));
  expect(cfg.lti.keyGenerated).toBe(true);
});

test('a secret written into a config file is refused; an unknown key and bad JSON are named', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cermin-cfg-'));
  fs.copyFileSync(path.join(projectRoot, 'config', 'default.json'), path.join(dir, 'default.json'));
  fs.writeFileSync(path.join(dir, 'development.json'), JSON.stringify({ lti: { key: KEY }, ai: { apiKey: 'sk-123' }, colour: 'blue' }));
  const problems = problemsOf({ NODE_ENV: 'development', LTI_KEY: KEY }, dir).join('\n');
  expect(problems).toContain('lti.key: secrets are read only from the environment');
  expect(problems).toContain('ai.apiKey: secrets are read only from the environment');
  expect(problems).toContain('colour: unknown key');
  fs.writeFileSync(path.join(dir, 'development.json'), '{ nope');
  expect(problemsOf({ NODE_ENV: 'development', LTI_KEY: KEY }, dir).join('\n')).toContain('development.json: not valid JSON');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the loggable copy hides secrets and database credentials', () => {
  const cfg = loadConfig({ env: { NODE_ENV: 'development', LTI_KEY: KEY, AI_API_KEY: 'sk-secret-value', MONGODB_URI: 'mongodb://user:pass@db:27017/cermin' } });
  const text = JSON.stringify(redactedConfig(cfg));
  expect(text).not.toContain(KEY);
  expect(text).not.toContain('sk-secret-value');
  expect(text).not.toContain('user:pass');
  expect(text).toContain('[set]');
});

test('grade delivery settings: the worker switch, and an attempt that could never fit in its lease is refused', () => {
  const cfg = loadConfig({ env: { NODE_ENV: 'development', LTI_KEY: KEY, GRADES_WORKER: 'false', GRADES_LEASE_SECONDS: '30', ROSTER_MAX_AGE_MINUTES: '5' } });
  expect(cfg.grades.workerEnabled).toBe(false);
  expect(cfg.grades.leaseSeconds).toBe(30);
  expect(cfg.roster.maxAgeMinutes).toBe(5);
  expect(loadConfig({ env: { NODE_ENV: 'development', LTI_KEY: KEY } }).grades.workerEnabled).toBe(true);
  const problems = problemsOf({ NODE_ENV: 'development', LTI_KEY: KEY, GRADES_LEASE_SECONDS: '10', GRADES_ATTEMPT_TIMEOUT_MS: '8000', GRADES_CONCURRENCY: '0' });
  expect(problems.join('\n')).toContain('GRADES_ATTEMPT_TIMEOUT_MS');
  expect(problems.join('\n')).toContain('GRADES_CONCURRENCY');
});

test('the embedding model is unset by default (lexical ranking only) and comes from AI_EMBEDDING_MODEL', () => {
  expect(loadConfig({ env: { NODE_ENV: 'development', LTI_KEY: KEY } }).ai.embeddingModel).toBeUndefined();
  expect(loadConfig({ env: { NODE_ENV: 'development', LTI_KEY: KEY, AI_EMBEDDING_MODEL: 'nomic-embed-text' } }).ai.embeddingModel).toBe('nomic-embed-text');
});

test('OUTBOUND_ALLOW is a list of hosts, host:port pairs and CIDR ranges; an entry that is none of these is named', () => {
  const cfg = loadConfig({ env: { NODE_ENV: 'development', OUTBOUND_ALLOW: 'moodle.internal, 10.20.0.0/16 127.0.0.1:11434' }, devKey: () => 'd'.repeat(64) });
  expect(cfg.outbound.allow).toEqual(['moodle.internal', '10.20.0.0/16', '127.0.0.1:11434']);
  expect(problemsOf({ NODE_ENV: 'development', OUTBOUND_ALLOW: 'http://moodle.internal/' }).join('\n')).toMatch(/OUTBOUND_ALLOW.*http:\/\/moodle\.internal\//);
});
