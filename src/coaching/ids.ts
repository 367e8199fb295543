import { idOf } from '../db/ids';

export const entryId = (activityId: string, userId: string, key: string) => idOf('e', activityId, userId, key);
export const versionId = (activityId: string, userId: string, key: string, revision: number) =>
  idOf('v', activityId, userId, key, revision);
export const workId = (activityId: string, userId: string) => idOf('w', activityId, userId);
export const reviewId = (activityId: string, userId: string) => idOf('r', activityId, userId);
export const decisionId = (activityId: string, userId: string, revision: number) =>
  idOf('rd', activityId, userId, revision);
