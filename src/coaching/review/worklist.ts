/**
 * The coach's worklist for one activity: everyone with work on it, "perlu ditinjau" (submitted,
 * not yet decided) first, then the rest in the roster's status order, each group by name. The
 * same list, filtered, drives the review page's previous / next and "Simpan & berikutnya", so a
 * coach grading a class walks it in one order from the first page to the last.
 */
import type { DeliveryView, GradeOutbox } from '../../grades/outbox';
import { deliveryIdOf } from '../../grades/models';
import type { Progress } from '../domain';
import type { ActivityDoc, WorkDoc } from '../models';
import type { CoachingService } from '../service';
import { cellOf, STATUS_ORDER, type CellStatus } from './roster-view';
import type { ReviewDoc, ReviewService } from './service';

export interface WorklistRow {
  userId: string;
  name: string;
  status: CellStatus;
  /** Counted entries (the activity's page shows it; the review page's previous / next need none). */
  progress?: Pick<Progress, 'done' | 'required'>;
  incomplete: boolean;
  score?: number;
  submittedAt?: Date;
}

/** Which rows the review page steps through: those still to review, or everyone with work. */
export type WorklistFilter = 'todo' | 'all';
export const WORKLIST_FILTERS: readonly WorklistFilter[] = ['todo', 'all'];

export function isWorklistFilter(value: unknown): value is WorklistFilter {
  return typeof value === 'string' && (WORKLIST_FILTERS as readonly string[]).includes(value);
}

const byName = new Intl.Collator('id', { sensitivity: 'base' });

/** Rows in worklist order: to review first, then by status (most urgent first), then by name. */
export function orderWorklist(rows: WorklistRow[]): WorklistRow[] {
  const rank = (r: WorklistRow) => (r.status === 'submitted' ? -1 : STATUS_ORDER.indexOf(r.status));
  return [...rows].sort(
    (a, b) => rank(a) - rank(b) || byName.compare(a.name, b.name) || (a.userId < b.userId ? -1 : 1),
  );
}

export function filterWorklist(rows: WorklistRow[], filter: WorklistFilter): WorklistRow[] {
  const ordered = orderWorklist(rows);
  return filter === 'todo' ? ordered.filter((r) => r.status === 'submitted') : ordered;
}

export interface Neighbours {
  previous?: WorklistRow;
  next?: WorklistRow;
  /** 1-based place of the participant in the filtered list (0 when they are not in it). */
  position: number;
  total: number;
}

/**
 * Previous and next around one participant. One who is not in the list (just decided, so no longer
 * "to review") is placed where they would sort, so "next" is whoever followed them.
 */
export function neighboursOf(rows: WorklistRow[], filter: WorklistFilter, userId: string): Neighbours {
  const list = filterWorklist(rows, filter);
  const index = list.findIndex((r) => r.userId === userId);
  if (index >= 0) return { previous: list[index - 1], next: list[index + 1], position: index + 1, total: list.length };
  const self = rows.find((r) => r.userId === userId);
  if (!self) return { next: list[0], position: 0, total: list.length };
  const placed = orderWorklist([...list, { ...self, status: filter === 'todo' ? 'submitted' : self.status }]);
  const at = placed.findIndex((r) => r.userId === userId);
  return { previous: placed[at - 1], next: placed[at + 1], position: 0, total: list.length };
}

export function worklistCounts(rows: WorklistRow[]): { todo: number; all: number } {
  return { todo: rows.filter((r) => r.status === 'submitted').length, all: rows.length };
}

type WorkForList = Pick<
  WorkDoc,
  'activityId' | 'userId' | 'userName' | 'status' | 'submittedAt' | 'updatedAt' | 'reopenedAt' | 'incompleteAtSubmit'
>;

/** Builds the rows from the activity's work (with progress, when counted), reviews and grade deliveries. */
export function worklistRows(
  submissions: Array<{ work: WorkForList; progress?: Pick<Progress, 'done' | 'required'> }>,
  reviews: Array<Pick<ReviewDoc, 'userId' | 'userName' | 'decision'>>,
  deliveries: Map<string, DeliveryView>,
): WorklistRow[] {
  const reviewBy = new Map(reviews.map((r) => [r.userId, r]));
  return submissions.map(({ work, progress }) => {
    const cell = cellOf(work, reviewBy.get(work.userId), deliveries.get(deliveryIdOf(work.activityId, work.userId)));
    return {
      userId: work.userId,
      name: work.userName ?? reviewBy.get(work.userId)?.userName ?? work.userId,
      status: cell.status,
      ...(progress ? { progress: { done: progress.done, required: progress.required } } : {}),
      incomplete: Boolean(cell.incomplete),
      score: cell.score,
      submittedAt: work.submittedAt,
    };
  });
}

export type WorklistOf = (activity: ActivityDoc) => Promise<WorklistRow[]>;

/** Reads one activity's worklist (work, its reviews and deliveries, together). */
export function worklistReader(deps: {
  coaching: Pick<CoachingService, 'submissions'>;
  reviews: Pick<ReviewService, 'reviewsForActivity'>;
  outbox: Pick<GradeOutbox, 'viewsForCourse'>;
}): WorklistOf {
  return async (activity) => {
    const [submissions, reviews, deliveries] = await Promise.all([
      deps.coaching.submissions(activity),
      deps.reviews.reviewsForActivity(activity),
      deps.outbox.viewsForCourse(activity.courseKey),
    ]);
    return worklistRows(submissions, reviews, deliveries);
  };
}
