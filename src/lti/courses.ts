/**
 * What Cermin knows of each course from its launches: the platform it belongs to and its service
 * endpoints (NRPS memberships, AGS line items). Background work (grade delivery, roster refresh)
 * happens without a launch, so it reads them here. Also who has launched, for platforms without NRPS.
 */
import { Schema } from 'mongoose';
import { defineModel, putById } from '../db/model';
import { idOf } from '../db/ids';
import { courseScope, markChanged } from '../db/change-marks';
import type { Audience, LaunchContext } from '../domain/launch';

export interface CourseDoc {
  _id: string;
  platform: { issuer: string; clientId: string; platformId: string; deploymentId: string };
  courseId: string;
  label?: string;
  title?: string;
  membershipsUrl?: string;
  lineItemsUrl?: string;
  agsScopes: string[];
  updatedAt: Date;
}

export interface LauncherDoc {
  _id: string;
  courseKey: string;
  userId: string;
  name?: string;
  givenName?: string;
  familyName?: string;
  roles: string[];
  audience: Audience | null;
  lastLaunchAt: Date;
}

const courseSchema = new Schema<CourseDoc>(
  {
    _id: { type: String, required: true },
    platform: { issuer: String, clientId: String, platformId: String, deploymentId: String },
    courseId: { type: String, required: true },
    label: String,
    title: String,
    membershipsUrl: String,
    lineItemsUrl: String,
    agsScopes: { type: [String], default: [] },
    updatedAt: { type: Date, default: Date.now },
  },
  { collection: 'lti_courses', autoIndex: false, _id: false },
);

const launcherSchema = new Schema<LauncherDoc>(
  {
    _id: { type: String, required: true },
    courseKey: { type: String, required: true },
    userId: { type: String, required: true },
    name: String,
    givenName: String,
    familyName: String,
    roles: { type: [String], default: [] },
    audience: String,
    lastLaunchAt: Date,
  },
  { collection: 'lti_course_launchers', autoIndex: false, _id: false },
);
launcherSchema.index({ courseKey: 1 });

export const Course = defineModel('LtiCourse', courseSchema);
export const CourseLauncher = defineModel('LtiCourseLauncher', launcherSchema);

/** How often one person's launches are written down (the list only needs "has launched", and a recent name). */
const LAUNCHER_REFRESH_MS = 3600_000;

export class CourseDirectory {
  /** Last written state per course and launcher on this instance: most launches change nothing. */
  private readonly written = new Map<string, string>();
  private readonly launcherWritten = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * Called on every launch; writes only what changed. A launch without a service claim does not
   * erase an endpoint an earlier launch brought (Moodle leaves claims out of some launches).
   */
  async remember(ctx: LaunchContext): Promise<void> {
    const course: Omit<CourseDoc, 'updatedAt'> = {
      _id: ctx.courseKey,
      platform: {
        issuer: ctx.platform.issuer,
        clientId: ctx.platform.clientId,
        platformId: ctx.platform.platformId,
        deploymentId: ctx.deploymentId,
      },
      courseId: ctx.course.id,
      label: ctx.course.label,
      title: ctx.course.title,
      membershipsUrl: ctx.nrps?.membershipsUrl,
      lineItemsUrl: ctx.ags?.lineItemsUrl,
      agsScopes: ctx.ags?.scopes ?? [],
    };
    const fingerprint = JSON.stringify(course);
    let changed = false;
    if (this.written.get(ctx.courseKey) !== fingerprint) {
      const before = await Course.findById(ctx.courseKey).lean<CourseDoc>();
      const merged = {
        ...course,
        membershipsUrl: course.membershipsUrl ?? before?.membershipsUrl,
        lineItemsUrl: course.lineItemsUrl ?? before?.lineItemsUrl,
        agsScopes: course.agsScopes.length ? course.agsScopes : (before?.agsScopes ?? []),
      };
      await putById(Course, ctx.courseKey, { ...merged, updatedAt: new Date(this.now()) });
      this.written.set(ctx.courseKey, fingerprint);
      changed = true;
    }
    const launcherId = idOf('cl', ctx.courseKey, ctx.user.id);
    const last = this.launcherWritten.get(launcherId) ?? 0;
    if (this.now() - last > LAUNCHER_REFRESH_MS) {
      // Without NRPS the roster is those who launched: a new one changes it.
      await putById(CourseLauncher, launcherId, {
        courseKey: ctx.courseKey,
        userId: ctx.user.id,
        name: ctx.user.name,
        givenName: ctx.user.givenName,
        familyName: ctx.user.familyName,
        roles: ctx.roles,
        audience: ctx.audience,
        lastLaunchAt: new Date(this.now()),
      });
      this.launcherWritten.set(launcherId, this.now());
      changed = true;
    }
    if (this.written.size > 10_000) this.written.clear();
    if (this.launcherWritten.size > 100_000) this.launcherWritten.clear();
    // After the writes: a roster view that sees the new mark reads them.
    if (changed) await markChanged(courseScope(ctx.courseKey, 'roster'));
  }

  /** Every course of one platform (an admin's scope: the registration, not every client of its issuer), by title. */
  async coursesOfPlatform(platform: { issuer: string; clientId: string }): Promise<CourseDoc[]> {
    return byTitle(
      await Course.find({ 'platform.issuer': platform.issuer, 'platform.clientId': platform.clientId }).lean<
        CourseDoc[]
      >(),
    );
  }

  /** Every course of every platform (the setup session's scope), by title. */
  async allCourses(): Promise<CourseDoc[]> {
    return byTitle(await Course.find({}).lean<CourseDoc[]>());
  }

  async course(courseKey: string): Promise<CourseDoc | null> {
    return Course.findById(courseKey).lean<CourseDoc>();
  }

  async launchers(courseKey: string): Promise<LauncherDoc[]> {
    return CourseLauncher.find({ courseKey }).lean<LauncherDoc[]>();
  }
}

function byTitle(courses: CourseDoc[]): CourseDoc[] {
  return courses.sort((a, b) => (a.title ?? a.label ?? a._id).localeCompare(b.title ?? b.label ?? b._id, 'id'));
}
