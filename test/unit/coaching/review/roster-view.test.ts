/** The coach's roster, pure: cell status per activity, search, filter, sort, paging, what is new. */
import type { ReviewDecision } from '../../../../src/coaching/review/domain';
import type { WorkDoc } from '../../../../src/coaching/models';
import type { ReviewDoc } from '../../../../src/coaching/review/service';
import type { RosterMember } from '../../../../src/coaching/review/roster';
import {
  cellOf,
  filterRoster,
  STATUS_ORDER,
  statusCounts,
  whatsNew,
  type Cell,
  type CellStatus,
  type RosterFilter,
  type RosterRow,
} from '../../../../src/coaching/review/roster-view';
import type { DeliveryView } from '../../../../src/grades/outbox';

const T0 = Date.parse('2026-03-02T01:00:00Z');
/** A moment `m` minutes after T0. */
const at = (m: number) => new Date(T0 + m * 60_000);

function work(overrides: Partial<WorkDoc> = {}): WorkDoc {
  return {
    _id: 'w1',
    courseKey: 'c1',
    activityId: 'a1',
    userId: 'u1',
    userName: 'Budi',
    status: 'draft',
    history: [],
    entryStats: {},
    updatedAt: at(1),
    ...overrides,
  };
}

function submitted(overrides: Partial<WorkDoc> = {}): WorkDoc {
  return work({ status: 'submitted', submittedAt: at(10), updatedAt: at(9), ...overrides });
}

function review(decision: Partial<ReviewDecision & { released: boolean }> = {}): ReviewDoc {
  return {
    _id: 'r1',
    courseKey: 'c1',
    activityId: 'a1',
    userId: 'u1',
    revision: 1,
    updatedAt: at(20),
    decision: {
      revision: 1,
      levels: { A: 2 },
      computedScore: 80,
      score: 80,
      comment: 'Bagus.',
      release: 'held',
      by: { id: 'coach', name: 'Ibu Sari' },
      at: at(20),
      released: false,
      ...decision,
    },
  };
}

const waitingGrade = (nextAttemptAt?: Date): DeliveryView => ({
  state: 'waiting',
  kind: 'grade',
  queuedAt: at(20),
  attempts: 1,
  nextAttemptAt,
});
// Stamped when it was queued (a moment before it was sent).
const sentAs = (kind: 'grade' | 'progress', sentAt: Date): DeliveryView => ({
  state: 'sent',
  kind,
  sentAt,
  second: Math.floor(sentAt.getTime() / 1000) - 1,
  score: kind === 'grade' ? 80 : undefined,
});
const failedAs = (kind: 'grade' | 'progress', when: Date, reason = 'HTTP 403: user not enrolled'): DeliveryView => ({
  state: 'failed',
  kind,
  reason,
  at: when,
});

describe('cellOf', () => {
  test('notStarted: nothing at all', () => {
    expect(cellOf(undefined, undefined, undefined)).toStrictEqual({ status: 'notStarted', isNew: false });
  });

  test('draft', () => {
    expect(cellOf(work({ updatedAt: at(3) }), undefined, undefined, at(0))).toEqual({
      status: 'draft',
      updatedAt: at(3),
      isNew: false,
    });
  });

  test('submitted, with the incomplete flag and the submission time', () => {
    expect(cellOf(submitted({ incompleteAtSubmit: true }), undefined, undefined)).toEqual({
      status: 'submitted',
      updatedAt: at(10),
      submittedAt: at(10),
      incomplete: true,
      isNew: false,
    });
    expect(cellOf(submitted(), undefined, undefined).incomplete).toBe(false);
    expect(cellOf(work(), undefined, undefined).incomplete).toBeUndefined();
  });

  test('reviewed: a decision held back', () => {
    expect(cellOf(submitted(), review({ released: false, score: 72.5 }), undefined)).toEqual({
      status: 'reviewed',
      score: 72.5,
      updatedAt: at(20),
      submittedAt: at(10),
      incomplete: false,
      isNew: false,
    });
  });

  test('waiting: decision released, grade delivery waiting (retry time shown)', () => {
    expect(cellOf(submitted(), review({ released: true, release: 'now' }), waitingGrade(at(25)))).toEqual({
      status: 'waiting',
      score: 80,
      retryAt: at(25),
      updatedAt: at(20),
      submittedAt: at(10),
      incomplete: false,
      isNew: false,
    });
  });

  test('waiting: decision released, no delivery view yet', () => {
    const cell = cellOf(submitted(), review({ released: true }), undefined);
    expect(cell.status).toBe('waiting');
    expect(cell.retryAt).toBeUndefined();
  });

  test('sent: the grade reached the gradebook', () => {
    expect(cellOf(submitted(), review({ released: true }), sentAs('grade', at(21)), at(0))).toEqual({
      status: 'sent',
      score: 80,
      updatedAt: at(21),
      submittedAt: at(10),
      incomplete: false,
      isNew: false,
    });
  });

  test('failed: a failed delivery wins over everything else', () => {
    const failed = failedAs('grade', at(30));
    expect(cellOf(submitted(), review({ released: true }), failed, at(0))).toEqual({
      status: 'failed',
      failedReason: 'HTTP 403: user not enrolled',
      score: 80,
      updatedAt: at(30),
      submittedAt: at(10),
      incomplete: false,
      isNew: true,
    });
    expect(cellOf(submitted(), undefined, failed).status).toBe('failed');
    expect(cellOf(work(), undefined, failedAs('progress', at(30))).status).toBe('failed');
    expect(cellOf(undefined, undefined, failed).status).toBe('failed');
  });

  test('a decision no longer counts after the work was reopened', () => {
    const reopened = work({ status: 'draft', submittedAt: at(10), reopenedAt: at(30), updatedAt: at(31) });
    expect(cellOf(reopened, review({ released: true }), sentAs('grade', at(21)))).toEqual({
      status: 'draft',
      updatedAt: at(31),
      submittedAt: at(10),
      isNew: false,
    });
  });

  test('a decision no longer counts after the work was submitted again', () => {
    const again = submitted({ submittedAt: at(40), reopenedAt: at(30), updatedAt: at(39) });
    expect(cellOf(again, review({ released: true }), sentAs('grade', at(21)), at(35))).toEqual({
      status: 'submitted',
      updatedAt: at(40),
      submittedAt: at(40),
      incomplete: false,
      isNew: true,
    });
  });

  test('a reopen before the decision does not undo it', () => {
    const cell = cellOf(submitted({ reopenedAt: at(5) }), review(), undefined);
    expect(cell).toMatchObject({ status: 'reviewed', score: 80 });
  });

  test('a progress delivery does not turn a submitted cell into "sent"', () => {
    expect(cellOf(submitted(), undefined, sentAs('progress', at(11))).status).toBe('submitted');
    expect(
      cellOf(submitted(), undefined, { state: 'waiting', kind: 'progress', queuedAt: at(10), attempts: 0 }).status,
    ).toBe('submitted');
    expect(cellOf(submitted(), review({ released: false }), sentAs('progress', at(11))).status).toBe('reviewed');
    const heldWithProgress = cellOf(submitted(), review({ released: false }), {
      state: 'waiting',
      kind: 'progress',
      queuedAt: at(10),
      attempts: 0,
      nextAttemptAt: at(12),
    });
    expect(heldWithProgress.status).toBe('reviewed');
    expect(heldWithProgress.retryAt).toBeUndefined();
  });

  test('updatedAt is the latest of saved, submitted, decided and sent', () => {
    expect(cellOf(submitted({ updatedAt: at(50) }), review(), undefined).updatedAt).toEqual(at(50));
    expect(cellOf(submitted(), review({ released: true, at: at(20) }), sentAs('grade', at(45))).updatedAt).toEqual(
      at(45),
    );
    // a waiting delivery's queue time is not an update
    expect(cellOf(submitted(), review({ released: true }), waitingGrade(at(90))).updatedAt).toEqual(at(20));
  });

  test('isNew: a submission or a failure only after `since`', () => {
    expect(cellOf(submitted(), undefined, undefined, at(9)).isNew).toBe(true);
    expect(cellOf(submitted(), undefined, undefined, at(10)).isNew).toBe(false); // at the same moment: not after
    expect(cellOf(submitted(), undefined, undefined, at(11)).isNew).toBe(false);
    expect(cellOf(submitted(), undefined, undefined).isNew).toBe(false); // first visit: nothing is "new"
    expect(cellOf(submitted(), undefined, failedAs('grade', at(30)), at(29)).isNew).toBe(true);
    expect(cellOf(submitted(), undefined, failedAs('grade', at(30)), at(31)).isNew).toBe(false);
    // other statuses are never new
    expect(cellOf(work({ updatedAt: at(30) }), undefined, undefined, at(0)).isNew).toBe(false);
    expect(cellOf(submitted(), review(), undefined, at(0)).isNew).toBe(false);
    expect(cellOf(submitted(), review({ released: true }), sentAs('grade', at(21)), at(0)).isNew).toBe(false);
  });

  // A second decision held back after an earlier grade was sent is not "sent": the gradebook still has the old one.
  test('a held re-review after an earlier sent grade is "reviewed", not "sent"', () => {
    const second = review({ revision: 2, released: false, release: 'held', score: 60, at: at(40) });
    expect(cellOf(submitted(), second, sentAs('grade', at(21)))).toMatchObject({ status: 'reviewed', score: 60 });
  });
});

// ---- The whole class ------------------------------------------------------------------------

function member(userId: string, name: string, overrides: Partial<RosterMember> = {}): RosterMember {
  return { userId, name, email: `${userId}@example.go.id`, audience: 'participant', status: 'active', ...overrides };
}

function cell(status: CellStatus, overrides: Partial<Cell> = {}): Cell {
  return { status, isNew: false, ...overrides };
}

function row(m: RosterMember, cells: Record<string, Cell> = {}): RosterRow {
  return { member: m, cells };
}

const filter = (overrides: Partial<RosterFilter> = {}): RosterFilter => ({
  sort: 'name',
  page: 1,
  pageSize: 50,
  ...overrides,
});
const names = (rows: RosterRow[]) => rows.map((r) => r.member.name);

function classRows(): RosterRow[] {
  return [
    row(member('u1', 'Ni Luh Putu Ayu Lestari'), {
      a1: cell('submitted', { updatedAt: at(10) }),
      a2: cell('draft', { updatedAt: at(50) }),
    }),
    row(member('u2', 'Ahmad Çelik'), { a1: cell('failed', { updatedAt: at(30) }), a2: cell('notStarted') }),
    row(member('u3', 'budi Santoso'), {
      a1: cell('sent', { updatedAt: at(40) }),
      a2: cell('submitted', { updatedAt: at(5) }),
    }),
    row(member('u4', 'Dewi Anggraini', { email: 'dewi.ang@bkpsdm.go.id' }), {
      a1: cell('draft', { updatedAt: at(20) }),
    }),
    row(member('u5', 'Agus Left', { status: 'left', leftAt: at(0) }), {
      a1: cell('submitted', { updatedAt: at(99) }),
      a2: cell('failed'),
    }),
    row(member('u6', 'Aaron Inactive', { status: 'inactive' }), { a1: cell('failed', { updatedAt: at(98) }) }),
    row(member('u7', 'Citra Lestari'), { a1: cell('submitted', { updatedAt: at(15) }) }),
    row(member('u8', 'Eko Prasetyo'), {}),
  ];
}

describe('filterRoster', () => {
  test('sorted by name by default (case-insensitive), members who left last', () => {
    const page = filterRoster(classRows(), filter());
    expect(names(page.rows)).toEqual([
      'Ahmad Çelik',
      'budi Santoso',
      'Citra Lestari',
      'Dewi Anggraini',
      'Eko Prasetyo',
      'Ni Luh Putu Ayu Lestari',
      'Aaron Inactive',
      'Agus Left',
    ]);
    expect(page).toMatchObject({ total: 8, page: 1, pages: 1 });
  });

  test('same names are ordered by user id', () => {
    const rows = [row(member('u9', 'Sari')), row(member('u2', 'sari')), row(member('u5', 'Sari'))];
    expect(filterRoster(rows, filter()).rows.map((r) => r.member.userId)).toEqual(['u2', 'u5', 'u9']);
  });

  test('search ignores case, diacritics and extra spaces', () => {
    expect(names(filterRoster(classRows(), filter({ q: 'ni luh' })).rows)).toEqual(['Ni Luh Putu Ayu Lestari']);
    expect(names(filterRoster(classRows(), filter({ q: '  NI   Luh ' })).rows)).toEqual(['Ni Luh Putu Ayu Lestari']);
    expect(names(filterRoster(classRows(), filter({ q: 'celik' })).rows)).toEqual(['Ahmad Çelik']);
    expect(names(filterRoster(classRows(), filter({ q: 'ÇELİK' })).rows)).toEqual(['Ahmad Çelik']);
    expect(names(filterRoster(classRows(), filter({ q: 'lestari' })).rows)).toEqual([
      'Citra Lestari',
      'Ni Luh Putu Ayu Lestari',
    ]);
  });

  test('search also finds e-mail and user id; a miss gives an empty first page', () => {
    expect(names(filterRoster(classRows(), filter({ q: 'bkpsdm' })).rows)).toEqual(['Dewi Anggraini']);
    expect(names(filterRoster(classRows(), filter({ q: 'u7' })).rows)).toEqual(['Citra Lestari']);
    expect(filterRoster(classRows(), filter({ q: 'zzz' }))).toEqual({ rows: [], total: 0, page: 1, pages: 1 });
  });

  test('status filter looks at the chosen activity only, and lists active members (as the counts do)', () => {
    expect(names(filterRoster(classRows(), filter({ activityId: 'a1', status: 'submitted' })).rows)).toEqual([
      'Citra Lestari',
      'Ni Luh Putu Ayu Lestari',
    ]);
    expect(names(filterRoster(classRows(), filter({ activityId: 'a2', status: 'submitted' })).rows)).toEqual([
      'budi Santoso',
    ]);
    expect(names(filterRoster(classRows(), filter({ activityId: 'a1', status: 'failed' })).rows)).toEqual([
      'Ahmad Çelik',
    ]);
    expect(filterRoster(classRows(), filter({ activityId: 'a1', status: 'all' })).total).toBe(8);
  });

  test("'left' shows inactive and left members, whatever their cells", () => {
    expect(names(filterRoster(classRows(), filter({ activityId: 'a1', status: 'left' })).rows)).toEqual([
      'Aaron Inactive',
      'Agus Left',
    ]);
    expect(names(filterRoster(classRows(), filter({ status: 'left', q: 'agus' })).rows)).toEqual(['Agus Left']);
  });

  test('sort by status follows STATUS_ORDER, then name; a missing cell counts as notStarted', () => {
    expect(STATUS_ORDER).toEqual(['failed', 'submitted', 'reviewed', 'waiting', 'draft', 'notStarted', 'sent']);
    const rows = [
      ...classRows(),
      row(member('u10', 'Fajar'), { a1: cell('waiting') }),
      row(member('u11', 'Gita'), { a1: cell('reviewed') }),
      row(member('u12', 'Hadi'), { a1: cell('notStarted') }),
    ];
    expect(names(filterRoster(rows, filter({ activityId: 'a1', sort: 'status' })).rows)).toEqual([
      'Ahmad Çelik', // failed
      'Citra Lestari',
      'Ni Luh Putu Ayu Lestari', // submitted
      'Gita', // reviewed
      'Fajar', // waiting
      'Dewi Anggraini', // draft
      'Eko Prasetyo',
      'Hadi', // notStarted (Eko has no cell)
      'budi Santoso', // sent
      'Aaron Inactive',
      'Agus Left', // left last, even though failed / submitted
    ]);
  });

  test('sort by updated: newest first over all activities, then name; left members still last', () => {
    expect(names(filterRoster(classRows(), filter({ activityId: 'a1', sort: 'updated' })).rows)).toEqual([
      'Ni Luh Putu Ayu Lestari', // a2 at 50
      'budi Santoso', // 40
      'Ahmad Çelik', // 30
      'Dewi Anggraini', // 20
      'Citra Lestari', // 15
      'Eko Prasetyo', // never
      'Agus Left',
      'Aaron Inactive', // 99 and 98: newest first among themselves, but after everyone active
    ]);
  });

  describe('paging over 1,000 rows', () => {
    const many = Array.from({ length: 1000 }, (_, i) =>
      row(member(`u${i + 1}`, `Peserta ${String(i + 1).padStart(4, '0')}`)),
    );

    test('pageSize 50 gives 20 pages', () => {
      const first = filterRoster(many, filter({ pageSize: 50, page: 1 }));
      expect(first).toMatchObject({ total: 1000, page: 1, pages: 20 });
      expect(first.rows).toHaveLength(50);
      expect(first.rows[0].member.name).toBe('Peserta 0001');
      expect(first.rows[49].member.name).toBe('Peserta 0050');
      const second = filterRoster(many, filter({ pageSize: 50, page: 2 }));
      expect(second.rows[0].member.name).toBe('Peserta 0051');
      const last = filterRoster(many, filter({ pageSize: 50, page: 20 }));
      expect(last).toMatchObject({ page: 20, pages: 20 });
      expect(names(last.rows)).toHaveLength(50);
      expect(last.rows[49].member.name).toBe('Peserta 1000');
    });

    test('a page beyond the end clamps to the last, page 0 or below to the first', () => {
      const beyond = filterRoster(many, filter({ pageSize: 50, page: 21 }));
      expect(beyond).toMatchObject({ page: 20, pages: 20, total: 1000 });
      expect(beyond.rows[0].member.name).toBe('Peserta 0951');
      expect(filterRoster(many, filter({ pageSize: 50, page: 99_999 })).page).toBe(20);
      const zero = filterRoster(many, filter({ pageSize: 50, page: 0 }));
      expect(zero.page).toBe(1);
      expect(zero.rows[0].member.name).toBe('Peserta 0001');
      expect(filterRoster(many, filter({ pageSize: 50, page: -4 })).page).toBe(1);
    });

    test('a partial last page', () => {
      const page = filterRoster(many.slice(0, 120), filter({ pageSize: 50, page: 3 }));
      expect(page).toMatchObject({ total: 120, page: 3, pages: 3 });
      expect(page.rows).toHaveLength(20);
    });

    test('an empty class is one empty page', () => {
      expect(filterRoster([], filter({ page: 5 }))).toEqual({ rows: [], total: 0, page: 1, pages: 1 });
    });
  });

  test('does not reorder the rows it was given', () => {
    const rows = classRows();
    const before = names(rows);
    filterRoster(rows, filter({ sort: 'status', activityId: 'a1' }));
    expect(names(rows)).toEqual(before);
  });
});

describe('whatsNew and statusCounts', () => {
  test('whatsNew counts new submissions and new failed deliveries across activities', () => {
    const since = at(0);
    const rows = [
      row(member('u1', 'A'), { a1: cell('submitted', { isNew: true }), a2: cell('submitted', { isNew: true }) }),
      row(member('u2', 'B'), { a1: cell('submitted'), a2: cell('failed', { isNew: true }) }),
      row(member('u3', 'C'), { a1: cell('failed'), a2: cell('draft', { isNew: true }) }),
    ];
    expect(whatsNew(rows, since)).toEqual({ since, submissions: 2, failedDeliveries: 1 });
    expect(whatsNew([], undefined)).toEqual({ since: undefined, submissions: 0, failedDeliveries: 0 });
  });

  test('whatsNew from cells built by cellOf', () => {
    const since = at(12);
    const rows = [
      row(member('u1', 'A'), { a1: cellOf(submitted({ submittedAt: at(15) }), undefined, undefined, since) }),
      row(member('u2', 'B'), { a1: cellOf(submitted({ submittedAt: at(5) }), undefined, undefined, since) }),
      row(member('u3', 'C'), { a1: cellOf(submitted(), review({ released: true }), failedAs('grade', at(13)), since) }),
    ];
    expect(whatsNew(rows, since)).toEqual({ since, submissions: 1, failedDeliveries: 1 });
  });

  test('statusCounts for one activity: every status, missing cells as notStarted, members who left not counted', () => {
    expect(statusCounts(classRows(), 'a1')).toEqual({
      failed: 1,
      submitted: 2,
      reviewed: 0,
      waiting: 0,
      draft: 1,
      notStarted: 1,
      sent: 1,
    });
    expect(statusCounts(classRows(), 'a2')).toEqual({
      failed: 0,
      submitted: 1,
      reviewed: 0,
      waiting: 0,
      draft: 1,
      notStarted: 4,
      sent: 0,
    });
    expect(statusCounts([], 'a1')).toEqual({
      failed: 0,
      submitted: 0,
      reviewed: 0,
      waiting: 0,
      draft: 0,
      notStarted: 0,
      sent: 0,
    });
  });
});
