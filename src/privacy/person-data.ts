/**
 * A person's data in Cermin, for their rights under UU PDP: everything Cermin holds about them,
 * gathered from every feature for a download, and erased on request. Each feature says what it
 * stores about a person in its own `privacy.ts` (a PersonDataProvider, as a Moodle plugin's
 * privacy provider does); this service composes them, so a new collection is covered by adding
 * it to its feature's provider, and the test that fills every feature checks nothing is missed.
 *
 * A person is a platform user (a registration: issuer and client id, and the LTI user id): user
 * ids are only unique within one registration, so records are matched by user id *and* the courses
 * of that registration. A second registration of the same issuer (a look-alike client) reaches none
 * of the first one's people. Erasure keeps
 * only what stops a grade from being sent twice (the delivery records, without any comment
 * text), and is itself logged under a pseudonym.
 */
import crypto from 'node:crypto';
import { Schema } from 'mongoose';
import { defineModel } from '../db/model';
import { Course } from '../lti/courses';
import type { DataSubject, PersonDataProvider } from '../db/person-data';
import type { PlatformIdentity } from '../domain/vocabulary';

interface ErasureDoc {
  _id: string;
  at: Date;
  subject: string;
  by: { role: 'self' | 'admin'; pseudonym: string };
  counts: Record<string, Record<string, number>>;
}
const erasureSchema = new Schema<ErasureDoc>(
  {
    _id: { type: String, required: true },
    at: { type: Date, required: true },
    subject: { type: String, required: true },
    by: { type: Schema.Types.Mixed, required: true },
    counts: { type: Schema.Types.Mixed, required: true },
  },
  { collection: 'privacy_erasures', autoIndex: false, _id: false, minimize: false },
);
export const ErasureLog = defineModel('PrivacyErasure', erasureSchema);

export interface PersonExport {
  generatedAt: Date;
  person: { issuer: string; clientId: string; userId: string };
  sections: Record<string, Record<string, unknown[]>>;
}

export class PersonDataService {
  constructor(
    private readonly deps: {
      providers: PersonDataProvider[];
      pseudonymOf(platform: string, userId: string): string;
      now?: () => Date;
    },
  ) {}

  /** The person as their records name them: the courses of their platform and their pseudonym. */
  async subject(platform: PlatformIdentity, userId: string): Promise<DataSubject> {
    const courses = await Course.find(
      { 'platform.issuer': platform.issuer, 'platform.clientId': platform.clientId },
      { _id: 1 },
    ).lean<Array<{ _id: string }>>();
    const pseudonym = this.deps.pseudonymOf(platform.key, userId);
    return {
      platform,
      userId,
      courseKeys: courses.map((c) => c._id),
      pseudonym,
      pseudonyms: [pseudonym, this.deps.pseudonymOf(platform.issuer, userId)],
    };
  }

  async exportAll(platform: PlatformIdentity, userId: string): Promise<PersonExport> {
    const person = await this.subject(platform, userId);
    const sections: PersonExport['sections'] = {};
    for (const p of this.deps.providers) sections[p.id] = await p.exportFor(person);
    return {
      generatedAt: (this.deps.now ?? (() => new Date()))(),
      person: { issuer: platform.issuer, clientId: platform.clientId, userId },
      sections,
    };
  }

  /** Erases the person's data everywhere; the log names them only by pseudonym (`by.platform`: the eraser's platform key, or `*`). */
  async eraseAll(
    platform: PlatformIdentity,
    userId: string,
    by: { role: 'self' | 'admin'; platform: string; userId: string },
  ): Promise<Record<string, Record<string, number>>> {
    const person = await this.subject(platform, userId);
    const counts: Record<string, Record<string, number>> = {};
    for (const p of this.deps.providers) counts[p.id] = await p.eraseFor(person);
    await ErasureLog.create({
      _id: crypto.randomBytes(12).toString('base64url'),
      at: (this.deps.now ?? (() => new Date()))(),
      subject: person.pseudonym,
      by: { role: by.role, pseudonym: this.deps.pseudonymOf(by.platform, by.userId) },
      counts,
    });
    return counts;
  }
}
