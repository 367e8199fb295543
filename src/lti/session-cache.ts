/**
 * A short-lived memory cache in front of ltijs's session records. ltijs reads the `idtoken` and
 * `contexttoken` of the ltik on every request, two database round trips on every autosave
 * (bench/autosave). The records only change when a launch replaces them, which goes through the
 * same object, so this instance stays exact; other instances see a relaunch within `ttlMs`. The
 * ltik itself is still verified on every request.
 */
import { LRUCache } from 'lru-cache';
import type { LtijsDatabase } from './ltijs';

const CACHED = new Set(['idtoken', 'contexttoken']);

export function cacheSessionRecords(db: LtijsDatabase, ttlMs = 60_000, maxEntries = 20_000): { clear(): void } {
  const cache = new LRUCache<string, Array<Record<string, unknown>>>({ max: maxEntries, ttl: ttlMs });
  const keyOf = (collection: string, query: Record<string, unknown> | undefined) =>
    `${collection}\u0000${JSON.stringify(query ?? {})}`;
  const copy = (v: Array<Record<string, unknown>>) => JSON.parse(JSON.stringify(v)) as Array<Record<string, unknown>>;
  const get = db.Get.bind(db);
  const replace = db.Replace.bind(db);

  db.Get = async (key, collection, query) => {
    if (key !== false || !CACHED.has(collection)) return get(key, collection, query);
    const k = keyOf(collection, query);
    const hit = cache.get(k);
    if (hit) return copy(hit);
    const value = await get(key, collection, query);
    if (value) cache.set(k, copy(value));
    return value;
  };
  db.Replace = async (key, collection, query, item, index) => {
    if (CACHED.has(collection)) cache.delete(keyOf(collection, query));
    return replace(key, collection, query, item, index);
  };
  return { clear: () => cache.clear() };
}
