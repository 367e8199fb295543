/**
 * Putting scores into the outbox and reading where each one is. Enqueueing is one insert: when it
 * returns, the score is durable and the worker will deliver it or report why it could not.
 */
import {
  Delivery,
  OutboxItem,
  deliveryIdOf,
  outboxIdOf,
  type DeliveryDoc,
  type DeliveryKind,
  type OutboxItemDoc,
  type ScorePayload,
} from './models';
import mongoose from 'mongoose';
import { nextScoreSecond } from './policy';
import { courseScope, markChanged } from '../db/change-marks';
import { isDuplicateKey } from '../db/model';

export interface EnqueueInput {
  courseKey: string;
  activityId: string;
  userId: string;
  kind: DeliveryKind;
  payload: ScorePayload;
  by: { id: string; name?: string };
}

/** What a coach sees for one participant and activity. */
export type DeliveryView =
  | { state: 'waiting'; kind: DeliveryKind; queuedAt: Date; attempts: number; nextAttemptAt?: Date; lastError?: string }
  | { state: 'sent'; kind: DeliveryKind; sentAt: Date; second: number; score?: number }
  | { state: 'failed'; kind: DeliveryKind; reason: string; at: Date };

export class GradeOutbox {
  private wakeWorker: () => void = () => undefined;

  constructor(private readonly now: () => number = Date.now) {}

  /** The worker of this instance, told when there is something new (others find it by polling). */
  onEnqueued(wake: () => void): void {
    this.wakeWorker = wake;
  }

  /** Every second this delivery has queued, sent or had refused: a new score must come after all of them. */
  private async usedSeconds(deliveryId: string): Promise<{ queued: number[]; last: number }> {
    // Queued first, then the record: a score sent in between is in one or the other (the worker
    // writes the record before it clears the outbox), never in neither.
    const queued = (
      await OutboxItem.find({ deliveryId }, { second: 1 }).lean<Array<Pick<OutboxItemDoc, 'second'>>>()
    ).map((q) => q.second);
    const status = await Delivery.findById(deliveryId).lean<DeliveryDoc>();
    return { queued, last: Math.max(-1, ...queued, status?.sentSecond ?? -1, status?.failed?.second ?? -1) };
  }

  async enqueue(input: EnqueueInput): Promise<{ deliveryId: string; second: number }> {
    const deliveryId = deliveryIdOf(input.activityId, input.userId);
    const { last } = await this.usedSeconds(deliveryId);
    let second = nextScoreSecond(this.now(), last < 0 ? undefined : last);
    // Each second holds one score of a delivery: one taken meanwhile (a score queued at the same moment) moves us on.
    for (let tries = 0; ; tries += 1, second += 1) {
      try {
        await OutboxItem.create({
          _id: outboxIdOf(deliveryId, second),
          deliveryId,
          courseKey: input.courseKey,
          activityId: input.activityId,
          userId: input.userId,
          kind: input.kind,
          second,
          payload: input.payload,
          by: input.by,
          createdAt: new Date(this.now()),
        });
        break;
      } catch (err) {
        if (!isDuplicateKey(err) || tries >= 60) throw err;
      }
    }
    await markChanged(courseScope(input.courseKey, 'grades'));
    this.wakeWorker();
    return { deliveryId, second };
  }

  /** Whether a grade stamped at `second` or later is queued, sent or was refused for this person and activity. */
  async hasGradeSince(activityId: string, userId: string, second: number): Promise<boolean> {
    const deliveryId = deliveryIdOf(activityId, userId);
    const queued = await OutboxItem.find({ deliveryId }, { second: 1, kind: 1 }).lean<
      Array<Pick<OutboxItemDoc, 'second' | 'kind'>>
    >();
    if (queued.some((q) => q.kind === 'grade' && q.second >= second)) return true;
    const status = await Delivery.findById(deliveryId).lean<DeliveryDoc>();
    return Boolean(
      (status?.sentKind === 'grade' && (status.sentSecond ?? -1) >= second) ||
      (status?.failed?.kind === 'grade' && status.failed.second >= second),
    );
  }

  /** Sends again what the platform refused, as a new (later) score. */
  async retryFailed(
    courseKey: string,
    activityId: string,
    userId: string,
    by: { id: string; name?: string },
  ): Promise<boolean> {
    const deliveryId = deliveryIdOf(activityId, userId);
    const status = await Delivery.findById(deliveryId).lean<DeliveryDoc>();
    if (!status?.failed || status.courseKey !== courseKey) return false;
    // A newer score queued or sent since (a second review, another tab) wins over the refused one.
    const { last } = await this.usedSeconds(deliveryId);
    if (last > status.failed.second) return false;
    await this.enqueue({ courseKey, activityId, userId, kind: status.failed.kind, payload: status.failed.payload, by });
    return true;
  }

  /** Every delivery of a course, by delivery id. Two reads, whatever the class size. */
  async viewsForCourse(courseKey: string): Promise<Map<string, DeliveryView>> {
    const [queued, statuses] = await Promise.all([
      OutboxItem.find({ courseKey }, { deliveryId: 1, second: 1, kind: 1, createdAt: 1 }).lean<
        Array<QueuedSummary & Pick<OutboxItemDoc, 'deliveryId'>>
      >(),
      Delivery.find({ courseKey }, { history: 0 }).lean<DeliveryDoc[]>(),
    ]);
    const latestQueued = new Map<string, QueuedSummary>();
    for (const q of queued) {
      const seen = latestQueued.get(q.deliveryId);
      if (!seen || q.second > seen.second) latestQueued.set(q.deliveryId, q);
    }
    const byId = new Map(statuses.map((s) => [s._id, s]));
    const views = new Map<string, DeliveryView>();
    for (const id of new Set([...byId.keys(), ...latestQueued.keys()])) {
      const view = viewOf(byId.get(id), latestQueued.get(id));
      if (view) views.set(id, view);
    }
    return views;
  }

  /** One person's delivery for an activity (the review page): its view and its record with the history, read by `_id`. */
  async deliveryOf(activityId: string, userId: string): Promise<{ view?: DeliveryView; record: DeliveryDoc | null }> {
    const deliveryId = deliveryIdOf(activityId, userId);
    const [queued, record] = await Promise.all([
      OutboxItem.find({ deliveryId }, { second: 1, kind: 1, createdAt: 1 }).lean<QueuedSummary[]>(),
      Delivery.findById(deliveryId).lean<DeliveryDoc>(),
    ]);
    const latest = queued.reduce<QueuedSummary | undefined>(
      (best, q) => (!best || q.second > best.second ? q : best),
      undefined,
    );
    return { view: viewOf(record ?? undefined, latest), record };
  }

  /** Whether Cermin has queued or sent anything (a grade or a "submitted" progress) to an activity's column. */
  async anyFor(courseKey: string, activityId: string): Promise<boolean> {
    const [delivery, queued] = await Promise.all([
      Delivery.exists({ courseKey, activityId }),
      OutboxItem.exists({ courseKey, activityId }),
    ]);
    return delivery !== null || queued !== null;
  }

  /** Deliveries the platform refused for good, in the given courses (the admin's view across courses), newest first. */
  async failedInCourses(courseKeys: string[]): Promise<DeliveryDoc[]> {
    const failed = await Delivery.find(
      { courseKey: mongoose.trusted({ $in: courseKeys }), failed: mongoose.trusted({ $exists: true }) },
      { history: 0 },
    ).lean<DeliveryDoc[]>();
    return failed.sort((a, b) => new Date(b.failed?.at ?? 0).getTime() - new Date(a.failed?.at ?? 0).getTime());
  }
}

type QueuedSummary = Pick<OutboxItemDoc, 'second' | 'kind' | 'createdAt'>;

/** Where a delivery stands: a later queued score waits; otherwise its record says refused or sent. */
function viewOf(status: DeliveryDoc | undefined, latestQueued: QueuedSummary | undefined): DeliveryView | undefined {
  // A queued score already delivered (its outbox record not yet cleared) does not count as waiting.
  if (latestQueued && (status?.sentSecond ?? -1) < latestQueued.second) {
    return {
      state: 'waiting',
      kind: latestQueued.kind,
      queuedAt: latestQueued.createdAt,
      attempts: status?.attempts ?? 0,
      nextAttemptAt: status?.nextAttemptAt,
      lastError: status?.lastError,
    };
  }
  if (status?.failed && (status.sentSecond ?? -1) < status.failed.second)
    return { state: 'failed', kind: status.failed.kind, reason: status.failed.reason, at: status.failed.at };
  if (status?.sentAt)
    return {
      state: 'sent',
      kind: status.sentKind ?? 'grade',
      sentAt: status.sentAt,
      second: status.sentSecond ?? 0,
      score: status.sentScore,
    };
  return undefined;
}
