/**
 * The names to redact per course, for every AI task (a participant's lens, a coach's draft, a
 * query embedding). Built from whoever the caller says belongs to the course, kept 5 minutes per
 * course, and kept only when that list was complete.
 */
import { LRUCache } from 'lru-cache';
import { nameMatcher, type KnownPerson, type NameMatcher } from './redaction';

export type PeopleOf = (courseKey: string) => Promise<{ people: KnownPerson[]; complete: boolean }>;

export class CourseNames {
  private readonly kept = new LRUCache<string, NameMatcher>({ max: 500, ttl: 300_000 });

  constructor(private readonly peopleOf: PeopleOf) {}

  /** The matcher of the course's names: from the last five minutes, else read now. */
  readonly matcherFor = async (courseKey: string): Promise<NameMatcher> => {
    const hit = this.kept.get(courseKey);
    if (hit) return hit;
    const { people, complete } = await this.peopleOf(courseKey);
    const matcher = nameMatcher(people);
    if (complete) this.kept.set(courseKey, matcher);
    return matcher;
  };
}
