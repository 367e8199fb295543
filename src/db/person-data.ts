/**
 * What a feature tells about a person's records, for their rights under UU PDP: every feature's
 * `privacy.ts` implements PersonDataProvider; privacy/person-data.ts composes them. Here, below
 * every feature, so that a feature implementing it does not import the privacy feature.
 */
import mongoose, { type Model } from 'mongoose';
import type { PlatformIdentity } from '../domain/vocabulary';

export interface DataSubject {
  platform: PlatformIdentity;
  userId: string;
  /** The courses of this person's platform: their records are looked for only there. */
  courseKeys: string[];
  /** Their pseudonym in the AI audit and usage counters. */
  pseudonym: string;
  /** Every pseudonym their records may carry: this one, and the one of before platforms were told by client id (over the issuer alone). */
  pseudonyms: string[];
}

export interface PersonDataProvider {
  /** A short name for the export's sections and the erasure log. */
  id: string;
  /** Every record of the person, per collection. */
  exportFor(person: DataSubject): Promise<Record<string, unknown[]>>;
  /** Erases (or, where a record must stay, strips) the person's records; counts per collection. */
  eraseFor(person: DataSubject): Promise<Record<string, number>>;
}

/** Records of `userField` = the person, in the courses of their platform. */
export function inPersonCourses(person: DataSubject, userField = 'userId'): Record<string, unknown> {
  return { [userField]: person.userId, courseKey: mongoose.trusted({ $in: person.courseKeys }) };
}

/** The records of a filter, for an export. */
export async function findAll<T>(model: Model<T>, filter: Record<string, unknown>): Promise<unknown[]> {
  return model.find(filter).lean();
}

/** Deletes the records of a filter; how many. */
export async function deleteAll<T>(model: Model<T>, filter: Record<string, unknown>): Promise<number> {
  return (await model.deleteMany(filter)).deletedCount ?? 0;
}
