/**
 * Putting scores into the outbox and reading where each one is. Enqueueing is one insert: when it
 * returns, the score is durable and the worker will deliver it or report why it could not.
 */
import {
  Delivery, OutboxItem, deliveryIdOf, outboxIdOf,
  type DeliveryDoc, type DeliveryKind, type OutboxItemDoc, type ScorePayload,
} from './models';
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
    const queued = (await OutboxItem.find({ deliveryId }, { second: 1 }).lean<Array<Pick<OutboxItemDoc, 'second'>>>()).map((q) => q.second);
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
          _id: outboxIdOf(deliveryId, second), deliveryId,
          courseKey: input.courseKey, activityId: input.activityId, userId: input.userId,
          kind: input.kind, second, payload: input.payload, by: input.by, createdAt: new Date(this.now()),
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
    const queued = await OutboxItem.find({ deliveryId }, { second: 1, kind: 1 }).lean<Array<Pick<OutboxItemDoc, 'second' | 'kind'>>>();
    if (queued.some((q) => q.kind === 'grade' && q.second >= second)) return true;
    const status = await Delivery.findById(deliveryId).lean<DeliveryDoc>();
    return Boolean((status?.sentKind === 'grade' && (status.sentSecond ?? -1) >= second) || (status?.failed?.kind === 'grade' && status.failed.second >= second));
  }

  /** Sends again what the platform refused, as a new (later) score. */
  async retryFailed(courseKey: string, activityId: string, userId: string, by: { id: string; name?: string }): Promise<boolean> {
    const deliveryId = deliveryIdOf(activityId, userId);
    const status = await Delivery.findById(deliveryId).lean<DeliveryDoc>();
    if (!status?.failed || status.courseKey !== courseKey) return false;
    // A newer score queued or sent since (a second review, another tab) wins over the refused one.
    const { last } = await this.usedSeconds(deliveryId);
    if (last > status.failed.second) return false;
    await this.enqueue({ courseKey, activityId, userId, kind: status.failed.kind, payload: status.failed.payload, by });
    return true;
  }

  /** Every delivery of a course (or of one activity), by delivery id. Two reads, whatever the class size. */
  async viewsForCourse(courseKey: string, activityId?: string): Promise<Map<string, DeliveryView>> {
    const filter = activityId ? { courseKey, activityId } : { courseKey };
    const [queued, statuses] = await Promise.all([
      OutboxItem.find(filter, { deliveryId: 1, second: 1, kind: 1, createdAt: 1 }).lean<Array<Pick<OutboxItemDoc, 'deliveryId' | 'second' | 'kind' | 'createdAt'>>>(),
      Delivery.find(filter, { history: 0 }).lean<DeliveryDoc[]>(),
    ]);
    const latestQueued = new Map<string, Pick<OutboxItemDoc, 'second' | 'kind' | 'createdAt'>>();
    for (const q of queued) {
      const seen = latestQueued.get(q.deliveryId);
      if (!seen || q.second > seen.second) latestQueued.set(q.deliveryId, q);
    }
    const views = new Map<string, DeliveryView>();
    const byId = new Map(statuses.map((s) => [s._id, s]));
    for (const s of statuses) {
      if (s.failed && (s.sentSecond ?? -1) < s.failed.second) views.set(s._id, { state: 'failed', kind: s.failed.kind, reason: s.failed.reason, at: s.failed.at });
      else if (s.sentAt) views.set(s._id, { state: 'sent', kind: s.sentKind ?? 'grade', sentAt: s.sentAt, second: s.sentSecond ?? 0, score: s.sentScore });
    }
    for (const [deliveryId, q] of latestQueued) {
      const s = byId.get(deliveryId);
      if (s && (s.sentSecond ?? -1) >= q.second) continue; // already delivered, its record not yet cleared
      views.set(deliveryId, { state: 'waiting', kind: q.kind, queuedAt: q.createdAt, attempts: s?.attempts ?? 0, nextAttemptAt: s?.nextAttemptAt, lastError: s?.lastError });
    }
    return views;
  }

  async view(activityId: string, userId: string, courseKey: string): Promise<DeliveryView | undefined> {
    const deliveryId = deliveryIdOf(activityId, userId);
    const views = await this.viewsForCourse(courseKey, activityId);
    return views.get(deliveryId);
  }

  async history(activityId: string, userId: string): Promise<DeliveryDoc | null> {
    return Delivery.findById(deliveryIdOf(activityId, userId)).lean<DeliveryDoc>();
  }
}
