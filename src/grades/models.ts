/**
 * The grade outbox. Three collections, each written so that even a server whose conditional
 * updates are not atomic (docs/database.md) cannot lose or double a grade:
 * - `grade_outbox`: one immutable record per score to send, inserted with `_id` (delivery, second).
 *   Inserting it *is* finalizing: once it exists the score will reach the platform or be reported
 *   failed. Only exact-`_id` deletes remove it, after its second (or a later one) is delivered.
 * - `grade_deliveries`: the delivery's state for people (sent / waiting / failed, attempts,
 *   reason). Written only by the worker holding the delivery's lease: one writer at a time.
 * - `grade_leases`: (delivery, slot) records; see policy.ts.
 */
import { Schema } from 'mongoose';
import { leaseModel } from '../db/lease';
import { defineModel } from '../db/model';
import { idOf } from '../db/ids';
import type { AgsScore } from '../lti/ags';

export type DeliveryKind = 'grade' | 'progress';

/** What the platform gets, without its timestamp (the outbox stamps it). */
export type ScorePayload = Omit<AgsScore, 'timestamp' | 'userId'>;

export interface OutboxItemDoc {
  _id: string;
  deliveryId: string;
  courseKey: string;
  activityId: string;
  userId: string;
  kind: DeliveryKind;
  /** Whole second of the score's timestamp; also its order among this delivery's scores. */
  second: number;
  payload: ScorePayload;
  /** Who caused it: the finalizing coach, or the participant who submitted. */
  by: { id: string; name?: string };
  createdAt: Date;
}

export interface DeliveryAttempt {
  at: Date;
  second: number;
  outcome: 'sent' | 'retry' | 'failed' | 'superseded';
  detail?: string;
}

export interface DeliveryDoc {
  _id: string;
  courseKey: string;
  activityId: string;
  userId: string;
  /** Latest second the platform accepted (or already had). */
  sentSecond?: number;
  sentAt?: Date;
  sentKind?: DeliveryKind;
  sentScore?: number;
  /** Attempts at the current second; reset when it is sent or fails. */
  attempts: number;
  nextAttemptAt?: Date;
  lastError?: string;
  /** An attempt began and its outcome is unknown (timeout, crash): the platform may have it. */
  inDoubt?: boolean;
  /** The second the current attempts are for, and when the latest began (cleared when it ends). */
  attemptSecond?: number;
  attemptStartedAt?: Date;
  /** Set when the platform refused for good; kept so the coach can send it again. */
  failed?: {
    second: number;
    kind: DeliveryKind;
    payload: ScorePayload;
    by: { id: string; name?: string };
    reason: string;
    at: Date;
  };
  lineItemUrl?: string;
  history: DeliveryAttempt[];
  updatedAt: Date;
}

/** The gradebook column found or created for an activity that had none from Deep Linking. */
export interface ColumnDoc {
  _id: string;
  url: string;
  createdAt: Date;
}

export const deliveryIdOf = (activityId: string, userId: string): string => idOf('gd', activityId, userId);
export const outboxIdOf = (deliveryId: string, second: number): string => `${deliveryId}.${second}`;

const outboxSchema = new Schema<OutboxItemDoc>(
  {
    _id: { type: String, required: true },
    deliveryId: { type: String, required: true },
    courseKey: { type: String, required: true },
    activityId: { type: String, required: true },
    userId: { type: String, required: true },
    kind: { type: String, required: true },
    second: { type: Number, required: true },
    payload: { type: Schema.Types.Mixed, required: true },
    by: { id: String, name: String },
    createdAt: { type: Date, default: Date.now },
  },
  { collection: 'grade_outbox', autoIndex: false, _id: false, minimize: false },
);
outboxSchema.index({ courseKey: 1 });

const deliverySchema = new Schema<DeliveryDoc>(
  {
    _id: { type: String, required: true },
    courseKey: { type: String, required: true },
    activityId: { type: String, required: true },
    userId: { type: String, required: true },
    sentSecond: Number,
    sentAt: Date,
    sentKind: String,
    sentScore: Number,
    attempts: { type: Number, default: 0 },
    nextAttemptAt: Date,
    lastError: String,
    inDoubt: Boolean,
    attemptSecond: Number,
    attemptStartedAt: Date,
    failed: { type: Schema.Types.Mixed },
    lineItemUrl: String,
    history: { type: Schema.Types.Mixed, default: [] },
    updatedAt: { type: Date, default: Date.now },
  },
  { collection: 'grade_deliveries', autoIndex: false, _id: false, minimize: false },
);
deliverySchema.index({ courseKey: 1, activityId: 1 });

const columnSchema = new Schema<ColumnDoc>(
  {
    _id: { type: String, required: true },
    url: { type: String, required: true },
    createdAt: { type: Date, default: Date.now },
  },
  { collection: 'grade_columns', autoIndex: false, _id: false },
);

export const OutboxItem = defineModel('GradeOutboxItem', outboxSchema);
export const Delivery = defineModel('GradeDelivery', deliverySchema);
export const Lease = leaseModel('GradeLease', 'grade_leases');
export const Column = defineModel('GradeColumn', columnSchema);
