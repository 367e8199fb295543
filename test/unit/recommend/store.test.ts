/**
 * A participant's recommendation history is one record per course, read by `_id` (never by
 * filtering a collection of every participant's events): records from before it are moved in at
 * start-up; changes made at the same instant both land; a cleared mark is dropped, not stored.
 */
import crypto from 'node:crypto';
import mongoose from 'mongoose';
import { loadQuestionBank } from '../../../src/ai/offline/engine';
import { settingsFromTemplate } from '../../../src/coaching/domain';
import { loadTemplates } from '../../../src/coaching/templates';
import { loadSampleCatalog } from '../../../src/recommend/catalog';
import { RecommendService } from '../../../src/recommend/service';
import {
  changeHistory,
  historyId,
  moveLegacyEvents,
  historyOf,
  HistoryLock,
  LegacyItemEvents,
  RecommendHistory,
} from '../../../src/recommend/store';
import { ensureDeclaredIndexes } from '../../../src/db/model';
import { testDatabaseUri } from '../../support/stack';

beforeAll(async () => {
  await mongoose.connect(testDatabaseUri(`cermin_rhistory_${crypto.randomBytes(4).toString('hex')}`));
});
afterAll(async () => {
  await mongoose.connection.db?.dropDatabase();
  await mongoose.disconnect();
});

const day = (d: number) => new Date(Date.UTC(2026, 8, d));

test("records from before the histories are moved into them at start-up, then removed; a history's items are kept", async () => {
  await changeHistory('c1', 'u1', day(20), (items) => {
    items.set('b', { itemId: 'b', shownAt: day(20), feedback: 'done', feedbackAt: day(20) });
  });
  await LegacyItemEvents.insertMany([
    {
      _id: 'old-1',
      courseKey: 'c1',
      userId: 'u1',
      itemId: 'a',
      shownAt: day(1),
      feedback: 'helpful',
      feedbackAt: day(3),
    },
    { _id: 'old-2', courseKey: 'c1', userId: 'u1', itemId: 'b', shownAt: day(1) },
    { _id: 'old-3', courseKey: 'c1', userId: 'u2', itemId: 'a', shownAt: day(2), openedAt: day(5) },
  ]);
  await ensureDeclaredIndexes();
  await moveLegacyEvents();
  expect(await LegacyItemEvents.countDocuments({})).toBe(0);
  const u1 = await historyOf('c1', 'u1');
  expect([...u1.keys()].sort()).toEqual(['a', 'b']);
  expect(u1.get('a')).toEqual({ itemId: 'a', shownAt: day(1), feedback: 'helpful', feedbackAt: day(3) });
  expect(u1.get('b')?.feedback).toBe('done'); // the history's own record of b wins over the older one
  const u2 = await RecommendHistory.findById(historyId('c1', 'u2')).lean();
  expect(u2).toMatchObject({
    courseKey: 'c1',
    userId: 'u2',
    updatedAt: day(5),
    items: [{ itemId: 'a', shownAt: day(2), openedAt: day(5) }],
  });
  // Its last use never moves back: u1's history was used on day 20, its moved records are older.
  expect((await RecommendHistory.findById(historyId('c1', 'u1')).lean())?.updatedAt).toEqual(day(20));
});

test('two changes at the same instant (two tabs): both land', async () => {
  const ids = ['p', 'q', 'r', 's', 't', 'u', 'v', 'w'];
  await Promise.all(
    ids.map((itemId, i) =>
      changeHistory('c2', 'u1', day(10 + i), (items) => {
        items.set(itemId, { ...(items.get(itemId) ?? { itemId, shownAt: day(10) }), openedAt: day(11) });
      }),
    ),
  );
  expect([...(await historyOf('c2', 'u1')).keys()].sort()).toEqual(ids);
  expect(await HistoryLock.countDocuments({})).toBe(0); // every claim released
});

test('a change that changes nothing writes nothing; a cleared mark is dropped, not stored as null', async () => {
  await changeHistory('c3', 'u1', day(1), (items) => {
    items.set('x', { itemId: 'x', shownAt: day(1), feedback: 'helpful', feedbackAt: day(1) });
  });
  await changeHistory('c3', 'u1', day(9), (items) => {
    items.set('x', { ...items.get('x')!, feedback: 'helpful', feedbackAt: day(1) });
  });
  expect((await RecommendHistory.findById(historyId('c3', 'u1')).lean())?.updatedAt).toEqual(day(1));
  await changeHistory('c3', 'u1', day(2), (items) => {
    items.set('x', { ...items.get('x')!, feedback: undefined, feedbackAt: day(2) });
  });
  const stored = await RecommendHistory.findById(historyId('c3', 'u1')).lean(); // lean: the record as stored
  expect(stored?.items).toEqual([{ itemId: 'x', shownAt: day(1), feedbackAt: day(2) }]);
});

test("the journal's recommendations read and write the history by `_id` only: one read per view", async () => {
  const settings = settingsFromTemplate(
    loadTemplates().find((t) => t.id === 'bebas')!,
    'id',
    new Date(),
  );
  const service = new RecommendService({ shared: loadSampleCatalog().items, bank: loadQuestionBank(), limit: 3 });
  const view = () =>
    service.forParticipant({
      platform: 'platform-5',
      courseKey: 'c5',
      userId: 'u1',
      locale: 'id',
      dataSaver: false,
      activity: { _id: 'act-1', templateId: 'bebas', sections: settings.sections, rubric: settings.rubric },
      entries: [
        {
          key: 'refleksi',
          text: 'Saya melayani warga di loket dan menjelaskan persyaratan dengan sabar, lalu mencatat keluhan mereka.',
          updatedAt: new Date(),
        },
      ],
    });
  const first = await view();
  expect(first.length).toBe(3);
  expect([...(await historyOf('c5', 'u1')).keys()].sort()).toEqual(first.map((r) => r.id).sort());
  expect(await service.mark('c5', 'u1', first[0].id, 'helpful')).toBe(true);
  expect(await service.open('c5', 'u1', first[1].id)).toBeDefined();

  const queries: Array<{ collection: string; method: string; keys: string[] }> = [];
  mongoose.set('debug', (collection: string, method: string, filter: Record<string, unknown>) => {
    if (collection.startsWith('recommend_history'))
      queries.push({ collection, method, keys: Object.keys(filter ?? {}) });
  });
  let again;
  try {
    again = await view();
  } finally {
    mongoose.set('debug', false);
  }
  expect(again.find((r) => r.id === first[0].id)?.feedback).toBe('helpful');
  expect(again.find((r) => r.id === first[1].id)?.opened).toBe(true);
  // Nothing new shown: one read by `_id`, no write.
  expect(queries).toEqual([{ collection: 'recommend_history', method: 'findOne', keys: ['_id'] }]);
});
