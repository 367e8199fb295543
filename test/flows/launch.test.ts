/**
 * Launches as a person makes them in the demo LMS (course page → login → platform auth →
 * launch → first page), role routing, the ltik carried without cookies, and the tenant wall.
 */
import mongoose from 'mongoose';
import { parseAutoPostForm } from '../../sim/lms/platform';
import { Browser, launchThroughDemo, ltikOf, type Page } from '../../sim/browser';
import { startSecondPlatform, startStack, type Stack } from '../support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack.close();
});

const h1 = (page: Page) => /<h1>([^<]*)<\/h1>/.exec(page.body)?.[1];

describe('launch through the demo LMS, routed by role', () => {
  test.each([
    ['u-p-001', 'participant', 'Jurnal reflektif Anda'],
    // A link added by hand in Moodle is not bound to an activity yet: the coach sets it up.
    ['u-coach-1', 'setup', 'Siapkan aktivitas'],
    ['u-assistant-1', 'setup', 'Siapkan aktivitas'],
    ['u-admin-1', 'admin', 'Konsol admin Cermin'],
    ['u-mentor-1', 'mentor', 'Ruang mentor'],
  ])('%s lands on the %s page', async (userId, page, heading) => {
    const landed = await launchThroughDemo(new Browser(), stack.demoBase, userId);
    expect(landed.status).toBe(200);
    expect(new URL(landed.url).pathname).toMatch(new RegExp(`^/lti/app/courses/[\\w-]+/${page}$`));
    expect(h1(landed)).toBe(heading);
    const user = stack.demo.users.find((u) => u.id === userId);
    expect(landed.body).toContain(user?.name.replace(/&/g, '&amp;').replace(/'/g, '&#39;'));
    expect(landed.body).toContain('Latsar CPNS Angkatan I');
  });

  test('the demo course page offers a launch for each role', async () => {
    const page = await new Browser().go(stack.demoBase);
    expect(page.status).toBe(200);
    for (const kind of ['participant', 'coach', 'admin', 'mentor'] as const) {
      expect(page.body).toContain(`user=${stack.demo.userByKind(kind).id}`);
    }
  });

  test('a coach opening "select content" lands on the deep-linking picker', async () => {
    const page = await launchThroughDemo(new Browser(), stack.demoBase, 'u-coach-1', { deepLinking: true });
    expect(page.status).toBe(200);
    expect(new URL(page.url).pathname).toMatch(/\/deep-linking$/);
  });

  test('a participant cannot open the deep-linking picker', async () => {
    const browser = new Browser();
    const participant = await launchThroughDemo(browser, stack.demoBase, 'u-p-002');
    const url = new URL(participant.url);
    const page = await browser.go(
      `${stack.baseUrl}${url.pathname.replace(/participant$/, 'deep-linking')}?ltik=${encodeURIComponent(ltikOf(participant))}`,
    );
    expect(page.status).toBe(403);
  });

  test("the admin page shows every value Moodle's manual form asks for", async () => {
    const page = await launchThroughDemo(new Browser(), stack.demoBase, 'u-admin-1');
    const urls = stack.cermin.lti.urls;
    for (const value of [
      urls.toolUrl,
      urls.loginUrl,
      urls.keysetUrl,
      urls.registrationUrl,
      stack.demo.issuer,
      'cermin-demo',
      'demo-deployment-1',
    ]) {
      expect(page.body).toContain(value);
    }
  });
});

describe("the ltik carries the session (no cookies inside Moodle's iframe)", () => {
  test('a later request works with the ltik alone, in the query or as a Bearer header', async () => {
    const launched = await launchThroughDemo(new Browser(), stack.demoBase, 'u-p-003');
    const ltik = ltikOf(launched);
    const path = new URL(launched.url).pathname;
    const fresh = new Browser(); // no cookies at all
    expect((await fresh.go(`${stack.baseUrl}${path}?ltik=${encodeURIComponent(ltik)}`)).status).toBe(200);
    expect(
      (await fresh.request(`${stack.baseUrl}${path}`, { headers: { Authorization: `Bearer ${ltik}` } })).status,
    ).toBe(200);
  });

  test('no ltik, a forged ltik, or an expired session each get a clear page, not data', async () => {
    const launched = await launchThroughDemo(new Browser(), stack.demoBase, 'u-p-004');
    const path = new URL(launched.url).pathname;
    const none = await new Browser().go(`${stack.baseUrl}${path}`);
    expect(none.status).toBe(401);
    expect(none.body).toContain('Sesi Anda berakhir');
    expect(none.body).toContain('Buka lagi Cermin dari aktivitasnya di Moodle');
    expect(none.body).not.toContain('NO_LTIK_OR_IDTOKEN_FOUND'); // no code meant for the LMS admin

    const [header, payload] = ltikOf(launched).split('.');
    const forged = await new Browser().go(`${stack.baseUrl}${path}?ltik=${header}.${payload}.AAAA`);
    expect(forged.status).toBe(401);
    expect(forged.body).not.toContain('Jurnal reflektif Anda');

    // ltijs keeps a session 24 h; past that its records are gone (what the sweeper deletes).
    await mongoose.connection.db?.collection('idtokens').deleteMany({ user: 'u-p-004' });
    stack.cermin.lti.forgetCachedSessions();
    const expired = await new Browser().go(launched.url);
    expect(expired.status).toBe(401);
    expect(expired.body).toContain('Sesi Anda sudah berakhir');
  });

  test("with third-party cookies blocked the launch still works in the iframe: posted by the platform's page, for the login it began", async () => {
    const blocked = new Browser();
    blocked.blockCookiesFor(stack.baseUrl);
    const q = new URLSearchParams({ user: 'u-p-005', link: '11' });
    const authResponse = await blocked.submitAutoForm(await blocked.go(`${stack.demoBase}/launch?${q}`));
    const page = await blocked.submitAutoForm(authResponse); // Origin: the platform's, as a browser sends it
    expect(page.status).toBe(200);
    expect(new URL(page.url).pathname).toMatch(/\/participant$/);
    expect(blocked.cookies(stack.baseUrl).size).toBe(0);
  });

  describe('a cookie-less launch that cannot be bound to its login explains and offers a new window that works', () => {
    /** The auth response of a login begun in a browser whose cookies the tool never gets. */
    async function cookielessAuthResponse(
      user: string,
    ): Promise<{ browser: Browser; auth: Page; form: Record<string, string>; action: string }> {
      const browser = new Browser();
      browser.blockCookiesFor(stack.baseUrl);
      const auth = await browser.submitAutoForm(
        await browser.go(`${stack.demoBase}/launch?${new URLSearchParams({ user, link: '11' })}`),
      );
      const { action, fields } = parseAutoPostForm(auth.body);
      return { browser, auth, form: fields, action: new URL(action, auth.url).toString() };
    }
    const expectNewWindowOffer = (refused: Page) => {
      expect(refused.status).toBe(401);
      expect(refused.body).toContain('<code>MISSING_VALIDATION_COOKIE</code>');
      expect(/href="([^"]+)" target="_blank"/.exec(refused.body)?.[1]).toBeDefined();
    };

    test("posted from an attacker's page (login CSRF: someone else's id_token pushed into this browser)", async () => {
      const { browser, form, action } = await cookielessAuthResponse('u-p-007');
      expectNewWindowOffer(await browser.go(action, { form, headers: { Origin: 'https://penyerang.example' } }));
    });

    test('no Origin header, or an opaque one', async () => {
      const { browser, form, action } = await cookielessAuthResponse('u-p-008');
      expectNewWindowOffer(await browser.go(action, { form }));
      expectNewWindowOffer(await browser.go(action, { form, headers: { Origin: 'null' } }));
    });

    test("an id_token of another login with this login's state", async () => {
      const first = await cookielessAuthResponse('u-p-009');
      const second = await cookielessAuthResponse('u-p-009');
      const origin = new URL(stack.demoBase).origin;
      expectNewWindowOffer(
        await first.browser.go(first.action, {
          form: { ...first.form, id_token: second.form.id_token },
          headers: { Origin: origin },
        }),
      );
    });

    test('the same state a second time, and the new window after a refusal', async () => {
      const { browser, form, action, auth } = await cookielessAuthResponse('u-p-010');
      const origin = new URL(stack.demoBase).origin;
      expect((await browser.go(action, { form, headers: { Origin: origin } })).status).toBe(200);
      const again = await browser.submitAutoForm(auth);
      expect(again.status).toBeGreaterThanOrEqual(400);
      expect(again.status).toBeLessThan(500);

      const refused = await (async () => {
        const c = await cookielessAuthResponse('u-p-011');
        return c.browser.go(c.action, { form: c.form, headers: { Origin: 'https://penyerang.example' } });
      })();
      const newWindowUrl = (/href="([^"]+)" target="_blank"/.exec(refused.body)?.[1] as string).replace(/&amp;/g, '&');
      expect(newWindowUrl.startsWith(stack.cermin.lti.urls.loginUrl)).toBe(true);
      // The new top-level window is first-party: cookies work, the launch completes.
      const topLevel = new Browser();
      const page = await topLevel.submitAutoForm(await topLevel.go(newWindowUrl));
      expect(page.status).toBe(200);
      expect(new URL(page.url).pathname).toMatch(/\/participant$/);
    });
  });

  test('reloading the launch (re-posting the same id_token) is refused, not a second session', async () => {
    const browser = new Browser();
    const q = new URLSearchParams({ user: 'u-p-006', link: '11' });
    const auth = await browser.submitAutoForm(await browser.go(`${stack.demoBase}/launch?${q}`));
    expect((await browser.submitAutoForm(auth)).status).toBe(200);
    const again = await browser.submitAutoForm(auth);
    expect(again.status).toBeGreaterThanOrEqual(400);
    expect(again.status).toBeLessThan(500);
  });
});

describe('tenant wall: an ltik from one platform or course opens nothing of another', () => {
  test("a coach of platform B cannot open platform A's course pages, and the reverse", async () => {
    const other = await startSecondPlatform(stack);
    try {
      const coachA = await launchThroughDemo(new Browser(), stack.demoBase, 'u-coach-1');
      const coachB = await launchThroughDemo(new Browser(), other.base, 'u-coach-1');
      expect(coachB.status).toBe(200);
      const pathA = new URL(coachA.url).pathname;
      const pathB = new URL(coachB.url).pathname;
      expect(pathA).not.toBe(pathB);

      const crossAB = await new Browser().go(`${stack.baseUrl}${pathA}?ltik=${encodeURIComponent(ltikOf(coachB))}`);
      expect(crossAB.status).toBe(403);
      expect(crossAB.body).toContain('kursus atau platform lain');
      expect(crossAB.body).not.toContain('Latsar CPNS Angkatan I');

      const crossBA = await new Browser().go(`${stack.baseUrl}${pathB}?ltik=${encodeURIComponent(ltikOf(coachA))}`);
      expect(crossBA.status).toBe(403);

      // The admin of platform A sees only platform A in its console.
      const adminA = await launchThroughDemo(new Browser(), stack.demoBase, 'u-admin-1');
      expect(adminA.body).toContain(stack.demo.issuer);
      expect(adminA.body).not.toContain(other.base);
    } finally {
      await other.close();
    }
  });

  test('a participant cannot open the coach or admin page of their own course', async () => {
    const browser = new Browser();
    const launched = await launchThroughDemo(browser, stack.demoBase, 'u-p-007');
    const ltik = encodeURIComponent(ltikOf(launched));
    for (const page of ['coach', 'admin', 'mentor']) {
      const res = await browser.go(
        `${stack.baseUrl}${new URL(launched.url).pathname.replace(/participant$/, page)}?ltik=${ltik}`,
      );
      expect(res.status).toBe(403);
      expect(res.body).toContain('tidak memiliki akses');
    }
  });
});

describe('expiry of short-lived LTI records (FerretDB has no TTL indexes)', () => {
  test('the sweeper deletes what is past its lifetime and keeps the rest', async () => {
    const { sweepExpired } = await import('../../src/lti/sweeper');
    const db = mongoose.connection.db;
    if (!db) throw new Error('no database');
    const hoursAgo = (h: number) => new Date(Date.now() - h * 3600 * 1000);
    await db.collection('states').insertMany([
      { state: 'old', createdAt: hoursAgo(1) },
      { state: 'fresh', createdAt: new Date() },
    ]);
    await db.collection('contexttokens').insertMany([
      { contextId: 'old', createdAt: hoursAgo(25) },
      { contextId: 'fresh', createdAt: hoursAgo(23) },
    ]);
    await db.collection('cermin_nonces').insertMany([
      { iss: 'x', nonce: 'old', expiresAt: hoursAgo(1) },
      { iss: 'x', nonce: 'fresh', expiresAt: new Date(Date.now() + 60000) },
    ]);
    const removed = await sweepExpired();
    expect(removed).toBeGreaterThanOrEqual(3);
    expect(await db.collection('states').countDocuments({ state: { $in: ['old', 'fresh'] } })).toBe(1);
    expect(await db.collection('states').findOne({ state: 'fresh' })).not.toBeNull();
    expect(await db.collection('contexttokens').findOne({ contextId: 'old' })).toBeNull();
    expect(await db.collection('contexttokens').findOne({ contextId: 'fresh' })).not.toBeNull();
    expect(await db.collection('cermin_nonces').findOne({ nonce: 'old' })).toBeNull();
    expect(await db.collection('cermin_nonces').findOne({ nonce: 'fresh' })).not.toBeNull();
  });
});
