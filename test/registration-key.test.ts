/**
 * With LTI_REGISTRATION_KEY set, dynamic registration needs the full URL the admin pages show:
 * without the key, or with a wrong one, nothing is registered; with it, the platform registers.
 * The public landing page never shows the key.
 */
import { Browser, launchThroughDemo } from './support/browser';
import { startStack, type Stack } from './support/stack';

const KEY = 'rahasia-pendaftaran-bpsdm-2026';
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ LTI_REGISTRATION_KEY: KEY });
}, 60_000);
afterAll(async () => { await stack.close(); });

test('registration without the key, or with a wrong one, is refused; with it, the platform registers', async () => {
  const before = stack.demo.registrations.length;
  const platforms = (await stack.cermin.lti.registry.list()).length;
  for (const url of [stack.cermin.lti.urls.registrationUrl, `${stack.cermin.lti.urls.registrationUrl}?key=${'x'.repeat(KEY.length)}`, `${stack.cermin.lti.urls.registrationUrl}?key=short`]) {
    const refused = await new Browser().go(stack.demo.dynamicRegistrationUrl(url));
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('memerlukan kunci pendaftaran');
  }
  expect(stack.demo.registrations.length).toBe(before);
  expect((await stack.cermin.lti.registry.list()).length).toBe(platforms);

  expect(stack.cermin.lti.urls.registrationUrlForAdmins).toBe(`${stack.cermin.lti.urls.registrationUrl}?key=${KEY}`);
  const ok = await new Browser().go(stack.demo.dynamicRegistrationUrl(stack.cermin.lti.urls.registrationUrlForAdmins));
  expect(ok.status).toBe(200);
  expect(ok.body).toContain('Cermin terdaftar');
  expect(stack.demo.registrations.length).toBe(before + 1);
});

test('the admin page shows the full URL; the key stays out of pages anyone may see', async () => {
  const admin = await launchThroughDemo(new Browser(), stack.demoBase, 'u-admin-1');
  expect(admin.body).toContain(`key=${KEY}`);
  const participant = await launchThroughDemo(new Browser(), stack.demoBase, 'u-p-001');
  expect(participant.body).not.toContain(KEY);
});
