/**
 * Dynamic registration as a stranger would use it, each attack reproduced from the audit of
 * 27e6e1e and refused: a configuration URL that reads differently as a string and as a server
 * reads it, a configuration that redirects elsewhere, internal addresses (and the port oracle
 * they gave), a registration that adds a client to, or changes the keys of, a platform Cermin
 * already knows, oversized ids, and a stranger's pending platform used to start logins.
 * Cermin here may reach only the demo LMS and the attacker's own server (its "public" site).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Browser } from '../../sim/browser';
import { startStack, type Stack } from '../support/stack';
import { freePort } from '../../src/db/embedded';
import { MAX_PENDING } from '../../src/lti/dynamic-registration';

let stack: Stack;
/** The attacker's site: it answers whatever the current test sets, and counts what it is asked. */
let attacker: { base: string; origin: string; port: number; hits: string[]; server: http.Server };
let answer: (req: express.Request, res: express.Response) => void;

beforeAll(async () => {
  const port = await freePort();
  const app = express();
  app.use(express.json());
  const hits: string[] = [];
  app.use((req, res) => {
    hits.push(`${req.method} ${req.path}`);
    answer(req, res);
  });
  const server = app.listen(port, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  attacker = { base: `http://127.0.0.1:${port}/moodle`, origin: `http://127.0.0.1:${port}`, port, hits, server };
  // Only the attacker's server is reachable besides the demo LMS (allowed by Cermin itself).
  stack = await startStack({ OUTBOUND_ALLOW: `127.0.0.1:${port}`, RATE_LIMIT_REGISTER: '200' });
}, 60_000);

afterAll(async () => {
  attacker.server.closeAllConnections();
  attacker.server.close();
  await stack.close();
});

beforeEach(() => {
  attacker.hits.length = 0;
});

/** A Moodle-shaped configuration for `issuer`, with its endpoints on the attacker's server. */
function configuration(issuer = attacker.base, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    issuer,
    authorization_endpoint: `${issuer}/auth`,
    token_endpoint: `${issuer}/token`,
    jwks_uri: `${issuer}/jwks`,
    registration_endpoint: `${issuer}/register`,
    ...over,
  };
}

/** The attacker's server as a platform: this configuration, and this answer to the registration. */
function platformAnswering(
  cfg: Record<string, unknown>,
  registration: Record<string, unknown> | ((req: express.Request, res: express.Response) => void),
): void {
  answer = (req, res) => {
    if (req.method === 'GET' && req.path.endsWith('/openid-configuration')) res.json(cfg);
    else if (req.method === 'POST' && req.path.endsWith('/register')) {
      if (typeof registration === 'function') registration(req, res);
      else res.json({ ...req.body, ...registration });
    } else res.status(404).json({ error: 'not_found' });
  };
}

const register = (configurationUrl: string) =>
  new Browser().go(
    `${stack.cermin.lti.urls.registrationUrl}?${new URLSearchParams({ openid_configuration: configurationUrl, registration_token: 'tok' })}`,
  );

const platformsOf = async (issuer: string) =>
  (await stack.cermin.lti.registry.list()).filter((p) => p.issuer === issuer);

test('a configuration URL with dot segments or encoded dots is refused before anything is fetched', async () => {
  platformAnswering(configuration(), { client_id: 'c1' });
  const sneaky = [
    // Reproduced: "/demo/../lti/login…" passed as "under /demo" while the fetch went to /lti/login.
    `${stack.baseUrl}/demo/../lti/login?iss=${encodeURIComponent(attacker.base)}&login_hint=x&target_link_uri=x`,
    `${attacker.base}/../elsewhere/.well-known/openid-configuration`,
    `${attacker.base}/%2e%2e/elsewhere/.well-known/openid-configuration`,
    `${attacker.base}/%2E%2e%2Fx/.well-known/openid-configuration`,
    `${attacker.base}/./.well-known/openid-configuration`,
  ];
  for (const url of sneaky) {
    const page = await register(url);
    expect(page.status).toBe(400);
    expect(page.body).toContain('BAD_CONFIGURATION_URL');
  }
  expect(attacker.hits).toEqual([]);
  expect(await platformsOf(attacker.base)).toEqual([]);
});

test('a configuration that redirects to another site is not followed', async () => {
  const other = await freePort();
  const internal = http.createServer((_req, res) => res.end('{"issuer":"internal"}'));
  await new Promise<void>((r) => internal.listen(other, '127.0.0.1', r));
  let internalHits = 0;
  internal.on('request', () => {
    internalHits++;
  });
  answer = (_req, res) => {
    res.redirect(302, `http://127.0.0.1:${other}/moodle/.well-known/openid-configuration`);
  };
  const page = await register(`${attacker.base}/.well-known/openid-configuration`);
  expect(page.status).toBe(502);
  expect(page.body).toContain('CONFIGURATION_UNREACHABLE');
  expect(page.body).not.toContain(String(other)); // nothing of where it pointed
  expect(internalHits).toBe(0);
  internal.closeAllConnections();
  internal.close();
});

test('internal addresses are refused before connecting; an open port, a closed one and an allowed site that answers nonsense all look the same', async () => {
  const open = http.createServer((_req, res) => res.end('internal secret page'));
  await new Promise<void>((r) => open.listen(0, '127.0.0.1', r));
  let openHits = 0;
  open.on('request', () => {
    openHits++;
  });
  const closed = await freePort();
  // Reachable (allowed) but not a configuration: a 404, and a page that is not JSON.
  answer = (req, res) => {
    if (req.path.endsWith('/missing/.well-known/openid-configuration')) res.status(404).send('not here');
    else res.send('<html>intranet page</html>');
  };
  const pages = await Promise.all([
    register(`http://127.0.0.1:${(open.address() as AddressInfo).port}/.well-known/openid-configuration`),
    register(`http://127.0.0.1:${closed}/.well-known/openid-configuration`),
    register(`http://localhost:${closed}/.well-known/openid-configuration`),
    register('http://169.254.169.254/latest/meta-data/.well-known/openid-configuration'),
    register(`http://[::1]:${closed}/.well-known/openid-configuration`),
    register(`${attacker.base}/missing/.well-known/openid-configuration`),
    register(`${attacker.base}/page/.well-known/openid-configuration`),
  ]);
  const message = (body: string) => /<p role="status">([\s\S]*?)<\/p>/.exec(body)?.[1];
  for (const page of pages) {
    expect(page.status).toBe(502);
    expect(message(page.body)).toBe(message(pages[0].body));
    expect(page.body).not.toMatch(/internal secret page|intranet page|ECONNREFUSED|HTTP 404|may not reach/);
  }
  expect(message(pages[0].body)).toContain('CONFIGURATION_UNREACHABLE');
  expect(openHits).toBe(0);
  open.closeAllConnections();
  open.close();
});

describe('a platform Cermin already knows is never changed by dynamic registration', () => {
  const issuer = () => `${attacker.base}/known`;
  beforeAll(async () => {
    // The operator registered this Moodle (its real client, its real keys).
    await stack.cermin.lti.registry.add({
      issuer: issuer(),
      clientId: 'real-client',
      authUrl: `${issuer()}/auth`,
      tokenUrl: `${issuer()}/token`,
      jwksUrl: `${issuer()}/jwks`,
      deploymentIds: ['7'],
    });
  });

  test('a second client for the issuer is refused', async () => {
    platformAnswering(configuration(issuer()), {
      client_id: 'look-alike-client',
      'https://purl.imsglobal.org/spec/lti-tool-configuration': { deployment_id: '8' },
    });
    const page = await register(`${issuer()}/.well-known/openid-configuration`);
    expect(page.status).toBe(409);
    expect(page.body).toContain('ALREADY_REGISTERED');
    expect((await platformsOf(issuer())).map((p) => p.clientId)).toEqual(['real-client']);
  });

  test('new keys (or endpoints) for the existing client are refused: the real ones stay', async () => {
    platformAnswering(
      configuration(issuer(), { jwks_uri: `${issuer()}/attacker-keys`, token_endpoint: `${issuer()}/attacker-token` }),
      { client_id: 'real-client', 'https://purl.imsglobal.org/spec/lti-tool-configuration': { deployment_id: '7' } },
    );
    const page = await register(`${issuer()}/.well-known/openid-configuration`);
    expect(page.status).toBe(409);
    const [known] = await platformsOf(issuer());
    expect(known).toMatchObject({
      clientId: 'real-client',
      jwksUrl: `${issuer()}/jwks`,
      tokenUrl: `${issuer()}/token`,
      deploymentIds: ['7'],
    });
  });

  test('Moodle\'s own "update registration" (same client, endpoints and deployment) is answered as done, changing nothing', async () => {
    platformAnswering(configuration(issuer()), {
      client_id: 'real-client',
      'https://purl.imsglobal.org/spec/lti-tool-configuration': { deployment_id: '7' },
    });
    const page = await register(`${issuer()}/.well-known/openid-configuration`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('tidak ada yang diubah');
    expect(await platformsOf(issuer())).toHaveLength(1);
  });
});

test("ids beyond any platform's (a 20 kB client_id, a 5 kB deployment_id) are refused and nothing is stored", async () => {
  const issuer = `${attacker.base}/long-ids`;
  for (const reply of [
    { client_id: 'c'.repeat(20_000) },
    { client_id: 'ok', 'https://purl.imsglobal.org/spec/lti-tool-configuration': { deployment_id: 'd'.repeat(5_000) } },
  ]) {
    platformAnswering(configuration(issuer), reply);
    const page = await register(`${issuer}/.well-known/openid-configuration`);
    expect(page.status).toBe(400);
    expect(page.body).toContain('BAD_RESPONSE');
  }
  expect(await platformsOf(issuer)).toEqual([]);
});

test("a stranger's registration waits for the operator: its logins are refused and redirect nowhere", async () => {
  const issuer = `${attacker.base}/stranger`;
  platformAnswering(configuration(issuer), {
    client_id: 'stranger-client',
    'https://purl.imsglobal.org/spec/lti-tool-configuration': { deployment_id: '1' },
  });
  expect((await register(`${issuer}/.well-known/openid-configuration`)).status).toBe(200);
  expect((await platformsOf(issuer))[0]).toMatchObject({ pending: true, active: false });
  // Reproduced: /lti/login?iss=<a stranger's registered platform> sent the browser to its "auth endpoint", anywhere.
  const login = await new Browser().request(
    `${stack.baseUrl}/lti/login?${new URLSearchParams({ iss: issuer, client_id: 'stranger-client', login_hint: 'x', target_link_uri: stack.cermin.lti.urls.toolUrl })}`,
  );
  expect(login.status).toBe(403);
  expect(login.headers.get('location')).toBeNull();
  await stack.cermin.lti.registry.remove(issuer, 'stranger-client');
});

test(`at most ${MAX_PENDING} registrations wait at once: strangers cannot flood the operator's list`, async () => {
  const waiting = await stack.cermin.lti.registry.pendingCount();
  const filler = Array.from({ length: MAX_PENDING - waiting }, (_v, i) => `${attacker.base}/flood-${i}`);
  for (const issuer of filler) {
    await stack.cermin.lti.registry.add(
      { issuer, clientId: 'c', authUrl: `${issuer}/auth`, tokenUrl: `${issuer}/token`, jwksUrl: `${issuer}/jwks` },
      { via: 'dynamic', pending: true },
    );
  }
  const issuer = `${attacker.base}/one-too-many`;
  platformAnswering(configuration(issuer), { client_id: 'c' });
  const page = await register(`${issuer}/.well-known/openid-configuration`);
  expect(page.status).toBe(503);
  expect(page.body).toContain('TOO_MANY_PENDING');
  expect(attacker.hits.filter((h) => h.startsWith('POST'))).toEqual([]); // Moodle was not asked to create a tool for nothing
  for (const f of filler) await stack.cermin.lti.registry.remove(f, 'c');
});
