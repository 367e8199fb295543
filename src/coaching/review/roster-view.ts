/**
 * The coach's roster as pure functions: each participant's status per activity, what is new since
 * the coach's last visit, and search, filter, sort and paging over the whole class.
 */
import type { DeliveryView } from '../../grades/outbox';
import type { WorkDoc } from '../models';
import type { ReviewDoc } from './service';
import type { RosterMember } from './roster';

export type CellStatus = 'notStarted' | 'draft' | 'submitted' | 'reviewed' | 'waiting' | 'sent' | 'failed';

/** Workflow order, most urgent for the coach first (sorting by status). */
export const STATUS_ORDER: CellStatus[] = ['failed', 'submitted', 'reviewed', 'waiting', 'draft', 'notStarted', 'sent'];

export interface Cell {
  status: CellStatus;
  score?: number;
  /** Latest thing that happened (saved, submitted, finalized, sent). */
  updatedAt?: Date;
  submittedAt?: Date;
  incomplete?: boolean;
  failedReason?: string;
  retryAt?: Date;
  /** Happened after the coach's previous visit. */
  isNew: boolean;
}

export interface RosterRow {
  member: RosterMember;
  cells: Record<string, Cell>;
}

type WorkSummary = Pick<WorkDoc, 'status' | 'submittedAt' | 'updatedAt' | 'reopenedAt' | 'incompleteAtSubmit'>;
type ReviewSummary = Pick<ReviewDoc, 'decision'>;

function latest(...dates: Array<Date | undefined>): Date | undefined {
  const times = dates.filter((d): d is Date => d !== undefined).map((d) => new Date(d).getTime());
  return times.length ? new Date(Math.max(...times)) : undefined;
}

export function cellOf(
  work: WorkSummary | undefined,
  review: ReviewSummary | undefined,
  delivery: DeliveryView | undefined,
  since?: Date,
): Cell {
  const decision = review?.decision;
  const after = (d?: Date) => Boolean(since && d && new Date(d) > since);
  // A decision stops counting once the work was reopened or submitted again after it.
  const decisionCurrent =
    decision &&
    !(work?.submittedAt && new Date(work.submittedAt) > new Date(decision.at)) &&
    !(work?.status === 'draft' && work.reopenedAt && new Date(work.reopenedAt) > new Date(decision.at));
  const updatedAt = latest(
    work?.updatedAt,
    work?.submittedAt,
    decision?.at,
    delivery?.state === 'sent' ? delivery.sentAt : undefined,
    delivery?.state === 'failed' ? delivery.at : undefined,
  );
  const base = {
    updatedAt,
    submittedAt: work?.submittedAt,
    score: decisionCurrent ? decision.score : undefined,
    incomplete: work?.status === 'submitted' ? Boolean(work.incompleteAtSubmit) : undefined,
  };
  if (delivery?.state === 'failed')
    return { ...base, status: 'failed', failedReason: delivery.reason, isNew: after(delivery.at) };
  if (decisionCurrent) {
    if (delivery?.kind === 'grade' && delivery.state === 'waiting')
      return { ...base, status: 'waiting', retryAt: delivery.nextAttemptAt, isNew: false };
    // Only a grade stamped at or after this decision is this decision's (an earlier one may have been
    // sent, and the decision is then held or still queued). Both stamps come from the finalizing instance's clock.
    if (
      delivery?.kind === 'grade' &&
      delivery.state === 'sent' &&
      decision.released &&
      delivery.second >= Math.floor(new Date(decision.at).getTime() / 1000)
    )
      return { ...base, status: 'sent', isNew: false };
    return { ...base, status: decision.released ? 'waiting' : 'reviewed', isNew: false };
  }
  if (work?.status === 'submitted') return { ...base, status: 'submitted', isNew: after(work.submittedAt) };
  if (work) return { ...base, status: 'draft', isNew: false };
  return { status: 'notStarted', isNew: false };
}

/** Lower case, no diacritics, single spaces: "Ni Luh Putu" is found by "ni luh", "Çelik" by "celik". */
export function searchable(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/\s+/g, ' ').trim();
}

export interface RosterFilter {
  q?: string;
  /** The activity the status filter and status sort look at. */
  activityId?: string;
  status?: CellStatus | 'left' | 'all';
  sort: 'name' | 'status' | 'updated';
  page: number;
  pageSize: number;
}

export interface RosterPage {
  rows: RosterRow[];
  total: number;
  page: number;
  pages: number;
}

const byNameCollator = new Intl.Collator('id', { sensitivity: 'base' });

export function filterRoster(rows: RosterRow[], f: RosterFilter): RosterPage {
  const needle = f.q ? searchable(f.q) : '';
  const cell = (r: RosterRow): Cell | undefined => (f.activityId ? r.cells[f.activityId] : undefined);
  let list = rows.filter((r) => {
    if (needle && !searchable(`${r.member.name} ${r.member.email ?? ''} ${r.member.userId}`).includes(needle))
      return false;
    if (f.status === 'left') return r.member.status !== 'active';
    // A status filter lists active members (the counts beside each status count the same people).
    if (
      f.status &&
      f.status !== 'all' &&
      (r.member.status !== 'active' || (cell(r)?.status ?? 'notStarted') !== f.status)
    )
      return false;
    return true;
  });
  const byName = (a: RosterRow, b: RosterRow) =>
    byNameCollator.compare(a.member.name, b.member.name) ||
    (a.member.userId < b.member.userId ? -1 : a.member.userId > b.member.userId ? 1 : 0);
  const rank = (r: RosterRow) => STATUS_ORDER.indexOf(cell(r)?.status ?? 'notStarted');
  const updated = (r: RosterRow) =>
    Math.max(0, ...Object.values(r.cells).map((c) => (c.updatedAt ? new Date(c.updatedAt).getTime() : 0)));
  // Members who left go last whatever the order: they stay listed, out of the way.
  const leftLast = (a: RosterRow, b: RosterRow) =>
    Number(a.member.status !== 'active') - Number(b.member.status !== 'active');
  const order =
    f.sort === 'status'
      ? (a: RosterRow, b: RosterRow) => rank(a) - rank(b) || byName(a, b)
      : f.sort === 'updated'
        ? (a: RosterRow, b: RosterRow) => updated(b) - updated(a) || byName(a, b)
        : byName;
  list = [...list].sort((a, b) => leftLast(a, b) || order(a, b));
  const pages = Math.max(1, Math.ceil(list.length / f.pageSize));
  const page = Math.min(Math.max(1, f.page), pages);
  return { rows: list.slice((page - 1) * f.pageSize, page * f.pageSize), total: list.length, page, pages };
}

export interface WhatsNew {
  since?: Date;
  submissions: number;
  failedDeliveries: number;
}

export function whatsNew(rows: RosterRow[], since?: Date): WhatsNew {
  let submissions = 0;
  let failedDeliveries = 0;
  for (const r of rows) {
    if (r.member.status !== 'active') continue;
    for (const c of Object.values(r.cells)) {
      if (!c.isNew) continue;
      if (c.status === 'submitted') submissions += 1;
      if (c.status === 'failed') failedDeliveries += 1;
    }
  }
  return { since, submissions, failedDeliveries };
}

/** Counts per status for one activity (the filter's options show them). */
export function statusCounts(rows: RosterRow[], activityId: string): Record<CellStatus, number> {
  const counts = Object.fromEntries(STATUS_ORDER.map((s) => [s, 0])) as Record<CellStatus, number>;
  for (const r of rows) if (r.member.status === 'active') counts[r.cells[activityId]?.status ?? 'notStarted'] += 1;
  return counts;
}
