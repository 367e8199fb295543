/**
 * What coaching holds about a participant: their journal (entries, every version, kept conflict
 * copies), their work's status, reviews and every decision about it (with the AI draft), their AI
 * turns and safety alerts (with the hint the journal reads); a coach's comment bank. All of it is theirs to download and to have erased.
 */
import mongoose from 'mongoose';
import { deleteAll, findAll, inPersonCourses, type DataSubject, type PersonDataProvider } from '../db/person-data';
import { AiLatest, AiTurn, SafetyAlert, SafetyHint } from './ai-help/turns';
import { Entry, EntryConflict, EntryVersion, Work } from './models';
import { Review, ReviewDecisionRecord } from './review/service';
import { BankComment } from './review/comment-bank';

const COLLECTIONS = {
  entries: Entry,
  versions: EntryVersion,
  conflicts: EntryConflict,
  work: Work,
  reviews: Review,
  reviewDecisions: ReviewDecisionRecord,
  aiTurns: AiTurn,
  safetyAlerts: SafetyAlert,
  safetyHints: SafetyHint,
  commentBank: BankComment,
} as const;

/** The latest-turn pointers name the person inside the record (their `_id` is derived). */
const latestOf = (p: DataSubject) => ({
  'latest.userId': p.userId,
  'latest.courseKey': mongoose.trusted({ $in: p.courseKeys }),
});

export const coachingPrivacy: PersonDataProvider = {
  id: 'coaching',
  async exportFor(p) {
    const out: Record<string, unknown[]> = {};
    for (const [name, model] of Object.entries(COLLECTIONS))
      out[name] = await findAll(model as typeof Entry, inPersonCourses(p));
    out.aiLatest = await findAll(AiLatest, latestOf(p));
    return out;
  },
  async eraseFor(p) {
    const counts: Record<string, number> = {};
    for (const [name, model] of Object.entries(COLLECTIONS))
      counts[name] = await deleteAll(model as typeof Entry, inPersonCourses(p));
    counts.aiLatest = await deleteAll(AiLatest, latestOf(p));
    return counts;
  },
};
