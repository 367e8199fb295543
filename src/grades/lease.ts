/**
 * Leases through the database (see policy.ts for why they are slots claimed by insert): several
 * app instances, or a restarted one, never work on the same delivery at the same time.
 */
import { Lease, leaseIdOf } from './models';
import { heldUntilMs, leaseSlot } from './policy';
import { isDuplicateKey } from '../db/model';

export interface HeldLease {
  /** Epoch ms until which nobody else can hold this subject. */
  heldUntil: number;
  release(): Promise<void>;
}


export class Leases {
  constructor(private readonly owner: string, private readonly leaseMs: number, private readonly now: () => number = Date.now) {}

  private async claim(subject: string, slot: number): Promise<string | null> {
    const _id = leaseIdOf(subject, slot);
    try {
      await Lease.create({ _id, owner: this.owner, expiresAt: new Date(heldUntilMs(slot, 1, this.leaseMs)) });
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
      await Lease.deleteOne({ _id: first });
      throw err;
    }
    const held = second ? [first, second] : [first];
    return {
      heldUntil: heldUntilMs(slot, second ? 2 : 1, this.leaseMs),
      // Exact `_id`s this owner inserted: a delete can only ever remove its own records.
      release: async () => { await Promise.all(held.map((_id) => Lease.deleteOne({ _id }))); },
    };
  }
}
