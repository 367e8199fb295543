/**
 * LTI_REGISTRATION_KEY pre-approves: a dynamic registration carrying it can launch at once; one
 * without it waits for the instance operator; one with a wrong key is refused and nothing reaches
 * the platform. Only the operator's page shows the key: a platform admin's page and the pages
 * anyone may see do not.
 */
import { Browser, launchThroughDemo } from '../../sim/browser';
import { startStack, startUnregisteredPlatform, type Stack } from '../support/stack';
import { issueSetupToken } from '../../src/admin/setup';

const KEY = 'rahasia-pendaftaran-bpsdm-2026';
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ LTI_REGISTRATION_KEY: KEY });
}, 60_000);
afterAll(async () => {
  await stack.close();
});

test('a wrong key is refused before anything is sent to the platform', async () => {
  const moodle = await startUnregisteredPlatform(stack);
  try {
    const platforms = (await stack.cermin.lti.registry.list()).length;
    for (const key of ['x'.repeat(KEY.length), 'short', '']) {
      const refused = await new Browser().go(
        moodle.demo.dynamicRegistrationUrl(`${stack.cermin.lti.urls.registrationUrl}?key=${key}`),
      );
      expect(refused.status).toBe(403);
      expect(refused.body).toContain('Kunci pendaftaran pada alamat ini salah');
    }
    expect(moodle.demo.registrations.length).toBe(0);
    expect((await stack.cermin.lti.registry.list()).length).toBe(platforms);
  } finally {
    await moodle.close();
  }
});

test('without the key the registration waits for the operator; with it the platform launches at once', async () => {
  const waiting = await startUnregisteredPlatform(stack);
  const keyed = await startUnregisteredPlatform(stack);
  try {
    const plain = await new Browser().go(waiting.demo.dynamicRegistrationUrl(stack.cermin.lti.urls.registrationUrl));
    expect(plain.status).toBe(200);
    expect(plain.body).toContain('perlu menyetujuinya');
    expect((await stack.cermin.lti.registry.list()).find((p) => p.issuer === waiting.base)).toMatchObject({
      pending: true,
      active: false,
    });

    expect(stack.cermin.lti.urls.registrationUrlForAdmins).toBe(`${stack.cermin.lti.urls.registrationUrl}?key=${KEY}`);
    const ok = await new Browser().go(
      keyed.demo.dynamicRegistrationUrl(stack.cermin.lti.urls.registrationUrlForAdmins),
    );
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('Cermin terdaftar');
    expect(ok.body).not.toContain('perlu menyetujuinya');
    const reg = keyed.demo.registrations[0];
    expect((await stack.cermin.lti.registry.list()).find((p) => p.issuer === keyed.base)).toMatchObject({
      pending: false,
      active: true,
      deploymentIds: [reg.deploymentId],
    });
    const browser = new Browser();
    const auth = await browser.submitAutoForm(
      await browser.go(
        `${keyed.base}/launch?${new URLSearchParams({ user: 'u-p-001', link: '11', client: reg.clientId })}`,
      ),
    );
    expect((await browser.submitAutoForm(auth)).status).toBe(200);
  } finally {
    await Promise.all([waiting.close(), keyed.close()]);
  }
});

test("only the operator's page shows the key: not a platform admin's, not a participant's", async () => {
  const operator = await new Browser().go(`${stack.baseUrl}/setup?token=${await issueSetupToken()}`);
  expect(operator.body).toContain(`key=${KEY}`);
  const admin = await launchThroughDemo(new Browser(), stack.demoBase, 'u-admin-1');
  expect(admin.status).toBe(200);
  expect(admin.body).toContain(stack.cermin.lti.urls.registrationUrl);
  expect(admin.body).not.toContain(KEY);
  const participant = await launchThroughDemo(new Browser(), stack.demoBase, 'u-p-001');
  expect(participant.body).not.toContain(KEY);
});
