/**
 * Expiry of short-lived LTI records. ltijs relies on MongoDB TTL indexes, which not every embedded
 * engine implements (docs/database.md), so Cermin deletes expired records itself on every
 * database; on MongoDB this only duplicates what the TTL monitor does anyway.
 */
import mongoose from 'mongoose';

/** ltijs collection → lifetime in seconds (as its schemas declare with `expires`). */
export const LTIJS_LIFETIMES: Record<string, number> = {
  idtokens: 24 * 3600,
  contexttokens: 24 * 3600,
  accesstokens: 3600,
  nonces: 10,
  states: 600,
};

export async function sweepExpired(now = new Date()): Promise<number> {
  const db = mongoose.connection.db;
  if (!db) return 0;
  let removed = 0;
  for (const [collection, seconds] of Object.entries(LTIJS_LIFETIMES)) {
    const res = await db
      .collection(collection)
      .deleteMany({ createdAt: { $lt: new Date(now.getTime() - seconds * 1000) } });
    removed += res.deletedCount ?? 0;
  }
  for (const collection of ['cermin_nonces', 'cermin_oidc_logins', 'grade_leases', 'registration_leases']) {
    const res = await db.collection(collection).deleteMany({ expiresAt: { $lt: now } });
    removed += res.deletedCount ?? 0;
  }
  return removed;
}

export function startSweeper(intervalMs: number, onError: (err: unknown) => void): () => void {
  const timer = setInterval(() => {
    sweepExpired().catch(onError);
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
