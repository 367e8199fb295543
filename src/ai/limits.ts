/**
 * What may stop an AI turn before it reaches the provider: a circuit breaker while the provider
 * keeps failing, a per-person rate limit, and token budgets (per person per day, per course per
 * month). Each stop sends the turn to the offline engine with a clear reason, never an error page.
 */
import { wibDay, wibMonth } from '../domain/time';
import { Schema } from 'mongoose';
import { defineModel, retryLostUpsert } from '../db/model';

export type LimitReason = 'breakerOpen' | 'rateLimited' | 'userBudget' | 'courseBudget';

/**
 * Closed while the provider answers; open for `cooldownMs` after `failures` failures in a row;
 * then half-open: one turn goes through, and its outcome closes or reopens it. Per instance: each
 * instance finds out about a failing provider by itself, within `failures` turns.
 */
export class CircuitBreaker {
  private consecutive = 0;
  private openUntil = 0;
  private probing = false;

  constructor(
    private readonly failures: number,
    private readonly cooldownMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** May a turn call the provider now? (In half-open state only one may, until it reports.) */
  allow(): boolean {
    if (this.openUntil === 0) return true;
    if (this.now() < this.openUntil || this.probing) return false;
    this.probing = true;
    return true;
  }

  succeeded(): void {
    this.consecutive = 0;
    this.openUntil = 0;
    this.probing = false;
  }

  failed(): void {
    this.consecutive += 1;
    this.probing = false;
    if (this.consecutive >= this.failures || this.openUntil !== 0) this.openUntil = this.now() + this.cooldownMs;
  }

  get state(): 'closed' | 'open' | 'halfOpen' {
    if (this.openUntil === 0) return 'closed';
    return this.now() < this.openUntil ? 'open' : 'halfOpen';
  }
}

/**
 * One breaker per provider address: each platform may have its own provider, and one platform's
 * failing server must not send every other platform's turns to the offline engine.
 */
export class CircuitBreakers {
  private readonly breakers = new Map<string, CircuitBreaker>();

  constructor(
    private readonly failures: number,
    private readonly cooldownMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  for(baseUrl: string): CircuitBreaker {
    let breaker = this.breakers.get(baseUrl);
    if (!breaker) {
      if (this.breakers.size > 1000) this.breakers.clear();
      breaker = new CircuitBreaker(this.failures, this.cooldownMs, this.now);
      this.breakers.set(baseUrl, breaker);
    }
    return breaker;
  }
}

/** At most `max` turns per person in any `windowMs` (per instance; a person's turns mostly reach one instance). */
export class RateLimiter {
  private readonly turns = new Map<string, number[]>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  take(key: string): boolean {
    const since = this.now() - this.windowMs;
    const recent = (this.turns.get(key) ?? []).filter((t) => t > since);
    if (recent.length >= this.max) {
      this.turns.set(key, recent);
      return false;
    }
    recent.push(this.now());
    this.turns.set(key, recent);
    if (this.turns.size > 50_000) this.turns.clear();
    return true;
  }
}

interface UsageDoc {
  _id: string;
  tokens: number;
  turns: number;
  updatedAt: Date;
}

const usageSchema = new Schema<UsageDoc>(
  {
    _id: { type: String, required: true },
    tokens: { type: Number, default: 0 },
    turns: { type: Number, default: 0 },
    updatedAt: Date,
  },
  { collection: 'ai_usage', autoIndex: false, _id: false },
);

export const Usage = defineModel('AiUsage', usageSchema);

/** Day and month in Indonesia's western zone (WIB, UTC+7): a budget day ends at local midnight. */
export function budgetPeriods(at: Date): { day: string; month: string } {
  return { day: wibDay(at), month: wibMonth(at) };
}

export const userUsageId = (userKey: string, day: string) => `user:${userKey}:${day}`;
export const courseUsageId = (courseKey: string, month: string) => `course:${courseKey}:${month}`;

export interface BudgetSettings {
  userDailyTokens: number;
  courseMonthlyTokens: number;
}

/**
 * Token budgets, counted in the database by `_id` (one counter per person and day, per course and
 * month), with `$inc`: exact on MongoDB and the embedded default (test/unit/db/); on FerretDB two
 * turns finishing at the same instant may count once.
 */
export class TokenBudgets {
  /** `settings`: fixed, or read at each check for the person's platform (its admin may change them while Cermin runs). */
  constructor(
    private readonly settings: BudgetSettings | ((platform: string) => Promise<BudgetSettings>),
    private readonly now: () => Date = () => new Date(),
  ) {}

  async check(userKey: string, courseKey: string, platform: string): Promise<'ok' | 'userBudget' | 'courseBudget'> {
    const limits = typeof this.settings === 'function' ? await this.settings(platform) : this.settings;
    const { day, month } = budgetPeriods(this.now());
    const [user, course] = await Promise.all([
      Usage.findById(userUsageId(userKey, day)).lean<UsageDoc>(),
      Usage.findById(courseUsageId(courseKey, month)).lean<UsageDoc>(),
    ]);
    if ((course?.tokens ?? 0) >= limits.courseMonthlyTokens) return 'courseBudget';
    if ((user?.tokens ?? 0) >= limits.userDailyTokens) return 'userBudget';
    return 'ok';
  }

  async spend(userKey: string, courseKey: string, tokens: number): Promise<void> {
    const { day, month } = budgetPeriods(this.now());
    const update = { $inc: { tokens, turns: 1 }, $set: { updatedAt: this.now() } };
    const add = (_id: string) => retryLostUpsert(() => Usage.updateOne({ _id }, update, { upsert: true }));
    await Promise.all([add(userUsageId(userKey, day)), add(courseUsageId(courseKey, month))]);
  }
}
