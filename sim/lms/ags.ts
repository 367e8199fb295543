/**
 * Assignment and Grade Services, shaped like Moodle's gradebookservices:
 * the strict parts (409 on a non-increasing timestamp, 400 for non-gradable
 * users, only FullyGraded keeps a score) are what a tool gets wrong in
 * production, so the simulator enforces them.
 */
import type { Request, RequestHandler, Response, Router } from 'express';
import { isLearner, type DemoCourse, type DemoUser } from './roster';

export interface DemoLineItem {
  /** Absolute URL; also the address of the line item in the AGS API. */
  id: string;
  scoreMaximum: number;
  label: string;
  resourceId?: string;
  resourceLinkId?: string;
  tag?: string;
  startDateTime?: string;
  endDateTime?: string;
}

export interface DemoScore {
  lineItemId: string;
  userId: string;
  scoreGiven?: number;
  scoreMaximum?: number;
  comment?: string;
  activityProgress: string;
  gradingProgress: string;
  /** As the tool sent it. */
  timestamp: string;
  /** When the platform stored it (ISO). */
  receivedAt: string;
  /** Written by the platform itself, not by a tool: Moodle's rescale of a changed maximum. */
  byPlatform?: 'rescaled';
}

export const SERVICE_SCOPE = {
  lineItem: 'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem',
  lineItemReadonly: 'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly',
  resultReadonly: 'https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly',
  score: 'https://purl.imsglobal.org/spec/lti-ags/scope/score',
  memberships: 'https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly',
} as const;

export const AGS_SCOPES: string[] = [
  SERVICE_SCOPE.lineItem,
  SERVICE_SCOPE.lineItemReadonly,
  SERVICE_SCOPE.resultReadonly,
  SERVICE_SCOPE.score,
];

export type FaultTarget = 'token' | 'nrps' | 'ags' | 'jwks' | 'auth';

/** NRPS member status: Moodle only ever answers Active; other platforms also send Inactive and Deleted. */
export type DemoMemberStatus = 'Active' | 'Inactive' | 'Deleted';

export interface DemoGradebook {
  lineItems: DemoLineItem[];
  /** The current score per line item and user (what Moodle's gradebook shows). */
  scores: DemoScore[];
  /**
   * Every accepted score POST in order, so tests and benches can count exactly-once delivery.
   * Each as the tool sent it (scoreGiven and comment unprocessed), unlike `scores`.
   */
  received: DemoScore[];
}

/** What the service routes need from the platform, kept narrow so they stay testable. */
export interface ServiceContext {
  course: DemoCourse;
  users: DemoUser[];
  gradebook: DemoGradebook;
  /** Who NRPS shows and how: a status other than Active, or not at all (left the course). */
  membership: { status: Map<string, DemoMemberStatus>; removed: Set<string> };
  lineItemsUrl: string;
  membershipsUrl: string;
  fault(target: FaultTarget): RequestHandler;
  requireScope(anyOf: string[]): RequestHandler;
  sourcedIdOf(user: DemoUser): string;
}

const ACTIVITY_PROGRESS = new Set(['Initialized', 'Started', 'InProgress', 'Submitted', 'Completed']);
const GRADING_PROGRESS = new Set(['FullyGraded', 'Pending', 'PendingManual', 'Failed', 'NotReady']);

const CT_LINEITEM = 'application/vnd.ims.lis.v2.lineitem+json';
const CT_CONTAINER = 'application/vnd.ims.lis.v2.lineitemcontainer+json';
const CT_RESULTS = 'application/vnd.ims.lis.v2.resultcontainer+json';

function bad(res: Response, status: number, description: string): void {
  res.status(status).json({
    error: status === 404 ? 'not_found' : status === 409 ? 'conflict' : 'invalid_request',
    error_description: description,
  });
}

function isIsoDate(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && !Number.isNaN(Date.parse(v));
}

type LineItemFields = Omit<DemoLineItem, 'id'>;

/** Validates a line item body the way Moodle does (label and a positive scoreMaximum are required). */
export function parseLineItemBody(body: unknown, course: DemoCourse): LineItemFields | string {
  if (typeof body !== 'object' || body === null) return 'body must be a JSON line item';
  const b = body as Record<string, unknown>;
  if (typeof b.label !== 'string' || b.label.trim() === '') return 'label is required';
  if (typeof b.scoreMaximum !== 'number' || !Number.isFinite(b.scoreMaximum) || b.scoreMaximum <= 0) {
    return 'scoreMaximum must be a number greater than 0';
  }
  for (const k of ['resourceId', 'tag', 'resourceLinkId'] as const) {
    if (b[k] !== undefined && typeof b[k] !== 'string') return `${k} must be a string`;
  }
  for (const k of ['startDateTime', 'endDateTime'] as const) {
    if (b[k] !== undefined && !isIsoDate(b[k])) return `${k} must be an ISO 8601 date`;
  }
  const resourceLinkId = b.resourceLinkId as string | undefined;
  if (resourceLinkId !== undefined && resourceLinkId !== '' && !course.links.some((l) => l.id === resourceLinkId)) {
    return `unknown resourceLinkId ${resourceLinkId}`;
  }
  return {
    label: b.label,
    scoreMaximum: b.scoreMaximum,
    resourceId: (b.resourceId as string | undefined) || undefined,
    tag: (b.tag as string | undefined) || undefined,
    resourceLinkId: resourceLinkId || undefined,
    startDateTime: b.startDateTime as string | undefined,
    endDateTime: b.endDateTime as string | undefined,
  };
}

/** Creates a line item with the next numeric id (also used by deep linking). */
export function addLineItem(ctx: ServiceContext, fields: LineItemFields): DemoLineItem {
  const used = ctx.gradebook.lineItems.map((li) => Number(li.id.slice(ctx.lineItemsUrl.length + 1)) || 0);
  const next = Math.max(0, ...used) + 1;
  const item: DemoLineItem = { id: `${ctx.lineItemsUrl}/${next}`, ...fields };
  ctx.gradebook.lineItems.push(item);
  if (item.resourceLinkId) {
    const link = ctx.course.links.find((l) => l.id === item.resourceLinkId);
    if (link && !link.lineItemId) link.lineItemId = item.id;
  }
  return item;
}

/**
 * What Moodle does to a column whose maximum a PUT changed (lineitem.php process_put_request →
 * grade_item::rescale_grades_keep_percentage, docs/moodle.md): every grade row is rescaled to keep
 * its percentage, and a row without a grade becomes 0. The measured Moodle held rows for every
 * participant once the column was in use, including those who never opened the activity, so here
 * every learner has one as soon as anyone does.
 * A score keeps its percentage by itself (it is stored with its own maximum).
 */
function rescaleColumn(ctx: ServiceContext, item: DemoLineItem): void {
  if (!ctx.gradebook.scores.some((s) => s.lineItemId === item.id)) return; // a column nobody was graded in has no rows
  for (const user of ctx.users.filter(isLearner)) {
    const row = ctx.gradebook.scores.find((s) => s.lineItemId === item.id && s.userId === user.id);
    if (row?.scoreGiven !== undefined) continue;
    const zero: DemoScore = {
      lineItemId: item.id,
      userId: user.id,
      scoreGiven: 0,
      scoreMaximum: item.scoreMaximum,
      comment: row?.comment,
      activityProgress: row?.activityProgress ?? 'Initialized',
      gradingProgress: row?.gradingProgress ?? 'NotReady',
      timestamp: row?.timestamp ?? new Date(0).toISOString(),
      receivedAt: new Date().toISOString(),
      byPlatform: 'rescaled',
    };
    if (row) ctx.gradebook.scores[ctx.gradebook.scores.indexOf(row)] = zero;
    else ctx.gradebook.scores.push(zero);
  }
}

export function registerAgsRoutes(router: Router, ctx: ServiceContext): void {
  const base = '/api/courses/:courseId/lineitems';
  const readScopes = [SERVICE_SCOPE.lineItem, SERVICE_SCOPE.lineItemReadonly];

  const courseGate: RequestHandler = (req, res, next) => {
    if (req.params.courseId !== ctx.course.id) return bad(res, 404, `unknown course ${req.params.courseId}`);
    next();
  };
  const findItem = (req: Request): DemoLineItem | undefined =>
    ctx.gradebook.lineItems.find((li) => li.id === `${ctx.lineItemsUrl}/${req.params.id}`);
  const chain = (scopes: string[]): RequestHandler[] => [ctx.fault('ags'), courseGate, ctx.requireScope(scopes)];
  const send = (res: Response, status: number, type: string, body: unknown): void => {
    res.status(status).type(type).send(JSON.stringify(body));
  };

  router.get(base, ...chain(readScopes), (req, res) => {
    const q = req.query;
    const items = ctx.gradebook.lineItems.filter(
      (li) =>
        (typeof q.resource_link_id !== 'string' || li.resourceLinkId === q.resource_link_id) &&
        (typeof q.resource_id !== 'string' || li.resourceId === q.resource_id) &&
        (typeof q.tag !== 'string' || li.tag === q.tag),
    );
    send(res, 200, CT_CONTAINER, items);
  });

  router.post(base, ...chain([SERVICE_SCOPE.lineItem]), (req, res) => {
    const parsed = parseLineItemBody(req.body, ctx.course);
    if (typeof parsed === 'string') return bad(res, 400, parsed);
    const item = addLineItem(ctx, parsed);
    res.location(item.id);
    send(res, 201, CT_LINEITEM, item);
  });

  router.get(`${base}/:id`, ...chain(readScopes), (req, res) => {
    const item = findItem(req);
    if (!item) return bad(res, 404, 'unknown line item');
    send(res, 200, CT_LINEITEM, item);
  });

  router.put(`${base}/:id`, ...chain([SERVICE_SCOPE.lineItem]), (req, res) => {
    const item = findItem(req);
    if (!item) return bad(res, 404, 'unknown line item');
    const parsed = parseLineItemBody(req.body, ctx.course);
    if (typeof parsed === 'string') return bad(res, 400, parsed);
    const oldMaximum = item.scoreMaximum;
    // Replace every field (PUT is a full representation), keeping the id.
    for (const k of ['resourceId', 'tag', 'resourceLinkId', 'startDateTime', 'endDateTime'] as const) delete item[k];
    Object.assign(item, parsed, { id: item.id });
    if (item.scoreMaximum !== oldMaximum) rescaleColumn(ctx, item);
    send(res, 200, CT_LINEITEM, item);
  });

  router.delete(`${base}/:id`, ...chain([SERVICE_SCOPE.lineItem]), (req, res) => {
    const item = findItem(req);
    if (!item) return bad(res, 404, 'unknown line item');
    ctx.gradebook.lineItems.splice(ctx.gradebook.lineItems.indexOf(item), 1);
    ctx.gradebook.scores = ctx.gradebook.scores.filter((s) => s.lineItemId !== item.id);
    for (const l of ctx.course.links) if (l.lineItemId === item.id) delete l.lineItemId;
    res.status(204).end();
  });

  router.post(`${base}/:id/scores`, ...chain([SERVICE_SCOPE.score]), (req, res) => {
    const item = findItem(req);
    if (!item) return bad(res, 404, 'unknown line item');
    const b = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<string, unknown>;
    if (typeof b.userId !== 'string' || b.userId === '') return bad(res, 400, 'userId is required');
    const user = ctx.users.find((u) => u.id === b.userId);
    if (!user) return bad(res, 400, `unknown user ${b.userId}`);
    // Moodle only grades gradable users (students); a teacher gets 400.
    if (!isLearner(user)) return bad(res, 400, `user ${b.userId} is not gradable in this course`);
    const timestamp = b.timestamp;
    if (!isIsoDate(timestamp)) return bad(res, 400, 'timestamp (ISO 8601) is required');
    if (typeof b.activityProgress !== 'string' || !ACTIVITY_PROGRESS.has(b.activityProgress)) {
      return bad(res, 400, 'activityProgress is missing or invalid');
    }
    if (typeof b.gradingProgress !== 'string' || !GRADING_PROGRESS.has(b.gradingProgress)) {
      return bad(res, 400, 'gradingProgress is missing or invalid');
    }
    if (b.scoreMaximum !== undefined && (typeof b.scoreMaximum !== 'number' || !(b.scoreMaximum > 0))) {
      return bad(res, 400, 'scoreMaximum must be a number greater than 0');
    }
    if (b.scoreGiven !== undefined) {
      if (typeof b.scoreGiven !== 'number' || !Number.isFinite(b.scoreGiven) || b.scoreGiven < 0) {
        return bad(res, 400, 'scoreGiven must be a non-negative number');
      }
      if (b.scoreMaximum === undefined) return bad(res, 400, 'scoreGiven requires scoreMaximum');
    }
    if (b.comment !== undefined && typeof b.comment !== 'string') return bad(res, 400, 'comment must be a string');

    const comment = b.comment as string | undefined; // validated above
    const existing = ctx.gradebook.scores.find((s) => s.lineItemId === item.id && s.userId === user.id);
    // Moodle keeps grade timestamps in whole seconds and refuses anything not strictly later:
    // two scores within the same second conflict even if their milliseconds differ.
    const seconds = Math.floor(Date.parse(timestamp) / 1000);
    if (existing && seconds <= Math.floor(Date.parse(existing.timestamp) / 1000)) {
      return bad(res, 409, `Refusing score with an earlier timestamp for item ${item.id} and user ${user.id}`);
    }
    const fullyGraded = b.gradingProgress === 'FullyGraded';
    const score: DemoScore = {
      lineItemId: item.id,
      userId: user.id,
      // Only FullyGraded keeps the value; any other progress clears it (Moodle).
      scoreGiven: fullyGraded ? (b.scoreGiven as number | undefined) : undefined,
      scoreMaximum: b.scoreMaximum as number | undefined,
      // An absent comment keeps the feedback; an empty one wipes it.
      comment: comment === undefined ? existing?.comment : comment === '' ? undefined : comment,
      activityProgress: b.activityProgress as string,
      gradingProgress: b.gradingProgress as string,
      timestamp,
      receivedAt: new Date().toISOString(),
    };
    if (existing) ctx.gradebook.scores[ctx.gradebook.scores.indexOf(existing)] = score;
    else ctx.gradebook.scores.push(score);
    ctx.gradebook.received.push({ ...score, scoreGiven: b.scoreGiven as number | undefined, comment });
    res.status(200).end();
  });

  router.get(`${base}/:id/results`, ...chain([SERVICE_SCOPE.resultReadonly]), (req, res) => {
    const item = findItem(req);
    if (!item) return bad(res, 404, 'unknown line item');
    const userFilter = typeof req.query.user_id === 'string' ? req.query.user_id : undefined;
    const results = ctx.gradebook.scores
      .filter((s) => s.lineItemId === item.id && (!userFilter || s.userId === userFilter))
      .map((s) => ({
        id: `${item.id}/results/${s.userId}`,
        scoreOf: item.id,
        userId: s.userId,
        resultScore: s.scoreGiven,
        resultMaximum: s.scoreGiven === undefined ? undefined : (s.scoreMaximum ?? item.scoreMaximum),
        comment: s.comment,
        timestamp: s.timestamp,
      }));
    send(res, 200, CT_RESULTS, results);
  });
}
