/**
 * The coach's review side: the course roster (every member, a status per activity, search, filter,
 * sort, paging), one participant's review (journal with versions, AI draft labelled as such,
 * rubric, decision) and grade delivery (status, retry, release held grades). Every route: the
 * ltik's own course and a coach role.
 */
import { launchPage } from '../../http/page';
import express from 'express';
import { personName } from '../../domain/launch';
import { deliveryIdOf } from '../../grades/models';
import type { DeliveryView, GradeOutbox } from '../../grades/outbox';
import { handle } from '../../http/async';
import { HttpError } from '../../http/errors';
import { launchOf, requireAudience, ltikOf } from '../../http/guards';
import { translator } from '../../http/i18n';
import { sendPage } from '../../http/render';
import { canSee } from '../domain';
import { activityPath, coursePath, safeBack, withLtik } from '../../http/paths';
import { activityOf, loadActivity } from '../activities/load';
import type { ActivityDoc } from '../models';
import { visibilityLabel } from '../journal/presenter';
import { formatTime } from '../../http/format';
import {
  draftScore,
  inBlindSample,
  parseReviewForm,
  reviewSecondsSince,
  rubricScore,
  type ReviewProblem,
} from './domain';
import { worklistCsv } from './export';
import { safetyBadge } from './safety';
import { bankOf, dropComment, keepComment } from './comment-bank';
import {
  isWorklistFilter,
  neighboursOf,
  worklistRows,
  type WorklistFilter,
  type WorklistOf,
  type WorklistRow,
} from './worklist';
import type { ReviewService } from './service';
import {
  cellOf,
  filterRoster,
  statusCounts,
  STATUS_ORDER,
  whatsNew,
  type Cell,
  type CellStatus,
  type RosterRow,
} from './roster-view';
import type { RosterMember, RosterService, RosterView } from './roster';
import { courseScope, currentMark, type CourseSource } from '../../db/change-marks';
import {
  validateReopenForm,
  validateRosterQuery,
  validateSafetyFollowUp,
  validateBankDelete,
  validateBulkReopen,
} from './schema';
import { validate, validateSessionOnly } from '../../http/validate';
import type { CoachingService } from '../service';
import { recordVisit } from './visits';
import { followUpSafetyAlert, openSafetyAlerts, type SafetyAlertDoc } from '../ai-help/turns';
import type { DraftService } from '../ai-help/drafts';

export interface ReviewRoutesDeps {
  coaching: CoachingService;
  reviews: ReviewService;
  roster: RosterService;
  outbox: GradeOutbox;
  pageSize: number;
  /** The course's safety alerts from the AI coach (newest first). */
  alertsOf?: (courseKey: string) => Promise<SafetyAlertDoc[]>;
  /** Drafts feedback and a rubric suggestion for the coach (the AI coach engine). */
  drafts?: DraftService;
  /** Share of submissions first reviewed without the draft (blind re-marking); 0 turns it off. */
  blindShare?: number;
  /** One activity's worklist (the review page's previous / next). */
  worklistOf: WorklistOf;
  now?: () => Date;
}

/** Everyone the roster lists plus anyone with work who is not in it (a stale roster must not hide work). */
function rosterRows(
  members: RosterMember[],
  activities: ActivityDoc[],
  works: Awaited<ReturnType<CoachingService['worksInCourse']>>,
  reviews: Awaited<ReturnType<ReviewService['reviewsForCourse']>>,
  deliveries: Map<string, DeliveryView>,
  since?: Date,
): RosterRow[] {
  const learners = members.filter((m) => m.audience === 'participant' || m.audience === null);
  const known = new Set(learners.map((m) => m.userId));
  const staff = new Set(
    members.filter((m) => m.audience !== 'participant' && m.audience !== null).map((m) => m.userId),
  );
  const extra = new Map<string, RosterMember>();
  for (const w of works) {
    if (!known.has(w.userId) && !staff.has(w.userId) && !extra.has(w.userId)) {
      extra.set(w.userId, {
        userId: w.userId,
        name: w.userName ?? w.userId,
        audience: 'participant',
        status: 'active',
      });
    }
  }
  const workBy = new Map(works.map((w) => [`${w.activityId} ${w.userId}`, w]));
  const reviewBy = new Map(reviews.map((r) => [`${r.activityId} ${r.userId}`, r]));
  return [...learners, ...extra.values()].map((member) => ({
    member,
    cells: Object.fromEntries(
      activities.map((a) => {
        const key = `${a._id} ${member.userId}`;
        return [
          a._id,
          cellOf(workBy.get(key), reviewBy.get(key), deliveries.get(deliveryIdOf(a._id, member.userId)), since),
        ];
      }),
    ),
  }));
}

/** What the roster page is made of, for one course, as of one change mark. */
/** What the roster page is made of, for one course: each part as read at its own change mark. */
interface CourseSnapshot {
  view: RosterView;
  activities: ActivityDoc[];
  works: Awaited<ReturnType<CoachingService['worksInCourse']>>;
  reviews: Awaited<ReturnType<ReviewService['reviewsForCourse']>>;
  deliveries: Map<string, DeliveryView>;
}

const SOURCE_OF: Record<keyof CourseSnapshot, CourseSource> = {
  view: 'roster',
  activities: 'activities',
  works: 'work',
  reviews: 'reviews',
  deliveries: 'grades',
};

interface KeptPart {
  mark: string;
  readAt: number;
  value: unknown;
}

const COURSES_KEPT = 200;
/** A backstop: a write whose mark was lost (a crash in between) shows within this long anyway. */
const PART_MAX_AGE_MS = 60_000;

export function reviewRoutes(deps: ReviewRoutesDeps): express.Router {
  const { coaching, reviews, roster, outbox } = deps;
  const kept = new Map<string, Map<keyof CourseSnapshot, KeptPart>>();

  /**
   * The course's roster, activities, work, reviews and deliveries. Reading them is most of the
   * roster page's cost (bench/grades), so each part is kept per course
   * until its change mark moves: paging, searching and sorting a class read five small records,
   * and a change (a grade sent, a submission) re-reads only the part it touched.
   */
  async function snapshotOf(
    courseKey: string,
    refresh: boolean,
    only?: Array<keyof CourseSnapshot>,
  ): Promise<CourseSnapshot> {
    const readers: { [K in keyof CourseSnapshot]: () => Promise<CourseSnapshot[K]> } = {
      view: () => roster.view(courseKey, { refresh }),
      activities: () => coaching.activitiesInCourse(courseKey),
      works: () => coaching.worksInCourse(courseKey),
      reviews: () => reviews.reviewsForCourse(courseKey),
      deliveries: () => outbox.viewsForCourse(courseKey),
    };
    const parts = kept.get(courseKey) ?? new Map<keyof CourseSnapshot, KeptPart>();
    kept.delete(courseKey);
    if (kept.size >= COURSES_KEPT) kept.delete(kept.keys().next().value as string);
    kept.set(courseKey, parts);
    const keys = only ?? (Object.keys(readers) as Array<keyof CourseSnapshot>);
    const values = await Promise.all(
      keys.map(async (key) => {
        // The mark is read before the data: a change made meanwhile moves it again, and is read next time.
        const mark = await currentMark(courseScope(courseKey, SOURCE_OF[key]));
        const part = parts.get(key);
        const fresh =
          part &&
          part.mark === mark &&
          Date.now() - part.readAt < PART_MAX_AGE_MS &&
          !(key === 'view' && (refresh || roster.isDue(part.value as RosterView)));
        if (fresh) return part.value;
        const readAt = Date.now();
        const value = await readers[key]();
        parts.set(key, { mark, readAt, value });
        return value;
      }),
    );
    return Object.fromEntries(keys.map((k, i) => [k, values[i]])) as unknown as CourseSnapshot;
  }

  /**
   * One activity's worklist order for previous / next, from the course's kept work, reviews and
   * deliveries (read again only when their change marks moved): a class of 1,000 does not re-read
   * every record on each review page.
   */
  async function orderOf(activity: ActivityDoc): Promise<WorklistRow[]> {
    const {
      works,
      reviews: all,
      deliveries,
    } = await snapshotOf(activity.courseKey, false, ['works', 'reviews', 'deliveries']);
    const mine = <T extends { activityId: string }>(list: T[]) => list.filter((x) => x.activityId === activity._id);
    return worklistRows(
      mine(works).map((work) => ({ work })),
      mine(all),
      deliveries,
    );
  }

  const router = express.Router({ mergeParams: true });
  const coachOnly = requireAudience('coach', 'admin');
  const activityInUrl = loadActivity(coaching);

  // ---- The roster -------------------------------------------------------------------------
  router.get(
    '/roster',
    coachOnly,
    handle(async (req, res) => {
      const ctx = launchOf(res);
      const query: unknown = { ...req.query };
      if (!validateRosterQuery(query)) {
        throw new HttpError(400, 'roster.badQuery');
      }
      const [{ view, activities, works, reviews: courseReviews, deliveries }, since, alerts] = await Promise.all([
        snapshotOf(ctx.courseKey, query.refresh === '1'),
        recordVisit(ctx.courseKey, ctx.user.id, new Date()),
        deps.alertsOf ? deps.alertsOf(ctx.courseKey) : Promise.resolve([]),
      ]);
      // Every open alert stays listed until a coach follows it up (the badge counts the same);
      // followed-up ones for 30 days after.
      const shownAlerts = [
        ...(await openSafetyAlerts(ctx.courseKey)),
        ...alerts.filter((a) => a.followUp && Date.now() - new Date(a.followUp.at).getTime() < 30 * 86_400_000),
      ];
      const rows = rosterRows(view.members, activities, works, courseReviews, deliveries, since);
      const activityId = activities.some((a) => a._id === query.activity) ? query.activity : activities[0]?._id;
      const status = (query.status || 'all') as CellStatus | 'left' | 'all';
      const page = filterRoster(rows, {
        q: query.q,
        activityId,
        status,
        sort: query.sort ?? 'name',
        page: Number(query.page ?? 1),
        pageSize: deps.pageSize,
      });
      const t = translator(ctx.locale);
      const held = rows.reduce((n, r) => n + Object.values(r.cells).filter((c) => c.status === 'reviewed').length, 0);
      const base = `${coursePath(ctx.courseKey)}/roster`;
      const filters = {
        ...(query.q ? { q: query.q } : {}),
        ...(activityId ? { activity: activityId } : {}),
        status,
        sort: query.sort ?? 'name',
      };
      await sendPage(res, 200, 'roster', {
        ...launchPage(res, 'roster.title'),
        wide: true,
        safety: await safetyBadge(ctx.courseKey, ltikOf(res)),
        view,
        activities,
        activityId,
        page,
        filters,
        base,
        held,
        alerts: [...shownAlerts.filter((a) => !a.followUp), ...shownAlerts.filter((a) => a.followUp)].map((a) => ({
          ...a,
          activityTitle: activities.find((x) => x._id === a.activityId)?.title ?? '',
          workPath: `${activityPath(ctx.courseKey, a.activityId)}/submissions/${encodeURIComponent(a.userId)}`,
        })),
        openAlerts: shownAlerts.filter((a) => !a.followUp).length,
        news: whatsNew(rows, since),
        counts: activityId ? statusCounts(rows, activityId) : undefined,
        statuses: STATUS_ORDER,
        staffCount: view.members.filter((m) => m.audience && m.audience !== 'participant').length,
        pageLink: (n: number) => withLtik(base, ltikOf(res), { ...filters, page: String(n) }),
        reviewLink: (a: string, userId: string) =>
          withLtik(`${activityPath(ctx.courseKey, a)}/submissions/${encodeURIComponent(userId)}`, ltikOf(res)),
        statusLabel: (s: CellStatus) => t(`roster.status.${s}`),
        cellTitle: (c: Cell) =>
          c.status === 'failed' && c.failedReason
            ? c.failedReason
            : c.status === 'waiting' && c.retryAt
              ? t('roster.retryAt', { at: formatTime(c.retryAt, ctx.locale) })
              : '',
        notice:
          query.released !== undefined
            ? t('roster.released', { n: query.released })
            : query.followedUp
              ? t('safety.followedUpNotice')
              : undefined,
        formatTime: (d: Date) => formatTime(d, ctx.locale),
      });
    }),
  );

  router.post(
    '/roster/alerts/:alertId/follow-up',
    coachOnly,
    validate(validateSafetyFollowUp),
    handle(async (req, res) => {
      const ctx = launchOf(res);
      const body = req.body as { note: string };
      const done = await followUpSafetyAlert(ctx.courseKey, req.params.alertId, {
        at: new Date(),
        by: { id: ctx.user.id, name: personName(ctx.user) },
        note: body.note.replace(/\r\n?/g, '\n').trim(),
      });
      if (!done) throw new HttpError(409, 'safety.alreadyFollowedUp');
      res.redirect(
        303,
        `${withLtik(`${coursePath(ctx.courseKey)}/roster`, ltikOf(res), { followedUp: '1' })}#alerts-h`,
      );
    }),
  );

  router.post(
    '/roster/release',
    coachOnly,
    handle(async (req, res) => {
      const ctx = launchOf(res);
      const activities = await coaching.activitiesInCourse(ctx.courseKey);
      const n = await reviews.releaseHeld(activities);
      res.redirect(303, withLtik(`${coursePath(ctx.courseKey)}/roster`, ltikOf(res), { released: String(n) }));
    }),
  );

  // ---- One activity's worklist: bulk release, export (the list itself is the activity's page) --
  router.post(
    '/activities/:activityId/worklist/release',
    coachOnly,
    activityInUrl,
    validate(validateSessionOnly),
    handle(async (_req, res) => {
      const ctx = launchOf(res);
      const activity = activityOf(res);
      const n = await reviews.releaseHeld([activity]);
      res.redirect(
        303,
        withLtik(`${activityPath(ctx.courseKey, activity._id)}/manage`, ltikOf(res), { released: String(n) }),
      );
    }),
  );

  router.post(
    '/activities/:activityId/worklist/reopen',
    coachOnly,
    activityInUrl,
    handle(async (req, res) => {
      const ctx = launchOf(res);
      const activity = activityOf(res);
      const body = req.body as unknown;
      if (!validateBulkReopen(body)) throw new HttpError(400, 'worklist.reopenChoose');
      const reason = body.reason.replace(/\r\n?/g, '\n').trim();
      if (reason.length < 5) throw new HttpError(400, 'review.reopenNeedsReason');
      // Each one as the review page reopens it: only work still submitted, in this activity.
      let n = 0;
      for (const userId of new Set([body.userId].flat())) {
        if (await coaching.reopen(activity, ctx.user.id, userId, reason)) n += 1;
      }
      res.redirect(
        303,
        withLtik(`${activityPath(ctx.courseKey, activity._id)}/manage`, ltikOf(res), {
          show: body.show ?? 'all',
          reopened: String(n),
        }),
      );
    }),
  );

  router.get(
    '/activities/:activityId/worklist.csv',
    coachOnly,
    activityInUrl,
    handle(async (_req, res) => {
      const ctx = launchOf(res);
      const activity = activityOf(res);
      const [rows, activityReviews] = await Promise.all([
        deps.worklistOf(activity),
        reviews.reviewsForActivity(activity),
      ]);
      const csv = worklistCsv(activity, rows, activityReviews, translator(ctx.locale), ctx.locale);
      const file = `${activity.title.replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-|-$/g, '') || 'cermin'}-nilai.csv`;
      res.set('Content-Type', 'text/csv; charset=utf-8');
      res.set(
        'Content-Disposition',
        `attachment; filename="cermin-nilai.csv"; filename*=UTF-8''${encodeURIComponent(file)}`,
      );
      res.set('Cache-Control', 'no-store');
      res.send(csv);
    }),
  );

  router.post(
    '/comment-bank/delete',
    coachOnly,
    validate(validateBankDelete),
    handle(async (req, res) => {
      const ctx = launchOf(res);
      const body = req.body as { id: string; back?: string };
      await dropComment(ctx.courseKey, ctx.user.id, body.id);
      const back = safeBack(ctx.courseKey, body.back) ?? `${coursePath(ctx.courseKey)}/roster`;
      res.redirect(303, `${withLtik(back, ltikOf(res))}#f-comment`);
    }),
  );

  // ---- One participant's review -----------------------------------------------------------
  async function renderReview(
    req: express.Request,
    res: express.Response,
    status: number,
    extra: { problems?: ReviewProblem[]; form?: Record<string, unknown>; notice?: string; savedOf?: string } = {},
  ): Promise<void> {
    const ctx = launchOf(res);
    const activity = activityOf(res);
    const userId = req.params.userId;
    const t = translator(ctx.locale);
    const list = listOf(req);
    // The review first: it catches up a decision whose pointer was never written, which the worklist then reads.
    const review = await reviews.review(activity, userId);
    const [journal, { view: delivery, record: deliveryRecord }, rows, bank] = await Promise.all([
      coaching.journal(activity, userId),
      outbox.deliveryOf(activity._id, userId),
      orderOf(activity),
      bankOf(ctx.courseKey, ctx.user.id),
    ]);
    if (!journal.work) {
      throw new HttpError(404, 'manage.noSubmission');
    }
    const visible = journal.entries.filter((e) => canSee(e, { kind: 'coach' }));
    const versions = Object.fromEntries(
      await Promise.all(
        visible.map(
          async (e) => [e.key, e.revision > 1 ? await coaching.versions(activity, userId, e.key, 5) : []] as const,
        ),
      ),
    );
    const earlier = review?.decision ? (await reviews.decisions(activity, userId, review.revision)).slice(1) : [];
    // Blind re-marking: until the first decision, a sampled submission's draft stays out of view.
    const blindPending = inBlindSample(activity._id, userId, deps.blindShare ?? 0) && !review?.decision;
    const useDraft = req.query.useDraft === '1' && review?.draft && !blindPending;
    // The form starts from the coach's last decision, or from the AI draft only when the coach asks for it.
    const chosen: Record<string, number | undefined> = useDraft
      ? Object.fromEntries(Object.entries(review.draft?.levels ?? {}).map(([k, v]) => [k, v.level]))
      : (review?.decision?.levels ?? {});
    const problems = extra.problems ?? [];
    const self = reviewPath(ctx.courseKey, activity._id, userId);
    const around = neighboursOf(rows, list, userId);
    // "Saved" for the participant just graded (named by id in the address, found in this activity's worklist).
    const savedName = extra.savedOf ? rows.find((r) => r.userId === extra.savedOf)?.name : undefined;
    if (savedName) extra = { ...extra, notice: t('review.savedFor', { name: savedName }) };
    const stepLink = (row?: { userId: string }) =>
      row ? withLtik(reviewPath(ctx.courseKey, activity._id, row.userId), ltikOf(res), { list }) : undefined;
    const entryByKey = new Map(visible.map((e) => [e.key, e]));
    const inTemplate = new Set(activity.sections.flatMap((sec) => sec.prompts.map((p) => p.id)));
    await sendPage(res, status, 'submission', {
      ...launchPage(res, 'review.title'),
      wide: true,
      activity,
      journal,
      visible,
      // In the template's order under its section headings (a value, a GROW phase); dated entries after.
      groups: [
        ...activity.sections.map((sec) => ({
          title: sec.title,
          entries: sec.prompts.flatMap((p) => entryByKey.get(p.id) ?? []),
        })),
        { title: '', entries: visible.filter((e) => !inTemplate.has(e.key)) },
      ].filter((g) => g.entries.length),
      versions,
      hiddenCount: journal.entries.length - visible.length,
      participant: journal.work.userName ?? review?.userName ?? userId,
      status: rows.find((r) => r.userId === userId)?.status ?? 'draft',
      list,
      around,
      bank,
      bankDeleteAction: `${coursePath(ctx.courseKey)}/comment-bank/delete`,
      previousLink: stepLink(around.previous),
      nextLink: stepLink(around.next),
      back: `${coursePath(ctx.courseKey)}/roster`,
      manage: withLtik(`${activityPath(ctx.courseKey, activity._id)}/manage`, ltikOf(res), { show: list }),
      reopenAction: `${self}/reopen`,
      finalizeAction: `${self}/finalize`,
      retryAction: `${self}/retry-delivery`,
      self,
      review: blindPending && review ? { ...review, draft: undefined } : review,
      blindPending,
      // A refused form keeps the time the review began: the monitor's review time must not restart at each correction.
      openedAt:
        typeof extra.form?.openedAt === 'string' && /^\d{13}$/.test(extra.form.openedAt)
          ? extra.form.openedAt
          : String((deps.now ?? (() => new Date()))().getTime()),
      earlier,
      delivery,
      deliveryRecord,
      // A score only from a draft with a level for every criterion (the offline one suggests a few).
      draftScore:
        review?.draft && activity.rubric.criteria.every((c) => review.draft?.levels[c.id] !== undefined)
          ? draftScore(activity, review.draft)
          : undefined,
      draftLevelCount: review?.draft ? Object.keys(review.draft.levels).length : 0,
      chosen,
      form:
        extra.form ??
        (useDraft
          ? { comment: review.draft?.feedback ?? '' }
          : {
              comment: review?.decision?.comment ?? '',
              override: review?.decision?.override?.score?.toString() ?? '',
              overrideReason: review?.decision?.override?.reason ?? '',
            }),
      points: (levels: Record<string, number | undefined>) =>
        activity.rubric.criteria.every((c) => levels[c.id] !== undefined)
          ? rubricScore(activity, levels as Record<string, number>)
          : undefined,
      problems: problems.map((p) => ({ field: p.field, message: t(p.key, p.vars) })),
      problemFor: (field: string) =>
        problems
          .filter((p) => p.field === field)
          .map((p) => t(p.key, p.vars))
          .join(' '),
      notice: extra.notice,
      visibilityLabel: (v: 'private' | 'coach' | 'mentor') =>
        visibilityLabel(v, journal.work?.status === 'submitted', t),
      promptText: (key: string) => promptTextOf(activity, key),
      draftAction: deps.drafts && !blindPending ? `${self}/draft` : undefined,
      formatTime: (d: Date) => formatTime(d, ctx.locale),
      deliveryText: (d: DeliveryView | undefined) => deliveryText(d, t, ctx.locale),
    });
  }

  const notices: Record<string, string> = {
    reopened: 'review.reopenedNotice',
    finalized: 'review.finalizedNotice',
    held: 'review.heldNotice',
    retried: 'review.retriedNotice',
    drafted: 'review.draftedNotice',
  };
  router.get(
    '/activities/:activityId/submissions/:userId',
    coachOnly,
    activityInUrl,
    handle(async (req, res) => {
      const t = translator(launchOf(res).locale);
      const key = Object.keys(notices).find((k) => req.query[k] !== undefined);
      const savedOf = typeof req.query.savedOf === 'string' ? req.query.savedOf : undefined;
      await renderReview(req, res, 200, { notice: key ? t(notices[key]) : undefined, savedOf });
    }),
  );

  router.post(
    '/activities/:activityId/submissions/:userId/finalize',
    coachOnly,
    activityInUrl,
    handle(async (req, res) => {
      const ctx = launchOf(res);
      const activity = activityOf(res);
      const userId = req.params.userId;
      const form = { ...(req.body as Record<string, unknown>) };
      delete form.ltik;
      const parsed = parseReviewForm(activity, form);
      if (!parsed.ok) {
        await renderReview(req, res, 400, { problems: parsed.problems, form });
        return;
      }
      const journal = await coaching.journal(activity, userId);
      if (journal.work?.status !== 'submitted') {
        throw new HttpError(409, 'review.notSubmitted');
      }
      // A comment beside an entry the coach cannot see (private, or none) is not kept.
      const seen = new Set(journal.entries.filter((e) => canSee(e, { kind: 'coach' })).map((e) => e.key));
      parsed.entryComments = Object.fromEntries(Object.entries(parsed.entryComments).filter(([k]) => seen.has(k)));
      const coach = { id: ctx.user.id, name: personName(ctx.user) };
      const list = listOf(req);
      // Who comes next is read before this decision moves the participant out of "to review".
      const next = form.then === 'next' ? neighboursOf(await orderOf(activity), list, userId).next : undefined;
      const result = await reviews.finalize(
        activity,
        coach,
        { id: userId, name: journal.work.userName },
        {
          ...parsed,
          reviewSeconds: reviewSecondsSince(form.openedAt, (deps.now ?? (() => new Date()))()),
          blind: inBlindSample(activity._id, userId, deps.blindShare ?? 0),
        },
      );
      if (result.kind === 'conflict') {
        await renderReview(req, res, 409, { problems: [{ field: 'form', key: 'review.conflict' }], form });
        return;
      }
      // Kept for the next participant only once the decision itself is.
      if (form.saveToBank === '1') await keepComment(ctx.courseKey, ctx.user.id, parsed.comment);
      if (form.then === 'next') {
        const to = next
          ? withLtik(reviewPath(ctx.courseKey, activity._id, next.userId), ltikOf(res), { list, savedOf: userId })
          : withLtik(`${activityPath(ctx.courseKey, activity._id)}/manage`, ltikOf(res), { show: list, done: '1' });
        res.redirect(303, to);
        return;
      }
      res.redirect(
        303,
        withLtik(reviewPath(ctx.courseKey, activity._id, userId), ltikOf(res), {
          list,
          [parsed.release === 'held' ? 'held' : 'finalized']: '1',
        }),
      );
    }),
  );

  router.post(
    '/activities/:activityId/submissions/:userId/draft',
    coachOnly,
    activityInUrl,
    handle(async (req, res) => {
      const ctx = launchOf(res);
      const activity = activityOf(res);
      const userId = req.params.userId;
      if (!deps.drafts) {
        throw new HttpError(404, 'error.notFound');
      }
      if (!validateSessionOnly(req.body)) {
        throw new HttpError(400, 'error.badRequest');
      }
      const journal = await coaching.journal(activity, userId);
      if (journal.work?.status !== 'submitted') {
        throw new HttpError(409, 'review.notSubmitted');
      }
      // Only what the coach may read is drafted from: a private entry never reaches the AI this way.
      const visible = journal.entries.filter((e) => canSee(e, { kind: 'coach' }) && e.text.trim() !== '');
      if (!visible.length) {
        throw new HttpError(409, 'review.nothingToDraft');
      }
      await deps.drafts.draftFor(ctx, activity, { id: userId, name: journal.work.userName }, visible, (key) =>
        promptTextOf(activity, key),
      );
      res.redirect(
        303,
        `${withLtik(`${activityPath(ctx.courseKey, activity._id)}/submissions/${encodeURIComponent(userId)}`, ltikOf(res), { drafted: '1' })}#draft-h`,
      );
    }),
  );

  router.post(
    '/activities/:activityId/submissions/:userId/retry-delivery',
    coachOnly,
    activityInUrl,
    handle(async (req, res) => {
      const ctx = launchOf(res);
      const activity = activityOf(res);
      const retried = await outbox.retryFailed(ctx.courseKey, activity._id, req.params.userId, {
        id: ctx.user.id,
        name: ctx.user.name,
      });
      if (!retried) {
        throw new HttpError(409, 'review.nothingToRetry');
      }
      res.redirect(
        303,
        withLtik(
          `${activityPath(ctx.courseKey, activity._id)}/submissions/${encodeURIComponent(req.params.userId)}`,
          ltikOf(res),
          { retried: '1' },
        ),
      );
    }),
  );

  router.post(
    '/activities/:activityId/submissions/:userId/reopen',
    coachOnly,
    activityInUrl,
    handle(async (req, res) => {
      const ctx = launchOf(res);
      const body = req.body as unknown;
      if (!validateReopenForm(body)) throw new HttpError(400, 'error.badRequest');
      const reason = body.reason.replace(/\r\n?/g, '\n').trim();
      if (reason.length < 5) {
        await renderReview(req, res, 400, {
          problems: [{ field: 'reason', key: 'review.reopenNeedsReason' }],
          form: { reason },
        });
        return;
      }
      const reopened = await coaching.reopen(activityOf(res), ctx.user.id, req.params.userId, reason);
      if (!reopened) {
        throw new HttpError(409, 'manage.notSubmitted');
      }
      res.redirect(
        303,
        withLtik(
          `${activityPath(ctx.courseKey, activityOf(res)._id)}/submissions/${encodeURIComponent(req.params.userId)}`,
          ltikOf(res),
          { reopened: '1' },
        ),
      );
    }),
  );

  return router;
}

function reviewPath(courseKey: string, activityId: string, userId: string): string {
  return `${activityPath(courseKey, activityId)}/submissions/${encodeURIComponent(userId)}`;
}

/** The worklist filter a review page was opened from (query or form), everyone by default. */
function listOf(req: express.Request): WorklistFilter {
  const asked = (req.body as { list?: unknown } | undefined)?.list ?? req.query.list;
  return isWorklistFilter(asked) ? asked : 'all';
}

/** The question an entry answers (a dated journal entry: its date). */
function promptTextOf(activity: ActivityDoc, key: string): string {
  return activity.sections.flatMap((s) => s.prompts).find((p) => p.id === key)?.text ?? key.replace(/^d-/, '');
}

/** "sent", "waiting (retry at …)", "failed: reason", in the coach's language. */
export function deliveryText(
  d: DeliveryView | undefined,
  t: (key: string, vars?: Record<string, string | number>) => string,
  locale: 'id' | 'en',
): string {
  if (!d) return t('delivery.none');
  if (d.state === 'sent')
    return t(d.kind === 'grade' ? 'delivery.sent' : 'delivery.progressSent', { at: formatTime(d.sentAt, locale) });
  if (d.state === 'failed') return t('delivery.failed', { reason: failureReason(d.reason, t) });
  if (d.nextAttemptAt && d.attempts > 0)
    return t('delivery.retrying', {
      at: formatTime(d.nextAttemptAt, locale),
      n: d.attempts,
      reason: failureReason(d.lastError ?? '', t),
    });
  return t('delivery.waiting');
}

/** Reasons Cermin itself names get a translated sentence; a platform's own words are shown as they came. */
export function failureReason(reason: string, t: (key: string) => string): string {
  if (reason === 'activity-gone') return t('delivery.reason.activityGone');
  if (reason === 'column-unknown') return t('delivery.reason.columnUnknown');
  if (reason === 'column-being-created') return t('delivery.reason.columnBeingCreated');
  if (reason.startsWith('newer-at-platform')) return t('delivery.reason.newerAtPlatform');
  return reason;
}
