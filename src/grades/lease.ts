/**
 * The grade workers' leases (src/db/lease.ts): several app instances, or a restarted one, never
 * work on the same delivery at the same time. See policy.ts for when an attempt may start.
 */
import { SlotLeases } from '../db/lease';
import { Lease } from './models';

export class Leases extends SlotLeases {
  constructor(owner: string, leaseMs: number, now: () => number = Date.now) {
    super(Lease, owner, leaseMs, now);
  }
}
