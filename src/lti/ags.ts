/**
 * Assignment and Grade Services calls made outside a launch (the grade worker), through
 * PlatformServices. Shaped by what Moodle does (see LTI-NOTES.md): scoreMaximum always sent,
 * no empty comment, line items looked up by resource link and tag instead of paged.
 */
import { ServiceError, type PlatformRef, type PlatformServices } from './platform-services';

export const AGS_SCOPE = {
  lineItem: 'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem',
  lineItemReadonly: 'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly',
  resultReadonly: 'https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly',
  score: 'https://purl.imsglobal.org/spec/lti-ags/scope/score',
} as const;

export interface AgsScore {
  userId: string;
  scoreGiven?: number;
  scoreMaximum: number;
  activityProgress: 'Initialized' | 'Started' | 'InProgress' | 'Submitted' | 'Completed';
  gradingProgress: 'FullyGraded' | 'Pending' | 'PendingManual' | 'Failed' | 'NotReady';
  timestamp: string;
  comment?: string;
}

export interface WantedLineItem {
  resourceLinkId?: string;
  resourceId: string;
  tag: string;
  label: string;
  scoreMaximum: number;
}

const CT_SCORE = 'application/vnd.ims.lis.v1.score+json';
const CT_LINEITEM = 'application/vnd.ims.lis.v2.lineitem+json';
const CT_CONTAINER = 'application/vnd.ims.lis.v2.lineitemcontainer+json';

/** `<lineItemUrl path>/scores`, keeping any query string (Moodle line item URLs carry ?type_id=…). */
export function scoresUrl(lineItemUrl: string): string {
  const u = new URL(lineItemUrl);
  u.pathname = `${u.pathname.replace(/\/+$/, '')}/scores`;
  u.hash = '';
  return u.toString();
}

/** A bad score is Cermin's bug, not the platform's: refused before anything is sent. */
function checkScore(score: AgsScore): string | undefined {
  if (!score.userId) return 'score without userId';
  if (!Number.isFinite(score.scoreMaximum) || score.scoreMaximum <= 0) return 'scoreMaximum must be a number greater than 0';
  if (score.scoreGiven !== undefined && (!Number.isFinite(score.scoreGiven) || score.scoreGiven < 0)) return 'scoreGiven must be a non-negative number';
  if (Number.isNaN(Date.parse(score.timestamp))) return 'timestamp must be an ISO 8601 date';
  return undefined;
}

/**
 * POSTs one score. scoreMaximum always goes (Moodle assumes 1 and rescales otherwise); comment
 * only when there is one (an empty comment wipes the feedback already in Moodle).
 */
export async function postScore(services: PlatformServices, ref: PlatformRef, lineItemUrl: string, score: AgsScore, opts: { deadline?: number } = {}): Promise<void> {
  const invalid = checkScore(score);
  if (invalid) throw new ServiceError({ kind: 'refused', reason: invalid });
  const body: Record<string, unknown> = {
    userId: score.userId,
    scoreMaximum: score.scoreMaximum,
    activityProgress: score.activityProgress,
    gradingProgress: score.gradingProgress,
    timestamp: score.timestamp,
  };
  if (score.scoreGiven !== undefined) body.scoreGiven = score.scoreGiven;
  if (score.comment !== undefined && score.comment !== '') body.comment = score.comment;
  await services.request(ref, [AGS_SCOPE.score], {
    method: 'POST',
    url: scoresUrl(lineItemUrl),
    contentType: CT_SCORE,
    accept: 'application/json',
    body,
    deadline: opts.deadline,
  });
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** A line item id as an absolute URL (a relative one is resolved against the list it came from). */
function itemUrl(id: unknown, base: string): string | undefined {
  const s = str(id);
  if (!s) return undefined;
  try {
    return new URL(s, base).toString();
  } catch {
    return undefined;
  }
}

/**
 * The line item for an activity: looked up by `resource_link_id` (or `resource_id` when the link
 * is unknown) and `tag`, never by paging (Moodle's Link header uses curly quotes); created when
 * there is none. A platform that ignores the filters is caught by checking the fields it returns.
 */
export async function findOrCreateLineItem(
  services: PlatformServices,
  ref: PlatformRef,
  lineItemsUrl: string,
  want: WantedLineItem,
  opts: { deadline?: number } = {},
): Promise<{ url: string; created: boolean }> {
  const query = new URL(lineItemsUrl);
  if (want.resourceLinkId) query.searchParams.set('resource_link_id', want.resourceLinkId);
  else query.searchParams.set('resource_id', want.resourceId);
  query.searchParams.set('tag', want.tag);
  const found = await services.request(ref, [AGS_SCOPE.lineItem], { method: 'GET', url: query.toString(), accept: CT_CONTAINER, deadline: opts.deadline });
  if (!Array.isArray(found.body)) {
    throw new ServiceError({ kind: 'refused', status: found.status, reason: 'the platform answered the line item lookup with something that is not a list' });
  }
  for (const raw of found.body as unknown[]) {
    if (typeof raw !== 'object' || raw === null) continue;
    const item = raw as Record<string, unknown>;
    // A field the platform returns must agree; one it leaves out cannot disagree.
    if (item.tag !== undefined && item.tag !== want.tag) continue;
    if (want.resourceLinkId ? item.resourceLinkId !== undefined && item.resourceLinkId !== want.resourceLinkId : item.resourceId !== undefined && item.resourceId !== want.resourceId) continue;
    const url = itemUrl(item.id, lineItemsUrl);
    if (url) return { url, created: false };
  }

  const fields: Record<string, unknown> = { label: want.label, scoreMaximum: want.scoreMaximum, resourceId: want.resourceId, tag: want.tag };
  if (want.resourceLinkId) fields.resourceLinkId = want.resourceLinkId;
  const created = await services.request(ref, [AGS_SCOPE.lineItem], {
    method: 'POST', url: lineItemsUrl, contentType: CT_LINEITEM, accept: CT_LINEITEM, body: fields, deadline: opts.deadline,
  });
  const body = (typeof created.body === 'object' && created.body !== null ? created.body : {}) as Record<string, unknown>;
  const url = itemUrl(body.id, lineItemsUrl) ?? itemUrl(created.headers.get('location'), lineItemsUrl);
  if (!url) {
    // Created, but where? The next attempt's lookup will find it; do not create a second one now.
    throw new ServiceError({ kind: 'transient', status: created.status, reason: 'the platform created the line item without saying its URL', maybeDelivered: true });
  }
  return { url, created: true };
}

export interface LineItemUpdate { scoreMaximum: number; label: string }

/**
 * Keeps a gradebook column in step with its activity (label, maximum score): reads the line item
 * and writes it back changed (PUT needs the whole line item). The activity is saved first; this
 * only follows it, and a failure is the caller's to report.
 */
export async function updateLineItem(services: PlatformServices, ref: PlatformRef, lineItemUrl: string, update: LineItemUpdate, opts: { deadline?: number } = {}): Promise<void> {
  const current = await services.request(ref, [AGS_SCOPE.lineItem], { method: 'GET', url: lineItemUrl, accept: CT_LINEITEM, deadline: opts.deadline });
  if (typeof current.body !== 'object' || current.body === null || Array.isArray(current.body)) {
    throw new ServiceError({ kind: 'refused', status: current.status, reason: 'the platform answered the line item with something that is not a line item' });
  }
  await services.request(ref, [AGS_SCOPE.lineItem], {
    method: 'PUT', url: lineItemUrl, contentType: CT_LINEITEM, accept: CT_LINEITEM,
    body: { ...(current.body as Record<string, unknown>), scoreMaximum: update.scoreMaximum, label: update.label }, deadline: opts.deadline,
  });
}
