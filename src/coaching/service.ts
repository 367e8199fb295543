/**
 * Coaching use cases: place an activity, find it from a launch, keep a participant's journal
 * (every save a version, never a silent overwrite), submit and reopen. Each method names the
 * course it works in; a caller can never reach another course's activity by id.
 */
import type { CourseDirectory } from '../lti/courses';
import type { DeliveryTarget } from '../grades/worker';
import { LRUCache } from 'lru-cache';
import crypto from 'node:crypto';
import mongoose from 'mongoose';
import type { LaunchContext } from '../domain/launch';
import {
  checkEntryText,
  isValidEntryKey,
  progressOf,
  promptIds,
  wordCount,
  type ActivitySettings,
  type Progress,
  type TextProblem,
} from './domain';
import {
  Activity,
  Entry,
  EntryConflict,
  EntryVersion,
  Work,
  type ActivityDoc,
  type EntryDoc,
  type LineItemSync,
  type VersionDoc,
  type Visibility,
  type WorkDoc,
} from './models';
import { entryId, versionId, workId } from './ids';
import { courseScope, markChanged } from '../db/change-marks';
import { findByIds, isDuplicateKey, retryLostUpsert } from '../db/model';
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
  /** Told after a participant withdraws a submission (grade passback sends InProgress/NotReady). */
  onWithdrawn?: (activity: ActivityDoc, work: WorkDoc) => Promise<void>;
  /** How many versions an entry keeps (default VERSIONS_KEPT). */
  versionsKept?: VersionsKept;
  /** The courses launches came from: their AGS endpoints, for where an activity's scores go. */
  courses?: Pick<CourseDirectory, 'course'>;
}

/**
 * Versions kept per entry: every one of the `recent` newest, and `older` spread evenly over all
 * the revisions before them; the others are thinned every `recent` saves. An entry autosaved every
 * few seconds for months keeps at most about recent·2 + older versions, and its early drafts stay
 * readable at intervals instead of one per keystroke pause.
 */
export interface VersionsKept {
  recent: number;
  older: number;
}
export const VERSIONS_KEPT: VersionsKept = { recent: 100, older: 100 };

/** The older revisions (below `upTo`) that stay: revision 1 and `older` spread evenly up to `upTo`. Pure. */
export function olderRevisionsKept(upTo: number, older: number): Set<number> {
  const kept = new Set<number>();
  if (upTo < 1) return kept;
  if (upTo <= older) {
    for (let r = 1; r <= upTo; r++) kept.add(r);
    return kept;
  }
  for (let i = 0; i < older; i++) kept.add(1 + Math.round((i * (upTo - 1)) / (older - 1)));
  return kept;
}

const ACTIVITY_CACHE_MS = 5000;

export class CoachingService {
  private readonly now: () => Date;
  private readonly activityCache = new LRUCache<string, ActivityDoc>({ max: 5000, ttl: ACTIVITY_CACHE_MS });

  constructor(private readonly deps: CoachingServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  templates(): CoachingTemplate[] {
    return this.deps.templates;
  }

  template(id: string): CoachingTemplate | undefined {
    return this.deps.templates.find((t) => t.id === id);
  }

  async createActivity(
    ctx: LaunchContext,
    template: CoachingTemplate,
    settings: ActivitySettings,
    opts: { resourceLinkId?: string; selection?: string } = {},
  ): Promise<ActivityDoc> {
    const id = crypto.randomBytes(12).toString('base64url');
    const doc = await Activity.create({
      _id: id,
      courseKey: ctx.courseKey,
      platform: {
        issuer: ctx.platform.issuer,
        clientId: ctx.platform.clientId,
        deploymentId: ctx.deploymentId,
        courseId: ctx.course.id,
      },
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
    // One waiting in a Deep Linking picker is not in the course yet (closeSelection marks it).
    if (!opts.selection) await markChanged(courseScope(ctx.courseKey, 'activities'));
    return doc.toObject() as ActivityDoc;
  }

  /**
   * The activity an id names, only within this course (read by `_id`, then checked). Every
   * autosave asks for it, so it is kept a few seconds; this instance forgets it when it changes
   * it, other instances see a settings edit within ACTIVITY_CACHE_MS.
   */
  async activityInCourse(courseKey: string, activityId: string): Promise<ActivityDoc | null> {
    if (typeof activityId !== 'string' || activityId.length > 64) return null;
    let activity: ActivityDoc | null | undefined = this.activityCache.get(activityId);
    if (!activity) {
      activity = await Activity.findById(activityId).lean<ActivityDoc>();
      if (activity) this.activityCache.set(activityId, activity);
    }
    return activity && activity.courseKey === courseKey ? activity : null;
  }

  /**
   * Where an activity's scores go, read fresh at each delivery attempt (a later launch may have
   * brought the line item URL); null when the activity is gone or not the course's.
   */
  readonly deliveryTarget = async (courseKey: string, activityId: string): Promise<DeliveryTarget | null> => {
    const activity = await Activity.findById(activityId).lean<ActivityDoc>();
    if (!activity || activity.courseKey !== courseKey) return null;
    const course = await this.deps.courses?.course(courseKey);
    return {
      platform: { issuer: activity.platform.issuer, clientId: activity.platform.clientId },
      lineItemUrl: activity.lineItem?.id,
      lineItemsUrl: course?.lineItemsUrl,
      resourceLinkId: activity.resourceLinkIds[0],
      resourceId: activity.lineItem?.resourceId ?? activity._id,
      tag: activity.lineItem?.tag ?? `cermin:${activity.templateId}`,
      label: activity.title,
      scoreMaximum: activity.maxScore,
    };
  };

  private forgetActivity(activityId: string): void {
    this.activityCache.delete(activityId);
  }

  /**
   * The activity a resource-link launch opens: its `activity_id` custom parameter (from Deep
   * Linking) in this course, else the activity this link was bound to by hand. A custom id from
   * another course (Moodle copies custom parameters with a course) opens nothing here.
   */
  async activityForLaunch(ctx: LaunchContext): Promise<ActivityDoc | null> {
    const linkId = ctx.resourceLink?.id;
    const byCustom = ctx.custom.activity_id ? await this.activityInCourse(ctx.courseKey, ctx.custom.activity_id) : null;
    const activity =
      byCustom ??
      (linkId
        ? await Activity.findOne({ courseKey: ctx.courseKey, resourceLinkIds: linkId }).lean<ActivityDoc>()
        : null);
    if (!activity) return null;
    const updates: Record<string, unknown> = {};
    if (linkId && !activity.resourceLinkIds.includes(linkId)) updates.$addToSet = { resourceLinkIds: linkId };
    // The gradebook column's URL arrives with launches, not with the Deep Linking response.
    const lineItemUrl = ctx.ags?.lineItemUrl;
    if (lineItemUrl && activity.lineItem?.id !== lineItemUrl) {
      updates.$set = {
        'lineItem.id': lineItemUrl,
        'lineItem.sync': activity.lineItem?.sync === 'none' ? 'synced' : (activity.lineItem?.sync ?? 'synced'),
      };
    }
    if (Object.keys(updates).length) {
      await Activity.updateOne({ _id: activity._id, courseKey: ctx.courseKey }, updates);
      this.forgetActivity(activity._id);
      return this.activityInCourse(ctx.courseKey, activity._id);
    }
    return activity;
  }

  /** The course's placed activities (not those still waiting in a Deep Linking picker). */
  async activitiesInCourse(courseKey: string): Promise<ActivityDoc[]> {
    return Activity.find({ courseKey, deepLinkSelection: mongoose.trusted({ $exists: false }) })
      .sort({ createdAt: 1 })
      .lean<ActivityDoc[]>();
  }

  /** What the mentor's own participants shared with their mentor, and nothing else. */
  async sharedWithMentor(
    activity: ActivityDoc,
    menteeIds: string[],
  ): Promise<Array<{ userId: string; userName?: string; entries: EntryDoc[] }>> {
    if (!menteeIds.length) return [];
    const [entries, works] = await Promise.all([
      Entry.find({
        activityId: activity._id,
        courseKey: activity.courseKey,
        userId: mongoose.trusted({ $in: menteeIds }),
        visibility: 'mentor',
      })
        .sort({ userId: 1, key: 1 })
        .lean<EntryDoc[]>(),
      Work.find(
        { activityId: activity._id, courseKey: activity.courseKey, userId: mongoose.trusted({ $in: menteeIds }) },
        { userId: 1, userName: 1 },
      ).lean(),
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
    this.activityCache.clear();
    await markChanged(courseScope(courseKey, 'activities'));
  }

  async removeFromSelection(courseKey: string, selection: string, activityId: string): Promise<void> {
    await Activity.deleteOne({ _id: activityId, courseKey, deepLinkSelection: selection });
    this.forgetActivity(activityId);
  }

  /** Saves new settings unless another coach saved in between (then 'conflict'). */
  async updateSettings(
    activity: ActivityDoc,
    settings: ActivitySettings,
    expectedRevision: number,
  ): Promise<ActivityDoc | 'conflict'> {
    const res = await Activity.updateOne(
      { _id: activity._id, courseKey: activity.courseKey, revision: expectedRevision },
      {
        $set: { ...settings, 'lineItem.label': settings.title, updatedAt: this.now() },
        $inc: { revision: 1 },
        ...(settings.dueAt ? {} : { $unset: { dueAt: 1 } }),
      },
    );
    this.forgetActivity(activity._id);
    if (res.matchedCount === 0) return 'conflict';
    await markChanged(courseScope(activity.courseKey, 'activities'));
    return (await this.activityInCourse(activity.courseKey, activity._id)) as ActivityDoc;
  }

  async setLineItemSync(activity: ActivityDoc, sync: Exclude<LineItemSync, 'none'>, error?: string): Promise<void> {
    await Activity.updateOne(
      { _id: activity._id, courseKey: activity.courseKey },
      { $set: { 'lineItem.sync': sync, 'lineItem.error': error ?? '' } },
    );
    this.forgetActivity(activity._id);
  }

  private async work(activity: ActivityDoc, userId: string): Promise<WorkDoc | null> {
    return Work.findById(workId(activity._id, userId)).lean<WorkDoc>();
  }

  private async entry(activity: ActivityDoc, userId: string, key: string): Promise<EntryDoc | null> {
    return Entry.findById(entryId(activity._id, userId, key)).lean<EntryDoc>();
  }

  /**
   * A participant's entries, from the entry records themselves (each written once per save, by one
   * writer): never from a list kept beside them, which concurrent saves can leave short. A sections
   * activity's entries are its prompts' (read by `_id`); a dated journal's are found by activity
   * and person.
   */
  private async entriesOf(activity: ActivityDoc, userId: string): Promise<EntryDoc[]> {
    const entries =
      activity.kind === 'sections'
        ? await findByIds<EntryDoc>(
            Entry,
            promptIds(activity).map((key) => entryId(activity._id, userId, key)),
          )
        : await Entry.find({ activityId: activity._id, courseKey: activity.courseKey, userId }).lean<EntryDoc[]>();
    return entries.sort((a, b) => a.key.localeCompare(b.key));
  }

  async journal(activity: ActivityDoc, userId: string): Promise<Journal> {
    const [work, entries, conflicts] = await Promise.all([
      this.work(activity, userId),
      this.entriesOf(activity, userId),
      // Every kept copy, whatever an entry's counter says: a counter is a hint two racing saves can reset.
      EntryConflict.find({ activityId: activity._id, courseKey: activity.courseKey, userId })
        .sort({ savedAt: 1 })
        .lean(),
    ]);
    return {
      entries,
      work,
      progress: progressOf(activity, entries),
      conflicts: conflicts.map((c) => ({ key: c.key, text: c.text, savedAt: c.savedAt })),
    };
  }

  /**
   * Saves a new version of an entry written from `baseRevision`. The version is written first,
   * with an `_id` made of (entry, revision): of two saves from the same base exactly one inserts
   * it; the other is kept as a conflict and answered with both texts. Every write is of a record
   * of this save's own (a version, the entry) or creates the work record once, so saves of
   * different entries at the same moment (an offline queue flushing) neither fail nor lose each
   * other on any MongoDB-wire server.
   */
  async saveEntry(
    activity: ActivityDoc,
    user: { id: string; name?: string },
    key: string,
    input: { text: string; baseRevision: number; source: VersionDoc['source']; visibility?: Visibility },
  ): Promise<SaveResult> {
    if (!isValidEntryKey(activity, key, this.now())) return { kind: 'invalid', problem: 'badKey' };
    if (!Number.isInteger(input.baseRevision) || input.baseRevision < 0)
      return { kind: 'invalid', problem: 'badRevision' };
    const checked = checkEntryText(input.text);
    if (!checked.ok) return { kind: 'invalid', problem: checked.problem };

    const [work, current] = await Promise.all([this.work(activity, user.id), this.entry(activity, user.id, key)]);
    if (work?.status === 'submitted') return { kind: 'locked' };
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
    const base = { courseKey: activity.courseKey, activityId: activity._id, userId: user.id, key };
    try {
      await EntryVersion.create({
        _id: versionId(activity._id, user.id, key, revision),
        ...base,
        revision,
        text: checked.text,
        source: input.source,
        savedAt,
      });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      return this.conflict(activity, user.id, key, input.baseRevision, checked.text);
    }
    await this.thinVersions(activity, user.id, key, revision);
    const entry: EntryDoc = {
      _id: entryId(activity._id, user.id, key),
      ...base,
      ...(activity.kind === 'journal' ? { date: key.slice(2) } : {}),
      text: checked.text,
      words: wordCount(checked.text),
      revision,
      visibility: input.visibility ?? current?.visibility ?? 'coach',
      conflictCount: current?.conflictCount ?? 0,
      updatedAt: savedAt,
    };
    await this.writeEntry(entry, input.visibility !== undefined);
    // The work record changes when this entry starts or stops counting (new, crossing the word
    // minimum, visibility), not on every keystroke's save; it is created once, by whichever first
    // save gets there (the others find it). Its `updatedAt` tells the coach something changed.
    const counts = (e: Pick<EntryDoc, 'visibility' | 'words'>) =>
      e.visibility !== 'private' && e.words >= activity.completion.minWords;
    if (!work || !current || counts(current) !== counts(entry) || current.visibility !== entry.visibility) {
      await retryLostUpsert(() =>
        Work.updateOne(
          { _id: workId(activity._id, user.id) },
          {
            $set: { updatedAt: savedAt, ...(user.name ? { userName: user.name } : {}) },
            $setOnInsert: {
              courseKey: activity.courseKey,
              activityId: activity._id,
              userId: user.id,
              status: 'draft',
              history: [],
            },
          },
          { upsert: true },
        ),
      );
    }
    // A first save puts the participant on the roster as "draft".
    if (!work) await markChanged(courseScope(activity.courseKey, 'work'));
    return { kind: 'saved', entry };
  }

  /**
   * Writes the entry of a revision this save won (or a conflict's catch-up found). Only the save
   * that inserted a revision's version writes that revision, and the next revision cannot be won
   * before this entry shows this one, so entries are written in order. Visibility is written only
   * when the save was given one, so an autosave that read the entry before the participant marked
   * it private does not undo that; the kept-copies counter only at creation, so a conflict's count
   * is not reset. By `_id` alone: the one filter the embedded database answers without a scan.
   */
  private async writeEntry(entry: EntryDoc, visibilityGiven: boolean): Promise<void> {
    const { _id, visibility, conflictCount: _counter, ...fields } = entry;
    await retryLostUpsert(() =>
      Entry.updateOne(
        { _id },
        {
          $set: { ...fields, ...(visibilityGiven ? { visibility } : {}) },
          $setOnInsert: { conflictCount: 0, ...(visibilityGiven ? {} : { visibility }) },
        },
        { upsert: true },
      ),
    );
  }

  /**
   * Every `recent` revisions past the cap, drops the older versions that are no longer among the
   * evenly spread ones. What is stored below the last thinning is known (the spread kept then, and
   * every revision since), so each thinning deletes at most `recent + older` `_id`s, whatever the
   * entry's age. A thinning missed (a crash just after the version was written) leaves a few extra
   * versions, never fewer.
   */
  private async thinVersions(activity: ActivityDoc, userId: string, key: string, revision: number): Promise<void> {
    const { recent, older } = this.deps.versionsKept ?? VERSIONS_KEPT;
    if (revision <= recent + older || revision % recent !== 0) return;
    const upTo = revision - recent;
    const stored = olderRevisionsKept(upTo - recent, older);
    for (let r = upTo - recent + 1; r <= upTo; r++) stored.add(r);
    const kept = olderRevisionsKept(upTo, older);
    const drop = [...stored].filter((r) => !kept.has(r)).map((r) => versionId(activity._id, userId, key, r));
    if (drop.length) await EntryVersion.deleteMany({ _id: mongoose.trusted({ $in: drop }) });
  }

  private async conflict(
    activity: ActivityDoc,
    userId: string,
    key: string,
    baseRevision: number,
    text: string,
  ): Promise<SaveResult> {
    const id = entryId(activity._id, userId, key);
    await EntryConflict.create({
      activityId: activity._id,
      courseKey: activity.courseKey,
      userId,
      key,
      baseRevision,
      text,
      savedAt: this.now(),
    });
    let current = await this.entry(activity, userId, key);
    // A crash between writing a version and its entry leaves the entry behind: catch it up.
    let next = await EntryVersion.findById(
      versionId(activity._id, userId, key, (current?.revision ?? 0) + 1),
    ).lean<VersionDoc>();
    while (next) {
      const caughtUp: EntryDoc = {
        _id: id,
        courseKey: activity.courseKey,
        activityId: activity._id,
        userId,
        key,
        text: next.text,
        words: wordCount(next.text),
        revision: next.revision,
        visibility: current?.visibility ?? 'coach',
        conflictCount: current?.conflictCount ?? 0,
        updatedAt: next.savedAt,
      };
      await this.writeEntry(caughtUp, false);
      current = caughtUp;
      next = await EntryVersion.findById(versionId(activity._id, userId, key, next.revision + 1)).lean<VersionDoc>();
    }
    await Entry.updateOne({ _id: id }, { $inc: { conflictCount: 1 } });
    return {
      kind: 'conflict',
      current: { ...(current as EntryDoc), conflictCount: (current?.conflictCount ?? 0) + 1 },
      yours: text,
    };
  }

  /** Forgets the kept copies of an entry once the participant has used one or discarded them. */
  async clearConflicts(activity: ActivityDoc, userId: string, key: string): Promise<void> {
    await EntryConflict.deleteMany({ activityId: activity._id, courseKey: activity.courseKey, userId, key });
    await Entry.updateOne({ _id: entryId(activity._id, userId, key) }, { $set: { conflictCount: 0 } });
  }

  async setVisibility(
    activity: ActivityDoc,
    userId: string,
    key: string,
    visibility: Visibility,
  ): Promise<'ok' | 'locked' | 'missing'> {
    const [work, current] = await Promise.all([this.work(activity, userId), this.entry(activity, userId, key)]);
    if (work?.status === 'submitted') return 'locked';
    if (!current) return 'missing';
    await Promise.all([
      Entry.updateOne({ _id: current._id }, { $set: { visibility } }),
      Work.updateOne({ _id: workId(activity._id, userId) }, { $set: { updatedAt: this.now() } }),
    ]);
    return 'ok';
  }

  /** The latest versions of an entry, newest first (each read by `_id`). */
  async versions(activity: ActivityDoc, userId: string, key: string, limit = 50): Promise<VersionDoc[]> {
    const current = await this.entry(activity, userId, key);
    if (!current) return [];
    const revisions = Array.from({ length: Math.min(limit, current.revision) }, (_, i) => current.revision - i);
    const found = await Promise.all(
      revisions.map((r) => EntryVersion.findById(versionId(activity._id, userId, key, r)).lean<VersionDoc>()),
    );
    return found.filter((v): v is VersionDoc => v !== null);
  }

  /** Makes an old version current again, as a new version (history is never rewritten). */
  async restore(
    activity: ActivityDoc,
    user: { id: string; name?: string },
    key: string,
    revision: number,
    baseRevision: number,
  ): Promise<SaveResult | { kind: 'missing' }> {
    const version = Number.isInteger(revision)
      ? await EntryVersion.findById(versionId(activity._id, user.id, key, revision)).lean<VersionDoc>()
      : null;
    if (!version) return { kind: 'missing' };
    return this.saveEntry(activity, user, key, { text: version.text, baseRevision, source: 'restore' });
  }

  async submit(
    activity: ActivityDoc,
    user: { id: string; name?: string },
  ): Promise<{ work: WorkDoc; progress: Progress } | 'already'> {
    const { entries } = await this.journal(activity, user.id);
    const progress = progressOf(activity, entries);
    const at = this.now();
    const id = workId(activity._id, user.id);
    const existing = await Work.findById(id).lean<WorkDoc>();
    if (existing?.status === 'submitted') return 'already';
    const update = {
      $set: {
        status: 'submitted',
        submittedAt: at,
        incompleteAtSubmit: !progress.met,
        updatedAt: at,
        ...(user.name ? { userName: user.name } : {}),
      },
      $push: { history: { at, action: 'submitted', by: user.id, complete: progress.met } },
      $setOnInsert: { courseKey: activity.courseKey, activityId: activity._id, userId: user.id },
    };
    // Guarded on the status read above: two submit clicks record one submission.
    const res = await Work.updateOne({ _id: id, ...(existing ? { status: existing.status } : {}) }, update, {
      upsert: !existing,
    });
    if (existing && res.modifiedCount === 0) return 'already';
    const work = (await Work.findById(id).lean<WorkDoc>()) as WorkDoc;
    await markChanged(courseScope(activity.courseKey, 'work'));
    if (this.deps.onSubmitted) await this.deps.onSubmitted(activity, work);
    return { work, progress };
  }

  /**
   * The participant takes a submission back to keep writing, while `reviewStarted` says no coach
   * has begun on it (a draft or a decision made since it was submitted). 'reviewing' once one has.
   */
  async withdraw(
    activity: ActivityDoc,
    userId: string,
    reviewStarted: (work: WorkDoc) => Promise<boolean>,
  ): Promise<'withdrawn' | 'notSubmitted' | 'reviewing'> {
    const id = workId(activity._id, userId);
    const work = await Work.findById(id).lean<WorkDoc>();
    if (work?.status !== 'submitted' || work.courseKey !== activity.courseKey) return 'notSubmitted';
    if (await reviewStarted(work)) return 'reviewing';
    const at = this.now();
    // Guarded on the submission read above: a coach's reopen or a second withdraw in between wins once.
    const res = await Work.updateOne(
      { _id: id, status: 'submitted', submittedAt: work.submittedAt },
      { $set: { status: 'draft', updatedAt: at }, $push: { history: { at, action: 'withdrawn', by: userId } } },
    );
    if (res.modifiedCount !== 1) return 'notSubmitted';
    await markChanged(courseScope(activity.courseKey, 'work'));
    if (this.deps.onWithdrawn) await this.deps.onWithdrawn(activity, { ...work, status: 'draft' });
    return 'withdrawn';
  }

  /** Back to draft so the participant can change it; `reason` is what their journal tells them to do. */
  async reopen(activity: ActivityDoc, coachId: string, userId: string, reason = ''): Promise<boolean> {
    const at = this.now();
    const res = await Work.updateOne(
      { _id: workId(activity._id, userId), status: 'submitted' },
      {
        $set: { status: 'draft', reopenedAt: at, reopenedBy: coachId, reopenReason: reason, updatedAt: at },
        $push: { history: { at, action: 'reopened', by: coachId, ...(reason ? { reason } : {}) } },
      },
    );
    if (res.modifiedCount === 1) await markChanged(courseScope(activity.courseKey, 'work'));
    return res.modifiedCount === 1;
  }

  /** Every participant's work on an activity, for its coaches (this course only), with progress counted from their entries. */
  async submissions(activity: ActivityDoc): Promise<Array<{ work: WorkDoc; progress: Progress }>> {
    const [works, entries] = await Promise.all([
      Work.find({ activityId: activity._id, courseKey: activity.courseKey })
        .sort({ status: -1, submittedAt: 1 })
        .lean<WorkDoc[]>(),
      Entry.find(
        { activityId: activity._id, courseKey: activity.courseKey },
        { userId: 1, key: 1, words: 1, visibility: 1 },
      ).lean<Array<Pick<EntryDoc, 'userId' | 'key' | 'words' | 'visibility'>>>(),
    ]);
    const byUser = new Map<string, Array<Pick<EntryDoc, 'key' | 'words' | 'visibility'>>>();
    for (const e of entries) byUser.set(e.userId, [...(byUser.get(e.userId) ?? []), e]);
    return works.map((work) => ({ work, progress: progressOf(activity, byUser.get(work.userId) ?? []) }));
  }

  /** The text of every entry a coach may read in the course (never private ones), for the cohort insight. */
  async coachVisibleTexts(courseKey: string): Promise<Array<{ userId: string; text: string }>> {
    const entries = await Entry.find(
      { courseKey, visibility: mongoose.trusted({ $ne: 'private' }) },
      { userId: 1, text: 1 },
    ).lean<Array<Pick<EntryDoc, 'userId' | 'text'>>>();
    return entries.map((e) => ({ userId: e.userId, text: e.text }));
  }

  /** Every participant's work in a course, without entry details: the roster's status per activity. */
  async worksInCourse(
    courseKey: string,
  ): Promise<
    Array<
      Pick<
        WorkDoc,
        | 'activityId'
        | 'userId'
        | 'userName'
        | 'status'
        | 'submittedAt'
        | 'updatedAt'
        | 'reopenedAt'
        | 'incompleteAtSubmit'
      >
    >
  > {
    return Work.find(
      { courseKey },
      {
        activityId: 1,
        userId: 1,
        userName: 1,
        status: 1,
        submittedAt: 1,
        updatedAt: 1,
        reopenedAt: 1,
        incompleteAtSubmit: 1,
      },
    ).lean();
  }
}
