/**
 * The course roster: every member the platform lists through NRPS (all pages), stored as one
 * record per course so a class of 1,000 is one read by `_id`. Refreshed on demand and when older
 * than the configured age; members who left are kept and marked. Without NRPS, those who launched.
 */
import { Schema } from 'mongoose';
import type { Logger } from 'pino';
import { defineModel, putById } from '../../db/model';
import { courseScope, markChanged } from '../../db/change-marks';
import { type Audience } from '../../domain/launch';
import { audienceFor } from '../../lti/launch-context';
import type { CourseDirectory } from '../../lti/courses';
import { fetchAllMembers, type NrpsMember } from '../../lti/nrps';
import { ServiceError, type PlatformServices } from '../../lti/platform-services';
import type { KnownPerson } from '../../ai/redaction';

/** A refresh that failed is not tried again on every page view before this long. */
const RETRY_FAILED_REFRESH_MS = 60_000;

export type MemberStatus = 'active' | 'inactive' | 'left';

export interface RosterMember {
  userId: string;
  name: string;
  email?: string;
  audience: Audience | null;
  status: MemberStatus;
  leftAt?: Date;
}

export interface RosterDoc {
  _id: string;
  source: 'nrps' | 'launches';
  members: RosterMember[];
  fetchedAt: Date;
  pages?: number;
  /** The last refresh that failed, if it is newer than fetchedAt. */
  error?: { reason: string; at: Date };
}

const rosterSchema = new Schema<RosterDoc>(
  {
    _id: { type: String, required: true },
    source: { type: String, required: true },
    members: { type: Schema.Types.Mixed, default: [] },
    fetchedAt: Date,
    pages: Number,
    error: { type: Schema.Types.Mixed },
  },
  { collection: 'course_rosters', autoIndex: false, _id: false, minimize: false },
);

export const Roster = defineModel('CourseRoster', rosterSchema);

/** A readable name even when the platform sends none (anonymous launches are allowed). */
export function displayName(m: { name?: string; givenName?: string; familyName?: string; userId: string }): string {
  const joined = [m.givenName, m.familyName].filter(Boolean).join(' ').trim();
  return (m.name?.trim() || joined || m.userId).slice(0, 200);
}

/** The new member list: the platform's, plus everyone from before who is no longer in it (marked as left). */
export function mergeMembers(previous: RosterMember[], fetched: NrpsMember[], at: Date): RosterMember[] {
  const seen = new Set<string>();
  const members: RosterMember[] = fetched.map((m) => {
    seen.add(m.userId);
    const status: MemberStatus = m.status === 'Active' ? 'active' : m.status === 'Inactive' ? 'inactive' : 'left';
    const before = previous.find((p) => p.userId === m.userId);
    return {
      userId: m.userId,
      name: displayName(m),
      email: m.email,
      audience: audienceFor(m.roles),
      status,
      ...(status === 'left' ? { leftAt: before?.leftAt ?? at } : {}),
    };
  });
  for (const p of previous) if (!seen.has(p.userId)) members.push({ ...p, status: 'left', leftAt: p.leftAt ?? at });
  return members;
}

export interface RosterServiceDeps {
  courses: CourseDirectory;
  services: PlatformServices;
  maxAgeMs: number;
  log: Logger;
  now?: () => number;
}

export interface RosterView {
  source: 'nrps' | 'launches';
  members: RosterMember[];
  fetchedAt?: Date;
  /** The platform offers no NRPS for this course: only those who launched are listed. */
  noNrps: boolean;
  error?: { reason: string; at: Date };
}

export class RosterService {
  private readonly now: () => number;
  private readonly inFlight = new Map<string, Promise<RosterDoc | null>>();

  constructor(private readonly deps: RosterServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Reads the members from the platform now (one refresh per course at a time on this instance). */
  async refresh(courseKey: string): Promise<RosterDoc | null> {
    const running = this.inFlight.get(courseKey);
    if (running) return running;
    const work = this.fetch(courseKey).finally(() => this.inFlight.delete(courseKey));
    this.inFlight.set(courseKey, work);
    return work;
  }

  private async fetch(courseKey: string): Promise<RosterDoc | null> {
    const course = await this.deps.courses.course(courseKey);
    if (!course?.membershipsUrl) return null;
    const previous = await Roster.findById(courseKey).lean<RosterDoc>();
    const at = new Date(this.now());
    try {
      const { members, pages } = await fetchAllMembers(
        this.deps.services,
        { issuer: course.platform.issuer, clientId: course.platform.clientId },
        course.membershipsUrl,
      );
      const doc: RosterDoc = {
        _id: courseKey,
        source: 'nrps',
        members: mergeMembers(previous?.source === 'nrps' ? previous.members : [], members, at),
        fetchedAt: at,
        pages,
      };
      await putById(Roster, courseKey, { ...doc });
      await markChanged(courseScope(courseKey, 'roster'));
      return doc;
    } catch (err) {
      const reason = err instanceof ServiceError ? err.reason : String((err as Error).message ?? err);
      this.deps.log.warn({ courseKey, reason }, 'roster refresh failed');
      // Read again: another instance may have refreshed it while this fetch was failing.
      const latest = await Roster.findById(courseKey).lean<RosterDoc>();
      const doc: RosterDoc = latest
        ? { ...latest, error: { reason, at } }
        : { _id: courseKey, source: 'nrps', members: [], fetchedAt: new Date(0), error: { reason, at } };
      await putById(Roster, courseKey, { ...doc });
      await markChanged(courseScope(courseKey, 'roster'));
      return doc;
    }
  }

  /** True when view() would read the members from the platform again (missing or too old, and no refresh failed a moment ago). */
  isDue(view: RosterView): boolean {
    if (view.noNrps) return false;
    const stale = !view.fetchedAt || this.now() - new Date(view.fetchedAt).getTime() > this.deps.maxAgeMs;
    const recentlyFailed = view.error && this.now() - new Date(view.error.at).getTime() < RETRY_FAILED_REFRESH_MS;
    return stale && !recentlyFailed;
  }

  /** The roster as stored, refreshed first when it is missing or older than the configured age. */
  async view(courseKey: string, opts: { refresh?: boolean } = {}): Promise<RosterView> {
    const course = await this.deps.courses.course(courseKey);
    if (!course?.membershipsUrl) {
      const launchers = await this.deps.courses.launchers(courseKey);
      return {
        source: 'launches',
        noNrps: true,
        members: launchers.map((l) => ({
          userId: l.userId,
          name: displayName(l),
          audience: l.audience,
          status: 'active' as const,
        })),
      };
    }
    let doc = await Roster.findById(courseKey).lean<RosterDoc>();
    const stale = !doc || this.now() - new Date(doc.fetchedAt).getTime() > this.deps.maxAgeMs;
    // A refresh that failed a moment ago is not retried on every page view.
    const recentlyFailed = doc?.error && this.now() - new Date(doc.error.at).getTime() < RETRY_FAILED_REFRESH_MS;
    if (opts.refresh || (stale && !recentlyFailed)) doc = (await this.refresh(courseKey)) ?? doc;
    const error = doc?.error && new Date(doc.error.at) > new Date(doc.fetchedAt) ? doc.error : undefined;
    return {
      source: 'nrps',
      noNrps: false,
      members: doc?.members ?? [],
      fetchedAt: doc && doc.fetchedAt.getTime() > 0 ? doc.fetchedAt : undefined,
      error,
    };
  }

  /**
   * Everyone whose name must not reach an AI provider from this course: the roster and those who
   * launched. `complete` is false when the roster could not be read (then a caller must not keep
   * the list: the next turn tries again, so no name stays unredacted for long).
   */
  async peopleToRedact(courseKey: string): Promise<{ people: KnownPerson[]; complete: boolean }> {
    const [view, launchers] = await Promise.all([this.view(courseKey), this.deps.courses.launchers(courseKey)]);
    const people: KnownPerson[] = [
      ...view.members.map((m) => ({ name: m.name })),
      ...launchers.map((l) => ({ name: l.name ?? '', givenName: l.givenName, familyName: l.familyName })),
    ];
    return {
      people: people.filter((p) => p.name || p.givenName || p.familyName),
      complete: !view.error && view.members.length > 0,
    };
  }
}
