/**
 * A change mark per scope (for example one course): a random token rewritten after every change
 * that a cached view of the scope depends on. A reader compares the token it cached with the
 * current one (one read by `_id`) instead of reading the whole scope again. A random token, not a
 * counter: two writers racing on a server whose updates are read-then-write still leave a new value.
 * Writers mark *after* their data is written; readers read the mark *before* the data.
 */
import crypto from 'node:crypto';
import { Schema } from 'mongoose';
import { defineModel, putById } from './model';

interface MarkDoc {
  _id: string;
  token: string;
  at: Date;
}

const markSchema = new Schema<MarkDoc>(
  {
    _id: { type: String, required: true },
    token: { type: String, required: true },
    at: { type: Date, required: true },
  },
  { collection: 'change_marks', autoIndex: false, _id: false },
);

const ChangeMark = defineModel('ChangeMark', markSchema);

export type MarkChange = (scope: string) => Promise<void>;

/** How long a settings cache trusts itself before reading the change mark again (one AI turn asks several times). */
export const MARK_RECHECK_MS = 1000;

export async function markChanged(scope: string): Promise<void> {
  await putById(ChangeMark, scope, { token: crypto.randomBytes(9).toString('base64url'), at: new Date() });
}

/** The scope's current token; 'none' before its first change. */
export async function currentMark(scope: string): Promise<string> {
  return (await ChangeMark.findById(scope).lean<MarkDoc>())?.token ?? 'none';
}

/**
 * A value read from the database and kept until its scope's mark moves: the mark is read at most
 * once per MARK_RECHECK_MS, the value only when the mark changed. `changed()` is for this
 * instance's own writes: it moves the mark (for the other instances) and forgets the value here.
 */
export class MarkedValue<T> {
  private cached?: { checkedAt: number; mark: string; value: T };

  constructor(
    private readonly scope: string,
    private readonly load: () => Promise<T>,
  ) {}

  async get(): Promise<T> {
    if (this.cached && Date.now() - this.cached.checkedAt < MARK_RECHECK_MS) return this.cached.value;
    const mark = await currentMark(this.scope);
    if (this.cached?.mark === mark) {
      this.cached.checkedAt = Date.now();
      return this.cached.value;
    }
    const value = await this.load();
    this.cached = { checkedAt: Date.now(), mark, value };
    return value;
  }

  async changed(): Promise<void> {
    await markChanged(this.scope);
    this.forget();
  }

  /** Reads the value again next time (this instance wrote it, and marked the scope itself). */
  forget(): void {
    this.cached = undefined;
  }
}

/**
 * One MarkedValue per key (a platform, or the instance's `*`), all following one mark: a change to
 * the instance's defaults changes what every platform without its own value reads, so any write
 * makes every key read again.
 */
export class MarkedValues<T> {
  private readonly values = new Map<string, MarkedValue<T>>();

  constructor(
    private readonly scope: string,
    private readonly load: (key: string) => Promise<T>,
    private readonly maxKeys = 10_000,
  ) {}

  get(key: string): Promise<T> {
    let value = this.values.get(key);
    if (!value) {
      if (this.values.size >= this.maxKeys) this.values.clear();
      value = new MarkedValue(this.scope, () => this.load(key));
      this.values.set(key, value);
    }
    return value.get();
  }

  /** This instance's own write: moves the mark (for the other instances) and forgets every value here. */
  async changed(): Promise<void> {
    await markChanged(this.scope);
    for (const value of this.values.values()) value.forget();
  }
}

/** What a course's views are read from, each with its own mark: a change to one re-reads only it. */
export type CourseSource = 'roster' | 'activities' | 'work' | 'reviews' | 'grades' | 'catalog';

export const courseScope = (courseKey: string, source: CourseSource): string => `course:${courseKey}:${source}`;
