/** Grade delivery rules, pure: backoff, Retry-After, score timestamps, lease slots, reasons. */
import {
  backoffMs,
  heldUntilMs,
  leaseSlot,
  mayStartAttempt,
  nextScoreSecond,
  retryDelayMs,
  shortReason,
} from '../../../src/grades/policy';

const low = () => 0;
const high = () => 0.999;
const policy = { baseMs: 1000, maxMs: 60_000 };

describe('backoffMs', () => {
  test('doubles with each attempt (lowest jitter: half of base·2^(n−1))', () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffMs(n, 1000, 60_000, low))).toEqual([500, 1000, 2000, 4000, 8000]);
  });

  test('highest jitter stays just under the full exponential value', () => {
    // 0.5 + 0.5·0.999 = 0.9995
    expect(backoffMs(1, 1000, 60_000, high)).toBe(1000); // 999.5 rounds up
    expect(backoffMs(3, 1000, 60_000, high)).toBe(3998);
    expect(backoffMs(5, 1000, 60_000, high)).toBe(15_992);
  });

  test('is capped at maxMs before the jitter', () => {
    expect(backoffMs(7, 1000, 60_000, low)).toBe(30_000); // 64 000 capped to 60 000, then half
    expect(backoffMs(7, 1000, 60_000, high)).toBe(59_970);
    expect(backoffMs(50, 1000, 60_000, high)).toBe(59_970);
    expect(backoffMs(10_000, 1000, 60_000, low)).toBe(30_000); // huge attempt counts do not overflow
  });

  test('attempt 0 or below counts as the first', () => {
    expect(backoffMs(0, 1000, 60_000, low)).toBe(500);
    expect(backoffMs(-3, 1000, 60_000, high)).toBe(1000);
  });

  test('jitter stays within 50–100 % of the capped value', () => {
    for (const attempt of [1, 2, 4, 6, 7, 12]) {
      const full = Math.min(60_000, 1000 * 2 ** (attempt - 1));
      for (const r of [0, 0.1, 0.25, 0.5, 0.75, 0.999]) {
        const ms = backoffMs(attempt, 1000, 60_000, () => r);
        expect(ms).toBeGreaterThanOrEqual(full / 2);
        expect(ms).toBeLessThanOrEqual(full);
      }
    }
  });

  test('uses Math.random by default, within bounds', () => {
    for (let i = 0; i < 50; i += 1) {
      const ms = backoffMs(4, 1000, 60_000);
      expect(ms).toBeGreaterThanOrEqual(4000);
      expect(ms).toBeLessThanOrEqual(8000);
    }
  });
});

describe('retryDelayMs', () => {
  test('without Retry-After it is the backoff', () => {
    expect(retryDelayMs(3, policy, undefined, low)).toBe(2000);
    expect(retryDelayMs(3, policy, undefined, high)).toBe(3998);
    expect(retryDelayMs(30, policy, undefined, high)).toBe(59_970);
  });

  test('Retry-After longer than the backoff is respected exactly', () => {
    expect(retryDelayMs(1, policy, 5000, low)).toBe(5000);
    expect(retryDelayMs(1, policy, 5000, high)).toBe(5000);
  });

  test('never sooner than asked, but the backoff wins when it is longer', () => {
    expect(retryDelayMs(3, policy, 100, high)).toBe(3998);
    expect(retryDelayMs(3, policy, 0, low)).toBe(2000);
  });

  test('a Retry-After beyond the cap is still respected (never sooner than asked)', () => {
    expect(retryDelayMs(1, policy, 120_000, low)).toBe(120_000);
    expect(retryDelayMs(30, policy, 120_000, high)).toBe(120_000);
  });

  test('with a Retry-After inside the cap the delay never exceeds the cap', () => {
    for (const attempt of [1, 5, 10, 40]) {
      for (const r of [low, high]) {
        const ms = retryDelayMs(attempt, policy, 59_000, r);
        expect(ms).toBeGreaterThanOrEqual(59_000);
        expect(ms).toBeLessThanOrEqual(60_000);
      }
    }
    expect(retryDelayMs(40, policy, 59_000, high)).toBe(59_970);
    expect(retryDelayMs(40, policy, 59_000, low)).toBe(59_000);
  });
});

describe('nextScoreSecond', () => {
  const t = 1_700_000_000_000;

  test('the first score takes the current whole second', () => {
    expect(nextScoreSecond(t + 999, undefined)).toBe(1_700_000_000);
    expect(nextScoreSecond(t, undefined)).toBe(1_700_000_000);
  });

  test('strictly increasing whole seconds even when called several times within one second', () => {
    let last: number | undefined;
    const seconds: number[] = [];
    for (const offset of [0, 120, 340, 999]) {
      last = nextScoreSecond(t + offset, last);
      seconds.push(last);
    }
    expect(seconds).toEqual([1_700_000_000, 1_700_000_001, 1_700_000_002, 1_700_000_003]);
    for (const s of seconds) expect(Number.isInteger(s)).toBe(true);
  });

  test('a last second in the future is followed by the one after it', () => {
    expect(nextScoreSecond(t, 1_700_000_010)).toBe(1_700_000_011);
    expect(nextScoreSecond(t, 1_700_000_000)).toBe(1_700_000_001); // same second as now
  });

  test('a last second in the past does not hold the clock back', () => {
    expect(nextScoreSecond(t + 500, 1_699_999_000)).toBe(1_700_000_000);
    expect(nextScoreSecond(t, 1_699_999_999)).toBe(1_700_000_000);
  });
});

describe('lease slots', () => {
  const lease = 30_000;

  test('a slot is the whole number of leases since the epoch', () => {
    expect(leaseSlot(0, lease)).toBe(0);
    expect(leaseSlot(29_999, lease)).toBe(0);
    expect(leaseSlot(30_000, lease)).toBe(1);
    expect(leaseSlot(125_000, lease)).toBe(4);
  });

  test('held time ends at the end of the last slot held', () => {
    expect(heldUntilMs(4, 1, lease)).toBe(150_000);
    expect(heldUntilMs(4, 2, lease)).toBe(180_000);
    expect(heldUntilMs(0, 1, lease)).toBe(30_000);
  });

  test('an attempt may start only if it ends inside the held time with the margin', () => {
    const now = 125_000;
    const oneSlot = heldUntilMs(leaseSlot(now, lease), 1, lease); // 150 000: 25 s left
    expect(mayStartAttempt(now, 20_000, oneSlot)).toBe(true); // ends 146 000
    expect(mayStartAttempt(now, 24_000, oneSlot)).toBe(true); // 125 000 + 24 000 + 1 000 = 150 000 exactly
    expect(mayStartAttempt(now, 24_001, oneSlot)).toBe(false);
    expect(mayStartAttempt(now, 25_000, oneSlot)).toBe(false); // fits only without the margin
    expect(mayStartAttempt(now, 25_000, oneSlot, 0)).toBe(true);
    expect(mayStartAttempt(now, 20_000, oneSlot, 5_000)).toBe(true);
    expect(mayStartAttempt(now, 20_000, oneSlot, 5_001)).toBe(false);
  });

  test('holding the next slot too lets a late attempt start', () => {
    const now = 149_000; // 1 s left in slot 4
    const slot = leaseSlot(now, lease);
    expect(mayStartAttempt(now, 20_000, heldUntilMs(slot, 1, lease))).toBe(false);
    expect(mayStartAttempt(now, 20_000, heldUntilMs(slot, 2, lease))).toBe(true);
    expect(mayStartAttempt(now, 30_000, heldUntilMs(slot, 2, lease))).toBe(true); // 180 000 exactly
    expect(mayStartAttempt(now, 30_001, heldUntilMs(slot, 2, lease))).toBe(false);
  });
});

describe('shortReason', () => {
  test('folds whitespace into one line', () => {
    expect(shortReason('  HTTP 403:\n\tForbidden \r\n  by  platform  ')).toBe('HTTP 403: Forbidden by platform');
    expect(shortReason('')).toBe('');
  });

  test('keeps up to 240 characters, cuts longer ones to 237 plus an ellipsis', () => {
    const exact = 'x'.repeat(240);
    expect(shortReason(exact)).toBe(exact);
    const long = 'y'.repeat(241);
    const cut = shortReason(long);
    expect(cut).toBe(`${'y'.repeat(237)}…`);
    expect(cut).toHaveLength(238);
  });

  test('measures after folding whitespace', () => {
    const spaced = `${'a'.repeat(120)}${' '.repeat(500)}${'b'.repeat(119)}`;
    expect(shortReason(spaced)).toBe(`${'a'.repeat(120)} ${'b'.repeat(119)}`);
  });
});
