/**
 * What one ltik opens, tried as its holder would. Reproduced against 27e6e1e: a participant's ltik
 * opened every activity of the course (Moodle's hidden activities and access restrictions
 * bypassed), and an ltik issued before the operator turned its platform off, or removed its
 * deployment, kept opening pages for up to 24 hours.
 */
import { Browser, launchThroughDemo, ltikOf, type Page } from '../../sim/browser';
import { courseBaseOf, placeActivities } from '../support/coaching';
import { startStack, type Stack } from '../support/stack';
import { DEMO_CLIENT_ID, DEMO_DEPLOYMENT_ID } from '../../sim/lms/bootstrap';

let stack: Stack;
let links: string[];
beforeAll(async () => {
  stack = await startStack();
  // Two activities in one course: the participant is given (in Moodle) only the first.
  ({ links } = await placeActivities(stack, new Browser(), [
    {
      id: 'bebas',
      form: { title: 'Aktivitas terbuka', maxScore: '100', 'prompt.refleksi': 'Apa yang Anda pelajari?' },
    },
    { id: 'bebas', form: { title: 'Aktivitas tersembunyi', maxScore: '100', 'prompt.refleksi': 'Rahasia?' } },
  ]));
}, 60_000);
afterAll(async () => {
  await stack.close();
});

const activityIdOf = (linkId: string) =>
  String(stack.demo.course.links.find((l) => l.id === linkId)?.custom?.activity_id);
const withLtik = (url: string, page: Page) =>
  `${url}${url.includes('?') ? '&' : '?'}ltik=${encodeURIComponent(ltikOf(page))}`;

test("a participant's ltik opens the activity it was launched for, and no other of the course", async () => {
  const browser = new Browser();
  const page = await launchThroughDemo(browser, stack.demoBase, 'u-p-001', { link: links[0] });
  expect(page.status).toBe(200);
  const course = `${stack.baseUrl}${courseBaseOf(page)}`;
  const hidden = `${course}/activities/${activityIdOf(links[1])}`;
  const refused = await browser.go(withLtik(hidden, page));
  expect(refused.status).toBe(403);
  expect(refused.body).toContain('Sesi ini dibuka untuk aktivitas lain');
  expect(refused.body).not.toContain('Rahasia?');
  // Writing into it, asking a lens on it, submitting it: refused the same way.
  for (const [path, form] of [
    ['/entries/refleksi', { baseRevision: '0', text: 'Masuk lewat pintu samping.' }],
    ['/entries/refleksi/reflect', { lens: 'cermin' }],
    ['/submit', {}],
  ] as const) {
    expect([path, (await browser.go(`${hidden}${path}`, { form: { ltik: ltikOf(page), ...form } })).status]).toEqual([
      path,
      403,
    ]);
  }
  // Its own activity works.
  expect((await browser.go(withLtik(`${course}/activities/${activityIdOf(links[0])}`, page))).status).toBe(200);
});

test("a mentor's ltik is bound the same way; a coach moves within the course", async () => {
  const mentor = new Browser();
  const mentorPage = await launchThroughDemo(mentor, stack.demoBase, 'u-mentor-1', { link: links[0] });
  const course = `${stack.baseUrl}${courseBaseOf(mentorPage)}`;
  expect((await mentor.go(withLtik(`${course}/activities/${activityIdOf(links[1])}/mentor`, mentorPage))).status).toBe(
    403,
  );
  expect((await mentor.go(withLtik(`${course}/activities/${activityIdOf(links[0])}/mentor`, mentorPage))).status).toBe(
    200,
  );

  const coach = new Browser();
  const coachPage = await launchThroughDemo(coach, stack.demoBase, 'u-coach-1', { link: links[0] });
  expect((await coach.go(withLtik(`${course}/activities/${activityIdOf(links[1])}/manage`, coachPage))).status).toBe(
    200,
  );
});

test('turning the platform off ends its sessions at once; turning it on brings them back', async () => {
  const browser = new Browser();
  const page = await launchThroughDemo(browser, stack.demoBase, 'u-p-002', { link: links[0] });
  const journal = withLtik(`${stack.baseUrl}${new URL(page.url).pathname}`, page);
  expect((await browser.go(journal)).status).toBe(200);
  try {
    await stack.cermin.lti.registry.setActive(stack.demo.issuer, DEMO_CLIENT_ID, false);
    const ended = await browser.go(journal);
    expect(ended.status).toBe(403);
    expect(ended.body).toContain('<code>PLATFORM_NOT_ACTIVATED</code>');
    // The landing address with the ltik, too, and a POST that adds an id_token ltijs never looks at.
    expect((await browser.go(withLtik(`${stack.baseUrl}/lti/launch`, page))).status).toBe(403);
    expect(
      (await browser.go(`${stack.baseUrl}/lti/launch`, { form: { ltik: ltikOf(page), id_token: 'a.b.c' } })).status,
    ).toBe(403);
  } finally {
    await stack.cermin.lti.registry.setActive(stack.demo.issuer, DEMO_CLIENT_ID, true);
  }
  expect((await browser.go(journal)).status).toBe(200);
});

test('removing the deployment ends the sessions launched through it', async () => {
  const browser = new Browser();
  const page = await launchThroughDemo(browser, stack.demoBase, 'u-p-003', { link: links[0] });
  const journal = withLtik(`${stack.baseUrl}${new URL(page.url).pathname}`, page);
  try {
    expect(
      await stack.cermin.lti.registry.removeDeployment(stack.demo.issuer, DEMO_CLIENT_ID, DEMO_DEPLOYMENT_ID),
    ).toBe(true);
    const ended = await browser.go(journal);
    expect(ended.status).toBe(403);
    expect(ended.body).toContain('<code>UNKNOWN_DEPLOYMENT</code>');
    expect((await browser.go(journal.replace(/\?.*/, ''), { form: { ltik: ltikOf(page) } })).status).toBe(403);
  } finally {
    await stack.cermin.lti.registry.addDeployment(stack.demo.issuer, DEMO_CLIENT_ID, DEMO_DEPLOYMENT_ID);
  }
  expect((await browser.go(journal)).status).toBe(200);
});
