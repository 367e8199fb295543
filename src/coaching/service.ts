/**
 * Coaching use cases: place an activity, find it from a launch, keep a participant's journal
 * (every save a version, never a silent overwrite), submit and reopen. Each method names the
 * course it works in; a caller can never reach another course's activity by id.
 */
import crypto from 'node:crypto';
import mongoose from 'mongoose';
import type { LaunchContext } from '../lti/context';
import { checkEntryText, isValidEntryKey, progressOf, wordCount, type ActivitySettings, type Progress, type TextProblem } from './domain';
import { Activity, Entry, EntryConflict, EntryVersion, Work, type ActivityDoc, type EntryDoc, type VersionDoc, type Visibility, type WorkDoc } from './models';
import type { CoachingTemplate } from './templates';

export type SaveResult =
  | { kind: 'saved'; entry: EntryDoc; unchanged?: boolean }
  | { kind: 'conflict'; current: EntryDoc; yours: string }
  | { kind: 'invalid'; problem: TextProblem | 'badKey' | 'badRevision' }
  | { kind: 'locked' };

export interface Journal {
  entries: EntryDoc[];
  work: WorkDoc | null;
  progress: Progress;
  conflicts: Array<{ key: string; text: string; savedAt: Date }>;
}

export interface CoachingServiceDeps {
  templates: CoachingTemplate[];
  now?: () => Date;
  /** Told after a participant submits (grade passback sends Submitted/PendingManual). */
  onSubmitted?: (activity: ActivityDoc, work: WorkDoc) => Promise<void>;
}

function isDuplicateKey(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: number }).code === 11000;
}

const lean = <T>(doc: T): T => doc;

export class CoachingService {
  private readonly now: () => Date;

  constructor(private readonly deps: CoachingServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  templates(): CoachingTemplate[] {
    return this.deps.templates;
  }

  template(id: string): CoachingTemplate | undefined {
    return this.deps.templates.find((t) => t.id === id);
  }

  async createActivity(ctx: LaunchContext, template: CoachingTemplate, settings: ActivitySettings, opts: { resourceLinkId?: string; selection?: string } = {}): Promise<ActivityDoc> {
    const id = crypto.randomBytes(12).toString('base64url');
    const doc = await Activity.create({
      _id: id,
      courseKey: ctx.courseKey,
      platform: { issuer: ctx.platform.issuer, clientId: ctx.platform.clientId, deploymentId: ctx.deploymentId, courseId: ctx.course.id },
      resourceLinkIds: opts.resourceLinkId ? [opts.resourceLinkId] : [],
      templateId: template.id,
      templateVersion: template.version,
      kind: template.kind,
      locale: ctx.locale,
      ...settings,
      lineItem: { label: settings.title, resourceId: id, tag: `cermin:${template.id}`, sync: 'none' },
      createdBy: ctx.user.id,
      createdAt: this.now(),
      updatedAt: this.now(),
      revision: 1,
      ...(opts.selection ? { deepLinkSelection: opts.selection } : {}),
    });
    return doc.toObject() as ActivityDoc;
  }

  /** The activity an id names, only within this course. */
  async activityInCourse(courseKey: string, activityId: string): Promise<ActivityDoc | null> {
    if (typeof activityId !== 'string' || activityId.length > 64) return null;
    return lean(await Activity.findOne({ _id: activityId, courseKey }).lean<ActivityDoc>());
  }

  /**
   * The activity a resource-link launch opens: its `activity_id` custom parameter (from Deep
   * Linking) in this course, else the activity this link was bound to by hand. A custom id from
   * another course (Moodle copies custom parameters with a course) opens nothing here.
   */
  async activityForLaunch(ctx: LaunchContext): Promise<ActivityDoc | null> {
    const linkId = ctx.resourceLink?.id;
    const byCustom = ctx.custom.activity_id ? await this.activityInCourse(ctx.courseKey, ctx.custom.activity_id) : null;
    const activity = byCustom ?? (linkId ? await Activity.findOne({ courseKey: ctx.courseKey, resourceLinkIds: linkId }).lean<ActivityDoc>() : null);
    if (!activity) return null;
    const updates: Record<string, unknown> = {};
    if (linkId && !activity.resourceLinkIds.includes(linkId)) updates.$addToSet = { resourceLinkIds: linkId };
    // The gradebook column's URL arrives with launches, not with the Deep Linking response.
    const lineItemUrl = ctx.ags?.lineItemUrl;
    if (lineItemUrl && activity.lineItem?.id !== lineItemUrl) {
      updates.$set = { 'lineItem.id': lineItemUrl, 'lineItem.sync': activity.lineItem?.sync === 'none' ? 'synced' : activity.lineItem?.sync ?? 'synced' };
    }
    if (Object.keys(updates).length) {
      await Activity.updateOne({ _id: activity._id, courseKey: ctx.courseKey }, updates);
      return this.activityInCourse(ctx.courseKey, activity._id);
    }
    return activity;
  }

  /** The course's placed activities (not those still waiting in a Deep Linking picker). */
  async activitiesInCourse(courseKey: string): Promise<ActivityDoc[]> {
    return Activity.find({ courseKey, deepLinkSelection: mongoose.trusted({ $exists: false }) }).sort({ createdAt: 1 }).lean<ActivityDoc[]>();
  }

  /** What the mentor's own participants shared with their mentor, and nothing else. */
  async sharedWithMentor(activity: ActivityDoc, menteeIds: string[]): Promise<Array<{ userId: string; userName?: string; entries: EntryDoc[] }>> {
    if (!menteeIds.length) return [];
    const [entries, works] = await Promise.all([
      Entry.find({ activityId: activity._id, courseKey: activity.courseKey, userId: mongoose.trusted({ $in: menteeIds }), visibility: 'mentor' }).sort({ userId: 1, key: 1 }).lean<EntryDoc[]>(),
      Work.find({ activityId: activity._id, courseKey: activity.courseKey, userId: mongoose.trusted({ $in: menteeIds }) }, { userId: 1, userName: 1 }).lean(),
    ]);
    const names = new Map(works.map((w) => [w.userId, w.userName]));
    const byUser = new Map<string, EntryDoc[]>();
    for (const e of entries) byUser.set(e.userId, [...(byUser.get(e.userId) ?? []), e]);
    return [...byUser].map(([userId, list]) => ({ userId, userName: names.get(userId), entries: list }));
  }

  async activitiesInSelection(courseKey: string, selection: string): Promise<ActivityDoc[]> {
    return Activity.find({ courseKey, deepLinkSelection: selection }).sort({ createdAt: 1 }).lean<ActivityDoc[]>();
  }

  async closeSelection(courseKey: string, selection: string): Promise<void> {
    await Activity.updateMany({ courseKey, deepLinkSelection: selection }, { $unset: { deepLinkSelection: 1 } });
  }

  async removeFromSelection(courseKey: string, selection: string, activityId: string): Promise<void> {
    await Activity.deleteOne({ _id: activityId, courseKey, deepLinkSelection: selection });
  }

  /** Saves new settings unless another coach saved in between (then 'conflict'). */
  async updateSettings(activity: ActivityDoc, settings: ActivitySettings, expectedRevision: number): Promise<ActivityDoc | 'conflict'> {
    const res = await Activity.updateOne(
      { _id: activity._id, courseKey: activity.courseKey, revision: expectedRevision },
      { $set: { ...settings, 'lineItem.label': settings.title, updatedAt: this.now() }, $inc: { revision: 1 }, ...(settings.dueAt ? {} : { $unset: { dueAt: 1 } }) },
    );
    if (res.matchedCount === 0) return 'conflict';
    return (await this.activityInCourse(activity.courseKey, activity._id)) as ActivityDoc;
  }

  async setLineItemSync(activity: ActivityDoc, sync: 'synced' | 'pending' | 'failed', error?: string): Promise<void> {
    await Activity.updateOne({ _id: activity._id, courseKey: activity.courseKey }, { $set: { 'lineItem.sync': sync, 'lineItem.error': error ?? '' } });
  }

  async journal(activity: ActivityDoc, userId: string): Promise<Journal> {
    const [entries, work, conflicts] = await Promise.all([
      Entry.find({ activityId: activity._id, courseKey: activity.courseKey, userId }).sort({ key: 1 }).lean<EntryDoc[]>(),
      Work.findOne({ activityId: activity._id, courseKey: activity.courseKey, userId }).lean<WorkDoc>(),
      EntryConflict.find({ activityId: activity._id, courseKey: activity.courseKey, userId }).sort({ savedAt: 1 }).lean(),
    ]);
    return { entries, work, progress: progressOf(activity, entries), conflicts: conflicts.map((c) => ({ key: c.key, text: c.text, savedAt: c.savedAt })) };
  }

  private async isLocked(activity: ActivityDoc, userId: string): Promise<boolean> {
    const work = await Work.findOne({ activityId: activity._id, courseKey: activity.courseKey, userId }, { status: 1 }).lean();
    return work?.status === 'submitted';
  }

  /**
   * Saves a new version of an entry written from `baseRevision`. The version is written first,
   * under a unique (entry, revision) index: of two saves from the same base exactly one wins; the
   * other is kept as a conflict and answered with both texts.
   */
  async saveEntry(activity: ActivityDoc, user: { id: string; name?: string }, key: string, input: { text: string; baseRevision: number; source: VersionDoc['source']; visibility?: Visibility }): Promise<SaveResult> {
    if (!isValidEntryKey(activity, key, this.now())) return { kind: 'invalid', problem: 'badKey' };
    if (!Number.isInteger(input.baseRevision) || input.baseRevision < 0) return { kind: 'invalid', problem: 'badRevision' };
    const checked = checkEntryText(input.text);
    if (!checked.ok) return { kind: 'invalid', problem: checked.problem };
    if (await this.isLocked(activity, user.id)) return { kind: 'locked' };

    const where = { activityId: activity._id, courseKey: activity.courseKey, userId: user.id, key };
    const current = await Entry.findOne(where).lean<EntryDoc>();
    const currentRevision = current?.revision ?? 0;
    if (input.baseRevision !== currentRevision) {
      // A queued save sent twice (flaky connection) is not a conflict.
      if (current && current.text === checked.text) return { kind: 'saved', entry: current, unchanged: true };
      return this.conflict(activity, user.id, key, input.baseRevision, checked.text);
    }
    if (current && current.text === checked.text && (!input.visibility || input.visibility === current.visibility)) {
      return { kind: 'saved', entry: current, unchanged: true };
    }

    const revision = currentRevision + 1;
    const savedAt = this.now();
    try {
      await EntryVersion.create({ ...where, revision, text: checked.text, source: input.source, savedAt });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      return this.conflict(activity, user.id, key, input.baseRevision, checked.text);
    }
    const date = activity.kind === 'journal' ? key.slice(2) : undefined;
    await Entry.updateOne(
      { ...where, revision: currentRevision },
      {
        $set: { text: checked.text, words: wordCount(checked.text), revision, updatedAt: savedAt, ...(input.visibility ? { visibility: input.visibility } : {}), ...(date ? { date } : {}) },
        $setOnInsert: input.visibility ? {} : { visibility: 'coach' },
      },
      { upsert: currentRevision === 0 },
    );
    await Work.updateOne({ activityId: activity._id, courseKey: activity.courseKey, userId: user.id }, {
      $setOnInsert: { status: 'draft', history: [] }, $set: { updatedAt: savedAt, ...(user.name ? { userName: user.name } : {}) },
    }, { upsert: true });
    return { kind: 'saved', entry: (await Entry.findOne(where).lean<EntryDoc>()) as EntryDoc };
  }

  private async conflict(activity: ActivityDoc, userId: string, key: string, baseRevision: number, text: string): Promise<SaveResult> {
    const where = { activityId: activity._id, courseKey: activity.courseKey, userId, key };
    await EntryConflict.create({ ...where, baseRevision, text, savedAt: this.now() });
    let current = await Entry.findOne(where).lean<EntryDoc>();
    // A crash between writing a version and its entry leaves the entry behind: catch it up.
    const latest = await EntryVersion.findOne(where).sort({ revision: -1 }).lean();
    if (latest && (!current || latest.revision > current.revision)) {
      await Entry.updateOne(where, { $set: { text: latest.text, words: wordCount(latest.text), revision: latest.revision, updatedAt: latest.savedAt }, $setOnInsert: { visibility: 'coach' } }, { upsert: true });
      current = await Entry.findOne(where).lean<EntryDoc>();
    }
    return { kind: 'conflict', current: current as EntryDoc, yours: text };
  }

  /** Forgets kept conflict copies of an entry once the participant has chosen. */
  async clearConflicts(activity: ActivityDoc, userId: string, key: string): Promise<void> {
    await EntryConflict.deleteMany({ activityId: activity._id, courseKey: activity.courseKey, userId, key });
  }

  async setVisibility(activity: ActivityDoc, userId: string, key: string, visibility: Visibility): Promise<'ok' | 'locked' | 'missing'> {
    if (await this.isLocked(activity, userId)) return 'locked';
    const res = await Entry.updateOne({ activityId: activity._id, courseKey: activity.courseKey, userId, key }, { $set: { visibility } });
    return res.matchedCount ? 'ok' : 'missing';
  }

  async versions(activity: ActivityDoc, userId: string, key: string): Promise<VersionDoc[]> {
    return EntryVersion.find({ activityId: activity._id, courseKey: activity.courseKey, userId, key }).sort({ revision: -1 }).limit(200).lean<VersionDoc[]>();
  }

  /** Makes an old version current again, as a new version (history is never rewritten). */
  async restore(activity: ActivityDoc, user: { id: string; name?: string }, key: string, revision: number, baseRevision: number): Promise<SaveResult | { kind: 'missing' }> {
    const version = await EntryVersion.findOne({ activityId: activity._id, courseKey: activity.courseKey, userId: user.id, key, revision }).lean();
    if (!version) return { kind: 'missing' };
    return this.saveEntry(activity, user, key, { text: version.text, baseRevision, source: 'restore' });
  }

  async submit(activity: ActivityDoc, user: { id: string; name?: string }): Promise<{ work: WorkDoc; progress: Progress } | 'already'> {
    const { entries } = await this.journal(activity, user.id);
    const progress = progressOf(activity, entries);
    const at = this.now();
    const res = await Work.findOneAndUpdate(
      { activityId: activity._id, courseKey: activity.courseKey, userId: user.id, status: mongoose.trusted({ $ne: 'submitted' }) },
      {
        $set: { status: 'submitted', submittedAt: at, incompleteAtSubmit: !progress.met, updatedAt: at, ...(user.name ? { userName: user.name } : {}) },
        $push: { history: { at, action: 'submitted', by: user.id, complete: progress.met } },
      },
      { new: true, upsert: false },
    ).lean<WorkDoc>();
    let work = res;
    if (!work) {
      // No draft record yet (nothing saved) or already submitted.
      const existing = await Work.findOne({ activityId: activity._id, courseKey: activity.courseKey, userId: user.id }).lean<WorkDoc>();
      if (existing?.status === 'submitted') return 'already';
      try {
        work = (await Work.create({
          activityId: activity._id, courseKey: activity.courseKey, userId: user.id, userName: user.name, status: 'submitted', submittedAt: at,
          incompleteAtSubmit: !progress.met, updatedAt: at, history: [{ at, action: 'submitted', by: user.id, complete: progress.met }],
        })).toObject() as WorkDoc;
      } catch (err) {
        if (isDuplicateKey(err)) return 'already';
        throw err;
      }
    }
    if (this.deps.onSubmitted) await this.deps.onSubmitted(activity, work);
    return { work, progress };
  }

  async reopen(activity: ActivityDoc, coachId: string, userId: string): Promise<boolean> {
    const at = this.now();
    const res = await Work.updateOne(
      { activityId: activity._id, courseKey: activity.courseKey, userId, status: 'submitted' },
      { $set: { status: 'draft', reopenedAt: at, reopenedBy: coachId, updatedAt: at }, $push: { history: { at, action: 'reopened', by: coachId } } },
    );
    return res.modifiedCount === 1;
  }

  /** Every participant's work on an activity, for its coaches (this course only). */
  async submissions(activity: ActivityDoc): Promise<Array<{ work: WorkDoc; progress: Progress }>> {
    const [works, entries] = await Promise.all([
      Work.find({ activityId: activity._id, courseKey: activity.courseKey }).sort({ status: -1, submittedAt: 1 }).lean<WorkDoc[]>(),
      Entry.find({ activityId: activity._id, courseKey: activity.courseKey }, { userId: 1, key: 1, words: 1, visibility: 1 }).lean<EntryDoc[]>(),
    ]);
    const byUser = new Map<string, EntryDoc[]>();
    for (const e of entries) byUser.set(e.userId, [...(byUser.get(e.userId) ?? []), e]);
    return works.map((work) => ({ work, progress: progressOf(activity, byUser.get(work.userId) ?? []) }));
  }
}
