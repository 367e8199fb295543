/**
 * One Cermin, two platforms (the demo LMS and a second Moodle on its own origin), each with its own
 * LTI administrator, and the instance operator. Reproduced against 27e6e1e: one platform's admin
 * could change the instance-wide AI provider (sending every platform's participants there), set
 * every platform's budgets to 0, publish the consent text for all, read other platforms' admins in
 * their change log, send the stored API key to a new address with "test connection", and — with a
 * look-alike registration of the same issuer — export the real platform's people. Each attack is
 * made here as that admin would, and its refusal (or its harmlessness) asserted.
 */
import { Browser, launchThroughDemo, ltikOf, type Page } from '../../sim/browser';
import { courseBaseOf, placeOneActivity } from '../support/coaching';
import { startFakeOpenAI, type FakeOpenAI } from '../../sim/fake-openai';
import { startSecondPlatform, startStack, type Stack } from '../support/stack';
import { DEMO_CLIENT_ID } from '../../sim/lms/bootstrap';
import { platformKeyOf } from '../../src/lti/launch-context';
import { issueSetupToken } from '../../src/admin/setup';

let stack: Stack;
let second: Awaited<ReturnType<typeof startSecondPlatform>>;
/** The operator's provider (from the environment) and a server an admin of platform B points theirs to. */
let operatorAi: FakeOpenAI;
let platformAi: FakeOpenAI;

beforeAll(async () => {
  [operatorAi, platformAi] = await Promise.all([
    startFakeOpenAI({ apiKey: 'sk-operator-key' }),
    startFakeOpenAI({ apiKey: 'sk-platform-b-key' }),
  ]);
  stack = await startStack({
    AI_BASE_URL: operatorAi.baseURL,
    AI_API_KEY: operatorAi.apiKey,
    AI_MODEL: 'fake-model',
    AI_PROVIDER_NAME: 'Server AI Operator',
  });
  second = await startSecondPlatform(stack, 'client-b', 'deployment-b');
}, 60_000);
afterAll(async () => {
  await second.close();
  await stack.close();
  await Promise.all([operatorAi.close(), platformAi.close()]);
});

interface Admin {
  browser: Browser;
  page: Page;
  ltik: string;
  base: string;
}

/** An LTI administrator of the demo LMS (A) or of the second platform (B). */
async function adminOf(platform: 'A' | 'B'): Promise<Admin> {
  const browser = new Browser();
  const page = await launchThroughDemo(browser, platform === 'A' ? stack.demoBase : second.base, 'u-admin-1');
  expect(page.status).toBe(200);
  return { browser, page, ltik: ltikOf(page), base: `${stack.baseUrl}${courseBaseOf(page)}/admin` };
}

const go = (admin: Admin, path: string, form?: Record<string, string>) =>
  form
    ? admin.browser.go(`${admin.base}${path}`, { form: { ltik: admin.ltik, ...form } })
    : admin.browser.go(`${admin.base}${path}?ltik=${encodeURIComponent(admin.ltik)}`);

/** What a participant of a platform is asked to consent to (its text names the provider in force). */
async function consentTextFor(platform: 'A' | 'B', user = 'u-p-001'): Promise<string> {
  const browser = new Browser();
  const page = await launchThroughDemo(browser, platform === 'A' ? stack.demoBase : second.base, user);
  return (await browser.go(`${stack.baseUrl}${courseBaseOf(page)}/ai/consent?ltik=${encodeURIComponent(ltikOf(page))}`))
    .body;
}

test("B's admin sets B's provider, budgets, lenses and consent text: A's participants see none of it", async () => {
  const b = await adminOf('B');
  expect(
    (
      await go(b, '/ai-provider', {
        baseUrl: platformAi.baseURL,
        model: 'fake-model',
        name: 'Server AI Platform B',
        apiKey: platformAi.apiKey,
      })
    ).status,
  ).toBe(200);
  expect((await go(b, '/ai', { userDailyTokens: '0', courseMonthlyTokens: '0' })).status).toBe(200); // and every lens off
  const text = (await go(b, '/consent')).body;
  const field = (name: string) =>
    new RegExp(`name="${name.replace('.', '\\.')}"[^>]*value="([^"]*)"`).exec(text)?.[1] ?? '';
  const body = (lang: string) =>
    /<textarea[^>]*name="([a-z]+)\.body"[^>]*>([^<]*)<\/textarea>/g.exec(text) &&
    [...text.matchAll(/<textarea[^>]*name="([a-z]+)\.body"[^>]*>([^<]*)<\/textarea>/g)].find((m) => m[1] === lang)?.[2];
  const form: Record<string, string> = {};
  for (const l of ['id', 'en']) {
    for (const f of ['title', 'accept', 'decline', 'withdraw']) form[`${l}.${f}`] = field(`${l}.${f}`);
    form[`${l}.body`] =
      `${(body(l) ?? '').replace(/&#39;/g, "'").replace(/&#34;/g, '"').replace(/&amp;/g, '&')}\n\nKetentuan khusus platform B.`;
  }
  expect((await go(b, '/consent', form)).status).toBe(200);

  // B's participants: B's provider and text.
  const bText = await consentTextFor('B');
  expect(bText).toContain('Server AI Platform B');
  expect(bText).toContain('Ketentuan khusus platform B');
  // A's participants: the operator's provider, the instance's text, as before.
  const aText = await consentTextFor('A');
  expect(aText).toContain('Server AI Operator');
  expect(aText).not.toContain('Server AI Platform B');
  expect(aText).not.toContain('Ketentuan khusus platform B');
  // A's settings page shows the defaults, not B's zeros.
  const a = await adminOf('A');
  const aiPage = (await go(a, '/ai')).body;
  expect(aiPage).toMatch(/name="userDailyTokens"[^>]*value="40000"/);
  // B's own page shows its zeros.
  expect((await go(b, '/ai')).body).toMatch(/name="userDailyTokens"[^>]*value="0"/);
});

test('a platform admin\'s "test connection" names the HTTP status, never what the address answered; the operator\'s names it', async () => {
  const b = await adminOf('B');
  await go(b, '/ai-provider', {
    baseUrl: platformAi.baseURL,
    model: 'fake-model',
    name: 'Server AI Platform B',
    apiKey: 'sk-salah-sekali',
  });
  const tested = await go(b, '/ai-test', {});
  expect(tested.body).toContain('<code>HTTP 401</code>');
  expect(tested.body).not.toMatch(/Incorrect API key|invalid_api_key/);
  await go(b, '/ai-provider', {
    baseUrl: platformAi.baseURL,
    model: 'fake-model',
    name: 'Server AI Platform B',
    apiKey: platformAi.apiKey,
  });
});

test("a platform admin cannot reach the instance's defaults or another platform's settings by naming them", async () => {
  const b = await adminOf('B');
  const keyOfA = platformKeyOf(stack.demo.issuer, DEMO_CLIENT_ID);
  // Naming '*' or A's key in the form changes B's own settings, never those.
  await go(b, '/ai', { userDailyTokens: '7', courseMonthlyTokens: '7', platform: '*' });
  await go(b, '/ai', { userDailyTokens: '8', courseMonthlyTokens: '8', platform: keyOfA });
  const a = await adminOf('A');
  expect((await go(a, '/ai')).body).toMatch(/name="userDailyTokens"[^>]*value="40000"/);
  expect((await go(b, '/ai')).body).toMatch(/name="userDailyTokens"[^>]*value="8"/);
  const operator = new Browser();
  await operator.go(`${stack.baseUrl}/setup?token=${await issueSetupToken()}`);
  expect((await operator.go(`${stack.baseUrl}/setup/console/ai`)).body).toMatch(
    /name="userDailyTokens"[^>]*value="40000"/,
  );
  // Their admin page has no platform picker, and no registration key.
  expect((await go(b, '/ai')).body).not.toContain('name="platform"');
});

test("a platform's change log shows its own changes and the operator's, never another platform's admin", async () => {
  const a = await adminOf('A');
  const b = await adminOf('B');
  await go(b, '/retention', {
    aiConversationDays: '30',
    auditDays: '730',
    usageCountersDays: '90',
    recommendationEventsDays: '365',
    safetyAlertsDays: '365',
    queryVectorsDays: '7',
    erasureLogDays: '1825',
  });
  const operator = new Browser();
  await operator.go(`${stack.baseUrl}/setup?token=${await issueSetupToken()}`);
  const csrf = /name="csrf" value="([^"]+)"/.exec(
    (await operator.go(`${stack.baseUrl}/setup/console/ai`)).body,
  )?.[1] as string;
  expect(
    (
      await operator.go(`${stack.baseUrl}/setup/console/ai`, {
        form: { csrf, userDailyTokens: '50000', courseMonthlyTokens: '5000000', enabled: 'cermin' },
      })
    ).status,
  ).toBe(200);
  const aLog = (await go(a, '/changes')).body;
  expect(aLog).toContain('setup token'); // the operator's change to the instance
  // B's changes (and so B's admin) appear nowhere in A's log.
  for (const bAction of [
    'Pengaturan retensi diubah',
    'Teks persetujuan versi baru diterbitkan',
    'Penyedia AI diganti',
    'Admin LMS BPSDM',
  ])
    expect(aLog).not.toContain(bAction);
  const bLog = (await go(b, '/changes')).body;
  expect(bLog).toContain('Pengaturan retensi diubah');
  expect(bLog).toContain('setup token');
  // The operator sees both.
  expect((await operator.go(`${stack.baseUrl}/setup/console/changes`)).body).toContain('Pengaturan retensi diubah');
});

// Reproduced against 27e6e1e: changing only the address kept the stored key, and "test connection" sent it there.
test('"test connection" after changing only the address does not send the stored key to the new address', async () => {
  const b = await adminOf('B');
  await go(b, '/ai-provider', {
    baseUrl: platformAi.baseURL,
    model: 'fake-model',
    name: 'Server AI Platform B',
    apiKey: platformAi.apiKey,
  });
  const thief = await startFakeOpenAI({ apiKey: 'whatever' });
  try {
    const changed = await go(b, '/ai-provider', {
      baseUrl: thief.baseURL,
      model: 'fake-model',
      name: 'Server AI Platform B',
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toContain('tidak diatur'); // the page says no key is set any more
    await go(b, '/ai-test', {});
    expect(thief.requests.length).toBeGreaterThan(0);
    const sent = thief.requests.map((r) => String(r.headers.authorization ?? '')).join(' ');
    expect(sent).not.toContain(platformAi.apiKey);
    expect(sent).not.toContain(operatorAi.apiKey);
  } finally {
    await thief.close();
  }
});

// Reproduced against 27e6e1e: person data was keyed by issuer and user id, across clients, so the
// admin of a look-alike registration of the same issuer exported the real platform's people.
test("a second registration of the same issuer is another tenant: its admin exports none of the first one's people", async () => {
  // A participant of the demo LMS (A) writes something.
  const placed = await placeOneActivity(stack, 'Refleksi tenancy', 100);
  const participant = new Browser();
  const page = await launchThroughDemo(participant, stack.demoBase, 'u-p-002', { link: placed.linkId });
  const activityUrl = `${stack.baseUrl}${new URL(page.url).pathname}`;
  expect(
    (
      await participant.go(`${activityUrl}/entries/refleksi`, {
        form: { ltik: ltikOf(page), baseRevision: '0', text: 'Catatan milik peserta platform A saja.' },
      })
    ).status,
  ).toBe(200);

  // The same issuer under another client (as a look-alike registration would be), with its own admin.
  const lookAlike = await startSecondPlatform(stack, 'look-alike-client', 'look-alike-deployment');
  try {
    await stack.cermin.lti.registry.add({
      issuer: stack.demo.issuer,
      clientId: 'look-alike-client',
      authUrl: lookAlike.demo.authUrl,
      tokenUrl: lookAlike.demo.tokenUrl,
      jwksUrl: lookAlike.demo.jwksUrl,
      deploymentIds: ['look-alike-deployment'],
    });
    const evil = await stack.cermin.lti.registry.list();
    expect(
      evil
        .filter((p) => p.issuer === stack.demo.issuer)
        .map((p) => p.clientId)
        .sort(),
    ).toEqual([DEMO_CLIENT_ID, 'look-alike-client'].sort());
    // Its admin launches (signed by its own keys, with the demo's issuer) and exports "u-p-002".
    const browser = new Browser();
    const login = await browser.request(`${stack.baseUrl}/lti/login`, {
      form: {
        iss: stack.demo.issuer,
        login_hint: 'u-admin-1',
        target_link_uri: stack.cermin.lti.urls.toolUrl,
        client_id: 'look-alike-client',
        lti_deployment_id: 'look-alike-deployment',
      },
    });
    const redirect = new URL(login.headers.get('location') as string);
    const claims = {
      ...lookAlike.demo.launchClaims(lookAlike.demo.userByKind('admin'), {
        nonce: redirect.searchParams.get('nonce') as string,
        linkId: '11',
      }),
      iss: stack.demo.issuer,
      aud: 'look-alike-client',
      'https://purl.imsglobal.org/spec/lti/claim/deployment_id': 'look-alike-deployment',
    };
    const landed = await browser.go(`${stack.baseUrl}/lti/launch`, {
      form: { id_token: await lookAlike.demo.signIdToken(claims), state: redirect.searchParams.get('state') as string },
    });
    expect(landed.status).toBe(200);
    const evilAdmin: Admin = {
      browser,
      page: landed,
      ltik: ltikOf(landed),
      base: `${stack.baseUrl}${courseBaseOf(landed)}/admin`,
    };
    const exported = await go(evilAdmin, '/person/export', { userId: 'u-p-002' });
    expect(exported.status).toBe(200);
    expect(exported.body).not.toContain('Catatan milik peserta platform A saja');
    expect(exported.body).not.toContain(courseBaseOf(page).split('/').pop() as string); // none of A's courses
    // The real platform's admin does see it.
    const a = await adminOf('A');
    expect((await go(a, '/person/export', { userId: 'u-p-002' })).body).toContain(
      'Catatan milik peserta platform A saja',
    );
  } finally {
    await stack.cermin.lti.registry.remove(stack.demo.issuer, 'look-alike-client');
    await lookAlike.close();
  }
});
