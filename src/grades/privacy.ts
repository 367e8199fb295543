/**
 * What grade delivery holds about a participant: each score queued for Moodle and how its sending
 * went. Erasure keeps these records (without them a grade could be sent again, or a newer one
 * overwritten by an older one) but removes the comment text; the score itself is in Moodle's
 * gradebook, which Cermin cannot erase.
 */
import mongoose from 'mongoose';
import { findAll, inPersonCourses, type PersonDataProvider } from '../db/person-data';
import { Delivery, OutboxItem } from './models';

export const gradesPrivacy: PersonDataProvider = {
  id: 'grades',
  async exportFor(p) {
    return {
      queued: await findAll(OutboxItem, inPersonCourses(p)),
      deliveries: await findAll(Delivery, inPersonCourses(p)),
    };
  },
  async eraseFor(p) {
    // The comment rides in each queued score and in a refused one kept for "try again".
    const hasText = mongoose.trusted({ $exists: true, $ne: '' });
    const [queued, refused] = await Promise.all([
      OutboxItem.updateMany({ ...inPersonCourses(p), 'payload.comment': hasText }, { $set: { 'payload.comment': '' } }),
      Delivery.updateMany(
        { ...inPersonCourses(p), 'failed.payload.comment': hasText },
        { $set: { 'failed.payload.comment': '' } },
      ),
    ]);
    return { commentsRemoved: (queued.modifiedCount ?? 0) + (refused.modifiedCount ?? 0) };
  },
};
