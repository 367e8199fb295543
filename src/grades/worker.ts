/**
 * The delivery worker: takes due scores from the outbox, one lease per delivery, and sends each
 * to the platform's gradebook. Every instance may run one; a crash mid-send is resumed by whoever
 * holds the lease next, and a send whose outcome is unknown is resent with the same timestamp, so
 * a platform that already has it answers 409 and the score is counted once.
 */
import type { GradeOutbox } from './outbox';
import type { Logger } from 'pino';
import { findOrCreateLineItem, postScore } from '../lti/ags';
import { ServiceError, type PlatformRef, type PlatformServices } from '../lti/platform-services';
import { Leases } from './lease';
import {
  Column,
  Delivery,
  OutboxItem,
  outboxIdOf,
  type DeliveryAttempt,
  type DeliveryDoc,
  type OutboxItemDoc,
} from './models';
import { mayStartAttempt, retryDelayMs, shortReason } from './policy';
import { courseScope, markChanged } from '../db/change-marks';
import { putById } from '../db/model';

/** Where an activity's scores go, as known now (read at every attempt, so a later launch's line item URL is used). */
export interface DeliveryTarget {
  platform: PlatformRef;
  lineItemUrl?: string;
  lineItemsUrl?: string;
  resourceLinkId?: string;
  resourceId: string;
  tag: string;
  label: string;
  scoreMaximum: number;
}

export interface GradeWorkerSettings {
  pollMs: number;
  attemptTimeoutMs: number;
  leaseSeconds: number;
  concurrency: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
}

export interface GradeWorkerDeps {
  services: PlatformServices;
  /** The outbox whose every enqueue wakes this worker (else it finds new work by polling). */
  outbox?: Pick<GradeOutbox, 'onEnqueued'>;
  /** null: the activity is gone (the delivery fails for good). */
  targetOf(courseKey: string, activityId: string): Promise<DeliveryTarget | null>;
  owner: string;
  settings: GradeWorkerSettings;
  log: Logger;
  now?: () => number;
  random?: () => number;
  /** Where each attempt's outcome is counted (a prom-client counter with an `outcome` label). */
  outcomes?: { inc(labels: { outcome: DeliveryAttempt['outcome'] }): void };
}

type AttemptResult =
  | { outcome: 'sent'; detail?: string; lineItemUrl: string }
  | { outcome: 'retry'; reason: string; retryAfterMs?: number; maybeDelivered: boolean; lineItemUrl?: string }
  | { outcome: 'failed'; reason: string; lineItemUrl?: string };

const HISTORY_KEPT = 20;
/** Kept free at the end of a lease for writing the outcome. */
const LEASE_RESERVE_MS = 2000;
/** Deliveries per lane in one round (see runOnce). */
const ROUND_PER_LANE = 8;

function shuffle<T>(list: T[], random: () => number): T[] {
  for (let i = list.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [list[i], list[j]] = [list[j], list[i]];
  }
  return list;
}

export class GradeWorker {
  private readonly now: () => number;
  private readonly leases: Leases;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = true;
  private again = false;
  /** When this instance last learned each delivery is next due: skips re-reading what is waiting. */
  private readonly dueAt = new Map<string, number>();

  constructor(private readonly deps: GradeWorkerDeps) {
    this.now = deps.now ?? Date.now;
    this.leases = new Leases(deps.owner, deps.settings.leaseSeconds * 1000, this.now);
    deps.outbox?.onEnqueued(() => this.wake());
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops polling and waits for the attempts in flight to finish (their results are written). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** Something was enqueued on this instance: look now rather than at the next poll. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.running = this.runOnce()
        .then(
          () => undefined,
          (err: unknown) => {
            this.deps.log.error({ err }, 'grade delivery round failed');
          },
        )
        .finally(() => {
          this.running = undefined;
          const next = this.again ? 0 : this.deps.settings.pollMs;
          this.again = false;
          this.schedule(next);
        });
    }, ms);
    this.timer.unref();
  }

  /**
   * One round: up to ROUND_PER_LANE × concurrency of the longest-due deliveries, then the next
   * round straight away if more were due. Short rounds let a retry come back soon after its
   * backoff ends instead of after one pass over everything queued. Returns how many were attempted.
   */
  async runOnce(): Promise<number> {
    const queued = await OutboxItem.find({}, { deliveryId: 1, second: 1 }).lean<
      Array<Pick<OutboxItemDoc, 'deliveryId' | 'second'>>
    >();
    const seconds = new Map<string, number[]>();
    for (const q of queued) seconds.set(q.deliveryId, [...(seconds.get(q.deliveryId) ?? []), q.second]);
    for (const id of this.dueAt.keys()) if (!seconds.has(id)) this.dueAt.delete(id);
    const now = this.now();
    // Oldest first (a retry waits its turn behind scores queued before it came due), shuffled
    // within twice a round so that instances do not all reach for the same leases.
    const dueSince = (id: string) => this.dueAt.get(id) ?? Math.min(...(seconds.get(id) as number[])) * 1000;
    const due = [...seconds.keys()]
      .filter((id) => (this.dueAt.get(id) ?? 0) <= now)
      .sort((a, b) => dueSince(a) - dueSince(b));
    const size = ROUND_PER_LANE * this.deps.settings.concurrency;
    const round = shuffle(due.slice(0, 2 * size), this.deps.random ?? Math.random).slice(0, size);
    if (due.length > round.length) this.again = true;
    let attempted = 0;
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < round.length && !this.stopped) {
        const id = round[next++];
        try {
          if (await this.deliver(id, seconds.get(id) as number[])) attempted += 1;
        } catch (err) {
          // One delivery's trouble (a database hiccup) must not end the round while other lanes still send.
          this.deps.log.error({ err, deliveryId: id }, 'grade delivery failed; it is tried again next round');
        }
      }
    };
    await Promise.all(Array.from({ length: this.deps.settings.concurrency }, lane));
    return attempted;
  }

  /** Delivers the latest queued score of one delivery if it is due and the lease is ours. */
  private async deliver(deliveryId: string, queuedSeconds: number[]): Promise<boolean> {
    const before = await Delivery.findById(deliveryId).lean<DeliveryDoc>();
    if (before?.nextAttemptAt && before.nextAttemptAt.getTime() > this.now()) {
      this.dueAt.set(deliveryId, before.nextAttemptAt.getTime());
      return false;
    }
    const lease = await this.leases.acquire(deliveryId);
    if (!lease) return false;
    try {
      // Read again under the lease: another instance may have sent it a moment ago.
      const status = await Delivery.findById(deliveryId).lean<DeliveryDoc>();
      // Sent, or refused for good (a crash may have kept its outbox record): done either way.
      const settled = Math.max(status?.sentSecond ?? -1, status?.failed?.second ?? -1);
      const latest = Math.max(...queuedSeconds);
      if (latest <= settled) {
        await this.clearQueued(
          deliveryId,
          queuedSeconds.filter((s) => s <= settled),
        );
        return false;
      }
      if (status?.nextAttemptAt && status.nextAttemptAt.getTime() > this.now()) return false;
      const item = await OutboxItem.findById(outboxIdOf(deliveryId, latest)).lean<OutboxItemDoc>();
      if (!item) return false;
      // The attempt, its writes included, must end inside the lease: after it, another instance may begin.
      const deadline = Math.min(this.now() + this.deps.settings.attemptTimeoutMs, lease.heldUntil - LEASE_RESERVE_MS);
      if (!mayStartAttempt(this.now(), this.deps.settings.attemptTimeoutMs, lease.heldUntil - LEASE_RESERVE_MS))
        return false;

      const sameSecond = status?.attemptSecond === latest;
      // An attempt that began and never recorded its end (a crash) may have reached the platform.
      const inDoubt = sameSecond && Boolean(status?.inDoubt || status?.attemptStartedAt);
      const attempts = (sameSecond ? (status?.attempts ?? 0) : 0) + 1;
      const base: DeliveryDoc = status ?? {
        _id: deliveryId,
        courseKey: item.courseKey,
        activityId: item.activityId,
        userId: item.userId,
        attempts: 0,
        history: [],
        updatedAt: new Date(this.now()),
      };
      await this.write({
        ...base,
        attempts,
        attemptSecond: latest,
        attemptStartedAt: new Date(this.now()),
        inDoubt,
        updatedAt: new Date(this.now()),
      });

      const result = await this.attempt(item, base.lineItemUrl, inDoubt, deadline);
      await this.record(item, attempts, inDoubt, result, queuedSeconds);
      await markChanged(courseScope(item.courseKey, 'grades'));
      return true;
    } finally {
      await lease.release();
    }
  }

  private async attempt(
    item: OutboxItemDoc,
    knownLineItemUrl: string | undefined,
    inDoubt: boolean,
    deadline: number,
  ): Promise<AttemptResult> {
    let lineItemUrl: string | undefined;
    // Only a score request that may have gone out makes the outcome unknown (not a failed token or column lookup).
    let scoreSent = false;
    try {
      const target = await this.deps.targetOf(item.courseKey, item.activityId);
      if (!target) return { outcome: 'failed', reason: 'activity-gone' };
      lineItemUrl = target.lineItemUrl ?? knownLineItemUrl ?? (await this.column(item.activityId, target, deadline));
      if (!lineItemUrl) return { outcome: 'retry', reason: 'column-unknown', maybeDelivered: false };
      scoreSent = true;
      await postScore(
        this.deps.services,
        target.platform,
        lineItemUrl,
        {
          ...item.payload,
          userId: item.userId,
          timestamp: new Date(item.second * 1000).toISOString(),
        },
        { deadline },
      );
      return { outcome: 'sent', lineItemUrl };
    } catch (err) {
      if (err instanceof ServiceError) {
        // Resent after an unknown outcome with the same timestamp: 409 means the platform has it.
        if (err.kind === 'conflict' && inDoubt && lineItemUrl)
          return { outcome: 'sent', detail: 'already-at-platform', lineItemUrl };
        if (err.kind === 'conflict')
          return { outcome: 'failed', reason: `newer-at-platform: ${err.reason}`, lineItemUrl };
        if (err.kind === 'refused') return { outcome: 'failed', reason: err.reason, lineItemUrl };
        return {
          outcome: 'retry',
          reason: err.reason,
          retryAfterMs: err.retryAfterMs,
          maybeDelivered: scoreSent && err.maybeDelivered,
          lineItemUrl,
        };
      }
      this.deps.log.error({ err, deliveryId: item.deliveryId }, 'grade delivery attempt failed unexpectedly');
      return {
        outcome: 'retry',
        reason: shortReason(String((err as Error).message ?? err)),
        maybeDelivered: scoreSent,
        lineItemUrl,
      };
    }
  }

  /**
   * The activity's gradebook column when Deep Linking gave none (a link added by hand): found by
   * its resource link and tag, or created once — under its own lease, so two workers never create
   * two columns for one activity.
   */
  private async column(activityId: string, target: DeliveryTarget, deadline: number): Promise<string | undefined> {
    const known = await Column.findById(activityId).lean();
    if (known) return known.url;
    if (!target.lineItemsUrl) return undefined;
    const lease = await this.leases.acquire(`column.${activityId}`);
    if (!lease)
      throw new ServiceError({
        kind: 'transient',
        reason: 'column-being-created',
        maybeDelivered: false,
        retryAfterMs: 1000,
      });
    try {
      const again = await Column.findById(activityId).lean();
      if (again) return again.url;
      const { url } = await findOrCreateLineItem(
        this.deps.services,
        target.platform,
        target.lineItemsUrl,
        {
          resourceLinkId: target.resourceLinkId,
          resourceId: target.resourceId,
          tag: target.tag,
          label: target.label,
          scoreMaximum: target.scoreMaximum,
        },
        { deadline },
      );
      await putById(Column, activityId, { url, createdAt: new Date(this.now()) });
      return url;
    } finally {
      await lease.release();
    }
  }

  /**
   * Writes the attempt's outcome over the record as it is now (read again: an attempt that ran long
   * must not roll back what a later holder wrote), never lowering the second already sent.
   */
  private async record(
    item: OutboxItemDoc,
    attempts: number,
    inDoubt: boolean,
    result: AttemptResult,
    queuedSeconds: number[],
  ): Promise<void> {
    const at = new Date(this.now());
    const base: DeliveryDoc = (await Delivery.findById(item.deliveryId).lean<DeliveryDoc>()) ?? {
      _id: item.deliveryId,
      courseKey: item.courseKey,
      activityId: item.activityId,
      userId: item.userId,
      attempts: 0,
      history: [],
      updatedAt: at,
    };
    const entry = (outcome: DeliveryAttempt['outcome'], detail?: string): DeliveryAttempt[] =>
      [
        ...(base.history ?? []),
        { at, second: item.second, outcome, ...(detail ? { detail: shortReason(detail) } : {}) },
      ].slice(-HISTORY_KEPT);
    const lineItemUrl = result.lineItemUrl ?? base.lineItemUrl;
    const cleared = { attemptStartedAt: undefined, attemptSecond: undefined, nextAttemptAt: undefined, inDoubt: false };
    this.deps.outcomes?.inc({ outcome: result.outcome });
    if ((base.sentSecond ?? -1) > item.second) {
      // Someone delivered a later score meanwhile: this one is superseded whatever happened to it.
      await this.write({ ...base, history: entry('superseded', result.outcome), updatedAt: at });
    } else if (result.outcome === 'sent') {
      await this.write({
        ...base,
        ...cleared,
        attempts: 0,
        lastError: undefined,
        lineItemUrl,
        sentSecond: item.second,
        sentAt: at,
        sentKind: item.kind,
        sentScore: item.payload.scoreGiven,
        failed: base.failed && base.failed.second > item.second ? base.failed : undefined,
        history: entry('sent', result.detail),
        updatedAt: at,
      });
    } else if (result.outcome === 'retry') {
      const wait = retryDelayMs(
        attempts,
        { baseMs: this.deps.settings.backoffBaseMs, maxMs: this.deps.settings.backoffMaxMs },
        result.retryAfterMs,
        this.deps.random,
      );
      const nextAttemptAt = new Date(at.getTime() + wait);
      await this.write({
        ...base,
        ...cleared,
        attempts,
        attemptSecond: item.second,
        inDoubt: inDoubt || result.maybeDelivered,
        nextAttemptAt,
        lastError: shortReason(result.reason),
        lineItemUrl,
        history: entry('retry', result.reason),
        updatedAt: at,
      });
      this.dueAt.set(item.deliveryId, nextAttemptAt.getTime());
      return;
    } else {
      await this.write({
        ...base,
        ...cleared,
        attempts: 0,
        lastError: shortReason(result.reason),
        lineItemUrl,
        failed: {
          second: item.second,
          kind: item.kind,
          payload: item.payload,
          by: item.by,
          reason: shortReason(result.reason),
          at,
        },
        history: entry('failed', result.reason),
        updatedAt: at,
      });
    }
    // Earlier scores never sent are superseded by this one; the record of this one is done.
    await this.clearQueued(
      item.deliveryId,
      queuedSeconds.filter((s) => s <= item.second),
    );
    this.dueAt.delete(item.deliveryId);
  }

  /** Only the lease holder writes a delivery's record: a whole-document write cannot lose another writer's update. */
  private async write(doc: DeliveryDoc): Promise<void> {
    await putById(Delivery, doc._id, { ...doc });
  }

  private async clearQueued(deliveryId: string, seconds: number[]): Promise<void> {
    await Promise.all(seconds.map((s) => OutboxItem.deleteOne({ _id: outboxIdOf(deliveryId, s) })));
  }
}
