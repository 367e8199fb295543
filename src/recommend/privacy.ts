/** What the recommender holds about a participant: which materials they were shown, opened and marked. */
import { deleteAll, findAll, inPersonCourses, type PersonDataProvider } from '../db/person-data';
import { LegacyItemEvents, RecommendHistory } from './store';

export const recommendPrivacy: PersonDataProvider = {
  id: 'recommendations',
  async exportFor(p) {
    return { history: await findAll(RecommendHistory, inPersonCourses(p)) };
  },
  async eraseFor(p) {
    // Records from before the histories too, should any be left unmoved.
    return {
      history: await deleteAll(RecommendHistory, inPersonCourses(p)),
      events: await deleteAll(LegacyItemEvents, inPersonCourses(p)),
    };
  },
};
