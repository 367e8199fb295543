/**
 * What the recommender keeps: a course's own catalog items (added by a coach or imported), the
 * coach's curation of any item for the course (endorsed or hidden), and per participant and item
 * what happened (shown, opened, marked helpful / not helpful / done), one history per participant.
 *
 * Every record is keyed by a derived `_id` (course, item; course, person), so the hot reads and
 * writes are by `_id` and each key has one writer: a participant's own clicks, a coach's own form.
 * Course items are retired, not deleted: feedback and the coach's figures still name them.
 */
import mongoose, { Schema } from 'mongoose';
import { idOf } from '../db/ids';
import { leaseModel, SlotLeases } from '../db/lease';
import { defineModel, putById } from '../db/model';
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

/** What happened with one item for one participant: first shown, opened, marked. */
export interface ItemEvents {
  itemId: string;
  shownAt: Date;
  openedAt?: Date;
  feedback?: ItemFeedback;
  feedbackAt?: Date;
}

/**
 * A participant's recommendation history in a course, one record read by `_id`: the journal reads
 * it on every view, so one record per participant, not one per item, keeps that read short as the
 * course grows (bench/recommend-history). `updatedAt` is its last use: retention removes a history unused for
 * the platform's days.
 */
export interface HistoryDoc {
  _id: string;
  courseKey: string;
  userId: string;
  items: ItemEvents[];
  updatedAt: Date;
}

/** Before the history records: one record per participant and item (moved into histories at start-up). */
export interface LegacyItemEventsDoc extends ItemEvents {
  _id: string;
  courseKey: string;
  userId: string;
}

const courseItemSchema = new Schema<CourseItemDoc>(
  {
    _id: { type: String, required: true },
    courseKey: { type: String, required: true },
    item: { type: Schema.Types.Mixed, required: true },
    status: { type: String, required: true },
    source: String,
    by: Schema.Types.Mixed,
    createdAt: Date,
    updatedAt: Date,
  },
  { collection: 'recommend_items', autoIndex: false, _id: false, minimize: false },
);
courseItemSchema.index({ courseKey: 1 });

const curationSchema = new Schema<CurationDoc>(
  {
    _id: { type: String, required: true },
    courseKey: { type: String, required: true },
    itemId: String,
    state: String,
    by: Schema.Types.Mixed,
    at: Date,
  },
  { collection: 'recommend_curation', autoIndex: false, _id: false },
);
curationSchema.index({ courseKey: 1 });

const historySchema = new Schema<HistoryDoc>(
  {
    _id: { type: String, required: true },
    courseKey: { type: String, required: true },
    userId: { type: String, required: true },
    items: { type: Schema.Types.Mixed, default: [] },
    updatedAt: { type: Date, required: true },
  },
  { collection: 'recommend_history', autoIndex: false, _id: false, minimize: false },
);
historySchema.index({ courseKey: 1, userId: 1 });

const legacyEventsSchema = new Schema<LegacyItemEventsDoc>(
  {
    _id: { type: String, required: true },
    courseKey: String,
    userId: String,
    itemId: String,
    shownAt: Date,
    openedAt: Date,
    feedback: String,
    feedbackAt: Date,
  },
  { collection: 'recommend_events', autoIndex: false, _id: false },
);

export const CourseItem = defineModel('RecommendCourseItem', courseItemSchema);
export const ItemCuration = defineModel('RecommendCuration', curationSchema);
export const RecommendHistory = defineModel('RecommendHistory', historySchema);
export const LegacyItemEvents = defineModel('RecommendItemEvents', legacyEventsSchema);

export const courseItemId = (courseKey: string, itemId: string) => idOf('ri', courseKey, itemId);
export const curationId = (courseKey: string, itemId: string) => idOf('rc', courseKey, itemId);
export const historyId = (courseKey: string, userId: string) => idOf('rh', courseKey, userId);

const itemsOf = (doc: HistoryDoc | null) => new Map((doc?.items ?? []).map((e) => [e.itemId, e]));

/** The participant's history in the course, by item (empty when there is none). */
export async function historyOf(courseKey: string, userId: string): Promise<Map<string, ItemEvents>> {
  return itemsOf(await RecommendHistory.findById(historyId(courseKey, userId)).lean<HistoryDoc>());
}

/** A history's writer holds it for at most two slots of this (a crashed holder's claim lapses with them). */
const LOCK_SLOT_MS = 3000;

export const HistoryLock = leaseModel('RecommendHistoryLock', 'recommend_history_locks');
const historyLeases = new SlotLeases(HistoryLock, 'history-writer', LOCK_SLOT_MS);

/**
 * Claims the history for one writer: on a server whose updates are read-then-write (FerretDB,
 * docs/database.md) two changes at the same instant (the person's two tabs) would lose one. Waiting
 * longer than a crashed holder could block it, the writer goes ahead.
 */
async function claimHistory(_id: string): Promise<() => Promise<void>> {
  const deadline = Date.now() + 2 * LOCK_SLOT_MS + 500;
  for (;;) {
    const held = await historyLeases.acquire(_id);
    if (held) return held.release;
    if (Date.now() > deadline) return async () => undefined;
    await new Promise((r) => setTimeout(r, 10 + Math.random() * 20));
  }
}

/**
 * Changes the participant's history: `change` gets the items by id and edits them in place. One
 * writer at a time per history (see claimHistory); a change that leaves everything as it was
 * writes nothing.
 */
export async function changeHistory(
  courseKey: string,
  userId: string,
  at: Date,
  change: (items: Map<string, ItemEvents>) => void,
): Promise<void> {
  const _id = historyId(courseKey, userId);
  const release = await claimHistory(_id);
  try {
    const doc = await RecommendHistory.findById(_id).lean<HistoryDoc>();
    const items = itemsOf(doc);
    // Fields left undefined by a change (a cleared mark) are dropped rather than stored as null.
    const clean = () =>
      [...items.values()].map(
        (e) => Object.fromEntries(Object.entries(e).filter(([, v]) => v !== undefined)) as unknown as ItemEvents,
      );
    const before = JSON.stringify(clean());
    change(items);
    const after = clean();
    if (JSON.stringify(after) === before) return;
    // The last use: never moved back (a record moved in from before may be older than the history).
    const updatedAt = new Date(Math.max(at.getTime(), doc ? new Date(doc.updatedAt).getTime() : 0));
    await putById(RecommendHistory, _id, { courseKey, userId, items: after, updatedAt });
  } finally {
    await release();
  }
}

/**
 * Records from before the history (one per participant and item) are moved into histories, then
 * removed: at start-up, by `_id`, a batch at a time. Safe to run on two instances at once and to
 * run again after a crash (an item already in a history is not changed).
 */
export async function moveLegacyEvents(batch = 500): Promise<number> {
  let moved = 0;
  for (;;) {
    const docs = await LegacyItemEvents.find({}).limit(batch).lean<LegacyItemEventsDoc[]>();
    if (!docs.length) return moved;
    const byPerson = new Map<string, LegacyItemEventsDoc[]>();
    for (const d of docs)
      byPerson.set(historyId(d.courseKey, d.userId), [...(byPerson.get(historyId(d.courseKey, d.userId)) ?? []), d]);
    for (const events of byPerson.values()) {
      const { courseKey, userId } = events[0];
      const last = Math.max(
        ...events
          .flatMap((e) => [e.shownAt, e.openedAt, e.feedbackAt])
          .filter((x): x is Date => x instanceof Date)
          .map((x) => x.getTime()),
      );
      await changeHistory(courseKey, userId, new Date(Number.isFinite(last) ? last : Date.now()), (items) => {
        for (const e of events) {
          if (items.has(e.itemId)) continue;
          items.set(e.itemId, {
            itemId: e.itemId,
            shownAt: e.shownAt,
            openedAt: e.openedAt,
            feedback: e.feedback,
            feedbackAt: e.feedbackAt,
          });
        }
      });
    }
    await LegacyItemEvents.deleteMany({ _id: mongoose.trusted({ $in: docs.map((d) => d._id) }) });
    moved += docs.length;
  }
}
