/**
 * Assignment and Grade Services calls made outside a launch (the grade worker), through
 * PlatformServices. Shaped by what Moodle does (see docs/LTI-NOTES.md): scoreMaximum always sent,
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
const CT_RESULTS = 'application/vnd.ims.lis.v2.resultcontainer+json';

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
  if (!Number.isFinite(score.scoreMaximum) || score.scoreMaximum <= 0)
    return 'scoreMaximum must be a number greater than 0';
  if (score.scoreGiven !== undefined && (!Number.isFinite(score.scoreGiven) || score.scoreGiven < 0))
    return 'scoreGiven must be a non-negative number';
  if (Number.isNaN(Date.parse(score.timestamp))) return 'timestamp must be an ISO 8601 date';
  return undefined;
}

/**
 * POSTs one score. scoreMaximum always goes (Moodle assumes 1 and rescales otherwise); comment
 * only when there is one (an empty comment wipes the feedback already in Moodle).
 */
export async function postScore(
  services: PlatformServices,
  ref: PlatformRef,
  lineItemUrl: string,
  score: AgsScore,
  opts: { deadline?: number } = {},
): Promise<void> {
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
  const found = await services.request(ref, [AGS_SCOPE.lineItem], {
    method: 'GET',
    url: query.toString(),
    accept: CT_CONTAINER,
    deadline: opts.deadline,
  });
  if (!Array.isArray(found.body)) {
    throw new ServiceError({
      kind: 'refused',
      status: found.status,
      reason: 'the platform answered the line item lookup with something that is not a list',
    });
  }
  for (const raw of found.body as unknown[]) {
    if (typeof raw !== 'object' || raw === null) continue;
    const item = raw as Record<string, unknown>;
    // A field the platform returns must agree; one it leaves out cannot disagree.
    if (item.tag !== undefined && item.tag !== want.tag) continue;
    if (
      want.resourceLinkId
        ? item.resourceLinkId !== undefined && item.resourceLinkId !== want.resourceLinkId
        : item.resourceId !== undefined && item.resourceId !== want.resourceId
    )
      continue;
    const url = itemUrl(item.id, lineItemsUrl);
    if (url) return { url, created: false };
  }

  const fields: Record<string, unknown> = {
    label: want.label,
    scoreMaximum: want.scoreMaximum,
    resourceId: want.resourceId,
    tag: want.tag,
  };
  if (want.resourceLinkId) fields.resourceLinkId = want.resourceLinkId;
  const created = await services.request(ref, [AGS_SCOPE.lineItem], {
    method: 'POST',
    url: lineItemsUrl,
    contentType: CT_LINEITEM,
    accept: CT_LINEITEM,
    body: fields,
    deadline: opts.deadline,
  });
  const body = (typeof created.body === 'object' && created.body !== null ? created.body : {}) as Record<
    string,
    unknown
  >;
  const url = itemUrl(body.id, lineItemsUrl) ?? itemUrl(created.headers.get('location'), lineItemsUrl);
  if (!url) {
    // Created, but where? The next attempt's lookup will find it; do not create a second one now.
    throw new ServiceError({
      kind: 'transient',
      status: created.status,
      reason: 'the platform created the line item without saying its URL',
      maybeDelivered: true,
    });
  }
  return { url, created: true };
}

/**
 * Whether a line item's column holds any result, as the results service lists them. A column with
 * results must not have its maximum changed behind the coach's back: Moodle rescales every grade
 * row of the column and turns an empty one into 0 (docs/moodle.md). A platform that cannot answer
 * throws, so the caller changes nothing.
 */
export async function lineItemHasResults(
  services: PlatformServices,
  ref: PlatformRef,
  lineItemUrl: string,
  opts: { deadline?: number } = {},
): Promise<boolean> {
  const res = await services.request(ref, [AGS_SCOPE.resultReadonly], {
    method: 'GET',
    url: resultsUrl(lineItemUrl),
    accept: CT_RESULTS,
    deadline: opts.deadline,
  });
  if (!Array.isArray(res.body)) {
    throw new ServiceError({
      kind: 'refused',
      status: res.status,
      reason: 'the platform answered the results with something that is not a result list',
    });
  }
  return res.body.length > 0;
}

/** `<lineItemUrl path>/results`, keeping its query string (as scoresUrl). */
export function resultsUrl(lineItemUrl: string): string {
  const u = new URL(lineItemUrl);
  u.pathname = `${u.pathname.replace(/\/+$/, '')}/results`;
  u.hash = '';
  return u.toString();
}

/**
 * Changes a gradebook column's maximum (PUT needs the whole line item: read, then written back
 * with only the maximum changed; its label stays Moodle's, which Moodle resets from the activity's
 * name anyway). Only at the coach's choice once the column holds grades (lineItemHasResults).
 */
export async function updateLineItemMaximum(
  services: PlatformServices,
  ref: PlatformRef,
  lineItemUrl: string,
  scoreMaximum: number,
  opts: { deadline?: number } = {},
): Promise<void> {
  const current = await services.request(ref, [AGS_SCOPE.lineItem], {
    method: 'GET',
    url: lineItemUrl,
    accept: CT_LINEITEM,
    deadline: opts.deadline,
  });
  if (typeof current.body !== 'object' || current.body === null || Array.isArray(current.body)) {
    throw new ServiceError({
      kind: 'refused',
      status: current.status,
      reason: 'the platform answered the line item with something that is not a line item',
    });
  }
  await services.request(ref, [AGS_SCOPE.lineItem], {
    method: 'PUT',
    url: lineItemUrl,
    contentType: CT_LINEITEM,
    accept: CT_LINEITEM,
    body: { ...(current.body as Record<string, unknown>), scoreMaximum },
    deadline: opts.deadline,
  });
}
