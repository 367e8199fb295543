/**
 * What the AI coach holds about a person under their pseudonym: the audit of every AI call
 * (counts, and the text when an admin keeps it) and their daily token counters. Consent records
 * live with consent (src/privacy/consent.ts).
 */
import mongoose from 'mongoose';
import { deleteAll, findAll, type DataSubject, type PersonDataProvider } from '../db/person-data';
import { AuditRecord } from './audit';
import { Usage, userUsageId } from './limits';
import { startingWith } from '../db/model';

/** The person's daily counters: `_id`s `user:<pseudonym>:<day>`, under any pseudonym they had. */
const usageOf = (p: DataSubject) =>
  mongoose.trusted({ $or: p.pseudonyms.map((u) => ({ _id: startingWith(userUsageId(u, '')) })) });
const auditOf = (p: DataSubject) => ({ user: mongoose.trusted({ $in: p.pseudonyms }) });

export const aiPrivacy: PersonDataProvider = {
  id: 'ai',
  async exportFor(p) {
    return { audit: await findAll(AuditRecord, auditOf(p)), usage: await findAll(Usage, usageOf(p)) };
  },
  async eraseFor(p) {
    return { audit: await deleteAll(AuditRecord, auditOf(p)), usage: await deleteAll(Usage, usageOf(p)) };
  },
};
