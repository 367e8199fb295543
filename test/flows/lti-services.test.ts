/**
 * LTI Advantage calls outside a launch (the grade worker, roster sync): PlatformServices reading
 * the tool's key through ltijs, asking the demo LMS's token endpoint over real HTTP, then AGS and
 * NRPS, including every way the platform can fail. The demo course has 1,000 participants so the
 * roster really spans many pages. A few parser and caching cases run against a scripted fetch.
 */
import { getProvider } from '../../src/lti/ltijs';
import crypto from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { startStack, type Stack } from '../support/stack';
import { DEMO_CLIENT_ID } from '../../sim/lms/bootstrap';
import { ROLE } from '../../sim/lms/roster';
import { AGS_SCOPE, findOrCreateLineItem, postScore, scoresUrl, type AgsScore } from '../../src/lti/ags';
import { NRPS_SCOPE, fetchAllMembers, parseLinkHeader } from '../../src/lti/nrps';
import {
  PlatformServices,
  ServiceError,
  ltijsSigningKeys,
  parseRetryAfter,
  type PlatformRef,
  type SigningKeySource,
} from '../../src/lti/platform-services';

const PARTICIPANTS = 1000;

let stack: Stack;
let keys: SigningKeySource;
let services: PlatformServices;
let ref: PlatformRef;

beforeAll(async () => {
  stack = await startStack({ DEMO_PARTICIPANTS: String(PARTICIPANTS) });
  keys = ltijsSigningKeys(getProvider());
  services = new PlatformServices({ keys, timeoutMs: 5000 });
  ref = { issuer: stack.demo.issuer, clientId: DEMO_CLIENT_ID };
}, 60_000);
afterAll(async () => {
  await stack.close();
});
afterEach(() => stack.demo.clearFaults());

/** The ServiceError a promise rejects with; fails the test when it resolves or throws anything else. */
async function failure(p: Promise<unknown>): Promise<ServiceError> {
  const outcome = await p.then(
    (v) => ({ resolved: v }),
    (e: unknown) => e,
  );
  expect(outcome).toBeInstanceOf(ServiceError);
  return outcome as ServiceError;
}

// ---------- pure parts ----------

describe('Link header and URLs', () => {
  it('finds next among several links, with curly quotes and a relative URL resolved against the page', () => {
    const page = 'https://lms.example/mod/lti/services.php/2/memberships?limit=100&from=100';
    const header =
      '<https://lms.example/mod/lti/services.php/2/memberships?limit=100&from=0,x>; rel="prev", ' +
      '</mod/lti/services.php/2/memberships?limit=100&from=200>; rel=\u201cnext\u201d, <?from=900>; rel="last"';
    expect(parseLinkHeader(header, page)).toEqual({
      prev: 'https://lms.example/mod/lti/services.php/2/memberships?limit=100&from=0,x',
      next: 'https://lms.example/mod/lti/services.php/2/memberships?limit=100&from=200',
      last: 'https://lms.example/mod/lti/services.php/2/memberships?from=900',
    });
  });

  it('reads curly quotes as fetch hands them over (UTF-8 bytes read as latin1)', () => {
    // What undici's Headers give for Moodle's `rel=“next”`: checked against a raw socket in Node 20.
    const asFetchReadsIt = Buffer.from('</lineitems?limit=10&from=10>; rel=\u201cnext\u201d', 'utf8').toString(
      'latin1',
    );
    expect(asFetchReadsIt).toContain('\u00e2\u0080\u009c');
    expect(parseLinkHeader(asFetchReadsIt, 'https://moodle.example/mod/lti/services.php/2/lineitems?limit=10')).toEqual(
      { next: 'https://moodle.example/lineitems?limit=10&from=10' },
    );
    // The URL too: a non-ASCII path arrives as its UTF-8 bytes, and must not be encoded twice.
    const nonAscii = Buffer.from('</kursus/\u00e9t\u00e9?p=2>; rel="next"', 'utf8').toString('latin1');
    expect(parseLinkHeader(nonAscii, 'https://x.example/').next).toBe('https://x.example/kursus/%C3%A9t%C3%A9?p=2');
    // A lone stray byte (not UTF-8) still does not end up in the relation name.
    expect(parseLinkHeader('<https://x.example/n>; rel=\u00abnext\u00bb\u00ff', 'https://x.example/')).toEqual({
      next: 'https://x.example/n',
    });
  });

  it('reads unquoted, single-curly-quoted and multi-valued rel, and ignores what has no rel', () => {
    const base = 'https://lms.example/a/b';
    expect(parseLinkHeader('<c?p=2>;rel=next', base)).toEqual({ next: 'https://lms.example/a/c?p=2' });
    expect(parseLinkHeader('<https://x.example/n> ; rel=\u2018next\u2019', base)).toEqual({
      next: 'https://x.example/n',
    });
    expect(parseLinkHeader('<https://x.example/z>; rel="next last"', base)).toEqual({
      next: 'https://x.example/z',
      last: 'https://x.example/z',
    });
    expect(parseLinkHeader('<https://x.example/t>; title="no relation"', base)).toEqual({});
    expect(parseLinkHeader(null, base)).toEqual({});
  });

  it("puts /scores on the line item path and keeps Moodle's query string", () => {
    expect(scoresUrl('https://moodle.example/mod/lti/services.php/2/lineitems/5/lineitem?type_id=1')).toBe(
      'https://moodle.example/mod/lti/services.php/2/lineitems/5/lineitem/scores?type_id=1',
    );
    expect(scoresUrl('https://lms.example/api/lineitems/7/')).toBe('https://lms.example/api/lineitems/7/scores');
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2025-03-01T10:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('Sat, 01 Mar 2025 10:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Sat, 01 Mar 2025 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

// ---------- a scripted platform (no HTTP) for what the demo LMS cannot be made to do ----------

interface Scripted {
  services: PlatformServices;
  calls: string[];
  /** The form bodies sent to /token. */
  tokenForms: URLSearchParams[];
  clock: { t: number };
}

/** A platform answering from a script: /token always grants, other URLs from `pages`. */
function scripted(
  pages: Record<string, { body: unknown; link?: string }>,
  opts: { expiresIn?: number } = {},
): Scripted {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const calls: string[] = [];
  const tokenForms: URLSearchParams[] = [];
  const clock = { t: Date.parse('2025-03-01T10:00:00Z') };
  const fakeFetch: typeof fetch = async (input, init) => {
    const url = String(input);
    calls.push(url);
    if (url === 'https://lms.example/token') {
      const form = new URLSearchParams(String(init?.body));
      tokenForms.push(form);
      return new Response(
        JSON.stringify({
          access_token: `tok-${calls.length}-${form.get('scope')}`,
          token_type: 'Bearer',
          expires_in: opts.expiresIn ?? 3600,
        }),
        {
          status: 200,
          headers: { 'content-type': 'application/json' },
        },
      );
    }
    const page = pages[url];
    if (!page) return new Response(JSON.stringify({ error: 'not_found' }), { status: 404 });
    return new Response(JSON.stringify(page.body), { status: 200, headers: page.link ? { link: page.link } : {} });
  };
  const keySource: SigningKeySource = {
    signingKey: async () => ({
      kid: 'k1',
      privateKey,
      tokenUrl: 'https://lms.example/token',
      audience: 'https://lms.example/token',
      origins: ['https://lms.example'],
    }),
  };
  return {
    services: new PlatformServices({ keys: keySource, timeoutMs: 1000, fetch: fakeFetch, now: () => clock.t }),
    calls,
    tokenForms,
    clock,
  };
}

const LMS_REF: PlatformRef = { issuer: 'https://lms.example', clientId: 'c1' };
const member = (id: string, extra: Record<string, unknown> = {}) => ({
  user_id: id,
  roles: [ROLE.learner],
  name: `Name ${id}`,
  ...extra,
});

describe('fetchAllMembers against a scripted platform', () => {
  it('follows a curly-quoted relative next link, skips members without user_id, defaults status to Active', async () => {
    const s = scripted({
      'https://lms.example/nrps?limit=2': {
        body: {
          context: { id: 'c-9', title: 'Kursus' },
          members: [member('a'), member('b', { status: 'Inactive' }), { name: 'no id', roles: [] }],
        },
        // As fetch reads Moodle's UTF-8 curly quotes (a Response header cannot hold them as Unicode).
        link: Buffer.from('</nrps?limit=2&from=2>; rel=\u201cnext\u201d', 'utf8').toString('latin1'),
      },
      'https://lms.example/nrps?limit=2&from=2': {
        body: {
          members: [member('c', { status: 'Deleted', email: 'c@x.example' }), member('a', { name: 'A renamed' })],
        },
      },
    });
    const roster = await fetchAllMembers(s.services, LMS_REF, 'https://lms.example/nrps', { pageSize: 2 });
    expect(roster.pages).toBe(2);
    expect(roster.context).toEqual({ id: 'c-9', label: undefined, title: 'Kursus' });
    expect(roster.members.map((m) => [m.userId, m.status])).toEqual([
      ['a', 'Active'],
      ['b', 'Inactive'],
      ['c', 'Deleted'],
    ]);
    expect(roster.members[0].name).toBe('A renamed'); // seen twice (roster changed while paging): the later data
    expect(roster.members[2]).toMatchObject({ email: 'c@x.example', roles: [ROLE.learner] });
    expect(s.calls.filter((c) => c.endsWith('/token'))).toHaveLength(1);
  });

  it('refuses a next link that repeats a page, after reading each page once', async () => {
    const s = scripted({
      'https://lms.example/nrps?limit=5': {
        body: { members: [member('a')] },
        link: '<https://lms.example/nrps?limit=5&from=5>; rel="next"',
      },
      'https://lms.example/nrps?limit=5&from=5': {
        body: { members: [member('b')] },
        link: '<https://lms.example/nrps?limit=5>; rel="next"',
      },
    });
    const err = await failure(fetchAllMembers(s.services, LMS_REF, 'https://lms.example/nrps', { pageSize: 5 }));
    expect(err.kind).toBe('refused');
    expect(err.reason).toMatch(/repeats a page/);
    expect(s.calls.filter((c) => !c.endsWith('/token'))).toEqual([
      'https://lms.example/nrps?limit=5',
      'https://lms.example/nrps?limit=5&from=5',
    ]);
  });

  it('refuses a roster longer than maxPages without reading past it', async () => {
    const pages: Record<string, { body: unknown; link?: string }> = {};
    for (let i = 0; i < 10; i++) {
      pages[`https://lms.example/nrps?limit=1${i ? `&from=${i}` : ''}`] = {
        body: { members: [member(`u${i}`)] },
        link: `<https://lms.example/nrps?limit=1&from=${i + 1}>; rel="next"`,
      };
    }
    const s = scripted(pages);
    const err = await failure(
      fetchAllMembers(s.services, LMS_REF, 'https://lms.example/nrps', { pageSize: 1, maxPages: 4 }),
    );
    expect(err.kind).toBe('refused');
    expect(err.reason).toMatch(/longer than 4 pages/);
    expect(s.calls.filter((c) => !c.endsWith('/token'))).toHaveLength(4);
  });
});

describe('access tokens against a scripted token endpoint', () => {
  it('signs a client assertion as the spec asks and keeps the token until 60 s before it expires', async () => {
    const s = scripted({});
    const t1 = await s.services.accessToken(LMS_REF, [AGS_SCOPE.score, AGS_SCOPE.lineItem]);
    const form = s.tokenForms[0];
    expect(form.get('grant_type')).toBe('client_credentials');
    expect(form.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    expect(form.get('scope')).toBe([AGS_SCOPE.lineItem, AGS_SCOPE.score].join(' '));
    const assertion = form.get('client_assertion') ?? '';
    expect(decodeProtectedHeader(assertion)).toMatchObject({ alg: 'RS256', kid: 'k1' });
    const claims = decodeJwt(assertion);
    expect(claims).toMatchObject({ iss: 'c1', sub: 'c1', aud: 'https://lms.example/token' });
    expect(claims.iat).toBe(Math.floor(s.clock.t / 1000));
    expect((claims.exp as number) - (claims.iat as number)).toBe(60);
    expect(typeof claims.jti).toBe('string');

    s.clock.t += 3539_000; // 1 s before expires_in − 60 s
    expect(await s.services.accessToken(LMS_REF, [AGS_SCOPE.lineItem, AGS_SCOPE.score])).toBe(t1); // scope order does not matter
    s.clock.t += 2_000;
    const t2 = await s.services.accessToken(LMS_REF, [AGS_SCOPE.score, AGS_SCOPE.lineItem]);
    expect(t2).not.toBe(t1);
    expect(s.tokenForms).toHaveLength(2);
    expect(decodeJwt(s.tokenForms[1].get('client_assertion') ?? '').jti).not.toBe(claims.jti);
  });
});

// ---------- the demo LMS over HTTP ----------

describe('NRPS: the whole course of 1,000 participants', () => {
  it('reads every member across pages of 100: no duplicates, coach and mentor in, admin out', async () => {
    const roster = await fetchAllMembers(services, ref, stack.demo.membershipsUrl, { pageSize: 100 });
    const expected = stack.demo.users.filter((u) => u.kind !== 'admin');
    expect(expected).toHaveLength(PARTICIPANTS + 3); // coach, assistant, mentor
    expect(roster.pages).toBe(Math.ceil((PARTICIPANTS + 3) / 100));
    const ids = roster.members.map((m) => m.userId);
    expect(ids).toHaveLength(PARTICIPANTS + 3);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids)).toEqual(new Set(expected.map((u) => u.id)));
    expect(ids).toEqual(expect.arrayContaining(['u-coach-1', 'u-mentor-1', 'u-assistant-1', 'u-p-001', 'u-p-1000']));
    expect(ids).not.toContain('u-admin-1');
    expect(roster.context).toEqual({
      id: stack.demo.course.id,
      label: stack.demo.course.label,
      title: stack.demo.course.title,
    });
    const coach = roster.members.find((m) => m.userId === 'u-coach-1');
    expect(coach).toMatchObject({
      roles: [ROLE.instructor],
      status: 'Active',
      email: 'siti.rahmawati@widyaiswara.latsar.example',
      givenName: 'Siti',
    });
    expect(roster.members.find((m) => m.userId === 'u-mentor-1')?.roles).toEqual([ROLE.mentor]);
    expect(roster.members.filter((m) => m.roles.includes(ROLE.learner))).toHaveLength(PARTICIPANTS);
  });

  it('shows a member made Inactive and leaves out one who left the course', async () => {
    stack.demo.setMemberStatus('u-p-002', 'Inactive');
    stack.demo.removeMember('u-p-003');
    try {
      const roster = await fetchAllMembers(services, ref, stack.demo.membershipsUrl, { pageSize: 500 });
      expect(roster.pages).toBe(3);
      expect(roster.members).toHaveLength(PARTICIPANTS + 2);
      expect(roster.members.find((m) => m.userId === 'u-p-002')?.status).toBe('Inactive');
      expect(roster.members.some((m) => m.userId === 'u-p-003')).toBe(false);
    } finally {
      stack.demo.setMemberStatus('u-p-002', 'Active');
      stack.demo.setMemberStatus('u-p-003', 'Active');
    }
    const back = await fetchAllMembers(services, ref, stack.demo.membershipsUrl, { pageSize: 500 });
    expect(back.members).toHaveLength(PARTICIPANTS + 3);
    expect(back.members.every((m) => m.status === 'Active')).toBe(true);
  });
});

describe('access tokens from the demo LMS', () => {
  it('asks once and reuses the token over several calls', async () => {
    const own = new PlatformServices({ keys, timeoutMs: 5000 });
    const before = stack.demo.tokenRequests;
    for (let i = 0; i < 3; i++) {
      const roster = await fetchAllMembers(own, ref, stack.demo.membershipsUrl, { pageSize: 400 });
      expect(roster.pages).toBe(3);
    }
    expect(stack.demo.tokenRequests).toBe(before + 1);
  });

  it('shares one token request between concurrent callers', async () => {
    const own = new PlatformServices({ keys, timeoutMs: 5000 });
    const before = stack.demo.tokenRequests;
    const tokens = await Promise.all(Array.from({ length: 5 }, () => own.accessToken(ref, [NRPS_SCOPE])));
    expect(new Set(tokens).size).toBe(1);
    expect(stack.demo.tokenRequests).toBe(before + 1);
  });

  it('refuses a platform that is not registered, without asking anyone', async () => {
    const before = stack.demo.tokenRequests;
    const err = await failure(services.accessToken({ issuer: stack.demo.issuer, clientId: 'nobody' }, [NRPS_SCOPE]));
    expect(err).toMatchObject({ kind: 'refused', reason: 'platform not registered', maybeDelivered: false });
    expect(stack.demo.tokenRequests).toBe(before);
  });

  it('refuses scopes the platform does not grant, with its reason', async () => {
    const err = await failure(services.accessToken(ref, ['https://example.org/scope/not-lti']));
    expect(err).toMatchObject({ kind: 'refused', status: 400, maybeDelivered: false });
    expect(err.reason).toContain('none of the requested scopes can be granted');
  });

  it('a token endpoint failure (503) is transient and surely not delivered', async () => {
    const own = new PlatformServices({ keys, timeoutMs: 5000 });
    const received = stack.demo.gradebook.received.length;
    stack.demo.inject('token', { status: 503 });
    const err = await failure(
      postScore(own, ref, `${stack.demo.lineItemsUrl}/1`, score('u-p-010', new Date().toISOString())),
    );
    expect(err).toMatchObject({ kind: 'transient', status: 503, maybeDelivered: false });
    expect(err.reason).toContain('token endpoint');
    expect(stack.demo.gradebook.received).toHaveLength(received);
  });
});

function score(userId: string, timestamp: string, over: Partial<AgsScore> = {}): AgsScore {
  return {
    userId,
    scoreGiven: 30,
    scoreMaximum: 40,
    activityProgress: 'Completed',
    gradingProgress: 'FullyGraded',
    timestamp,
    ...over,
  };
}

describe('AGS against the demo LMS', () => {
  let lineItemUrl: string;

  beforeAll(async () => {
    const made = await findOrCreateLineItem(services, ref, stack.demo.lineItemsUrl, {
      resourceLinkId: '12',
      resourceId: 'act-services',
      tag: 'cermin-services',
      label: 'Jurnal (layanan)',
      scoreMaximum: 40,
    });
    lineItemUrl = made.url;
  });

  it('creates a missing line item once, then finds it', async () => {
    const want = {
      resourceLinkId: '11',
      resourceId: 'act-refleksi',
      tag: 'cermin',
      label: 'Refleksi BerAKHLAK',
      scoreMaximum: 25,
    };
    const count = stack.demo.gradebook.lineItems.length;
    const first = await findOrCreateLineItem(services, ref, stack.demo.lineItemsUrl, want);
    expect(first.created).toBe(true);
    expect(first.url.startsWith(`${stack.demo.lineItemsUrl}/`)).toBe(true);
    expect(stack.demo.gradebook.lineItems).toHaveLength(count + 1);
    expect(stack.demo.gradebook.lineItems.find((li) => li.id === first.url)).toMatchObject({
      resourceLinkId: '11',
      resourceId: 'act-refleksi',
      tag: 'cermin',
      label: 'Refleksi BerAKHLAK',
      scoreMaximum: 25,
    });

    const again = await findOrCreateLineItem(services, ref, stack.demo.lineItemsUrl, want);
    expect(again).toEqual({ url: first.url, created: false });
    expect(stack.demo.gradebook.lineItems).toHaveLength(count + 1);

    // Another tag on the same link is another column; without a link id, resource_id finds it.
    const other = await findOrCreateLineItem(services, ref, stack.demo.lineItemsUrl, { ...want, tag: 'cermin-2' });
    expect(other.created).toBe(true);
    expect(other.url).not.toBe(first.url);
    const byResource = await findOrCreateLineItem(services, ref, stack.demo.lineItemsUrl, {
      resourceId: 'act-refleksi',
      tag: 'cermin-2',
      label: 'x',
      scoreMaximum: 1,
    });
    expect(byResource).toEqual({ url: other.url, created: false });
  });

  it('posts a score with scoreMaximum and progress; an absent or empty comment is not sent', async () => {
    const received = stack.demo.gradebook.received.length;
    await postScore(
      services,
      ref,
      lineItemUrl,
      score('u-p-005', '2025-03-01T10:00:00Z', { scoreGiven: 31.5, comment: 'Refleksi yang jujur' }),
    );
    expect(stack.demo.gradebook.received).toHaveLength(received + 1);
    expect(stack.demo.gradebook.received[received]).toMatchObject({
      lineItemId: lineItemUrl,
      userId: 'u-p-005',
      scoreGiven: 31.5,
      scoreMaximum: 40,
      activityProgress: 'Completed',
      gradingProgress: 'FullyGraded',
      timestamp: '2025-03-01T10:00:00Z',
      comment: 'Refleksi yang jujur',
    });

    await postScore(services, ref, lineItemUrl, score('u-p-005', '2025-03-01T10:00:01Z', { scoreGiven: 35 }));
    await postScore(
      services,
      ref,
      lineItemUrl,
      score('u-p-005', '2025-03-01T10:00:02Z', {
        scoreGiven: undefined,
        comment: '',
        activityProgress: 'Submitted',
        gradingProgress: 'Pending',
      }),
    );
    const [second, third] = stack.demo.gradebook.received.slice(received + 1);
    expect(second).toMatchObject({ scoreGiven: 35, scoreMaximum: 40, comment: undefined });
    expect(third).toMatchObject({
      scoreGiven: undefined,
      scoreMaximum: 40,
      comment: undefined,
      activityProgress: 'Submitted',
      gradingProgress: 'Pending',
    });
    expect(stack.demo.gradebook.received).toHaveLength(received + 3);
    // The feedback written first survives both (Moodle wipes it on an empty comment).
    expect(
      stack.demo.gradebook.scores.find((s) => s.lineItemId === lineItemUrl && s.userId === 'u-p-005')?.comment,
    ).toBe('Refleksi yang jujur');
  });

  it('a second score in the same second is a conflict (409)', async () => {
    await postScore(services, ref, lineItemUrl, score('u-p-006', '2025-03-01T11:00:00.100Z'));
    const received = stack.demo.gradebook.received.length;
    const err = await failure(
      postScore(services, ref, lineItemUrl, score('u-p-006', '2025-03-01T11:00:00.900Z', { scoreGiven: 39 })),
    );
    expect(err).toMatchObject({ kind: 'conflict', status: 409, maybeDelivered: false });
    expect(err.reason).toContain('Refusing score with an earlier timestamp');
    expect(stack.demo.gradebook.received).toHaveLength(received);
  });

  it("a teacher is refused (400) with the platform's reason", async () => {
    const err = await failure(postScore(services, ref, lineItemUrl, score('u-coach-1', new Date().toISOString())));
    expect(err).toMatchObject({
      kind: 'refused',
      status: 400,
      reason: 'user u-coach-1 is not gradable in this course',
      maybeDelivered: false,
    });
  });

  it('500 is transient', async () => {
    stack.demo.inject('ags', { status: 500 });
    const err = await failure(postScore(services, ref, lineItemUrl, score('u-p-007', new Date().toISOString())));
    expect(err).toMatchObject({ kind: 'transient', status: 500, retryAfterMs: undefined, maybeDelivered: false });
    expect(err.reason).toBe('injected fault (500)');
  });

  it('429 is transient and carries Retry-After', async () => {
    stack.demo.inject('ags', { status: 429, retryAfterSeconds: 3 });
    const err = await failure(postScore(services, ref, lineItemUrl, score('u-p-007', new Date().toISOString())));
    expect(err).toMatchObject({ kind: 'transient', status: 429, retryAfterMs: 3000, maybeDelivered: false });
  });

  it('no answer within timeoutMs is transient and maybe delivered', async () => {
    const quick = new PlatformServices({ keys, timeoutMs: 300 });
    await quick.accessToken(ref, [AGS_SCOPE.score]); // so only the score call meets the delay
    stack.demo.inject('ags', { delayMs: 3000 });
    const started = Date.now();
    const err = await failure(postScore(quick, ref, lineItemUrl, score('u-p-008', new Date().toISOString())));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(err).toMatchObject({ kind: 'transient', status: undefined, maybeDelivered: true });
    expect(err.reason).toMatch(/no answer/);
  });

  it('never runs past the deadline, even with a longer timeoutMs', async () => {
    await services.accessToken(ref, [AGS_SCOPE.score]);
    stack.demo.inject('ags', { delayMs: 3000 });
    const started = Date.now();
    const err = await failure(
      postScore(services, ref, lineItemUrl, score('u-p-008', new Date().toISOString()), { deadline: Date.now() + 250 }),
    );
    expect(Date.now() - started).toBeLessThan(2000);
    expect(err).toMatchObject({ kind: 'transient', maybeDelivered: true });
    const late = await failure(
      postScore(services, ref, lineItemUrl, score('u-p-008', new Date().toISOString()), { deadline: Date.now() - 1 }),
    );
    expect(late).toMatchObject({ kind: 'transient', maybeDelivered: false });
  });

  it('a revoked token is replaced once and the call succeeds', async () => {
    await postScore(services, ref, lineItemUrl, score('u-p-009', '2025-03-01T12:00:00Z'));
    const tokens = stack.demo.tokenRequests;
    const received = stack.demo.gradebook.received.length;
    stack.demo.revokeAccessTokens();
    await postScore(services, ref, lineItemUrl, score('u-p-009', '2025-03-01T12:00:01Z'));
    expect(stack.demo.tokenRequests).toBe(tokens + 1);
    expect(stack.demo.gradebook.received).toHaveLength(received + 1);
    expect(stack.demo.gradebook.received[received]).toMatchObject({
      userId: 'u-p-009',
      timestamp: '2025-03-01T12:00:01Z',
    });
  });

  it('two 401s in a row are refused, after exactly one new token, and no token leaks into the error', async () => {
    const oldToken = await services.accessToken(ref, [AGS_SCOPE.score]);
    const tokens = stack.demo.tokenRequests;
    const received = stack.demo.gradebook.received.length;
    stack.demo.inject('ags', { status: 401, times: 2 });
    const err = await failure(postScore(services, ref, lineItemUrl, score('u-p-011', new Date().toISOString())));
    expect(err).toMatchObject({ kind: 'refused', status: 401, maybeDelivered: false });
    expect(err.reason).toBe('platform refused the access token: injected fault (401)');
    expect(stack.demo.tokenRequests).toBe(tokens + 1);
    expect(stack.demo.gradebook.received).toHaveLength(received);
    const newToken = await services.accessToken(ref, [AGS_SCOPE.score]);
    expect(newToken).not.toBe(oldToken);
    for (const t of [oldToken, newToken]) expect(`${err.message} ${err.reason} ${err.stack}`).not.toContain(t);
  });
});
