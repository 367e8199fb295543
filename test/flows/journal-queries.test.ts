/**
 * The participant's journal page is the hot path (every participant, every visit, often on a
 * phone): each of Cermin's reads on it is by `_id` (one key, or several in one `$in`), so no
 * engine has to look past the records it returns, whatever the size of the deployment
 * (`npm run bench -- db`).
 */
import mongoose from 'mongoose';
import { placeOneActivity, writeAndSubmit } from '../support/coaching';
import { startStack, type Stack } from '../support/stack';

let stack: Stack;
beforeAll(async () => {
  // No grade worker: its polling is not the page's.
  stack = await startStack({ GRADES_WORKER: 'false' });
}, 60_000);
afterAll(async () => {
  await stack.close();
});

interface Query {
  collection: string;
  method: string;
  filter: Record<string, unknown>;
}

test('a journal view with an AI answer and recommendations, and an autosave, read only by `_id`', async () => {
  const placed = await placeOneActivity(stack, 'Refleksi pelayanan', 100);
  const p = await writeAndSubmit(
    stack,
    'u-p-001',
    placed.linkId,
    {
      refleksi:
        'Saya melayani warga dengan ramah dan menjelaskan persyaratan satu per satu. Minggu depan saya akan membuat daftar persyaratan tertulis.',
    },
    { submit: false },
  );
  expect(
    (await p.browser.go(`${p.activityUrl}/entries/refleksi/reflect`, { form: { ltik: p.ltik, lens: 'cermin' } }))
      .status,
  ).toBe(200);
  const url = `${p.activityUrl}?ltik=${encodeURIComponent(p.ltik)}`;
  expect((await p.browser.go(url)).status).toBe(200); // recommendations shown once (written)

  const queries: Query[] = [];
  mongoose.set('debug', (collection: string, method: string, filter: Record<string, unknown>) => {
    queries.push({ collection, method, filter: filter ?? {} });
  });
  let page;
  let saved;
  try {
    page = await p.browser.go(url);
    // And an autosave, the most frequent request of all.
    saved = await p.browser.go(`${p.activityUrl}/entries/refleksi`, {
      form: { ltik: p.ltik, baseRevision: '1', text: 'Saya melayani warga dengan ramah. Ditambah satu kalimat.' },
    });
  } finally {
    mongoose.set('debug', false);
  }
  expect(page.status).toBe(200);
  expect(saved.status).toBe(200);
  expect(page.body).toContain('rekomendasi'); // the sections that read the most are on the page
  const collections = new Set(queries.map((q) => q.collection));
  for (const c of ['coaching_entries', 'coaching_ai_latest', 'recommend_history']) expect(collections).toContain(c);
  // An insert names its record's `_id` (the debug hook shows the record itself): no scan.
  // One exception, on purpose: the kept copies of saves that lost a race are looked up by person
  // (a counter on the entry said whether to look, and two racing saves could reset it, hiding a
  // copy). That collection holds only unresolved copies, so its scan stays small.
  const notById = queries
    .filter((q) => !q.method.startsWith('insert') && q.collection !== 'coaching_entry_conflicts')
    .filter((q) => {
      const keys = Object.keys(q.filter);
      if (keys.length !== 1 || keys[0] !== '_id') return true;
      const id = q.filter._id as unknown;
      // Several records of known `_id`s: one `$in`, one round trip, through the `_id` index.
      if (id && typeof id === 'object' && '$in' in id)
        return !(id as { $in: unknown[] }).$in.every((x) => typeof x === 'string');
      return typeof id !== 'string';
    });
  expect(notById.map((q) => `${q.collection}.${q.method} ${JSON.stringify(q.filter)}`)).toEqual([]);
});
