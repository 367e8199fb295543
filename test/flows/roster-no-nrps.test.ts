/**
 * A platform that does not offer Names and Roles to Cermin (a Moodle admin can turn the service
 * off per tool): the roster says so plainly and lists those who have launched, with their work.
 */
import { ltikOf, type Page } from '../../sim/browser';
import { courseBaseOf, placeOneActivity, writeAndSubmit } from '../support/coaching';
import { startStack, type Stack } from '../support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
  stack.demo.withdrawScope('https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly');
});
afterAll(async () => {
  await stack.close();
});

const rowNames = (page: Page) => [...page.body.matchAll(/<th scope="row">([^<]+)/g)].map((m) => m[1].trim());

test('the roster says the platform shares no member list and lists those who launched', async () => {
  const placed = await placeOneActivity(stack, 'Refleksi tanpa NRPS', 100);
  await writeAndSubmit(stack, 'u-p-005', placed.linkId, { refleksi: 'Saya mencoba mendengarkan dulu.' });
  await writeAndSubmit(stack, 'u-p-006', placed.linkId, { refleksi: 'Draf.' }, { submit: false });
  const rosterUrl = `${stack.baseUrl}${courseBaseOf(placed.coachPage)}/roster?ltik=${encodeURIComponent(ltikOf(placed.coachPage))}`;
  const page = await placed.coach.go(rosterUrl);
  expect(page.status).toBe(200);
  expect(page.body).toContain('Yang tampil hanya peserta yang sudah membuka Cermin');
  expect(page.body).not.toContain('Perbarui dari Moodle');
  // The coach launched too, but is not a participant row.
  expect(rowNames(page)).toEqual(['Andi Muhammad Arief', 'Yohanes Wenda']);
  expect(page.body).toContain('Dikumpulkan, perlu ditinjau');
  expect(page.body).toContain('Draf');

  // Someone new launches: the list follows.
  await writeAndSubmit(stack, 'u-p-007', placed.linkId, {}, { submit: false });
  expect(rowNames(await placed.coach.go(rosterUrl))).toEqual(['Andi Muhammad Arief', 'Kevin Santoso', 'Yohanes Wenda']);
});
