/**
 * The tool-side launch checks of the 1EdTech certification list, each tried for real: a login
 * through /lti/login (state cookie, nonce), then an id_token signed with RS256 by the demo
 * platform (or by an attacker's key), tampered one way, posted to /lti/launch. Each must be
 * refused with a 4xx and a translated page naming the reason, and must yield no ltik.
 */
import { generateKeyPairSync } from 'node:crypto';
import { Browser, type Page } from '../../sim/browser';
import { startStack, type Stack } from '../support/stack';
import { DEMO_CLIENT_ID, DEMO_DEPLOYMENT_ID } from '../../sim/lms/bootstrap';
import { CLAIM } from '../../src/lti/claims';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack.close();
});

interface Login {
  browser: Browser;
  state: string;
  nonce: string;
}

async function beginLogin(userId = 'u-p-001', browser = new Browser()): Promise<Login> {
  const res = await browser.request(`${stack.baseUrl}/lti/login`, {
    form: {
      iss: stack.demo.issuer,
      login_hint: userId,
      target_link_uri: stack.cermin.lti.urls.toolUrl,
      lti_message_hint: Buffer.from(JSON.stringify({ link: '11' })).toString('base64url'),
      client_id: DEMO_CLIENT_ID,
      lti_deployment_id: DEMO_DEPLOYMENT_ID,
    },
  });
  expect(res.status).toBe(302);
  const location = new URL(res.headers.get('location') as string);
  expect(location.origin + location.pathname).toBe(stack.demo.authUrl);
  const state = location.searchParams.get('state');
  const nonce = location.searchParams.get('nonce');
  if (!state || !nonce) throw new Error('login redirect without state or nonce');
  return { browser, state, nonce };
}

function claimsFor(login: Login, userKind: 'participant' | 'coach' = 'participant'): Record<string, unknown> {
  return stack.demo.launchClaims(stack.demo.userByKind(userKind), { nonce: login.nonce, linkId: '11' });
}

async function post(login: Login, idToken: string, state = login.state): Promise<Page> {
  return login.browser.request(`${stack.baseUrl}/lti/launch`, { form: { id_token: idToken, state } });
}

function expectRefused(page: Page, status: number, code: string): void {
  expect(page.status).toBe(status);
  expect(page.headers.get('location')).toBeNull();
  expect(page.body).toContain(`<code>${code}</code>`);
  expect(page.body).toContain('Peluncuran ditolak');
  expect(page.body).not.toMatch(/ltik=/);
  expect(page.body).not.toMatch(/at \w+ \(/); // no stack trace
}

const now = () => Math.floor(Date.now() / 1000);

describe('a valid launch (the control every refusal is measured against)', () => {
  test('is accepted and redirected to the participant page with an ltik', async () => {
    const login = await beginLogin();
    const page = await post(login, await stack.demo.signIdToken(claimsFor(login)));
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toMatch(/^\/lti\/app\/courses\/[\w-]+\/participant\?ltik=/);
  });
});

describe('refused launches', () => {
  test('bad signature (attacker key, the platform kid)', async () => {
    const login = await beginLogin();
    const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    expectRefused(
      await post(login, await stack.demo.signIdToken(claimsFor(login), { privateKey: attacker })),
      401,
      'INVALID_SIGNATURE',
    );
  });

  test('unknown kid', async () => {
    const login = await beginLogin();
    const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    expectRefused(
      await post(
        login,
        await stack.demo.signIdToken(claimsFor(login), { kid: 'kid-nobody-published', privateKey: attacker }),
      ),
      401,
      'KEY_NOT_FOUND',
    );
  });

  test('missing kid', async () => {
    const login = await beginLogin();
    expectRefused(await post(login, await stack.demo.signIdToken(claimsFor(login), { kid: '' })), 400, 'KID_NOT_FOUND');
  });

  test('wrong iss (not the platform that started the login)', async () => {
    const login = await beginLogin();
    expectRefused(
      await post(login, await stack.demo.signIdToken({ ...claimsFor(login), iss: 'https://moodle.evil.example' })),
      401,
      'ISS_CLAIM_DOES_NOT_MATCH',
    );
  });

  test('wrong aud', async () => {
    const login = await beginLogin();
    expectRefused(
      await post(login, await stack.demo.signIdToken({ ...claimsFor(login), aud: 'someone-else' })),
      403,
      'UNREGISTERED_PLATFORM',
    );
  });

  test('aud array without azp', async () => {
    const login = await beginLogin();
    expectRefused(
      await post(login, await stack.demo.signIdToken({ ...claimsFor(login), aud: [DEMO_CLIENT_ID, 'another-client'] })),
      400,
      'AZP_MISSING',
    );
  });

  test('aud array with an azp that is not Cermin', async () => {
    const login = await beginLogin();
    expectRefused(
      await post(
        login,
        await stack.demo.signIdToken({
          ...claimsFor(login),
          aud: [DEMO_CLIENT_ID, 'another-client'],
          azp: 'another-client',
        }),
      ),
      403,
      'UNREGISTERED_PLATFORM',
    );
  });

  test('aud array with an azp missing from aud', async () => {
    const login = await beginLogin();
    expectRefused(
      await post(
        login,
        await stack.demo.signIdToken({ ...claimsFor(login), aud: [DEMO_CLIENT_ID, 'another-client'], azp: 'third' }),
      ),
      401,
      'AZP_DOES_NOT_MATCH_CLIENTID',
    );
  });

  test('missing nonce', async () => {
    const login = await beginLogin();
    const claims = claimsFor(login);
    delete claims.nonce;
    expectRefused(await post(login, await stack.demo.signIdToken(claims)), 400, 'NONCE_MISSING');
  });

  test("replayed id_token (posted again with a fresh login's state): its nonce is not that login's", async () => {
    const first = await beginLogin();
    const token = await stack.demo.signIdToken(claimsFor(first));
    expect((await post(first, token)).status).toBe(303);
    const second = await beginLogin();
    expectRefused(await post(second, token), 401, 'NONCE_NOT_FROM_LOGIN');
  });

  // Reproduced against 27e6e1e: only replays were refused, so a token whose nonce Cermin never sent was accepted.
  test('a validly signed token whose nonce no login sent', async () => {
    const login = await beginLogin();
    expectRefused(
      await post(login, await stack.demo.signIdToken({ ...claimsFor(login), nonce: 'nonce-nobody-issued-1234567890' })),
      401,
      'NONCE_NOT_FROM_LOGIN',
    );
  });

  test("a token carrying another login's nonce, posted with this login's state", async () => {
    const mine = await beginLogin();
    const other = await beginLogin('u-p-002');
    expectRefused(
      await post(mine, await stack.demo.signIdToken({ ...claimsFor(mine), nonce: other.nonce })),
      401,
      'NONCE_NOT_FROM_LOGIN',
    );
    // The other login is still good for its own token: nothing was used up by the refusal.
    expect(
      (
        await post(
          other,
          await stack.demo.signIdToken(
            stack.demo.launchClaims(
              stack.demo.users.find((u) => u.id === 'u-p-002') ?? stack.demo.userByKind('participant'),
              { nonce: other.nonce, linkId: '11' },
            ),
          ),
        )
      ).status,
    ).toBe(303);
  });

  // cookie-parser signs a cookie's value, not its name: a real state cookie's value copied under
  // another name still verifies, so only the stored login can tell the state was never issued.
  test('a state no login issued, with a state cookie copied to its name', async () => {
    const login = await beginLogin();
    const forged = 'f'.repeat(50);
    const cookie = [...login.browser.cookies(stack.baseUrl)].find(([k]) => k.startsWith('state'));
    if (!cookie) throw new Error('no state cookie');
    login.browser.cookies(stack.baseUrl).set(`state${forged}`, cookie[1]);
    expectRefused(await post(login, await stack.demo.signIdToken(claimsFor(login)), forged), 401, 'LOGIN_NOT_FOUND');
  });

  test('the same launch posted twice at once (a double click): one session, one refusal', async () => {
    const login = await beginLogin();
    const token = await stack.demo.signIdToken(claimsFor(login));
    const pages = await Promise.all([post(login, token), post(login, token)]);
    expect(pages.map((p) => p.status).sort()).toEqual([303, 401]);
  });

  test('missing state (no state field, no cookie)', async () => {
    const login = await beginLogin();
    const token = await stack.demo.signIdToken(claimsFor(login));
    const page = await new Browser().request(`${stack.baseUrl}/lti/launch`, { form: { id_token: token } });
    expectRefused(page, 401, 'MISSING_VALIDATION_COOKIE');
  });

  test('wrong state (cookie for one state, another state posted)', async () => {
    const login = await beginLogin();
    expectRefused(
      await post(login, await stack.demo.signIdToken(claimsFor(login)), 'f'.repeat(50)),
      401,
      'MISSING_VALIDATION_COOKIE',
    );
  });

  test('expired token', async () => {
    const login = await beginLogin();
    expectRefused(
      await post(login, await stack.demo.signIdToken({ ...claimsFor(login), iat: now() - 600, exp: now() - 300 })),
      401,
      'TOKEN_EXPIRED',
    );
  });

  test('iat in the future', async () => {
    const login = await beginLogin();
    expectRefused(
      await post(login, await stack.demo.signIdToken({ ...claimsFor(login), iat: now() + 3600, exp: now() + 3660 })),
      401,
      'IAT_IN_FUTURE',
    );
  });

  test('token issued too long ago (but not expired)', async () => {
    const login = await beginLogin();
    expectRefused(
      await post(login, await stack.demo.signIdToken({ ...claimsFor(login), iat: now() - 3000, exp: now() + 600 })),
      401,
      'TOKEN_TOO_OLD',
    );
  });

  test('unknown deployment_id', async () => {
    const login = await beginLogin();
    expectRefused(
      await post(
        login,
        await stack.demo.signIdToken({ ...claimsFor(login), [CLAIM.deploymentId]: 'deployment-nobody-registered' }),
      ),
      403,
      'UNKNOWN_DEPLOYMENT',
    );
  });

  test('missing deployment_id', async () => {
    const login = await beginLogin();
    const claims = claimsFor(login);
    delete claims[CLAIM.deploymentId];
    expectRefused(await post(login, await stack.demo.signIdToken(claims)), 400, 'NO_DEPLOYMENT_ID_CLAIM');
  });

  test('wrong message_type', async () => {
    const login = await beginLogin();
    expectRefused(
      await post(
        login,
        await stack.demo.signIdToken({ ...claimsFor(login), [CLAIM.messageType]: 'LtiSubmissionReviewRequest' }),
      ),
      400,
      'WRONG_MESSAGE_TYPE',
    );
  });

  test('missing message_type', async () => {
    const login = await beginLogin();
    const claims = claimsFor(login);
    delete claims[CLAIM.messageType];
    expectRefused(await post(login, await stack.demo.signIdToken(claims)), 400, 'NO_MESSAGE_TYPE_CLAIM');
  });

  test('wrong version', async () => {
    const login = await beginLogin();
    expectRefused(
      await post(login, await stack.demo.signIdToken({ ...claimsFor(login), [CLAIM.version]: '1.1' })),
      400,
      'WRONG_LTI_VERSION_CLAIM',
    );
  });

  test('missing version', async () => {
    const login = await beginLogin();
    const claims = claimsFor(login);
    delete claims[CLAIM.version];
    expectRefused(await post(login, await stack.demo.signIdToken(claims)), 400, 'NO_LTI_VERSION_CLAIM');
  });

  test('missing resource link id', async () => {
    const login = await beginLogin();
    expectRefused(
      await post(
        login,
        await stack.demo.signIdToken({ ...claimsFor(login), [CLAIM.resourceLink]: { title: 'no id' } }),
      ),
      400,
      'NO_RESOURCE_LINK_ID_CLAIM',
    );
  });

  test('missing roles claim', async () => {
    const login = await beginLogin();
    const claims = claimsFor(login);
    delete claims[CLAIM.roles];
    expectRefused(await post(login, await stack.demo.signIdToken(claims)), 400, 'NO_ROLES_CLAIM');
  });

  test('empty sub', async () => {
    const login = await beginLogin();
    expectRefused(
      await post(login, await stack.demo.signIdToken({ ...claimsFor(login), sub: '' })),
      400,
      'NO_SUB_CLAIM',
    );
  });

  test('no course context', async () => {
    const login = await beginLogin();
    const claims = claimsFor(login);
    delete claims[CLAIM.context];
    expectRefused(await post(login, await stack.demo.signIdToken(claims)), 400, 'NO_CONTEXT_CLAIM');
  });

  test('not a JWT at all', async () => {
    const login = await beginLogin();
    expectRefused(await post(login, 'this.is-not-a.jwt'), 400, 'INVALID_JWT_RECEIVED');
  });

  test('unsigned token (alg none)', async () => {
    const login = await beginLogin();
    const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const token = `${enc({ alg: 'none', typ: 'JWT', kid: 'x' })}.${enc(claimsFor(login))}.`;
    expectRefused(await post(login, token), 400, 'ALG_NOT_RS256');
  });

  test('several faults at once are still refused', async () => {
    const login = await beginLogin();
    const claims: Record<string, unknown> = { ...claimsFor(login), [CLAIM.version]: '1.0', sub: '' };
    delete claims[CLAIM.roles];
    const page = await post(login, await stack.demo.signIdToken(claims));
    expect(page.status).toBeGreaterThanOrEqual(400);
    expect(page.status).toBeLessThan(500);
    expect(page.headers.get('location')).toBeNull();
  });

  test('a login from an unregistered platform is refused before any redirect', async () => {
    const res = await new Browser().request(`${stack.baseUrl}/lti/login`, {
      form: {
        iss: 'https://moodle.unknown.example',
        login_hint: 'x',
        target_link_uri: stack.cermin.lti.urls.toolUrl,
        client_id: 'nobody',
      },
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect(res.body).toContain('belum terdaftar');
  });

  test('a login without its required parameters gets a clear 400', async () => {
    const res = await new Browser().request(`${stack.baseUrl}/lti/login`, { form: { iss: stack.demo.issuer } });
    expect(res.status).toBe(400);
    expect(res.body).toContain('login_hint');
  });

  // Reproduced against 27e6e1e: a non-string client_id reached the database driver (500 with its message).
  test('a login whose client_id is not a string, or too long, gets a 400 and no driver message', async () => {
    const base = { iss: stack.demo.issuer, login_hint: 'u-p-001', target_link_uri: stack.cermin.lti.urls.toolUrl };
    const bodies = [
      { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ ...base, client_id: { $gt: '' } }) },
      { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ ...base, client_id: ['a', 'b'] }) },
      {
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ ...base, client_id: 'x'.repeat(20_000) }).toString(),
      },
    ];
    for (const init of bodies) {
      const res = await fetch(`${stack.baseUrl}/lti/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { Accept: 'text/html', ...init.headers },
        body: init.body,
      });
      const text = await res.text();
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect(text).not.toMatch(/Cast|ObjectParameterError|mongo|driver/i);
    }
    const query = await fetch(`${stack.baseUrl}/lti/login?${new URLSearchParams(base)}&client_id[a]=1`, {
      redirect: 'manual',
      headers: { Accept: 'text/html' },
    });
    expect(query.status).toBe(400);
  });
});

describe('accepted edge cases from the certification list', () => {
  test('an empty roles list passes validation and gets a clear "no page for your role"', async () => {
    const login = await beginLogin();
    const page = await post(login, await stack.demo.signIdToken({ ...claimsFor(login), [CLAIM.roles]: [] }));
    expect(page.status).toBe(403);
    expect(page.body).not.toContain('Peluncuran ditolak');
    expect(page.body).toContain('belum memiliki halaman');
  });

  test("short role names (Instructor) land on the coach's pages", async () => {
    const login = await beginLogin('u-coach-1');
    const page = await post(
      login,
      await stack.demo.signIdToken({ ...claimsFor(login, 'coach'), [CLAIM.roles]: ['Instructor'] }),
    );
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toMatch(/\/setup\?ltik=/);
  });

  test('a launch without name or e-mail works', async () => {
    const login = await beginLogin();
    const claims = claimsFor(login);
    for (const k of ['name', 'given_name', 'family_name', 'email']) delete claims[k];
    const launched = await post(login, await stack.demo.signIdToken(claims));
    expect(launched.status).toBe(303);
    const page = await login.browser.go(new URL(launched.headers.get('location') as string, stack.baseUrl).toString());
    expect(page.status).toBe(200);
    expect(page.body).toContain(String(claims.sub));
  });

  test('a rotated platform key is fetched on its first unknown kid', async () => {
    await stack.demo.rotateKey();
    await new Promise((r) => setTimeout(r, 1100)); // past the JWKS refetch cooldown
    const login = await beginLogin();
    const page = await post(login, await stack.demo.signIdToken(claimsFor(login)));
    expect(page.status).toBe(303);
  });
});
