/**
 * Leases through the database, in fixed time slots: a holder takes slot k of a subject by
 * inserting the record (subject, k) — an insert with a unique `_id`, the one operation every
 * MongoDB-wire server decides for exactly one caller, even one whose conditional updates are not
 * atomic (docs/database.md). It also takes (subject, k+1) so nobody else can start in the next slot
 * while its work may still run. A holder that crashed blocks its subject for two slots at most.
 */
import { Schema, type Model } from 'mongoose';
import { defineModel, isDuplicateKey } from './model';

export interface LeaseDoc {
  _id: string;
  owner: string;
  expiresAt: Date;
}

/** A collection of lease records (one per feature: their subjects never mix). */
export function leaseModel(name: string, collection: string): Model<LeaseDoc> {
  return defineModel(
    name,
    new Schema<LeaseDoc>(
      {
        _id: { type: String, required: true },
        owner: { type: String, required: true },
        expiresAt: { type: Date, required: true },
      },
      { collection, autoIndex: false, _id: false },
    ),
  );
}

export const leaseIdOf = (subject: string, slot: number): string => `${subject}.${slot}`;

export function leaseSlot(nowMs: number, leaseMs: number): number {
  return Math.floor(nowMs / leaseMs);
}

export function heldUntilMs(slot: number, slotsHeld: 1 | 2, leaseMs: number): number {
  return (slot + slotsHeld) * leaseMs;
}

export interface HeldLease {
  /** Epoch ms until which nobody else can hold this subject. */
  heldUntil: number;
  release(): Promise<void>;
}

export class SlotLeases {
  constructor(
    private readonly model: Model<LeaseDoc>,
    private readonly owner: string,
    private readonly leaseMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  private async claim(subject: string, slot: number): Promise<string | null> {
    const _id = leaseIdOf(subject, slot);
    try {
      await this.model.create({ _id, owner: this.owner, expiresAt: new Date(heldUntilMs(slot, 1, this.leaseMs)) });
      return _id;
    } catch (err) {
      if (isDuplicateKey(err)) return null;
      throw err;
    }
  }

  /** The current slot and, if nobody has it yet, the next one; null when someone holds this slot. */
  async acquire(subject: string): Promise<HeldLease | null> {
    const slot = leaseSlot(this.now(), this.leaseMs);
    const first = await this.claim(subject, slot);
    if (!first) return null;
    let second: string | null;
    try {
      second = await this.claim(subject, slot + 1);
    } catch (err) {
      await this.model.deleteOne({ _id: first });
      throw err;
    }
    const held = second ? [first, second] : [first];
    return {
      heldUntil: heldUntilMs(slot, second ? 2 : 1, this.leaseMs),
      // Exact `_id`s this owner inserted: a delete can only ever remove its own records.
      release: async () => {
        await Promise.all(held.map((_id) => this.model.deleteOne({ _id })));
      },
    };
  }
}
