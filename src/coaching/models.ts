/**
 * Coaching data: activities placed in a course, the participant's journal entries, every saved
 * version of each entry, and the state of each participant's work. Every document carries the
 * course key, and every query names it: no data crosses courses or platforms.
 */
import { Schema } from 'mongoose';
import { defineModel } from '../db/model';
import type { AiMode, Visibility } from '../domain/vocabulary';

export type { AiMode, Visibility };
export type WorkStatus = 'draft' | 'submitted';

import type { ActivityRubricCriterion, ActivitySection } from '../domain/activity';
export type { ActivityPrompt, ActivityRubricCriterion, ActivityRubricLevel, ActivitySection } from '../domain/activity';

/**
 * Moodle's column against Cermin's maximum: in step, waiting for a launch to give its address,
 * failed, or kept on purpose (it holds grades; Moodle scales Cermin's scores to it).
 */
export type LineItemSync = 'none' | 'synced' | 'pending' | 'failed' | 'kept';

export interface ActivityDoc {
  _id: string;
  courseKey: string;
  platform: { issuer: string; clientId: string; deploymentId: string; courseId: string };
  resourceLinkIds: string[];
  templateId: string;
  templateVersion: number;
  kind: 'sections' | 'journal';
  locale: 'id' | 'en';
  title: string;
  instructions: string;
  sections: ActivitySection[];
  rubric: { criteria: ActivityRubricCriterion[] };
  completion: { minEntries: number; minWords: number };
  maxScore: number;
  aiMode: AiMode;
  dueAt?: Date;
  lineItem?: { id?: string; label: string; resourceId: string; tag: string; sync: LineItemSync; error?: string };
  createdBy: string;
  /** Set while the activity waits in a coach's Deep Linking picker, not yet returned to Moodle. */
  deepLinkSelection?: string;
  createdAt: Date;
  updatedAt: Date;
  /** Optimistic concurrency for settings edits by two coaches. */
  revision: number;
}

/**
 * Entries, versions and work records have an `_id` derived from what they are (see ids.ts):
 * the hot paths read and write them by `_id` alone, which every MongoDB-wire server answers
 * without scanning the collection.
 */
export interface EntryDoc {
  _id: string;
  courseKey: string;
  activityId: string;
  userId: string;
  /** A prompt id ('sections'), or `d-YYYY-MM-DD` for a dated journal entry ('journal'). */
  key: string;
  /** For dated journal entries, the day it is about. */
  date?: string;
  text: string;
  words: number;
  revision: number;
  visibility: Visibility;
  /** Kept copies of saves that lost a race, not yet used or discarded. */
  conflictCount?: number;
  updatedAt: Date;
}

export interface VersionDoc {
  _id: string;
  courseKey: string;
  activityId: string;
  userId: string;
  key: string;
  revision: number;
  text: string;
  source: 'form' | 'autosave' | 'restore';
  savedAt: Date;
}

/** A save that lost a race: kept so nothing typed is ever lost, shown beside the winner. */
export interface ConflictDoc {
  courseKey: string;
  activityId: string;
  userId: string;
  key: string;
  baseRevision: number;
  text: string;
  savedAt: Date;
}

export interface WorkDoc {
  _id: string;
  courseKey: string;
  activityId: string;
  userId: string;
  userName?: string;
  status: WorkStatus;
  submittedAt?: Date;
  /** Submitted before the completion rule held: the coach sees this. */
  incompleteAtSubmit?: boolean;
  reopenedAt?: Date;
  reopenedBy?: string;
  /** The coach's words to the participant on the last reopen: why, and what to do. */
  reopenReason?: string;
  history: Array<{
    at: Date;
    action: 'submitted' | 'reopened' | 'withdrawn';
    by: string;
    complete?: boolean;
    reason?: string;
  }>;
  /**
   * Kept by records written before Cermin counted progress from the entries themselves; no longer
   * written or read (concurrent saves could leave it short of the entries).
   */
  entryStats?: Record<string, { words: number; visibility: Visibility }>;
  updatedAt: Date;
}

const text = { type: String, default: '' };
const activitySchema = new Schema<ActivityDoc>(
  {
    _id: { type: String, required: true },
    courseKey: { type: String, required: true },
    platform: { issuer: String, clientId: String, deploymentId: String, courseId: String },
    resourceLinkIds: { type: [String], default: [] },
    templateId: { type: String, required: true },
    templateVersion: { type: Number, required: true },
    kind: { type: String, required: true },
    locale: { type: String, required: true },
    title: { type: String, required: true },
    instructions: text,
    sections: { type: Schema.Types.Mixed, required: true },
    rubric: { type: Schema.Types.Mixed, required: true },
    completion: { minEntries: Number, minWords: Number },
    maxScore: { type: Number, required: true },
    aiMode: { type: String, required: true },
    dueAt: Date,
    lineItem: { type: Schema.Types.Mixed },
    createdBy: String,
    deepLinkSelection: String,
    createdAt: { type: Date, default: Date.now },
    updatedAt: { type: Date, default: Date.now },
    revision: { type: Number, default: 1 },
  },
  { collection: 'coaching_activities', autoIndex: false, _id: false, minimize: false },
);
activitySchema.index({ courseKey: 1, resourceLinkIds: 1 });
activitySchema.index({ courseKey: 1, deepLinkSelection: 1 });

const entrySchema = new Schema<EntryDoc>(
  {
    _id: { type: String, required: true },
    courseKey: { type: String, required: true },
    activityId: { type: String, required: true },
    userId: { type: String, required: true },
    key: { type: String, required: true },
    date: String,
    text,
    words: { type: Number, default: 0 },
    revision: { type: Number, default: 0 },
    visibility: { type: String, default: 'coach' },
    conflictCount: { type: Number, default: 0 },
    updatedAt: { type: Date, default: Date.now },
  },
  { collection: 'coaching_entries', autoIndex: false, _id: false },
);
entrySchema.index({ activityId: 1, userId: 1, key: 1 }, { unique: true });
entrySchema.index({ courseKey: 1, activityId: 1 });

const versionSchema = new Schema<VersionDoc>(
  {
    _id: { type: String, required: true },
    courseKey: { type: String, required: true },
    activityId: { type: String, required: true },
    userId: { type: String, required: true },
    key: { type: String, required: true },
    revision: { type: Number, required: true },
    text,
    source: { type: String, required: true },
    savedAt: { type: Date, default: Date.now },
  },
  { collection: 'coaching_entry_versions', autoIndex: false, _id: false },
);
// The version's _id (entry + revision) is the lock: of two saves from the same base, exactly one wins.
versionSchema.index({ activityId: 1, userId: 1, key: 1, revision: 1 });

const conflictSchema = new Schema<ConflictDoc>(
  {
    courseKey: { type: String, required: true },
    activityId: { type: String, required: true },
    userId: { type: String, required: true },
    key: { type: String, required: true },
    baseRevision: Number,
    text,
    savedAt: { type: Date, default: Date.now },
  },
  { collection: 'coaching_entry_conflicts', autoIndex: false },
);
conflictSchema.index({ activityId: 1, userId: 1, key: 1 });

const workSchema = new Schema<WorkDoc>(
  {
    _id: { type: String, required: true },
    courseKey: { type: String, required: true },
    activityId: { type: String, required: true },
    userId: { type: String, required: true },
    userName: String,
    status: { type: String, default: 'draft' },
    submittedAt: Date,
    incompleteAtSubmit: Boolean,
    reopenedAt: Date,
    reopenedBy: String,
    reopenReason: String,
    history: {
      type: [new Schema({ at: Date, action: String, by: String, complete: Boolean, reason: String }, { _id: false })],
      default: [],
    },
    entryStats: { type: Schema.Types.Mixed },
    updatedAt: { type: Date, default: Date.now },
  },
  { collection: 'coaching_work', autoIndex: false, _id: false, minimize: false },
);
workSchema.index({ activityId: 1, userId: 1 }, { unique: true });
workSchema.index({ courseKey: 1, activityId: 1, status: 1 });

export const Activity = defineModel('CoachingActivity', activitySchema);
export const Entry = defineModel('CoachingEntry', entrySchema);
export const EntryVersion = defineModel('CoachingEntryVersion', versionSchema);
export const EntryConflict = defineModel('CoachingEntryConflict', conflictSchema);
export const Work = defineModel('CoachingWork', workSchema);
