/**
 * Recommendations in a course: the catalog it ranks from (the shared catalog plus the course's own
 * items, minus what the coach hid or retired), the participant's list with reasons, their clicks
 * and marks, and the coach's side (add, edit, retire, endorse, hide, import, export, and which
 * items were shown, opened and found helpful).
 *
 * The catalog's index is built once per course and kept until a coach changes something (one
 * change mark read per page view); a participant's own history is read per view. With an embedder
 * (a provider that offers embeddings), item vectors are built once per catalog and cached by
 * content, and the ranking is hybrid for participants whose query may be embedded.
 */
import { courseScope, currentMark, markChanged } from '../db/change-marks';
import { isDuplicateKey, putById } from '../db/model';
import type { QuestionBank } from '../ai/offline/engine';
import type { Locale } from '../domain/launch';
import { validateCatalog, type CatalogItem } from './catalog';
import { parseCatalogImport, type ImportResult } from './import';
import { participantProfile, recentText, type ProfileInput } from './profile';
import {
  buildCatalogIndex,
  recommend,
  withVectors,
  type CatalogIndex,
  type Curation,
  type ItemFeedback,
  type Recommendation,
} from './rank';
import {
  changeHistory,
  CourseItem,
  courseItemId,
  curationId,
  historyOf,
  ItemCuration,
  RecommendHistory,
  type CourseItemDoc,
  type CurationDoc,
  type HistoryDoc,
  type ItemEvents,
} from './store';
import { buildVectorIndex, type Embedder, type EmbeddingCache } from './vectors';
import type { QueryOwner } from './query-embedding';

export interface Person {
  id: string;
  name: string;
}

/** The hybrid ranking's parts: item vectors through `embedder` (cached), and the participant's query embedded only when `embedQuery` allows it. */
export interface VectorSupport {
  embedder: Embedder;
  cache: EmbeddingCache;
  /** The query vector for a participant's text, or undefined (no consent, failure, not in time): then the ranking is lexical. */
  embedQuery(who: QueryOwner, text: string): Promise<number[] | undefined>;
}

export interface RecommendServiceDeps {
  /** The catalog every course starts from (config/catalog). */
  shared: readonly CatalogItem[];
  bank: QuestionBank;
  vectors?: VectorSupport;
  /** How many a participant sees. */
  limit?: number;
  now?: () => Date;
  /** Told when building item vectors fails (the ranking stays lexical). */
  onVectorError?: (err: unknown) => void;
}

/** One item of the course's catalog as the coach manages it. */
export interface CatalogEntry {
  item: CatalogItem;
  source: 'shared' | 'coach' | 'import';
  status: 'active' | 'retired';
  curation: Curation | 'none';
}

interface CourseCatalog {
  mark: string;
  entries: CatalogEntry[];
  /** Active, not hidden: what participants may be shown. */
  index: CatalogIndex;
  curation: Map<string, Curation>;
  /** Item vectors are added here once built (asynchronously). */
  vectorsPending?: Promise<void>;
}

export interface ShownItem extends Recommendation {
  feedback?: ItemFeedback;
  opened: boolean;
}

export interface ItemStats {
  shown: number;
  opened: number;
  helpful: number;
  notHelpful: number;
  done: number;
}

export type ChangeResult = 'ok' | 'notFound' | 'exists' | 'shared';

export class RecommendService {
  private readonly cache = new Map<string, CourseCatalog>();
  private readonly sharedIds: ReadonlySet<string>;
  private readonly now: () => Date;

  constructor(private readonly deps: RecommendServiceDeps) {
    this.sharedIds = new Set(deps.shared.map((i) => i.id));
    this.now = deps.now ?? (() => new Date());
  }

  /** The course's catalog, from the cache while no coach changed it. */
  async catalog(courseKey: string): Promise<CourseCatalog> {
    const mark = await currentMark(courseScope(courseKey, 'catalog'));
    const cached = this.cache.get(courseKey);
    if (cached && cached.mark === mark) return cached;
    const [own, curated] = await Promise.all([
      CourseItem.find({ courseKey }).lean<CourseItemDoc[]>(),
      ItemCuration.find({ courseKey }).lean<CurationDoc[]>(),
    ]);
    const curation = new Map<string, Curation>(
      curated.filter((c) => c.state !== 'none').map((c) => [c.itemId, c.state as Curation]),
    );
    const entries: CatalogEntry[] = [
      ...this.deps.shared.map((item) => ({
        item,
        source: 'shared' as const,
        status: 'active' as const,
        curation: curation.get(item.id) ?? ('none' as const),
      })),
      ...own
        .sort((a, b) => a.item.title.localeCompare(b.item.title, 'id'))
        .map((d) => ({
          item: d.item,
          source: d.source,
          status: d.status,
          curation: curation.get(d.item.id) ?? ('none' as const),
        })),
    ];
    const active = entries.filter((e) => e.status === 'active' && e.curation !== 'hidden').map((e) => e.item);
    const catalog: CourseCatalog = { mark, entries, index: buildCatalogIndex(active), curation };
    if (this.cache.size > 200) this.cache.clear();
    this.cache.set(courseKey, catalog);
    if (this.deps.vectors) catalog.vectorsPending = this.addVectors(catalog, this.deps.vectors);
    return catalog;
  }

  /** Builds the item vectors in the background; until then (or if it fails) the ranking is lexical. */
  private async addVectors(catalog: CourseCatalog, vectors: VectorSupport): Promise<void> {
    try {
      const built = await buildVectorIndex(catalog.index.items, vectors.embedder, { cache: vectors.cache });
      catalog.index = withVectors(catalog.index, built.index);
    } catch (err) {
      this.deps.onVectorError?.(err);
    }
  }

  /**
   * The participant's recommendations for an activity: from their writing and their coach's last
   * decision, their marks and the coach's curation. Items shown for the first time are recorded.
   */
  async forParticipant(
    input: {
      platform: string;
      courseKey: string;
      userId: string;
      locale: Locale;
      dataSaver: boolean;
      activity: ProfileInput['activity'] & { _id: string };
    } & Omit<ProfileInput, 'bank' | 'activity'>,
  ): Promise<ShownItem[]> {
    const profile = participantProfile({ ...input, bank: this.deps.bank });
    if (!profile.reflection) return [];
    const [catalog, events] = await Promise.all([
      this.catalog(input.courseKey),
      historyOf(input.courseKey, input.userId),
    ]);
    // Only what the participant did not mark private is sent to the embedding provider (the lexical ranking stays here, on everything).
    const shareable = recentText(input.entries.filter((e) => e.visibility !== 'private'));
    const queryVector =
      catalog.index.vectors && this.deps.vectors && shareable
        ? await this.deps.vectors.embedQuery(
            {
              platform: input.platform,
              courseKey: input.courseKey,
              activityId: input.activity._id,
              userId: input.userId,
            },
            shareable,
          )
        : undefined;
    const feedback = new Map<string, ItemFeedback>();
    for (const [itemId, e] of events) if (e.feedback) feedback.set(itemId, e.feedback);
    const picked = recommend({
      index: catalog.index,
      reflection: profile.reflection,
      weakValues: profile.weakValues,
      weakCriteria: profile.weakCriteria,
      phase: profile.phase,
      locale: input.locale,
      feedback,
      curation: catalog.curation,
      dataSaver: input.dataSaver,
      limit: this.deps.limit ?? 5,
      valueLexicon: this.deps.bank.values,
      ...(queryVector ? { queryVector } : {}),
    });
    const firstShown = picked.filter((r) => !events.has(r.id));
    if (firstShown.length) {
      const at = this.now();
      await changeHistory(input.courseKey, input.userId, at, (items) => {
        for (const r of firstShown) if (!items.has(r.id)) items.set(r.id, { itemId: r.id, shownAt: at });
      });
    }
    return picked.map((r) => ({
      ...r,
      feedback: events.get(r.id)?.feedback,
      opened: Boolean(events.get(r.id)?.openedAt),
    }));
  }

  /** An item participants of the course may open (active, not hidden). */
  private async openable(courseKey: string, itemId: string): Promise<CatalogItem | undefined> {
    const catalog = await this.catalog(courseKey);
    return catalog.index.items.find((i) => i.id === itemId);
  }

  private async recordEvent(
    courseKey: string,
    userId: string,
    itemId: string,
    change: Partial<Omit<ItemEvents, 'itemId'>>,
  ): Promise<void> {
    const at = this.now();
    await changeHistory(courseKey, userId, at, (items) => {
      items.set(itemId, { ...(items.get(itemId) ?? { itemId, shownAt: at }), ...change });
    });
  }

  /** Records the opening and returns where to go, or undefined for an item this course does not offer. */
  async open(courseKey: string, userId: string, itemId: string): Promise<string | undefined> {
    const item = await this.openable(courseKey, itemId);
    if (!item) return undefined;
    await this.recordEvent(courseKey, userId, itemId, { openedAt: this.now() });
    return item.url;
  }

  /** A participant's mark on an item; false for an item this course does not offer. */
  async mark(courseKey: string, userId: string, itemId: string, feedback: ItemFeedback | 'clear'): Promise<boolean> {
    if (!(await this.openable(courseKey, itemId))) return false;
    await this.recordEvent(
      courseKey,
      userId,
      itemId,
      feedback === 'clear' ? { feedback: undefined, feedbackAt: this.now() } : { feedback, feedbackAt: this.now() },
    );
    return true;
  }

  // ---- The coach's side ------------------------------------------------------------------------

  /** Every item of the course's catalog (retired ones too) with what participants did with it. */
  async coachView(courseKey: string): Promise<Array<CatalogEntry & { stats: ItemStats }>> {
    // One record per participant of the course (a scan of the histories, on the coach's page only).
    const [catalog, histories] = await Promise.all([
      this.catalog(courseKey),
      RecommendHistory.find({ courseKey }, { items: 1 }).lean<Array<Pick<HistoryDoc, 'items'>>>(),
    ]);
    const stats = new Map<string, ItemStats>();
    for (const e of histories.flatMap((h) => h.items ?? [])) {
      const s = stats.get(e.itemId) ?? { shown: 0, opened: 0, helpful: 0, notHelpful: 0, done: 0 };
      s.shown += 1;
      if (e.openedAt) s.opened += 1;
      if (e.feedback) s[e.feedback] += 1;
      stats.set(e.itemId, s);
    }
    return catalog.entries.map((e) => ({
      ...e,
      stats: stats.get(e.item.id) ?? { shown: 0, opened: 0, helpful: 0, notHelpful: 0, done: 0 },
    }));
  }

  async courseItem(courseKey: string, itemId: string): Promise<CourseItemDoc | null> {
    const doc = await CourseItem.findById(courseItemId(courseKey, itemId)).lean<CourseItemDoc>();
    return doc && doc.courseKey === courseKey ? doc : null;
  }

  private async changed(courseKey: string): Promise<void> {
    this.cache.delete(courseKey);
    await markChanged(courseScope(courseKey, 'catalog'));
  }

  /** A new course item; its id must be new in the course and not a shared item's. */
  async addItem(courseKey: string, by: Person, item: CatalogItem): Promise<ChangeResult> {
    if (this.sharedIds.has(item.id)) return 'shared';
    const at = this.now();
    try {
      await CourseItem.create({
        _id: courseItemId(courseKey, item.id),
        courseKey,
        item,
        status: 'active',
        source: 'coach',
        by,
        createdAt: at,
        updatedAt: at,
      });
    } catch (err) {
      if (isDuplicateKey(err)) return 'exists';
      throw err;
    }
    await this.changed(courseKey);
    return 'ok';
  }

  async updateItem(courseKey: string, by: Person, itemId: string, item: CatalogItem): Promise<ChangeResult> {
    const current = await this.courseItem(courseKey, itemId);
    if (!current) return 'notFound';
    // The id is the key of feedback and curation: an edit keeps it.
    await putById(CourseItem, current._id, { ...current, item: { ...item, id: itemId }, by, updatedAt: this.now() });
    await this.changed(courseKey);
    return 'ok';
  }

  async setStatus(courseKey: string, by: Person, itemId: string, status: 'active' | 'retired'): Promise<ChangeResult> {
    const current = await this.courseItem(courseKey, itemId);
    if (!current) return this.sharedIds.has(itemId) ? 'shared' : 'notFound';
    await putById(CourseItem, current._id, { ...current, status, by, updatedAt: this.now() });
    await this.changed(courseKey);
    return 'ok';
  }

  /** Endorse, hide or clear any item of the course's catalog (shared ones included). */
  async curate(courseKey: string, by: Person, itemId: string, state: Curation | 'none'): Promise<ChangeResult> {
    const catalog = await this.catalog(courseKey);
    if (!catalog.entries.some((e) => e.item.id === itemId)) return 'notFound';
    await putById(ItemCuration, curationId(courseKey, itemId), { courseKey, itemId, state, by, at: this.now() });
    await this.changed(courseKey);
    return 'ok';
  }

  /**
   * Imports a CSV or JSON file's items into the course: all of them, or none when any is refused
   * (every problem reported with its line). Shared items' ids stay reserved; existing course
   * items are refused unless `replace`.
   */
  async importItems(courseKey: string, by: Person, text: string, replace: boolean): Promise<ImportResult> {
    const own = new Map(
      (
        await CourseItem.find({ courseKey }, { item: 1, createdAt: 1 }).lean<
          Array<Pick<CourseItemDoc, 'item' | 'createdAt'>>
        >()
      ).map((d) => [d.item.id, d]),
    );
    // Shared ids stay reserved even when replacing: a course item may not shadow the shared catalog.
    const existingIds = new Set([...this.sharedIds, ...(replace ? [] : own.keys())]);
    const result = parseCatalogImport(text, { courseKey, existingIds });
    if (!result.ok) return result;
    const at = this.now();
    for (const item of result.items) {
      await putById(CourseItem, courseItemId(courseKey, item.id), {
        courseKey,
        item,
        status: 'active',
        source: 'import',
        by,
        createdAt: own.get(item.id)?.createdAt ?? at,
        updatedAt: at,
      });
    }
    await this.changed(courseKey);
    return result;
  }

  /** The course's own items (not the shared catalog), for export. */
  async courseItems(courseKey: string): Promise<CatalogItem[]> {
    const own = await CourseItem.find({ courseKey }).lean<CourseItemDoc[]>();
    return own.map((d) => d.item).sort((a, b) => a.id.localeCompare(b.id));
  }
}

/** Checks one item as the coach's form gives it (reusing the catalog's validation). */
export function checkItem(item: unknown): { ok: true; item: CatalogItem } | { ok: false; problems: string[] } {
  const checked = validateCatalog([item]);
  return checked.ok
    ? { ok: true, item: checked.items[0] }
    : { ok: false, problems: checked.problems.map((p) => p.message) };
}
