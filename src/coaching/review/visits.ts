/**
 * When a coach last looked at a course's roster, so it can show what is new since. Views within
 * half an hour count as one visit: paging through the class does not make the news disappear.
 */
import { Schema } from 'mongoose';
import { defineModel, putById } from '../../db/model';
import { idOf } from '../../db/ids';

interface VisitDoc {
  _id: string;
  since?: Date;
  lastSeenAt: Date;
}

const visitSchema = new Schema<VisitDoc>(
  {
    _id: { type: String, required: true },
    since: Date,
    lastSeenAt: { type: Date, required: true },
  },
  { collection: 'coach_visits', autoIndex: false, _id: false },
);

const CoachVisit = defineModel('CoachVisit', visitSchema);

export const VISIT_GAP_MS = 30 * 60_000;

/** Records this view and returns the moment "new" is counted from (undefined on a first visit). */
export async function recordVisit(courseKey: string, coachId: string, now: Date): Promise<Date | undefined> {
  const _id = idOf('cv', courseKey, coachId);
  const previous = await CoachVisit.findById(_id).lean<VisitDoc>();
  const newVisit = !previous || now.getTime() - new Date(previous.lastSeenAt).getTime() > VISIT_GAP_MS;
  const since = newVisit ? previous?.lastSeenAt : previous?.since;
  await putById(CoachVisit, _id, { since, lastSeenAt: now });
  return since ? new Date(since) : undefined;
}
