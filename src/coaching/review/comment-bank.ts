/**
 * A coach's comment bank: comments they chose to keep while reviewing, inserted into a review's
 * comment with one click (and edited there). Kept per coach and course, so it is the coach's own
 * data in that course (downloaded and erased with the rest of it), newest first, at most
 * COMMENTS_KEPT: saving one more lets the oldest go.
 */
import crypto from 'node:crypto';

import { defineModel, putById } from '../../db/model';
import mongoose, { Schema } from 'mongoose';
import { idOf } from '../../db/ids';
import { MAX_COMMENT_CHARS } from './domain';

export interface BankCommentDoc {
  _id: string;
  courseKey: string;
  /** The coach's user id. */
  userId: string;
  text: string;
  at: Date;
}

const bankSchema = new Schema<BankCommentDoc>(
  {
    _id: { type: String, required: true },
    courseKey: { type: String, required: true },
    userId: { type: String, required: true },
    text: { type: String, required: true },
    at: Date,
  },
  { collection: 'coaching_comment_bank', autoIndex: false, _id: false },
);
bankSchema.index({ courseKey: 1, userId: 1, at: -1 });
export const BankComment = defineModel('CoachingBankComment', bankSchema);

export const COMMENTS_KEPT = 50;
/** As long as a review's comment may be: whatever a coach wrote can be kept. */
export const MAX_BANK_COMMENT_CHARS = MAX_COMMENT_CHARS;

export async function bankOf(courseKey: string, coachId: string): Promise<BankCommentDoc[]> {
  return BankComment.find({ courseKey, userId: coachId })
    .sort({ at: -1 })
    .limit(COMMENTS_KEPT)
    .lean<BankCommentDoc[]>();
}

/** Keeps a comment (the same text twice is one entry, moved to the top); false when it is empty or too long. */
export async function keepComment(courseKey: string, coachId: string, text: string, at = new Date()): Promise<boolean> {
  const clean = text.replace(/\r\n?/g, '\n').trim();
  if (!clean || clean.length > MAX_BANK_COMMENT_CHARS) return false;
  const hash = crypto.createHash('sha256').update(clean).digest('base64url').slice(0, 16);
  await putById(BankComment, idOf('cb', courseKey, coachId, hash), { courseKey, userId: coachId, text: clean, at });
  const beyond = await BankComment.find({ courseKey, userId: coachId }, { _id: 1 })
    .sort({ at: -1 })
    .skip(COMMENTS_KEPT)
    .lean<Array<{ _id: string }>>();
  if (beyond.length) await BankComment.deleteMany({ _id: mongoose.trusted({ $in: beyond.map((c) => c._id) }) });
  return true;
}

/** Removes one of the coach's own comments (another coach's, or another course's, is left alone). */
export async function dropComment(courseKey: string, coachId: string, id: string): Promise<boolean> {
  return (await BankComment.deleteOne({ _id: id, courseKey, userId: coachId })).deletedCount === 1;
}
