/**
 * Names and Role Provisioning Service read outside a launch: the whole course, page by page.
 * ltijs reads only the first page; Moodle answers the whole course when no `limit` is asked
 * (slow for large cohorts) and its `next` links are not always well quoted, so Cermin pages
 * itself and parses Link headers leniently.
 */
import { ServiceError, type PlatformRef, type PlatformServices } from './platform-services';

export const NRPS_SCOPE = 'https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly';

export interface NrpsMember {
  userId: string;
  name?: string;
  givenName?: string;
  familyName?: string;
  email?: string;
  roles: string[];
  status: 'Active' | 'Inactive' | 'Deleted';
}

export interface NrpsRoster {
  members: NrpsMember[];
  pages: number;
  context?: { id: string; label?: string; title?: string };
}

const CT_MEMBERSHIPS = 'application/vnd.ims.lti-nrps.v2.membershipcontainer+json';
const STATUSES = new Set<NrpsMember['status']>(['Active', 'Inactive', 'Deleted']);

/**
 * A header value as its sender meant it. Fetch (undici) turns each header byte into one character
 * (latin1), so Moodle's UTF-8 curly quotes arrive as "\u00e2\u0080\u009c"; decode such a value
 * as UTF-8 again when it is valid UTF-8.
 */
function utf8Header(value: string): string {
  if (!/[\u0080-\u00ff]/.test(value) || /[\u0100-\uffff]/.test(value)) return value;
  const decoded = Buffer.from(value, 'latin1').toString('utf8');
  return decoded.includes('\ufffd') ? value : decoded;
}

/**
 * The links of a Link header by relation, as absolute URLs (the first link wins per relation).
 * Lenient on purpose: several links, URLs containing commas, `rel` quoted with straight or
 * curly quotes (as Unicode or as fetch's latin1 reading of their UTF-8 bytes) or not at all,
 * several relations in one `rel`, relative URLs.
 */
export function parseLinkHeader(header: string | null | undefined, baseUrl: string): Record<string, string> {
  const links: Record<string, string> = {};
  if (!header) return links;
  // Each link is "<url>" followed by its parameters up to the next "<".
  for (const m of utf8Header(header).matchAll(/<([^>]*)>([^<]*)/g)) {
    const rel =
      /(?:^|;)\s*rel\s*=\s*(?:["'\u201c\u201d\u2018\u2019]([^"'\u201c\u201d\u2018\u2019]*)["'\u201c\u201d\u2018\u2019]|([^\s;,]+))/i.exec(
        m[2],
      );
    // Relation types are tokens or URIs: any other quoting character left at either end goes.
    const rels = (rel?.[1] ?? rel?.[2] ?? '')
      .toLowerCase()
      .split(/\s+/)
      .map((r) => r.replace(/^[^a-z0-9]+|[^a-z0-9/]+$/g, ''))
      .filter(Boolean);
    let url: string;
    try {
      url = new URL(m[1].trim(), baseUrl).toString();
    } catch {
      continue;
    }
    for (const r of rels) if (!(r in links)) links[r] = url;
  }
  return links;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function memberOf(raw: unknown): NrpsMember | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const m = raw as Record<string, unknown>;
  const userId = str(m.user_id);
  if (!userId) return undefined;
  const status =
    typeof m.status === 'string' && STATUSES.has(m.status as NrpsMember['status'])
      ? (m.status as NrpsMember['status'])
      : 'Active';
  return {
    userId,
    name: str(m.name),
    givenName: str(m.given_name),
    familyName: str(m.family_name),
    email: str(m.email),
    roles: Array.isArray(m.roles) ? m.roles.filter((r): r is string => typeof r === 'string') : [],
    status,
  };
}

/**
 * Every member of the course: asks `limit=pageSize` and follows `rel="next"` to the end. Stops
 * (refused) when a next link repeats a page already read or more than maxPages would be read,
 * so a platform with a broken `next` cannot keep the worker busy forever. A member seen on two
 * pages (the roster changed while paging) is kept once, with the later data.
 */
export async function fetchAllMembers(
  services: PlatformServices,
  ref: PlatformRef,
  membershipsUrl: string,
  opts: { pageSize?: number; maxPages?: number; deadline?: number } = {},
): Promise<NrpsRoster> {
  const pageSize = opts.pageSize ?? 200;
  const maxPages = opts.maxPages ?? 500;
  const first = new URL(membershipsUrl);
  first.searchParams.set('limit', String(pageSize));
  const members = new Map<string, NrpsMember>();
  const seen = new Set<string>();
  let context: NrpsRoster['context'];
  let next: string | undefined = first.toString();
  let pages = 0;
  while (next) {
    if (seen.has(next))
      throw new ServiceError({
        kind: 'refused',
        reason: `the platform's next link repeats a page already read (after ${pages} pages)`,
      });
    if (pages >= maxPages)
      throw new ServiceError({ kind: 'refused', reason: `the membership list is longer than ${maxPages} pages` });
    seen.add(next);
    const page = await services.request(ref, [NRPS_SCOPE], {
      method: 'GET',
      url: next,
      accept: CT_MEMBERSHIPS,
      deadline: opts.deadline,
    });
    pages++;
    const body = page.body as { members?: unknown; context?: unknown } | undefined;
    if (typeof body !== 'object' || body === null || !Array.isArray(body.members)) {
      throw new ServiceError({
        kind: 'refused',
        status: page.status,
        reason: 'the platform answered the membership request without a member list',
      });
    }
    if (!context && typeof body.context === 'object' && body.context !== null) {
      const c = body.context as Record<string, unknown>;
      const id = str(c.id);
      if (id) context = { id, label: str(c.label), title: str(c.title) };
    }
    for (const raw of body.members as unknown[]) {
      const m = memberOf(raw);
      if (m) members.set(m.userId, m);
    }
    next = parseLinkHeader(page.headers.get('link'), next).next;
  }
  return { members: [...members.values()], pages, context };
}
