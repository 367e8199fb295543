/**
 * The rules of grade delivery, as pure functions: when to try again, which timestamp a new score
 * gets, and which lease slots an attempt may hold. No I/O, so each rule is tested on its own.
 */

/** Exponential backoff with jitter: base·2^(n−1), capped, then a random 50–100 % of it (spreads retries of a whole class). */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.min(30, attempt - 1)));
  return Math.round(exp * (0.5 + 0.5 * random()));
}

/** When to retry: the platform's Retry-After when it gave one (never sooner), else the backoff. */
export function retryDelayMs(
  attempt: number,
  policy: { baseMs: number; maxMs: number },
  retryAfterMs?: number,
  random?: () => number,
): number {
  const backoff = backoffMs(attempt, policy.baseMs, policy.maxMs, random);
  return retryAfterMs !== undefined
    ? Math.min(Math.max(backoff, retryAfterMs), Math.max(policy.maxMs, retryAfterMs))
    : backoff;
}

/**
 * The whole second a new score is stamped with. Moodle keeps grade timestamps in seconds and
 * refuses (409) a score not strictly later than the one it has, so every score for one person and
 * activity gets a later second than any sent before, even when the coach saves twice in a second.
 */
export function nextScoreSecond(nowMs: number, lastSecond: number | undefined): number {
  const now = Math.floor(nowMs / 1000);
  return lastSecond === undefined ? now : Math.max(now, lastSecond + 1);
}

/**
 * Leases live in fixed slots of `leaseMs` (src/db/lease.ts): a worker holds this slot of a
 * delivery and the next; it may start an attempt only if the attempt ends inside what it holds.
 */
export { heldUntilMs, leaseSlot } from '../db/lease';

export function mayStartAttempt(nowMs: number, attemptTimeoutMs: number, heldUntil: number, marginMs = 1000): boolean {
  return nowMs + attemptTimeoutMs + marginMs <= heldUntil;
}

/** What a coach reads as the reason, never longer than a line. */
export function shortReason(reason: string): string {
  const oneLine = reason.replace(/\s+/g, ' ').trim();
  return oneLine.length > 240 ? `${oneLine.slice(0, 237)}…` : oneLine;
}
