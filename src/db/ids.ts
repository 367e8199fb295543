import crypto from 'node:crypto';

/**
 * A stable, URL-safe `_id` for what the parts name (the parts can hold any characters). Records
 * keyed this way are read and written by `_id` alone: the one index every MongoDB-wire server
 * has, so no engine scans for them.
 */
export function idOf(kind: string, ...parts: Array<string | number>): string {
  return `${kind}_${crypto.createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 27)}`;
}
