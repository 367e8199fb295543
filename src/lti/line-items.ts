/**
 * Keeps a gradebook column in step with its activity (label, maximum score) through AGS. The
 * activity is saved first; this only follows it, and a failure is reported, never thrown away.
 */
import type { LtijsProvider, LtijsToken } from './ltijs';

export interface LineItemUpdate { scoreMaximum: number; label: string }

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer from the platform within ${ms} ms`)), ms);
    promise.then((v) => { clearTimeout(timer); resolve(v); }, (e) => { clearTimeout(timer); reject(e); });
  });
}

/** Reads the column and writes it back changed (PUT needs the whole line item). */
export async function updateLineItem(provider: LtijsProvider, token: LtijsToken, lineItemUrl: string, update: LineItemUpdate, timeoutMs = 10000): Promise<void> {
  const current = await withTimeout(provider.Grade.getLineItemById(token, lineItemUrl), timeoutMs);
  await withTimeout(provider.Grade.updateLineItemById(token, lineItemUrl, { ...current, scoreMaximum: update.scoreMaximum, label: update.label }), timeoutMs);
}

/** A platform error's reason, short enough to show a coach. */
export function platformReason(err: unknown): string {
  const e = err as { response?: { statusCode?: number; body?: unknown }; message?: string };
  if (e.response?.statusCode) return `HTTP ${e.response.statusCode} ${String(e.response.body ?? '').slice(0, 200)}`.trim();
  return String(e.message ?? err).slice(0, 200);
}
