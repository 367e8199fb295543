/**
 * Service URLs come from id_tokens, which a platform signs: an attacker with a registered platform
 * of their own can name any address as their course's NRPS or AGS endpoint and have Cermin call it
 * with a bearer token. Cermin calls only the registered platform's own origins: the reproduced
 * request to an internal server is refused before anything (even a token request) is sent.
 */
import { getProvider } from '../../src/lti/ltijs';
import http from 'node:http';
import { Browser, ltikOf } from '../../sim/browser';
import { courseBaseOf } from '../support/coaching';
import { startSecondPlatform, startStack, type Stack } from '../support/stack';
import { CLAIM } from '../../src/lti/claims';
import { freePort } from '../../src/db/embedded';

let stack: Stack;
let attackerPlatform: Awaited<ReturnType<typeof startSecondPlatform>>;
let internal: http.Server;
let internalPort: number;
const internalHits: string[] = [];

beforeAll(async () => {
  // The default test stack may reach 127.0.0.1: what refuses below is the origin rule, not the address rule.
  stack = await startStack();
  attackerPlatform = await startSecondPlatform(stack, 'attacker-client', 'attacker-deployment');
  internalPort = await freePort();
  internal = http.createServer((req, res) => {
    internalHits.push(req.url ?? '');
    res.setHeader('content-type', 'application/json');
    res.end('{"members":[{"user_id":"leak"}]}');
  });
  await new Promise<void>((r) => internal.listen(internalPort, '127.0.0.1', r));
}, 60_000);

afterAll(async () => {
  internal.closeAllConnections();
  internal.close();
  await attackerPlatform.close();
  await stack.close();
});

/** The attacker's own platform launches its coach with service claims pointing where it likes. */
async function launchWith(
  claims: (c: Record<string, unknown>) => void,
): Promise<{ browser: Browser; page: Awaited<ReturnType<Browser['go']>> }> {
  const browser = new Browser();
  const demo = attackerPlatform.demo;
  const login = await browser.request(`${stack.baseUrl}/lti/login`, {
    form: {
      iss: attackerPlatform.base,
      login_hint: 'u-coach-1',
      target_link_uri: stack.cermin.lti.urls.toolUrl,
      client_id: 'attacker-client',
      lti_deployment_id: 'attacker-deployment',
    },
  });
  const nonce = new URL(login.headers.get('location') as string).searchParams.get('nonce') as string;
  const state = new URL(login.headers.get('location') as string).searchParams.get('state') as string;
  const c = demo.launchClaims(demo.userByKind('coach'), { nonce, linkId: '11' });
  claims(c);
  const page = await browser.go(`${stack.baseUrl}/lti/launch`, {
    form: { id_token: await demo.signIdToken(c), state },
  });
  return { browser, page };
}

test('an NRPS URL naming an internal address is not called: the roster says why', async () => {
  const { browser, page } = await launchWith((c) => {
    c[CLAIM.nrps] = {
      context_memberships_url: `http://127.0.0.1:${internalPort}/internal/memberships`,
      service_versions: ['2.0'],
    };
  });
  expect(page.status).toBe(200);
  const roster = await browser.go(
    `${stack.baseUrl}${courseBaseOf(page)}/roster?ltik=${encodeURIComponent(ltikOf(page))}`,
  );
  expect(roster.status).toBe(200);
  expect(roster.body).toContain('is not one of the platform');
  expect(roster.body).not.toContain('leak');
  expect(internalHits).toEqual([]);
});

test('an AGS line item URL naming another platform is not called either', async () => {
  const { page } = await launchWith((c) => {
    c[CLAIM.ags] = {
      scope: ['https://purl.imsglobal.org/spec/lti-ags/scope/score'],
      lineitems: `http://127.0.0.1:${internalPort}/internal/lineitems`,
      lineitem: `${stack.demo.issuer}/api/courses/x/lineitems/1`,
    };
  });
  expect(page.status).toBe(200);
  const course = await stack.cermin.lti.registry.list();
  expect(course.some((p) => p.clientId === 'attacker-client')).toBe(true);
  // The grade path calls PlatformServices with the course's URLs: both are refused by origin.
  const { PlatformServices, ltijsSigningKeys } = await import('../../src/lti/platform-services');
  const services = new PlatformServices({ keys: ltijsSigningKeys(getProvider()), timeoutMs: 2000 });
  const ref = { issuer: attackerPlatform.base, clientId: 'attacker-client' };
  for (const url of [
    `http://127.0.0.1:${internalPort}/internal/lineitems`,
    `${stack.demo.issuer}/api/courses/x/lineitems/1`,
  ]) {
    await expect(
      services.request(ref, ['https://purl.imsglobal.org/spec/lti-ags/scope/score'], { method: 'GET', url }),
    ).rejects.toMatchObject({ kind: 'refused', reason: expect.stringContaining('not one of the platform') });
  }
  expect(internalHits).toEqual([]);
  // The attacker's own platform's URLs still work: the rule is the origin, not a blanket refusal.
  const own = await services.request(ref, ['https://purl.imsglobal.org/spec/lti-ags/scope/lineitem'], {
    method: 'GET',
    url: attackerPlatform.demo.lineItemsUrl,
  });
  expect(own.status).toBe(200);
});
