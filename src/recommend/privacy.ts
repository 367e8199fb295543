/** What the recommender holds about a participant: which materials they were shown, opened and marked. */
import { deleteAll, findAll, inPersonCourses, type PersonDataProvider } from '../privacy/person-data';
import { ItemEvents } from './store';

export const recommendPrivacy: PersonDataProvider = {
  id: 'recommendations',
  async exportFor(p) {
    return { events: await findAll(ItemEvents, inPersonCourses(p)) };
  },
  async eraseFor(p) {
    return { events: await deleteAll(ItemEvents, inPersonCourses(p)) };
  },
};
