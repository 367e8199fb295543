/**
 * The admin's view of the AI provider: what is configured (never the key itself) and "test
 * connection", whose result says in plain words what works and, when it fails, what to check.
 * Shown on both admin pages (an LTI administrator's launch and the setup-token session).
 */
import type { AiProvider, ProviderFailureKind } from '../ai/provider';
import { validateProviderForm, type ProviderChoice, type ProviderSource } from '../ai/provider-source';
import { INSTANCE, type Locale } from '../domain/launch';
import { formProblems } from '../http/form-problems';
import { translator, type Translate } from '../http/i18n';

export interface AiAdminDeps {
  /** The provider in force and how to change it (the admin's form). */
  source: Pick<ProviderSource, 'current' | 'set' | 'reset'>;
}

export type ConnectionTest = Awaited<ReturnType<AiProvider['testConnection']>>;

export interface AiProviderView {
  configured: boolean;
  /** Set by the platform's admin, the operator, or the environment at start. */
  source: ProviderChoice['source'];
  /** The scope in view set it itself (so it can go back to what it inherits). */
  own: boolean;
  name: string;
  baseUrl?: string;
  model?: string;
  keySet?: boolean;
  /** The stored key cannot be opened (see ProviderChoice): enter it again. */
  keyUnreadable?: boolean;
  timeoutMs?: number;
  test?: { ok: boolean; message: string; detail?: string };
}

/** The base URL as safe to show: no user, password, query or fragment (some gateways put keys there). */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(?)';
  }
}

const FAILURE_KEYS: Record<ProviderFailureKind, string> = {
  auth: 'aiAdmin.fail.auth',
  unreachable: 'aiAdmin.fail.unreachable',
  blocked: 'aiAdmin.fail.blocked',
  timeout: 'aiAdmin.fail.timeout',
  notFound: 'aiAdmin.fail.notFound',
  rateLimited: 'aiAdmin.fail.rateLimited',
  badRequest: 'aiAdmin.fail.other',
  server: 'aiAdmin.fail.other',
  empty: 'aiAdmin.fail.empty',
};

/**
 * A test's result as the admin reads it: what happened, and what to check. The provider's own
 * words (`detail`, which can quote what the address answered) go to the operator only: a
 * platform admin can type any address, and must not read internal services through this page;
 * they see the HTTP status.
 */
export function connectionMessage(
  result: ConnectionTest,
  settings: { model: string; timeoutMs: number },
  t: Translate,
  showReason = true,
  source: ProviderChoice['source'] = 'environment',
): { ok: boolean; message: string; detail?: string } {
  // "Check …" names the setting that was used: an environment variable, or a field of the console's form.
  const fromEnvironment = source === 'environment';
  const names = {
    ms: 0,
    model: settings.model,
    keySetting: fromEnvironment ? 'AI_API_KEY' : t('aiAdmin.field', { field: t('aiAdmin.key') }),
    urlSetting: fromEnvironment ? 'AI_BASE_URL' : t('aiAdmin.field', { field: t('aiAdmin.baseUrl') }),
    modelSetting: fromEnvironment ? 'AI_MODEL' : t('aiAdmin.field', { field: t('aiAdmin.model') }),
  };
  if (result.ok) {
    const key =
      result.modelListed === null ? 'aiAdmin.okUnlisted' : result.modelListed ? 'aiAdmin.ok' : 'aiAdmin.okModelMissing';
    return { ok: result.modelListed !== false, message: t(key, { ...names, ms: result.latencyMs }) };
  }
  const detail = showReason ? result.reason : result.status ? `HTTP ${result.status}` : undefined;
  return {
    ok: false,
    message: t(FAILURE_KEYS[result.kind], { ...names, ms: settings.timeoutMs }),
    ...(detail ? { detail } : {}),
  };
}

export function aiProviderView(choice: ProviderChoice, scope: string, test?: AiProviderView['test']): AiProviderView {
  const p = choice.provider;
  const own = choice.source === (scope === INSTANCE ? 'instance' : 'platform');
  if (!p) return { configured: false, source: choice.source, own, name: choice.name };
  return {
    configured: true,
    source: choice.source,
    own,
    name: choice.name,
    baseUrl: displayUrl(p.settings.baseUrl),
    model: p.settings.model,
    keySet: Boolean(p.settings.apiKey),
    ...(choice.keyUnreadable ? { keyUnreadable: true } : {}),
    timeoutMs: p.settings.timeoutMs,
    ...(test ? { test } : {}),
  };
}

/**
 * The provider form of a scope (a platform admin: their platform's key; the operator: `*`): switch,
 * or `reset` to what the scope inherits. Returns the change for the change log — what changed,
 * never the key — or the form's problems.
 */
export async function applyProviderForm(
  deps: AiAdminDeps,
  scope: string,
  body: unknown,
  by: string,
  locale: Locale,
): Promise<{ ok: true; action: string; detail: Record<string, unknown> } | { ok: false; problems: string[] }> {
  const form = { ...(body as Record<string, unknown>) };
  const reset = form.reset === '1';
  for (const k of ['ltik', 'csrf', 'reset']) delete form[k];
  if (reset) {
    await deps.source.reset(scope);
    return { ok: true, action: 'ai.providerReset', detail: {} };
  }
  // Checked here first, to name each field in the admin's language (the source checks again).
  if (!validateProviderForm(form)) {
    const t = translator(locale);
    const label: Record<string, string> = {
      '/baseUrl': t('aiAdmin.baseUrl'),
      '/model': t('aiAdmin.model'),
      '/name': t('aiAdmin.name'),
      '/apiKey': t('aiAdmin.key'),
    };
    return { ok: false, problems: formProblems(validateProviderForm.errors, locale, (path) => label[path]) };
  }
  const saved = await deps.source.set(scope, form, by);
  if (!saved.ok) return saved;
  return {
    ok: true,
    action: 'ai.providerSet',
    detail: { baseUrl: displayUrl(String(form.baseUrl)), model: form.model, name: form.name, key: saved.key },
  };
}

/** The provider in force for a scope, for the admin page. */
export async function currentProviderView(deps: AiAdminDeps, scope: string): Promise<AiProviderView> {
  return aiProviderView(await deps.source.current(scope), scope);
}

/** Runs the test of the scope's provider (when one is in force) and returns the view with its result. */
export async function testedProviderView(deps: AiAdminDeps, t: Translate, scope: string): Promise<AiProviderView> {
  const choice = await deps.source.current(scope);
  if (!choice.provider) return aiProviderView(choice, scope);
  const result = await choice.provider.testConnection();
  return aiProviderView(
    choice,
    scope,
    connectionMessage(result, choice.provider.settings, t, scope === INSTANCE, choice.source),
  );
}
