/**
 * What grade delivery holds about a participant: each score queued for Moodle and how its sending
 * went. Erasure keeps these records (without them a grade could be sent again, or a newer one
 * overwritten by an older one) but removes the comment text; the score itself is in Moodle's
 * gradebook, which Cermin cannot erase.
 */
import { findAll, inPersonCourses, type PersonDataProvider } from '../privacy/person-data';
import { Delivery, OutboxItem } from './models';

export const gradesPrivacy: PersonDataProvider = {
  id: 'grades',
  async exportFor(p) {
    return { queued: await findAll(OutboxItem, inPersonCourses(p)), deliveries: await findAll(Delivery, inPersonCourses(p)) };
  },
  async eraseFor(p) {
    const stripped = await OutboxItem.updateMany(inPersonCourses(p), { $set: { 'payload.comment': '' } });
    return { commentsRemoved: stripped.modifiedCount ?? 0 };
  },
};
