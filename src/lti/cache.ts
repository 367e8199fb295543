/**
 * A value loaded on demand and kept for a while. Invalidated at once on this instance when it
 * changes here, and by age elsewhere: other instances behind the load balancer learn of a new
 * platform within `ttlMs`.
 */
export interface Cached<T> {
  get(): Promise<T>;
  invalidate(): void;
}

export function cached<T>(load: () => Promise<T>, ttlMs: number, now: () => number = Date.now): Cached<T> {
  let value: Promise<T> | undefined;
  let loadedAt = 0;
  return {
    get() {
      if (!value || now() - loadedAt > ttlMs) {
        loadedAt = now();
        value = load().catch((err) => {
          value = undefined; // a failed load is retried by the next caller
          throw err;
        });
      }
      return value;
    },
    invalidate() {
      value = undefined;
    },
  };
}
