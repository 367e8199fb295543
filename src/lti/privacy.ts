/**
 * What the LTI side holds about a person: their launches per course (name and roles as Moodle
 * sent them), mentor relationships, and ltijs's launch records (the id_token's claims, kept for
 * the session) and login requests in flight. Moodle's own copy of the person is Moodle's.
 */
import mongoose, { type Model } from 'mongoose';
import { startingWith } from '../db/model';
import { deleteAll, findAll, inPersonCourses, type DataSubject, type PersonDataProvider } from '../db/person-data';
import { Course, CourseLauncher, type CourseDoc } from './courses';
import { LoginRequest, MentorScope } from './models';

/** ltijs's own collections, registered by ltijs on the shared connection. */
const ltijsModel = (name: string): Model<unknown> | undefined => mongoose.models[name] as Model<unknown> | undefined;
/** Login requests in flight (minutes old) carry the person as the OIDC login hint. */
const loginsOf = (p: DataSubject) => ({
  'params.iss': p.platform.issuer,
  'params.client_id': p.platform.clientId,
  'params.login_hint': p.userId,
});
/**
 * ltijs's context ids begin with the URL-encoded issuer, client id, deployment id and course id,
 * then `_`: matched per course of the person's platform (a prefix of issuer and client id alone
 * would also match another registration whose client id merely starts the same).
 */
async function contextTokensOf(p: DataSubject): Promise<Record<string, unknown> | undefined> {
  const courses = await Course.find(
    { _id: mongoose.trusted({ $in: p.courseKeys }) },
    { courseId: 1, 'platform.deploymentId': 1 },
  ).lean<Array<Pick<CourseDoc, 'courseId' | 'platform'>>>();
  if (!courses.length) return undefined;
  const prefixes = courses.map((c) => ({
    contextId: startingWith(
      encodeURIComponent(`${p.platform.issuer}${p.platform.clientId}${c.platform.deploymentId}${c.courseId}_`),
    ),
  }));
  return { user: p.userId, $or: prefixes };
}
const ofPlatform = (p: DataSubject) => ({ iss: p.platform.issuer, clientId: p.platform.clientId });

const findAllOrNone = (model: Model<unknown>, filter: Record<string, unknown> | undefined) =>
  filter ? findAll(model, mongoose.trusted(filter)) : Promise.resolve([]);
const deleteAllOrNone = (model: Model<unknown>, filter: Record<string, unknown> | undefined) =>
  filter ? deleteAll(model, mongoose.trusted(filter)) : Promise.resolve(0);

export const ltiPrivacy: PersonDataProvider = {
  id: 'lti',
  async exportFor(p) {
    const idTokens = ltijsModel('idtoken');
    const contextTokens = ltijsModel('contexttoken');
    return {
      launches: await findAll(CourseLauncher, inPersonCourses(p)),
      loginRequests: await findAll(LoginRequest, loginsOf(p)),
      asMentor: await findAll(MentorScope, { ...ofPlatform(p), mentorId: p.userId }),
      asMentee: await findAll(MentorScope, { ...ofPlatform(p), menteeIds: p.userId }),
      launchTokens: idTokens ? await findAll(idTokens, { ...ofPlatform(p), user: p.userId }) : [],
      contextTokens: contextTokens ? await findAllOrNone(contextTokens, await contextTokensOf(p)) : [],
    };
  },
  async eraseFor(p) {
    const idTokens = ltijsModel('idtoken');
    const contextTokens = ltijsModel('contexttoken');
    const unlinked = await MentorScope.updateMany(
      { ...ofPlatform(p), menteeIds: p.userId },
      { $pull: { menteeIds: p.userId } },
    );
    return {
      launches: await deleteAll(CourseLauncher, inPersonCourses(p)),
      loginRequests: await deleteAll(LoginRequest, loginsOf(p)),
      asMentor: await deleteAll(MentorScope, { ...ofPlatform(p), mentorId: p.userId }),
      asMentee: unlinked.modifiedCount ?? 0,
      launchTokens: idTokens ? await deleteAll(idTokens, { ...ofPlatform(p), user: p.userId }) : 0,
      contextTokens: contextTokens ? await deleteAllOrNone(contextTokens, await contextTokensOf(p)) : 0,
    };
  },
};
