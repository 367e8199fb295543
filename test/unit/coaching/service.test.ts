/**
 * CoachingService.saveEntry on a real database, without HTTP: what an autosave from a phone on a
 * flaky connection must get (a version per change, a resent save not doubled, a stale base kept
 * as a conflict rather than overwriting, a submitted work locked), and that a save from one
 * person or one activity never lands in another's journal.
 */
import crypto from 'node:crypto';
import mongoose from 'mongoose';
import { testDatabaseUri } from '../../support/stack';
import { CoachingService } from '../../../src/coaching/service';
import { settingsFromTemplate } from '../../../src/coaching/domain';
import { loadTemplates } from '../../../src/coaching/templates';
import type { ActivityDoc } from '../../../src/coaching/models';
import { type LaunchContext } from '../../../src/domain/launch';
import { courseKeyOf, platformIdentity } from '../../../src/lti/launch-context';

const NOW = new Date('2026-12-06T03:00:00Z');
const templates = loadTemplates();
const template = templates.find((t) => t.id === 'berakhlak')!;
const KEY = 'berorientasi-pelayanan-1';
const coaching = new CoachingService({ templates, now: () => NOW });
const ani = { id: 'peserta-ani', name: 'Ani' };
const budi = { id: 'peserta-budi', name: 'Budi' };

function coachLaunch(courseId: string): LaunchContext {
  const issuer = 'https://moodle.bpsdm.example';
  return {
    platform: { ...platformIdentity(issuer, 'client-1'), platformId: 'p-1' },
    deploymentId: 'd-1',
    courseKey: courseKeyOf(issuer, 'client-1', 'd-1', courseId),
    course: { id: courseId },
    resourceLink: { id: `link-${courseId}` },
    messageType: 'LtiResourceLinkRequest',
    user: { id: 'widyaiswara-1', name: 'Bu Sari' },
    roles: [],
    audience: 'coach',
    custom: {},
    locale: 'id',
  };
}

let activity: ActivityDoc;
let other: ActivityDoc;

beforeAll(async () => {
  await mongoose.connect(testDatabaseUri(`cermin_coaching_${crypto.randomBytes(4).toString('hex')}`));
  activity = await coaching.createActivity(coachLaunch('c-1'), template, settingsFromTemplate(template, 'id', NOW));
  other = await coaching.createActivity(coachLaunch('c-2'), template, settingsFromTemplate(template, 'id', NOW));
});
afterAll(async () => {
  await mongoose.connection.db?.dropDatabase();
  await mongoose.disconnect();
});

const save = (who: { id: string; name: string }, text: string, baseRevision: number, on = activity) =>
  coaching.saveEntry(on, who, KEY, { text, baseRevision, source: 'autosave' });

test('each change is a new revision with its version kept; the same text sent again is not', async () => {
  const first = await save(ani, 'Saya melayani warga lansia di loket.', 0);
  expect(first).toMatchObject({ kind: 'saved', entry: { revision: 1 } });
  const second = await save(ani, 'Saya melayani warga lansia di loket Disdukcapil.', 1);
  expect(second).toMatchObject({ kind: 'saved', entry: { revision: 2 } });
  // The offline queue flushes the same save twice: the second is acknowledged, not stored again.
  const resent = await save(ani, 'Saya melayani warga lansia di loket Disdukcapil.', 1);
  expect(resent).toMatchObject({ kind: 'saved', unchanged: true, entry: { revision: 2 } });
  const versions = await coaching.versions(activity, ani.id, KEY);
  expect(versions.map((v) => [v.revision, v.text])).toEqual([
    [2, 'Saya melayani warga lansia di loket Disdukcapil.'],
    [1, 'Saya melayani warga lansia di loket.'],
  ]);
});

test('a save from a stale base does not overwrite: it comes back as a conflict with both texts', async () => {
  const stale = await save(ani, 'Teks dari ponsel yang tertinggal.', 1);
  expect(stale.kind).toBe('conflict');
  if (stale.kind !== 'conflict') return;
  expect(stale.current.text).toBe('Saya melayani warga lansia di loket Disdukcapil.');
  expect(stale.yours).toBe('Teks dari ponsel yang tertinggal.');
  const journal = await coaching.journal(activity, ani.id);
  expect(journal.entries.find((e) => e.key === KEY)?.text).toBe('Saya melayani warga lansia di loket Disdukcapil.');
  expect(journal.conflicts.map((c) => c.text)).toContain('Teks dari ponsel yang tertinggal.');
});

test('bad input is refused before anything is written', async () => {
  expect(
    await coaching.saveEntry(activity, ani, 'no-such-prompt', { text: 'x', baseRevision: 0, source: 'form' }),
  ).toEqual({
    kind: 'invalid',
    problem: 'badKey',
  });
  expect(await save(ani, 'x', -1)).toEqual({ kind: 'invalid', problem: 'badRevision' });
  expect((await save(ani, 'x'.repeat(20001), 2)).kind).toBe('invalid');
  expect((await coaching.versions(activity, ani.id, KEY)).length).toBe(2);
});

test("one person's save never lands in another's journal or another activity", async () => {
  expect(await save(budi, 'Catatan Budi.', 0)).toMatchObject({
    kind: 'saved',
    entry: { revision: 1, userId: budi.id },
  });
  expect(await save(ani, 'Catatan Ani di kursus lain.', 0, other)).toMatchObject({
    kind: 'saved',
    entry: { revision: 1 },
  });
  const [aniHere, budiHere, aniThere] = await Promise.all([
    coaching.journal(activity, ani.id),
    coaching.journal(activity, budi.id),
    coaching.journal(other, ani.id),
  ]);
  expect(aniHere.entries.map((e) => e.text)).toEqual(['Saya melayani warga lansia di loket Disdukcapil.']);
  expect(budiHere.entries.map((e) => e.text)).toEqual(['Catatan Budi.']);
  expect(aniThere.entries.map((e) => e.text)).toEqual(['Catatan Ani di kursus lain.']);
});

test('after submitting, a save is refused as locked and the text stays as submitted', async () => {
  expect(await coaching.submit(activity, budi)).not.toBe('already');
  expect(await save(budi, 'Perubahan sesudah dikirim.', 1)).toEqual({ kind: 'locked' });
  expect((await coaching.journal(activity, budi.id)).entries[0].text).toBe('Catatan Budi.');
});
