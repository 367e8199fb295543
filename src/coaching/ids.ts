import crypto from 'node:crypto';

/** A stable, URL-safe id for what the parts name (the parts can hold any characters). */
function idOf(kind: string, ...parts: Array<string | number>): string {
  return `${kind}_${crypto.createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 27)}`;
}

export const entryId = (activityId: string, userId: string, key: string) => idOf('e', activityId, userId, key);
export const versionId = (activityId: string, userId: string, key: string, revision: number) => idOf('v', activityId, userId, key, revision);
export const workId = (activityId: string, userId: string) => idOf('w', activityId, userId);
