/**
 * Platform registration both ways Moodle offers: dynamic (against the demo LMS's Moodle-shaped
 * registration endpoint) and manual (the setup-token admin page), then a real launch each time.
 */
import express from 'express';
import { Browser, launchThroughDemo } from '../../sim/browser';
import { startStack, startUnregisteredPlatform, type Stack } from '../support/stack';
import { freePort } from '../../src/db/embedded';
import { issueSetupToken } from '../../src/admin/setup';
import { SCOPES } from '../../src/lti/claims';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack.close();
});

describe('dynamic registration', () => {
  /** The operator's setup session (a browser holding its cookie) and its CSRF token. */
  async function operator(): Promise<{ browser: Browser; csrf: string }> {
    const browser = new Browser();
    const page = await browser.go(`${stack.baseUrl}/setup?token=${await issueSetupToken()}`);
    return { browser, csrf: /name="csrf" value="([^"]+)"/.exec(page.body)?.[1] as string };
  }

  test('the registration page and its refusals may be framed by the registering platform only, not by the registered ones', async () => {
    const registered = (await stack.cermin.lti.registry.list()).map((p) => new URL(p.issuer).origin);
    expect(registered.length).toBeGreaterThan(0);
    const ancestors = async (query: string) => {
      const res = await fetch(`${stack.cermin.lti.urls.registrationUrl}?${query}`, { redirect: 'manual' });
      return {
        status: res.status,
        ancestors: /frame-ancestors ([^;]+)/.exec(res.headers.get('content-security-policy') ?? '')?.[1],
      };
    };
    // A platform nobody knows, whose configuration cannot be fetched: the refusal page is still framable by it alone.
    expect(
      await ancestors(
        new URLSearchParams({
          openid_configuration: 'http://127.0.0.1:9/moodle/mod/lti/openid-configuration.php',
          registration_token: 'x',
        }).toString(),
      ),
    ).toEqual({ status: 502, ancestors: 'http://127.0.0.1:9' });
    // A wrong key: refused, framable by the platform that tried.
    expect(
      await ancestors(
        new URLSearchParams({
          openid_configuration: 'https://moodle.lain.example/mod/lti/openid-configuration.php',
          key: 'salah',
        }).toString(),
      ),
    ).toEqual({ status: 403, ancestors: 'https://moodle.lain.example' });
    // No registering platform named: the policy every page has (Cermin and the registered platforms).
    const none = await ancestors('registration_token=x');
    expect(none.status).toBe(400);
    expect(none.ancestors?.split(' ')).toEqual(expect.arrayContaining(["'self'", ...registered]));
  });

  test('a Moodle on an origin Cermin has never seen registers; it waits for the operator, then its client launches', async () => {
    const moodle = await startUnregisteredPlatform(stack);
    try {
      const page = await new Browser().go(moodle.demo.dynamicRegistrationUrl(stack.cermin.lti.urls.registrationUrl));
      expect(page.status).toBe(200);
      expect(page.body).toContain('Cermin terdaftar');
      expect(page.body).toContain('operator instans Cermin perlu menyetujuinya');
      expect(page.body).toContain('registration-close.js'); // tells Moodle to close the dialog
      expect(page.body).toContain(`data-target="${new URL(moodle.base).origin}"`);
      // Moodle frames this page from its admin page: the registering platform may frame it, nobody else.
      expect(/frame-ancestors ([^;]+)/.exec(page.headers.get('content-security-policy') ?? '')?.[1]).toBe(
        new URL(moodle.base).origin,
      );

      expect(moodle.demo.registrations.length).toBe(1);
      const reg = moodle.demo.registrations[0];
      // What Moodle needs from the tool.
      const toolConfig = reg.body['https://purl.imsglobal.org/spec/lti-tool-configuration'] as Record<string, unknown>;
      expect(toolConfig.domain).toBe(new URL(stack.baseUrl).host);
      expect(toolConfig.target_link_uri).toBe(stack.cermin.lti.urls.toolUrl);
      expect((toolConfig.messages as Array<{ type: string }>).map((m) => m.type)).toEqual([
        'LtiResourceLinkRequest',
        'LtiDeepLinkingRequest',
      ]);
      expect(String(reg.body.scope).split(' ')).toEqual(
        expect.arrayContaining([SCOPES.score, SCOPES.lineItem, SCOPES.nrps]),
      );
      expect(reg.body.initiate_login_uri).toBe(stack.cermin.lti.urls.loginUrl);
      expect(reg.body.jwks_uri).toBe(stack.cermin.lti.urls.keysetUrl);
      expect(String(toolConfig.description)).toMatch(/peserta/);

      const summary = (await stack.cermin.lti.registry.list()).find((p) => p.clientId === reg.clientId);
      expect(summary).toMatchObject({
        issuer: moodle.base,
        deploymentIds: [reg.deploymentId],
        registeredVia: 'dynamic',
        pending: true,
        active: false,
      });
      expect(summary?.grantedScopes).toEqual(expect.arrayContaining([SCOPES.score]));

      // Until the operator approves, its logins are refused before any redirect.
      const launch = (browser: Browser) =>
        browser
          .go(`${moodle.base}/launch?${new URLSearchParams({ user: 'u-coach-1', link: '11', client: reg.clientId })}`)
          .then((p) => browser.submitAutoForm(p));
      const early = await launch(new Browser());
      expect(early.status).toBe(403);
      expect(early.body).toContain('menunggu persetujuan operator');

      const { browser, csrf } = await operator();
      const listed = await browser.go(`${stack.baseUrl}/setup`);
      expect(listed.body).toContain('Menunggu persetujuan operator');
      const approved = await browser.go(`${stack.baseUrl}/setup/platforms/approval`, {
        form: { csrf, issuer: moodle.base, clientId: reg.clientId, decision: 'approve' },
      });
      expect(approved.status).toBe(200);
      expect(approved.body).toContain('Pendaftaran disetujui');

      // The registered client launches into Cermin with the platform-assigned deployment.
      const coach = new Browser();
      const landed = await coach.submitAutoForm(await launch(coach));
      expect(landed.status).toBe(200);
      expect(new URL(landed.url).pathname).toMatch(/\/setup$/);
      const changes = await browser.go(`${stack.baseUrl}/setup/console/changes`);
      expect(changes.body).toContain('platform.approve');
    } finally {
      await moodle.close();
    }
  });

  test('the operator can reject a waiting registration: it is removed and its logins stay refused', async () => {
    const moodle = await startUnregisteredPlatform(stack);
    try {
      await new Browser().go(moodle.demo.dynamicRegistrationUrl(stack.cermin.lti.urls.registrationUrl));
      const reg = moodle.demo.registrations[0];
      const { browser, csrf } = await operator();
      const rejected = await browser.go(`${stack.baseUrl}/setup/platforms/approval`, {
        form: { csrf, issuer: moodle.base, clientId: reg.clientId, decision: 'reject' },
      });
      expect(rejected.body).toContain('Pendaftaran ditolak');
      expect((await stack.cermin.lti.registry.list()).some((p) => p.issuer === moodle.base)).toBe(false);
      // Approving what is not waiting is refused (nothing to approve).
      expect(
        (
          await browser.go(`${stack.baseUrl}/setup/platforms/approval`, {
            form: { csrf, issuer: stack.demo.issuer, clientId: 'anything', decision: 'approve' },
          })
        ).status,
      ).toBe(404);
    } finally {
      await moodle.close();
    }
  });

  test('the public keyset lists the key of every registered platform', async () => {
    const res = await fetch(stack.cermin.lti.urls.keysetUrl);
    expect(res.status).toBe(200);
    const { keys } = (await res.json()) as { keys: Array<{ kid: string; kty: string; alg: string; d?: string }> };
    const platforms = await stack.cermin.lti.registry.list();
    expect(keys.map((k) => k.kid).sort()).toEqual(platforms.map((p) => p.platformId).sort());
    for (const k of keys) {
      expect(k.kty).toBe('RSA');
      expect(k.alg).toBe('RS256');
      expect(k.d).toBeUndefined(); // never the private part
    }
  });

  test('without openid_configuration: a clear 400', async () => {
    const page = await new Browser().go(stack.cermin.lti.urls.registrationUrl);
    expect(page.status).toBe(400);
    expect(page.body).toContain('openid_configuration');
  });

  test('a configuration that claims another issuer is refused (ISSUER_MISMATCH)', async () => {
    const port = await freePort();
    const app = express();
    app.get('/.well-known/openid-configuration', (_req, res) => {
      res.json({
        issuer: 'https://moodle.trusted.example',
        authorization_endpoint: 'https://moodle.trusted.example/auth',
        token_endpoint: 'https://moodle.trusted.example/token',
        jwks_uri: 'https://moodle.trusted.example/certs',
        registration_endpoint: `http://127.0.0.1:${port}/register`,
      });
    });
    let registrationCalls = 0;
    app.post('/register', (_req, res) => {
      registrationCalls++;
      res.json({ client_id: 'x' });
    });
    const server = app.listen(port, '127.0.0.1');
    try {
      const url = `${stack.cermin.lti.urls.registrationUrl}?openid_configuration=${encodeURIComponent(`http://127.0.0.1:${port}/.well-known/openid-configuration`)}`;
      const page = await new Browser().go(url);
      expect(page.status).toBe(400);
      expect(page.body).toContain('ISSUER_MISMATCH');
      expect(registrationCalls).toBe(0);
      expect((await stack.cermin.lti.registry.list()).some((p) => p.issuer === 'https://moodle.trusted.example')).toBe(
        false,
      );
    } finally {
      server.close();
    }
  });

  test('a platform that refuses the registration (no registration token) gets a clear page, nothing stored', async () => {
    const moodle = await startUnregisteredPlatform(stack);
    try {
      const count = (await stack.cermin.lti.registry.list()).length;
      const url = `${stack.cermin.lti.urls.registrationUrl}?openid_configuration=${encodeURIComponent(moodle.demo.openidConfigurationUrl)}`;
      const page = await new Browser().go(url);
      expect(page.status).toBe(502);
      expect(page.body).toContain('Platform menolak pendaftaran');
      expect(page.body).toContain('HTTP 401 invalid_token');
      // The platform's own words (its error_description) are not shown: an answer's body never is.
      expect(page.body).not.toContain('missing, unknown or expired');
      expect((await stack.cermin.lti.registry.list()).length).toBe(count);
    } finally {
      await moodle.close();
    }
  });
});

describe('manual registration on the setup-token admin page', () => {
  test('a one-time token opens a session; the form validates and registers a platform', async () => {
    const token = await issueSetupToken();
    const browser = new Browser();
    const admin = await browser.go(`${stack.baseUrl}/setup?token=${token}`);
    expect(admin.status).toBe(200);
    expect(new URL(admin.url).search).toBe(''); // the token left the address bar
    expect(admin.body).toContain(stack.cermin.lti.urls.loginUrl);
    const csrf = /name="csrf" value="([^"]+)"/.exec(admin.body)?.[1] as string;

    // The token works once only.
    expect((await new Browser().go(`${stack.baseUrl}/setup?token=${token}`)).status).toBe(403);

    const bad = await browser.go(`${stack.baseUrl}/setup/platforms`, {
      form: { csrf, issuer: 'not a url', clientId: '', authUrl: 'x', tokenUrl: 'x', jwksUrl: 'x' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('issuer');

    const forged = await new Browser().go(`${stack.baseUrl}/setup/platforms`, {
      form: {
        csrf,
        issuer: 'https://evil.example',
        clientId: 'c',
        authUrl: 'https://evil.example/a',
        tokenUrl: 'https://evil.example/t',
        jwksUrl: 'https://evil.example/k',
      },
    });
    expect(forged.status).toBe(403);

    // Register the demo LMS under a second client id, as an admin would from Moodle's details page.
    const done = await browser.go(`${stack.baseUrl}/setup/platforms`, {
      form: {
        csrf,
        issuer: stack.demo.issuer,
        clientId: 'manual-client',
        authUrl: stack.demo.authUrl,
        tokenUrl: stack.demo.tokenUrl,
        jwksUrl: stack.demo.jwksUrl,
        deploymentId: 'manual-deployment',
      },
    });
    expect(done.status).toBe(200);
    expect(done.body).toContain('manual-client');
    expect(done.body).toContain('manual-deployment');
    const summary = (await stack.cermin.lti.registry.list()).find((p) => p.clientId === 'manual-client');
    expect(summary?.deploymentIds).toEqual(['manual-deployment']);
    expect(summary?.registeredVia).toBe('manual');
  });

  test('no token, a wrong token: 403 with the way to get one', async () => {
    for (const url of [`${stack.baseUrl}/setup`, `${stack.baseUrl}/setup?token=guess`]) {
      const page = await new Browser().go(url);
      expect(page.status).toBe(403);
      expect(page.body).toContain('setup-token');
    }
  });

  test('an LTI admin launch shows the platform it came from', async () => {
    const page = await launchThroughDemo(new Browser(), stack.demoBase, 'u-admin-1');
    expect(page.status).toBe(200);
    expect(page.body).toContain('demo-deployment-1');
  });
});
