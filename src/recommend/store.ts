/**
 * What the recommender keeps: a course's own catalog items (added by a coach or imported), the
 * coach's curation of any item for the course (endorsed or hidden), and per participant and item
 * what happened (shown, opened, marked helpful / not helpful / done).
 *
 * Every record is keyed by a derived `_id` (course, item, person), so the hot reads and writes are
 * by `_id` and each key has one writer: a participant's own clicks, a coach's own form. Course
 * items are retired, not deleted: feedback and the coach's figures still name them.
 */
import { Schema } from 'mongoose';
import { idOf } from '../db/ids';
import { defineModel } from '../db/model';
import type { CatalogItem } from './catalog';
import type { Curation, ItemFeedback } from './rank';

export interface CourseItemDoc {
  _id: string;
  courseKey: string;
  item: CatalogItem;
  status: 'active' | 'retired';
  source: 'coach' | 'import';
  by: { id: string; name: string };
  createdAt: Date;
  updatedAt: Date;
}

export interface CurationDoc {
  _id: string;
  courseKey: string;
  itemId: string;
  state: Curation | 'none';
  by: { id: string; name: string };
  at: Date;
}

export interface ItemEventsDoc {
  _id: string;
  courseKey: string;
  userId: string;
  itemId: string;
  shownAt: Date;
  openedAt?: Date;
  feedback?: ItemFeedback;
  feedbackAt?: Date;
}

const courseItemSchema = new Schema<CourseItemDoc>({
  _id: { type: String, required: true }, courseKey: { type: String, required: true }, item: { type: Schema.Types.Mixed, required: true },
  status: { type: String, required: true }, source: String, by: Schema.Types.Mixed, createdAt: Date, updatedAt: Date,
}, { collection: 'recommend_items', autoIndex: false, _id: false, minimize: false });
courseItemSchema.index({ courseKey: 1 });

const curationSchema = new Schema<CurationDoc>({
  _id: { type: String, required: true }, courseKey: { type: String, required: true }, itemId: String, state: String, by: Schema.Types.Mixed, at: Date,
}, { collection: 'recommend_curation', autoIndex: false, _id: false });
curationSchema.index({ courseKey: 1 });

const eventsSchema = new Schema<ItemEventsDoc>({
  _id: { type: String, required: true }, courseKey: { type: String, required: true }, userId: String, itemId: String,
  shownAt: Date, openedAt: Date, feedback: String, feedbackAt: Date,
}, { collection: 'recommend_events', autoIndex: false, _id: false });
eventsSchema.index({ courseKey: 1, userId: 1 });

export const CourseItem = defineModel('RecommendCourseItem', courseItemSchema);
export const ItemCuration = defineModel('RecommendCuration', curationSchema);
export const ItemEvents = defineModel('RecommendItemEvents', eventsSchema);

export const courseItemId = (courseKey: string, itemId: string) => idOf('ri', courseKey, itemId);
export const curationId = (courseKey: string, itemId: string) => idOf('rc', courseKey, itemId);
export const eventsId = (courseKey: string, userId: string, itemId: string) => idOf('re', courseKey, userId, itemId);

export async function ensureRecommendIndexes(): Promise<void> {
  await Promise.all([CourseItem.createIndexes(), ItemCuration.createIndexes(), ItemEvents.createIndexes()]);
}
