/**
 * What one person's saves may cost. Reproduced against 27e6e1e: nothing limited a person's
 * autosaves, and every save kept a version for ever, so one script could fill the database. Saves
 * are limited per person and minute (429, which the page keeps queued), and an entry keeps its
 * newest versions and an even spread of the older ones.
 */
import { Browser, launchThroughDemo, ltikOf } from '../../sim/browser';
import { placeOneActivity } from '../support/coaching';
import { startStack, type Stack } from '../support/stack';
import { CoachingService, olderRevisionsKept } from '../../src/coaching/service';
import { Activity, EntryVersion, type ActivityDoc } from '../../src/coaching/models';
import { versionId } from '../../src/coaching/ids';

let stack: Stack;
let linkId: string;
beforeAll(async () => {
  stack = await startStack({ RATE_LIMIT_SAVES: '10' });
  ({ linkId } = await placeOneActivity(stack, 'Refleksi batas', 100));
}, 60_000);
afterAll(async () => {
  await stack.close();
});

test('saves past the per-person limit get 429 (JSON for the autosave, a page for the form); another person is not held back', async () => {
  const open = async (user: string) => {
    const browser = new Browser();
    const page = await launchThroughDemo(browser, stack.demoBase, user, { link: linkId });
    return { browser, ltik: ltikOf(page), url: `${stack.baseUrl}${new URL(page.url).pathname}/entries/refleksi` };
  };
  const flooder = await open('u-p-001');
  const statuses: number[] = [];
  let lastJson: Record<string, unknown> = {};
  for (let i = 0; i < 14; i++) {
    const res = await fetch(flooder.url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/json',
        Authorization: `Bearer ${flooder.ltik}`,
      },
      body: JSON.stringify({ text: `Versi ${i}: saya mencatat keluhan warga.`, baseRevision: i }),
    });
    statuses.push(res.status);
    lastJson = (await res.json()) as Record<string, unknown>;
  }
  expect(statuses.slice(0, 10)).toEqual(Array(10).fill(200));
  expect(statuses.slice(10)).toEqual([429, 429, 429, 429]);
  expect(lastJson).toMatchObject({ status: 'rateLimited' });
  const form = await flooder.browser.go(flooder.url, {
    form: { ltik: flooder.ltik, baseRevision: '10', text: 'Lewat formulir.' },
  });
  expect(form.status).toBe(429);
  expect(form.body).toContain('Terlalu banyak penyimpanan');
  // Someone else in the same class saves as usual.
  const other = await open('u-p-002');
  expect(
    (
      await other.browser.go(other.url, {
        form: { ltik: other.ltik, baseRevision: '0', text: 'Tulisan peserta lain.' },
      })
    ).status,
  ).toBe(200);
});

test('the older revisions kept are the first and an even spread up to the newest kept', () => {
  expect([...olderRevisionsKept(3, 5)].sort((a, b) => a - b)).toEqual([1, 2, 3]);
  const spread = [...olderRevisionsKept(100, 5)].sort((a, b) => a - b);
  expect(spread).toEqual([1, 26, 51, 75, 100]);
});

test('an entry saved 300 times keeps its newest versions and a spread of the older ones, no more', async () => {
  const kept = { recent: 10, older: 10 };
  const service = new CoachingService({ templates: [], versionsKept: kept });
  const activity = await Activity.findOne({ title: 'Refleksi batas' }).lean<ActivityDoc>();
  if (!activity) throw new Error('no activity');
  const user = { id: 'u-versions', name: 'Peserta Versi' };
  for (let r = 0; r < 300; r++) {
    const saved = await service.saveEntry(activity, user, 'refleksi', {
      text: `Revisi ${r + 1} dari tulisan saya tentang pelayanan.`,
      baseRevision: r,
      source: 'autosave',
    });
    expect(saved.kind).toBe('saved');
  }
  const stored = (await EntryVersion.find({ activityId: activity._id, userId: user.id }, { revision: 1 }).lean())
    .map((v) => v.revision)
    .sort((a, b) => a - b);
  // At most the newest `recent`, the `recent` since the last thinning, and `older` spread.
  expect(stored.length).toBeLessThanOrEqual(kept.recent * 2 + kept.older);
  expect(stored).toEqual(expect.arrayContaining([1, ...Array.from({ length: kept.recent }, (_v, i) => 300 - i)]));
  expect(stored.filter((r) => r <= 200).length).toBeLessThanOrEqual(kept.older + 1);
  // The history shows the newest; a thinned revision cannot be restored (and says so), a kept one can.
  const history = await service.versions(activity, user.id, 'refleksi', 5);
  expect(history.map((v) => v.revision)).toEqual([300, 299, 298, 297, 296]);
  const thinned = Array.from({ length: 200 }, (_v, i) => i + 1).find((r) => !stored.includes(r)) as number;
  expect(await EntryVersion.findById(versionId(activity._id, user.id, 'refleksi', thinned)).lean()).toBeNull();
  expect(await service.restore(activity, user, 'refleksi', thinned, 300)).toEqual({ kind: 'missing' });
  expect((await service.restore(activity, user, 'refleksi', 1, 300)).kind).toBe('saved');
}, 120_000);
