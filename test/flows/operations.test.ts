/**
 * Operations and the web's edges: health, readiness, metrics, security headers (CSP
 * frame-ancestors for the registered platforms only), rate limits, translated error pages,
 * and logs that carry no secret and no ltik.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { Browser, launchThroughDemo } from '../../sim/browser';
import { startStack, type Stack } from '../support/stack';

const logLines: string[] = [];
const sink = new Writable({
  write(chunk, _enc, cb) {
    logLines.push(String(chunk));
    cb();
  },
});

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ LOG_LEVEL: 'info' }, { log: pino({ level: 'info' }, sink) });
});
afterAll(async () => {
  await stack.close();
});

test('/healthz and /readyz answer, /readyz after pinging the database', async () => {
  const health = await fetch(`${stack.baseUrl}/healthz`);
  expect(health.status).toBe(200);
  const ready = await fetch(`${stack.baseUrl}/readyz`);
  expect(ready.status).toBe(200);
  const body = (await ready.json()) as { database: string; pingMs: number };
  expect(body.database).toBe('ok');
  expect(typeof body.pingMs).toBe('number');
});

test('/metrics counts launches by outcome and times requests', async () => {
  await launchThroughDemo(new Browser(), stack.demoBase, 'u-p-010');
  const text = await (await fetch(`${stack.baseUrl}/metrics`)).text();
  expect(text).toMatch(/cermin_lti_events_total\{outcome="launch_ok"\} [1-9]/);
  expect(text).toMatch(/cermin_http_request_duration_seconds_bucket\{.*route="\/lti\/launch"/);
  expect(text).toContain('cermin_process_resident_memory_bytes');
});

test('tool pages may be framed only by registered platforms (CSP frame-ancestors), with helmet headers', async () => {
  const page = await launchThroughDemo(new Browser(), stack.demoBase, 'u-p-011');
  const csp = page.headers.get('content-security-policy') ?? '';
  const ancestors = /frame-ancestors ([^;]+)/.exec(csp)?.[1].split(' ') ?? [];
  const platformOrigins = (await stack.cermin.lti.registry.list()).map((p) => new URL(p.issuer).origin);
  expect(ancestors).toEqual(expect.arrayContaining(["'self'", ...platformOrigins]));
  expect(ancestors.filter((a) => a !== "'self'").every((a) => platformOrigins.includes(a))).toBe(true);
  expect(csp).toContain("script-src 'self'");
  expect(page.headers.get('x-frame-options')).toBeNull(); // would forbid Moodle's iframe
  expect(page.headers.get('x-content-type-options')).toBe('nosniff');
  expect(page.headers.get('access-control-allow-origin')).toBeNull(); // ltijs's reflect-any-origin CORS is off
  expect(page.headers.get('cache-control')).toBe('no-store');
});

test('a newly registered platform is allowed to frame Cermin at once', async () => {
  const origin = 'https://moodle.baru.example';
  await stack.cermin.lti.registry.add({
    issuer: origin,
    clientId: 'c-new',
    authUrl: `${origin}/auth`,
    tokenUrl: `${origin}/token`,
    jwksUrl: `${origin}/certs`,
  });
  const res = await fetch(`${stack.baseUrl}/`, { redirect: 'manual' });
  expect(res.headers.get('content-security-policy')).toContain(origin);
});

test("on a development machine the tool's URL opens the demo LMS", async () => {
  const res = await fetch(`${stack.baseUrl}/`, { redirect: 'manual' });
  expect(res.status).toBe(302);
  expect(res.headers.get('location')).toBe('/demo');
});

test('unknown pages get a translated 404 page (Indonesian by default, English on request)', async () => {
  const id = await new Browser().go(`${stack.baseUrl}/tidak-ada`);
  expect(id.status).toBe(404);
  expect(id.body).toContain('Halaman tidak ditemukan');
  expect(id.body).toContain('lang="id"');
  const en = await new Browser().go(`${stack.baseUrl}/nothing-here?lang=en`);
  expect(en.status).toBe(404);
  expect(en.body).toContain('Page not found');
});

test('a malformed body gets a clear 400, not a stack trace', async () => {
  const res = await fetch(`${stack.baseUrl}/lti/launch`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'text/html' },
    body: '{"id_token": ',
  });
  expect(res.status).toBe(400);
  const body = await res.text();
  expect(body).not.toMatch(/at \w+ \(|SyntaxError/);
});

test('an oversized body gets a translated 413', async () => {
  const res = await fetch(`${stack.baseUrl}/lti/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'text/html' },
    body: `iss=${'x'.repeat(200_000)}`,
  });
  expect(res.status).toBe(413);
  expect(await res.text()).toContain('terlalu besar');
});

test('logs carry no ltik, id_token, key or query string', async () => {
  const page = await launchThroughDemo(new Browser(), stack.demoBase, 'u-p-012');
  const ltik = new URL(page.url).searchParams.get('ltik') as string;
  const all = logLines.join('');
  expect(all).toContain('"path":"/lti/launch"');
  expect(all).not.toContain(ltik);
  expect(all).not.toContain('ltik=');
  expect(all).not.toContain('id_token=');
  expect(all).not.toContain(stack.config.lti.key);
  expect(all).not.toMatch(/eyJ[\w-]{20,}\.[\w-]{20,}/); // no JWT of any kind
});

test('the LTI endpoints are rate limited with a translated 429 (runs late: it spends the window)', async () => {
  const max = stack.config.rateLimit.ltiMaxPerWindow;
  let last = 0;
  for (let i = 0; i <= max; i++) {
    last = (await fetch(`${stack.baseUrl}/lti/login`, { method: 'POST' })).status;
  }
  expect(last).toBe(429);
  const page = await new Browser().go(`${stack.baseUrl}/lti/login`);
  expect(page.status).toBe(429);
  expect(page.body).toContain('Terlalu banyak permintaan');
});

test('/readyz says 503 once shutdown has begun, so a load balancer drains the instance (runs last)', async () => {
  stack.cermin.beginShutdown();
  expect((await fetch(`${stack.baseUrl}/readyz`)).status).toBe(503);
  expect((await fetch(`${stack.baseUrl}/healthz`)).status).toBe(200);
});
