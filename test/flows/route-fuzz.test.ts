/**
 * Every mounted route × garbage in every parameter, as someone probing Cermin would send it:
 * spaces, `;` and `=` (cookie and header syntax), objects and arrays, 10 kB strings, invalid
 * UTF-8, broken JSON, hostile ltiks and states — with a valid session of the right role (so the
 * garbage reaches the handlers, not just the session check), with none, and with a forged one.
 * Every answer must be a 4xx or better (never a 500: garbage is the client's fault, and a 500
 * hides what the handler did with it), no promise may be left rejected, and /healthz must answer
 * after each route. The routes come from the app itself, so a new route is fuzzed without anyone
 * remembering to add it.
 */
import { Browser, launchThroughDemo, ltikOf } from '../../sim/browser';
import { courseBaseOf, placeOneActivity } from '../support/coaching';
import { mountedRoutes, type MountedRoute } from '../support/routes';
import { startStack, type Stack } from '../support/stack';
import { issueSetupToken } from '../../src/admin/setup';

let stack: Stack;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => {
  unhandled.push(reason);
};

/** Valid values for path parameters, and a session per audience. */
interface Fixture {
  courseKey: string;
  activityId: string;
  ltik: { participant: string; coach: string; admin: string };
  setupCookie: string;
  setupCsrf: string;
}
let fx: Fixture;

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  stack = await startStack();
  const placed = await placeOneActivity(stack, 'Refleksi fuzz', 100);
  const participant = await launchThroughDemo(new Browser(), stack.demoBase, 'u-p-001', { link: placed.linkId });
  const admin = await launchThroughDemo(new Browser(), stack.demoBase, 'u-admin-1');
  // The setup session, as an operator opens it.
  const setup = new Browser();
  const opened = await setup.go(`${stack.baseUrl}/setup?token=${await issueSetupToken()}`);
  fx = {
    courseKey: courseBaseOf(placed.coachPage).split('/').pop() as string,
    activityId: placed.activityId,
    ltik: { participant: ltikOf(participant), coach: ltikOf(placed.coachPage), admin: ltikOf(admin) },
    setupCookie: [...setup.cookies(stack.baseUrl)].map(([k, v]) => `${k}=${v}`).join('; '),
    setupCsrf: /name="csrf" value="([^"]+)"/.exec(opened.body)?.[1] ?? '',
  };
  expect(fx.setupCsrf).not.toBe('');
}, 60_000);

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await stack.close();
});

type Route = MountedRoute;

/** Every route of Cermin's app and of ltijs's. */
function routesToProbe(): Route[] {
  // ltijs's app is mounted as a sub-app, which Express hides behind a wrapper: read it on its own.
  const all = [
    ...mountedRoutes(stack.cermin.app),
    ...mountedRoutes(stack.cermin.lti.app).map((r) => ({ ...r, path: `/lti${r.path}` })),
  ];
  return all;
}

const LONG = 'A'.repeat(10_000);
/** What goes into every parameter, one at a time. */
const GARBAGE = [
  'a b',
  'x;y=z',
  '=',
  '%',
  '\u0000',
  LONG,
  '<script>alert(1)</script>',
  '../../etc/passwd',
  '{"$gt":""}',
  '-1',
  '1e309',
  '',
];
/** Every form field name Cermin's pages use, and the ones ltijs reads. */
const FIELDS = [
  'JWT',
  'action',
  'active',
  'activity',
  'aiMode',
  'apiKey',
  'authUrl',
  'back',
  'baseRevision',
  'baseUrl',
  'choice',
  'clearKey',
  'clientId',
  'comment',
  'competencies',
  'confirm',
  'course',
  'courseMonthlyTokens',
  'csrf',
  'dataSaver',
  'date',
  'deploymentId',
  'description',
  'dueAt',
  'durationMinutes',
  'enabled',
  'engine',
  'from',
  'fromCopies',
  'id',
  'instructions',
  'intent',
  'issuer',
  'jwksUrl',
  'lang',
  'language',
  'lens',
  'level',
  'mark',
  'maxScore',
  'model',
  'name',
  'openedAt',
  'outcome',
  'override',
  'overrideReason',
  'phases',
  'platform',
  'q',
  'release',
  'replace',
  'reset',
  'revision',
  'sizeKb',
  'sort',
  'status',
  'tags',
  'templateId',
  'text',
  'title',
  'to',
  'tokenUrl',
  'type',
  'url',
  'userDailyTokens',
  'userId',
  'values',
  'viewport',
  'visibility',
  'page',
  'format',
  'file',
  'key',
  'openid_configuration',
  'registration_token',
  'iss',
  'login_hint',
  'target_link_uri',
  'lti_message_hint',
  'client_id',
  'lti_deployment_id',
  'id_token',
  'state',
];

/** The session a route's own audience has (so garbage gets past the guards), as query and form fields. */
function sessionFor(path: string): { ltik?: string; cookie?: string; csrf?: string } {
  if (path.startsWith('/setup')) return { cookie: fx.setupCookie, csrf: fx.setupCsrf };
  if (!path.startsWith('/lti/app')) return {};
  if (path.includes('/admin')) return { ltik: fx.ltik.admin };
  if (
    /\/activities\/:activityId(\/entries|\/journal|\/submit|$)/.test(path) ||
    path.includes('/ai/') ||
    path.includes('/recommend/') ||
    path.includes('/privacy')
  )
    return { ltik: fx.ltik.participant };
  return { ltik: fx.ltik.coach };
}

function fillPath(path: string, override?: { param: string; value: string }): string {
  return path
    .replace(/:(\w+)(\([^)]*\))?/g, (_m, name: string) => {
      if (override?.param === name) return encodeURIComponent(override.value);
      if (name === 'courseKey') return fx.courseKey;
      if (name === 'activityId') return fx.activityId;
      if (name === 'userId') return 'u-p-001';
      if (name === 'key') return 'refleksi';
      if (name === 'format') return 'json';
      if (name === 'mode') return 'dry-run';
      return 'x';
    })
    .replace(/\.:format/, '.json');
}

interface Probe {
  what: string;
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

function probesFor(route: Route): Probe[] {
  const session = sessionFor(route.path);
  const headers: Record<string, string> = {
    Accept: 'text/html',
    ...(session.cookie ? { Cookie: session.cookie } : {}),
  };
  const auth = (q: URLSearchParams) => {
    if (session.ltik) q.set('ltik', session.ltik);
    return q;
  };
  const sessionFields = {
    ...(session.ltik ? { ltik: session.ltik } : {}),
    ...(session.csrf ? { csrf: session.csrf } : {}),
  };
  const probes: Probe[] = [];
  const base = `${stack.baseUrl}${fillPath(route.path)}`;
  const add = (what: string, url: string, extra: Partial<Probe> = {}) =>
    probes.push({ what, url, method: route.method, headers: { ...headers, ...extra.headers }, body: extra.body });
  const form = (fields: Array<[string, string]>) => ({
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });

  for (const g of GARBAGE) {
    // In the query: every field at once (the first check that fails decides), then as arrays and objects (qs syntax).
    add(
      `query=${g.slice(0, 20)}`,
      `${base}?${auth(new URLSearchParams(FIELDS.filter((f) => f !== 'ltik').map((f) => [f, g])))}`,
    );
    if (route.method !== 'GET') {
      add(
        `form=${g.slice(0, 20)}`,
        `${base}?${auth(new URLSearchParams())}`,
        form([...Object.entries(sessionFields), ...FIELDS.map((f): [string, string] => [f, g])]),
      );
    }
    for (const param of route.path.match(/:\w+/g) ?? []) {
      add(
        `path ${param}=${g.slice(0, 20)}`,
        `${stack.baseUrl}${fillPath(route.path, { param: param.slice(1), value: g })}?${auth(new URLSearchParams())}`,
      );
    }
  }
  // Structure instead of strings.
  add(
    'query arrays and objects',
    `${base}?${auth(new URLSearchParams())}&${FIELDS.map((f) => `${f}=a&${f}=b&${f}[x]=1&${f}[$ne]=1`).join('&')}`,
  );
  add('query invalid UTF-8', `${base}?${auth(new URLSearchParams())}&q=%FF%FE&text=%C3%28`);
  add('path invalid UTF-8', `${base}/%C3%28%FF`);
  add('no session', base);
  add('forged ltik', `${base}?ltik=eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyIjoiYWRtaW4ifQ.c2lnbmF0dXJl`);
  add('hostile ltik header', base, { headers: { Authorization: 'Bearer a b;c=d' } });
  add('ltik-auth header with garbage', base, {
    headers: { Authorization: `LTIK-AUTH-V1 Token=${LONG}, Additional=Bearer x` },
  });
  add('cookie garbage', `${base}?${auth(new URLSearchParams())}`, {
    headers: { Cookie: `statea b=1; cermin_setup=${LONG}; =; ;;` },
  });
  if (route.method !== 'GET') {
    const json = (body: string) => ({ headers: { 'Content-Type': 'application/json' }, body });
    add(
      'json objects',
      `${base}?${auth(new URLSearchParams())}`,
      json(
        JSON.stringify({
          ...sessionFields,
          ...Object.fromEntries(FIELDS.map((f) => [f, { $gt: '', a: [1, { b: null }] }])),
        }),
      ),
    );
    add(
      'json arrays and numbers',
      `${base}?${auth(new URLSearchParams())}`,
      json(
        JSON.stringify({ ...sessionFields, ...Object.fromEntries(FIELDS.map((f, i) => [f, i % 2 ? [f, f] : 1e308])) }),
      ),
    );
    add('json top-level array', `${base}?${auth(new URLSearchParams())}`, json('[1,2,3]'));
    add('json broken', `${base}?${auth(new URLSearchParams())}`, json('{"state": "a b", '));
    add('json state object', base, json(JSON.stringify({ state: { a: 1 }, id_token: ['x'], ltik: { a: 1 } })));
    add('form invalid UTF-8', `${base}?${auth(new URLSearchParams())}`, {
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: Buffer.concat([
        Buffer.from(`${new URLSearchParams(sessionFields)}&text=`),
        Buffer.from([0xff, 0xfe, 0xc3, 0x28]),
      ]),
    });
    add(
      'form hostile state',
      base,
      form([
        ['state', 'a b'],
        ['id_token', 'x.y.z'],
      ]),
    );
    add('text body', `${base}?${auth(new URLSearchParams())}`, {
      headers: { 'Content-Type': 'text/plain' },
      body: 'state=a b',
    });
    add('octet body', `${base}?${auth(new URLSearchParams())}`, {
      headers: { 'Content-Type': 'application/octet-stream' },
      body: Buffer.alloc(2048, 0xff),
    });
  }
  return probes;
}

async function send(p: Probe): Promise<number> {
  const res = await fetch(p.url, {
    method: p.method,
    headers: p.headers,
    body: typeof p.body === 'string' || p.body === undefined ? p.body : new Uint8Array(p.body),
    redirect: 'manual',
    signal: AbortSignal.timeout(15_000),
  });
  await res.arrayBuffer();
  return res.status;
}

test('every route answers garbage with a 4xx (never a 5xx), leaves no promise rejected, and the server keeps answering /healthz', async () => {
  const routes = routesToProbe();
  // A route list that lost the app's routes would make this test pass on nothing.
  expect(routes.length).toBeGreaterThan(80);
  expect(routes.some((r) => r.path === '/lti/app/courses/:courseKey/activities/:activityId/entries/:key')).toBe(true);
  const failures: string[] = [];
  let sent = 0;
  for (const route of routes) {
    const probes = probesFor(route);
    // A few at once, as a browser's parallel requests (and an offline queue) would arrive.
    for (let i = 0; i < probes.length; i += 4) {
      const batch = probes.slice(i, i + 4);
      const statuses = await Promise.all(
        batch.map((p) => send(p).catch((err: Error) => -1 * (err.name === 'TimeoutError' ? 408 : 1))),
      );
      sent += batch.length;
      statuses.forEach((status, j) => {
        if (status >= 500 || status < 0)
          failures.push(`${route.method} ${route.path} [${batch[j].what}] → ${status < 0 ? 'no answer' : status}`);
      });
    }
    const health = await fetch(`${stack.baseUrl}/healthz`).catch(() => undefined);
    if (health?.status !== 200) failures.push(`after ${route.method} ${route.path}: /healthz did not answer`);
  }
  expect(failures).toEqual([]);
  expect(unhandled.map(String)).toEqual([]);
  expect(sent).toBeGreaterThan(2000);
}, 600_000);
