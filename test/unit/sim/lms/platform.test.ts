/**
 * The demo LMS over real HTTP: the platform and a fake tool (serving only its
 * JWKS) each listen on 127.0.0.1, and every JWT is really signed and verified.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import request from 'supertest';
import { SignJWT, createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify, type JWK, type KeyLike } from 'jose';
import { createDemoPlatform, parseAutoPostForm, type DemoPlatform } from '../../../../sim/lms/platform';

const CLIENT_ID = 'cermin-test-client';
const DEPLOYMENT_ID = '7';
const LTI = 'https://purl.imsglobal.org/spec/lti/claim';
const SCOPE = {
  lineItem: 'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem',
  score: 'https://purl.imsglobal.org/spec/lti-ags/scope/score',
  result: 'https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly',
  nrps: 'https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly',
};

interface ToolKey {
  kid: string;
  privateKey: KeyLike;
  jwk: JWK;
}

async function newToolKey(kid: string): Promise<ToolKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

function listen(app: express.Express): Promise<Server> {
  return new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
}

function close(s: Server): Promise<void> {
  return new Promise((resolve) => s.close(() => resolve()));
}

let toolServer: Server;
let toolBase: string;
const toolKeys: ToolKey[] = [];
let platformServer: Server;
let platform: DemoPlatform;
let launchUrl: string;

beforeAll(async () => {
  toolKeys.push(await newToolKey('tool-key-1'));
  const toolApp = express();
  toolApp.get('/lti/keys', (_req, res) => {
    res.json({ keys: toolKeys.map((k) => k.jwk) });
  });
  toolServer = await listen(toolApp);
  toolBase = `http://127.0.0.1:${(toolServer.address() as AddressInfo).port}`;
  launchUrl = `${toolBase}/lti/launch`;

  const app = express();
  platformServer = await listen(app);
  const port = (platformServer.address() as AddressInfo).port;
  platform = await createDemoPlatform({
    issuer: `http://127.0.0.1:${port}/demo`,
    clientId: CLIENT_ID,
    deploymentId: DEPLOYMENT_ID,
    tool: { loginUrl: `${toolBase}/lti/login`, launchUrl, jwksUrl: `${toolBase}/lti/keys` },
  });
  app.use('/demo', platform.router);
});

afterAll(async () => {
  platformServer.closeAllConnections();
  toolServer.closeAllConnections();
  await close(platformServer);
  await close(toolServer);
});

afterEach(() => platform.clearFaults());

const http = () => request(platformServer);
/** The platform's absolute URLs → paths for supertest. */
const path = (absolute: string): string => {
  const u = new URL(absolute);
  return u.pathname + u.search;
};
const hint = (h: { link?: string; dl?: boolean }) => Buffer.from(JSON.stringify(h)).toString('base64url');

function authParams(over: Record<string, string> = {}): Record<string, string> {
  return {
    scope: 'openid',
    response_type: 'id_token',
    response_mode: 'form_post',
    prompt: 'none',
    client_id: CLIENT_ID,
    redirect_uri: launchUrl,
    login_hint: 'u-p-001',
    state: 'state-123',
    nonce: 'nonce-abc',
    lti_message_hint: hint({ link: '11' }),
    ...over,
  };
}

async function clientAssertion(
  o: { jti?: string; key?: ToolKey; kid?: string; clientId?: string; aud?: string } = {},
): Promise<string> {
  const key = o.key ?? toolKeys[0];
  const clientId = o.clientId ?? CLIENT_ID;
  return new SignJWT({})
    .setProtectedHeader({ alg: 'RS256', kid: o.kid ?? key.kid })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(o.aud ?? platform.tokenUrl)
    .setIssuedAt()
    .setExpirationTime('5m')
    .setJti(o.jti ?? randomUUID())
    .sign(key.privateKey);
}

async function tokenRequest(assertion: string, scope: string) {
  return http().post(path(platform.tokenUrl)).type('form').send({
    grant_type: 'client_credentials',
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: assertion,
    scope,
  });
}

async function accessToken(scopes: string[]): Promise<string> {
  const r = await tokenRequest(await clientAssertion(), scopes.join(' '));
  expect(r.status).toBe(200);
  return r.body.access_token as string;
}

describe('launch and OIDC authorization', () => {
  it('course page lists the activities and the launch page auto-posts a Moodle-like login', async () => {
    const course = await http().get('/demo/');
    expect(course.status).toBe(200);
    expect(course.text).toContain('Latsar CPNS Angkatan I');
    expect(course.text).toContain('Refleksi nilai BerAKHLAK');
    expect(course.text).toContain('Jurnal habituasi');
    expect(course.text).toContain('Pilih konten (Deep Linking)');

    const launch = await http().get('/demo/launch?user=u-coach-1&link=12');
    expect(launch.status).toBe(200);
    expect(launch.text).toContain('<iframe class="tool" name="tool"');
    const form = parseAutoPostForm(launch.text);
    expect(form.action).toBe(`${toolBase}/lti/login`);
    expect(form.method).toBe('post');
    expect(form.fields).toMatchObject({
      iss: platform.issuer,
      login_hint: 'u-coach-1',
      target_link_uri: launchUrl,
      client_id: CLIENT_ID,
      lti_deployment_id: DEPLOYMENT_ID,
    });
    expect(JSON.parse(Buffer.from(form.fields.lti_message_hint, 'base64url').toString())).toEqual({ link: '12' });

    expect((await http().get('/demo/launch?user=nobody&link=11')).status).toBe(404);
    expect((await http().get('/demo/launch?user=u-p-001&link=999')).status).toBe(404);
  });

  it('refuses a redirect_uri that is not exactly the launch URL', async () => {
    const r = await http()
      .get('/demo/auth')
      .query(authParams({ redirect_uri: `${launchUrl}/` }));
    expect(r.status).toBe(400);
    expect(r.text).toContain('invalid_request');
    expect(r.text).toContain('redirect_uri');
    expect(r.text).not.toContain('id_token');
  });

  it('refuses an unknown user, a missing nonce and a bad scope', async () => {
    const unknown = await http()
      .get('/demo/auth')
      .query(authParams({ login_hint: 'u-p-999' }));
    expect(unknown.status).toBe(400);
    expect(unknown.text).toContain('login_required');
    const { nonce: _n, ...noNonce } = authParams();
    expect((await http().get('/demo/auth').query(noNonce)).status).toBe(400);
    const scope = await http()
      .get('/demo/auth')
      .query(authParams({ scope: 'profile' }));
    expect(scope.status).toBe(400);
    expect(scope.text).toContain('invalid_scope');
  });

  it('answers a good login (form POST) with an id_token that verifies against /jwks', async () => {
    const r = await http().post('/demo/auth').type('form').send(authParams());
    expect(r.status).toBe(200);
    const form = parseAutoPostForm(r.text);
    expect(form.action).toBe(launchUrl);
    expect(form.method).toBe('post');
    expect(form.fields.state).toBe('state-123');

    const { payload, protectedHeader } = await jwtVerify(
      form.fields.id_token,
      createRemoteJWKSet(new URL(platform.jwksUrl)),
      {
        issuer: platform.issuer,
        audience: CLIENT_ID,
      },
    );
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload.nonce).toBe('nonce-abc');
    expect(payload.sub).toBe('u-p-001');
    expect(payload.aud).toBe(CLIENT_ID);
    expect(payload.name).toBe(platform.users.find((u) => u.id === 'u-p-001')?.name);
    expect(payload[`${LTI}/message_type`]).toBe('LtiResourceLinkRequest');
    expect(payload[`${LTI}/version`]).toBe('1.3.0');
    expect(payload[`${LTI}/deployment_id`]).toBe(DEPLOYMENT_ID);
    expect(payload[`${LTI}/target_link_uri`]).toBe(launchUrl);
    expect(payload[`${LTI}/roles`]).toEqual(['http://purl.imsglobal.org/vocab/lis/v2/membership#Learner']);
    expect(payload[`${LTI}/resource_link`]).toMatchObject({ id: '11', title: 'Refleksi nilai BerAKHLAK' });
    expect(payload[`${LTI}/custom`]).toEqual({});
    expect(payload[`${LTI}/context`]).toMatchObject({ id: platform.course.id, title: 'Latsar CPNS Angkatan I' });
    expect(payload['https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice']).toMatchObject({
      context_memberships_url: platform.membershipsUrl,
    });
    expect((payload.exp as number) - (payload.iat as number)).toBe(60);
  });

  it('signs a deep-linking request for the coach, and keeps old keys in the JWKS after rotation', async () => {
    const r = await http()
      .get('/demo/auth')
      .query(authParams({ login_hint: 'u-coach-1', lti_message_hint: hint({ dl: true }) }));
    expect(r.status).toBe(200);
    const { payload } = await jwtVerify(
      parseAutoPostForm(r.text).fields.id_token,
      createRemoteJWKSet(new URL(platform.jwksUrl)),
    );
    expect(payload[`${LTI}/message_type`]).toBe('LtiDeepLinkingRequest');
    expect(payload[`${LTI}/resource_link`]).toBeUndefined();
    expect(payload['https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings']).toMatchObject({
      deep_link_return_url: platform.deepLinkReturnUrl,
      accept_types: ['ltiResourceLink'],
    });

    const before = (await http().get('/demo/jwks')).body.keys as JWK[];
    await platform.rotateKey();
    const after = (await http().get('/demo/jwks')).body.keys as JWK[];
    expect(after).toHaveLength(before.length + 1);
    expect(after.map((k) => k.kid)).toEqual(expect.arrayContaining(before.map((k) => k.kid)));
    const token = await platform.signIdToken(platform.launchClaims(platform.userByKind('admin'), { nonce: 'n2' }));
    const { payload: p2, protectedHeader } = await jwtVerify(token, createRemoteJWKSet(new URL(platform.jwksUrl)));
    expect(protectedHeader.kid).toBe(after[after.length - 1].kid);
    expect(p2[`${LTI}/roles`]).toContain('http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator');
  });
});

describe('token endpoint', () => {
  it('grants the supported scopes for a correctly signed client assertion', async () => {
    const r = await tokenRequest(
      await clientAssertion(),
      `${SCOPE.score} ${SCOPE.nrps} https://example.org/not-a-scope`,
    );
    expect(r.status).toBe(200);
    expect(r.body.token_type).toBe('Bearer');
    expect(r.body.expires_in).toBe(3600);
    expect(r.body.scope.split(' ').sort()).toEqual([SCOPE.nrps, SCOPE.score].sort());
    expect(typeof r.body.access_token).toBe('string');
  });

  it('accepts the issuer as audience too', async () => {
    expect((await tokenRequest(await clientAssertion({ aud: platform.issuer }), SCOPE.score)).status).toBe(200);
    const wrongAud = await tokenRequest(await clientAssertion({ aud: 'https://elsewhere.example' }), SCOPE.score);
    expect(wrongAud.status).toBe(401);
  });

  it('refuses a bad signature', async () => {
    const impostor = await newToolKey('tool-key-1'); // same kid, different key
    const r = await tokenRequest(await clientAssertion({ key: impostor }), SCOPE.score);
    expect(r.status).toBe(401);
    expect(r.body.error).toBe('invalid_client');
  });

  it('refuses a reused jti', async () => {
    const jti = randomUUID();
    expect((await tokenRequest(await clientAssertion({ jti }), SCOPE.score)).status).toBe(200);
    const again = await tokenRequest(await clientAssertion({ jti }), SCOPE.score);
    expect(again.status).toBe(401);
    expect(again.body.error_description).toMatch(/jti/);
  });

  it('refetches the tool JWKS for an unknown kid (tool key rotation)', async () => {
    const rotated = await newToolKey('tool-key-2');
    toolKeys.push(rotated);
    const r = await tokenRequest(await clientAssertion({ key: rotated }), SCOPE.score);
    expect(r.status).toBe(200);
  });

  it('answers OAuth errors for a wrong grant type and ungrantable scopes', async () => {
    const grant = await http().post('/demo/token').type('form').send({ grant_type: 'password' });
    expect(grant.status).toBe(400);
    expect(grant.body.error).toBe('unsupported_grant_type');
    const scope = await tokenRequest(await clientAssertion(), 'openid');
    expect(scope.status).toBe(400);
    expect(scope.body.error).toBe('invalid_scope');
  });
});

describe('NRPS', () => {
  it('without limit returns the whole course (as Moodle); the unenrolled admin is not a member', async () => {
    const token = await accessToken([SCOPE.nrps]);
    const r = await http().get(path(platform.membershipsUrl)).set('Authorization', `Bearer ${token}`);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toContain('application/vnd.ims.lti-nrps.v2.membershipcontainer+json');
    expect(r.headers.link).toBeUndefined();
    expect(r.body.context).toEqual({
      id: platform.course.id,
      label: platform.course.label,
      title: platform.course.title,
    });
    expect(r.body.members).toHaveLength(35); // 32 participants + coach + assistant + mentor
    expect(r.body.members.every((m: { status: string }) => m.status === 'Active')).toBe(true);
    expect(r.body.members.some((m: { user_id: string }) => m.user_id === 'u-admin-1')).toBe(false);
  });

  it('pages with limit and follows rel="next" to the end, every member exactly once', async () => {
    const token = await accessToken([SCOPE.nrps]);
    const seen: string[] = [];
    let next: string | undefined = `${platform.membershipsUrl}?limit=4`;
    let pages = 0;
    while (next) {
      const r = await http().get(path(next)).set('Authorization', `Bearer ${token}`);
      expect(r.status).toBe(200);
      pages++;
      seen.push(...r.body.members.map((m: { user_id: string }) => m.user_id));
      const m = /<([^>]+)>;\s*rel="next"/.exec(r.headers.link ?? '');
      next = m?.[1];
    }
    expect(pages).toBe(9); // ceil(35 / 4)
    expect(seen).toHaveLength(35);
    expect(new Set(seen).size).toBe(35);
  });

  it('filters by role but drops the filter from the next link (Moodle quirk)', async () => {
    const token = await accessToken([SCOPE.nrps]);
    const r = await http()
      .get(
        path(
          `${platform.membershipsUrl}?role=${encodeURIComponent('http://purl.imsglobal.org/vocab/lis/v2/membership#Learner')}&limit=10`,
        ),
      )
      .set('Authorization', `Bearer ${token}`);
    expect(r.status).toBe(200);
    expect(r.body.members).toHaveLength(10);
    expect(
      r.body.members.every((m: { roles: string[] }) =>
        m.roles.includes('http://purl.imsglobal.org/vocab/lis/v2/membership#Learner'),
      ),
    ).toBe(true);
    expect(r.headers.link).toBe(`<${platform.membershipsUrl}?limit=10&from=10>; rel="next"`);
  });

  it('needs a bearer token with the membership scope', async () => {
    expect((await http().get(path(platform.membershipsUrl))).status).toBe(401);
    const token = await accessToken([SCOPE.score]);
    expect((await http().get(path(platform.membershipsUrl)).set('Authorization', `Bearer ${token}`)).status).toBe(403);
  });
});

describe('AGS', () => {
  let token: string;
  let lineItemId: string;
  beforeAll(async () => {
    token = await accessToken([SCOPE.lineItem, SCOPE.score, SCOPE.result]);
  });

  const score = (body: Record<string, unknown>) =>
    http()
      .post(path(`${lineItemId}/scores`))
      .set('Authorization', `Bearer ${token}`)
      .set('Content-Type', 'application/vnd.ims.lis.v1.score+json')
      .send(JSON.stringify(body));

  it('creates a line item, refusing one without label', async () => {
    const bad = await http()
      .post(path(platform.lineItemsUrl))
      .set('Authorization', `Bearer ${token}`)
      .set('Content-Type', 'application/vnd.ims.lis.v2.lineitem+json')
      .send(JSON.stringify({ scoreMaximum: 10 }));
    expect(bad.status).toBe(400);
    const r = await http()
      .post(path(platform.lineItemsUrl))
      .set('Authorization', `Bearer ${token}`)
      .set('Content-Type', 'application/vnd.ims.lis.v2.lineitem+json')
      .send(JSON.stringify({ label: 'Refleksi', scoreMaximum: 100, resourceLinkId: '11', tag: 'refleksi' }));
    expect(r.status).toBe(201);
    lineItemId = r.body.id;
    expect(lineItemId.startsWith(`${platform.lineItemsUrl}/`)).toBe(true);
    const list = await http()
      .get(path(`${platform.lineItemsUrl}?resource_link_id=11`))
      .set('Authorization', `Bearer ${token}`);
    expect(list.headers['content-type']).toContain('application/vnd.ims.lis.v2.lineitemcontainer+json');
    expect(list.body.map((li: { id: string }) => li.id)).toEqual([lineItemId]);
  });

  it('stores a score and refuses a non-increasing timestamp with 409', async () => {
    const base = {
      userId: 'u-p-002',
      scoreGiven: 80,
      scoreMaximum: 100,
      activityProgress: 'Completed',
      gradingProgress: 'FullyGraded',
    };
    expect((await score({ ...base, timestamp: '2025-03-01T10:00:00.100Z', comment: 'Bagus' })).status).toBe(200);
    const sameSecond = await score({ ...base, scoreGiven: 90, timestamp: '2025-03-01T10:00:00.900Z' });
    expect(sameSecond.status).toBe(409);
    expect((await score({ ...base, scoreGiven: 70, timestamp: '2025-03-01T09:00:00Z' })).status).toBe(409);
    const stored = platform.gradebook.scores.find((s) => s.lineItemId === lineItemId && s.userId === 'u-p-002');
    expect(stored).toMatchObject({ scoreGiven: 80, comment: 'Bagus' });

    expect((await score({ ...base, scoreGiven: 95, timestamp: '2025-03-01T10:00:01Z' })).status).toBe(200);
    const results = await http()
      .get(path(`${lineItemId}/results?user_id=u-p-002`))
      .set('Authorization', `Bearer ${token}`);
    expect(results.headers['content-type']).toContain('application/vnd.ims.lis.v2.resultcontainer+json');
    expect(results.body).toEqual([
      expect.objectContaining({ userId: 'u-p-002', resultScore: 95, resultMaximum: 100, comment: 'Bagus' }),
    ]);

    const gradebook = await http().get('/demo/gradebook');
    expect(gradebook.text).toContain('95 / 100');
  });

  it('refuses to score the coach (not gradable) and scoreGiven without scoreMaximum', async () => {
    const coach = await score({
      userId: 'u-coach-1',
      scoreGiven: 5,
      scoreMaximum: 10,
      activityProgress: 'Completed',
      gradingProgress: 'FullyGraded',
      timestamp: new Date().toISOString(),
    });
    expect(coach.status).toBe(400);
    const noMax = await score({
      userId: 'u-p-003',
      scoreGiven: 5,
      activityProgress: 'Completed',
      gradingProgress: 'FullyGraded',
      timestamp: new Date().toISOString(),
    });
    expect(noMax.status).toBe(400);
  });

  it('keeps the progress but clears the value when not FullyGraded', async () => {
    const r = await score({
      userId: 'u-p-004',
      scoreGiven: 5,
      scoreMaximum: 10,
      activityProgress: 'Submitted',
      gradingProgress: 'Pending',
      timestamp: new Date().toISOString(),
    });
    expect(r.status).toBe(200);
    const s = platform.gradebook.scores.find((x) => x.lineItemId === lineItemId && x.userId === 'u-p-004');
    expect(s?.gradingProgress).toBe('Pending');
    expect(s?.scoreGiven).toBeUndefined();
  });
});

describe('fault injection', () => {
  it('answers one 500, then works again', async () => {
    platform.inject('token', { status: 500 });
    const assertion = await clientAssertion();
    expect((await tokenRequest(assertion, SCOPE.score)).status).toBe(500);
    expect((await tokenRequest(await clientAssertion(), SCOPE.score)).status).toBe(200);
  });

  it('answers 429 with Retry-After, `times` times', async () => {
    const token = await accessToken([SCOPE.nrps]);
    platform.inject('nrps', { status: 429, retryAfterSeconds: 7, times: 2 });
    for (let i = 0; i < 2; i++) {
      const r = await http().get(path(platform.membershipsUrl)).set('Authorization', `Bearer ${token}`);
      expect(r.status).toBe(429);
      expect(r.headers['retry-after']).toBe('7');
    }
    expect((await http().get(path(platform.membershipsUrl)).set('Authorization', `Bearer ${token}`)).status).toBe(200);
  });

  it('delays a request, then serves it normally', async () => {
    platform.inject('jwks', { delayMs: 300 });
    const start = Date.now();
    const r = await http().get('/demo/jwks');
    expect(r.status).toBe(200);
    expect(Date.now() - start).toBeGreaterThanOrEqual(280);
  });
});

describe('failure rate and late answers', () => {
  let token: string;
  let lineItemId: string;
  beforeAll(async () => {
    token = await accessToken([SCOPE.lineItem, SCOPE.score]);
    const r = await http()
      .post(path(platform.lineItemsUrl))
      .set('Authorization', `Bearer ${token}`)
      .set('Content-Type', 'application/vnd.ims.lis.v2.lineitem+json')
      .send(JSON.stringify({ label: 'Gangguan', scoreMaximum: 10, resourceLinkId: '12', tag: 'faults' }));
    expect(r.status).toBe(201);
    lineItemId = r.body.id;
  });

  const listItems = () => http().get(path(platform.lineItemsUrl)).set('Authorization', `Bearer ${token}`);
  const score = (userId: string, timestamp: string) =>
    http()
      .post(path(`${lineItemId}/scores`))
      .set('Authorization', `Bearer ${token}`)
      .set('Content-Type', 'application/vnd.ims.lis.v1.score+json')
      .send(
        JSON.stringify({
          userId,
          scoreGiven: 7,
          scoreMaximum: 10,
          activityProgress: 'Completed',
          gradingProgress: 'FullyGraded',
          timestamp,
        }),
      );
  const receivedFor = (userId: string) =>
    platform.gradebook.received.filter((s) => s.lineItemId === lineItemId && s.userId === userId);
  /** A deterministic random: these values in order, and a test failure if asked for more. */
  const sequence = (values: number[]) => {
    let i = 0;
    const next = () => {
      if (i >= values.length) throw new Error('random() asked for more values than expected');
      return values[i++];
    };
    return Object.assign(next, { used: () => i });
  };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  /** The error of a request that must not get an answer. */
  const noAnswer = async (req: PromiseLike<unknown>): Promise<Error & { code?: string; timeout?: number }> => {
    try {
      await req;
    } catch (err) {
      return err as Error;
    }
    throw new Error('the request got an answer');
  };

  it('fails requests at the given rate, with a status picked from the list, deterministically', async () => {
    // Per request: fails? (< rate); for a failing one: timeout? (< timeoutShare), then which status.
    const random = sequence([0.5, 0.1, 0.0, 0.6, 0.29, 0.9, 0.2, 0.3]);
    const before = platform.faultStats('ags');
    platform.setFailureRate('ags', { rate: 0.3, statuses: [500, 503], random });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await listItems()).status);
    expect(statuses).toEqual([200, 503, 500, 200]);
    expect(random.used()).toBe(8);
    const after = platform.faultStats('ags');
    expect(after.statuses[503]).toBe((before.statuses[503] ?? 0) + 1);
    expect(after.statuses[500]).toBe((before.statuses[500] ?? 0) + 1);

    // The default statuses are 500, 502 and 503; an injected answer is JSON like the queued faults'.
    platform.setFailureRate('ags', { rate: 1, random: sequence([0, 0.5, 0.5]) });
    const r = await listItems();
    expect(r.status).toBe(502);
    expect(r.body).toEqual({ error: 'temporarily_unavailable', error_description: 'injected fault (502)' });

    platform.setFailureRate('ags', null);
    expect((await listItems()).status).toBe(200);
    expect(() => platform.setFailureRate('ags', { rate: 1.5 })).toThrow(/rate/);
  });

  it('serves the queued faults first, then the failure rate; clearFaults ends both', async () => {
    const random = sequence([0, 0.9, 0]);
    platform.setFailureRate('token', { rate: 1, statuses: [503], random });
    platform.inject('token', { status: 429, retryAfterSeconds: 4 });
    const first = await tokenRequest(await clientAssertion(), SCOPE.score);
    expect(first.status).toBe(429);
    expect(first.headers['retry-after']).toBe('4');
    expect(random.used()).toBe(0);
    expect((await tokenRequest(await clientAssertion(), SCOPE.score)).status).toBe(503);
    expect(random.used()).toBe(3);
    platform.clearFaults();
    expect((await tokenRequest(await clientAssertion(), SCOPE.score)).status).toBe(200);
  });

  it('a timeout holds the request, then drops the connection without processing it', async () => {
    const timeouts = platform.faultStats('ags').timeouts;
    platform.setFailureRate('ags', {
      rate: 0.5,
      timeoutShare: 0.5,
      statuses: [500],
      delayMs: 200,
      random: sequence([0.1, 0.2, 0.7]),
    });
    const started = Date.now();
    const err = await noAnswer(score('u-p-020', '2025-04-01T08:00:00Z'));
    expect(Date.now() - started).toBeGreaterThanOrEqual(180);
    expect(err.message).toMatch(/socket hang up|ECONNRESET/);
    expect(platform.faultStats('ags').timeouts).toBe(timeouts + 1);
    platform.setFailureRate('ags', null);
    await sleep(50);
    expect(receivedFor('u-p-020')).toHaveLength(0);
    // Never stored: the same timestamp is accepted now (a stored one would be a 409).
    expect((await score('u-p-020', '2025-04-01T08:00:00Z')).status).toBe(200);
    expect(receivedFor('u-p-020')).toHaveLength(1);
  });

  it('a timed-out request whose client has gone is never processed either', async () => {
    platform.setFailureRate('ags', { rate: 1, timeoutShare: 1, delayMs: 400, random: () => 0 });
    const err = await noAnswer(score('u-p-021', '2025-04-01T08:00:00Z').timeout(100));
    expect(err.timeout).toBe(100);
    await sleep(500);
    platform.setFailureRate('ags', null);
    expect(receivedFor('u-p-021')).toHaveLength(0);
    expect((await score('u-p-021', '2025-04-01T08:00:00Z')).status).toBe(200);
  });

  it('respondLateMs: the score is stored at once, its answer comes late', async () => {
    const late = platform.faultStats('ags').late;
    platform.inject('ags', { respondLateMs: 300 });
    const started = Date.now();
    const r = await score('u-p-022', '2025-04-01T09:00:00Z');
    expect(r.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    expect(receivedFor('u-p-022')).toHaveLength(1);
    expect(platform.faultStats('ags').late).toBe(late + 1);
    // The next request is not held.
    const quick = Date.now();
    expect((await listItems()).status).toBe(200);
    expect(Date.now() - quick).toBeLessThan(250);
  });

  it('respondLateMs: a client that gives up never learns the platform has the score', async () => {
    platform.inject('ags', { respondLateMs: 500 });
    const err = await noAnswer(score('u-p-023', '2025-04-01T09:00:00Z').timeout(100));
    expect(err.timeout).toBe(100);
    expect(receivedFor('u-p-023')).toHaveLength(1);
    expect(platform.gradebook.scores.find((s) => s.lineItemId === lineItemId && s.userId === 'u-p-023')).toMatchObject({
      scoreGiven: 7,
    });
    await sleep(600); // the held answer finds the client gone and is dropped
    // Sent again with the same timestamp, it is a conflict: the platform already has it.
    expect((await score('u-p-023', '2025-04-01T09:00:00Z')).status).toBe(409);
    expect(receivedFor('u-p-023')).toHaveLength(1);
  });
});

describe('deep linking return', () => {
  async function deepLinkingData(): Promise<string> {
    const r = await http()
      .get('/demo/auth')
      .query(authParams({ login_hint: 'u-coach-1', lti_message_hint: hint({ dl: true }) }));
    const { payload } = await jwtVerify(
      parseAutoPostForm(r.text).fields.id_token,
      createRemoteJWKSet(new URL(platform.jwksUrl)),
    );
    return (payload['https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings'] as { data: string }).data;
  }

  function response(data: string, contentItems: unknown[], over: Record<string, unknown> = {}): Promise<string> {
    return new SignJWT({
      nonce: randomUUID(),
      [`${LTI}/message_type`]: 'LtiDeepLinkingResponse',
      [`${LTI}/version`]: '1.3.0',
      [`${LTI}/deployment_id`]: DEPLOYMENT_ID,
      'https://purl.imsglobal.org/spec/lti-dl/claim/data': data,
      'https://purl.imsglobal.org/spec/lti-dl/claim/content_items': contentItems,
      ...over,
    })
      .setProtectedHeader({ alg: 'RS256', kid: toolKeys[0].kid })
      .setIssuer(CLIENT_ID)
      .setAudience(platform.issuer)
      .setIssuedAt()
      .setExpirationTime('1m')
      .sign(toolKeys[0].privateKey);
  }

  it('creates a resource link and its line item', async () => {
    const data = await deepLinkingData();
    const linksBefore = platform.course.links.length;
    const jwt = await response(data, [
      {
        type: 'ltiResourceLink',
        title: 'Coaching: Akuntabilitas',
        custom: { activity_id: 'act-42' },
        lineItem: { scoreMaximum: 50, label: 'Coaching Akuntabilitas', resourceId: 'act-42', tag: 'cermin' },
      },
    ]);
    const r = await http().post(path(platform.deepLinkReturnUrl)).type('form').send({ JWT: jwt });
    expect(r.status).toBe(200);
    expect(r.text).toContain('Coaching: Akuntabilitas');
    expect(platform.course.links).toHaveLength(linksBefore + 1);
    const link = platform.course.links[platform.course.links.length - 1];
    expect(link).toMatchObject({ title: 'Coaching: Akuntabilitas', custom: { activity_id: 'act-42' } });
    const li = platform.gradebook.lineItems.find((x) => x.resourceLinkId === link.id);
    expect(li).toMatchObject({
      scoreMaximum: 50,
      label: 'Coaching Akuntabilitas',
      resourceId: 'act-42',
      tag: 'cermin',
    });
    expect(link.lineItemId).toBe(li?.id);

    // A launch of the new link now carries its custom parameters and line item.
    const claims = platform.launchClaims(platform.users[10], { nonce: 'x', linkId: link.id });
    expect(claims[`${LTI}/custom`]).toEqual({ activity_id: 'act-42' });
    expect(claims['https://purl.imsglobal.org/spec/lti-ags/claim/endpoint']).toMatchObject({ lineitem: li?.id });

    // The data is one-time.
    const replay = await http().post(path(platform.deepLinkReturnUrl)).type('form').send({ JWT: jwt });
    expect(replay.status).toBe(400);
  });

  it('refuses a response whose data does not echo the request, or with a wrong deployment', async () => {
    const data = await deepLinkingData();
    const wrongData = await http()
      .post(path(platform.deepLinkReturnUrl))
      .type('form')
      .send({ JWT: await response('not-the-data', []) });
    expect(wrongData.status).toBe(400);
    const wrongDeployment = await http()
      .post(path(platform.deepLinkReturnUrl))
      .type('form')
      .send({ JWT: await response(data, [], { [`${LTI}/deployment_id`]: '999' }) });
    expect(wrongDeployment.status).toBe(400);
    expect(wrongDeployment.text).toContain('deployment_id');
  });
});

describe('dynamic registration', () => {
  function registration(over: { redirect?: string; domain?: string; scope?: string } = {}) {
    const host = new URL(toolBase).host;
    return {
      application_type: 'web',
      response_types: ['id_token'],
      grant_types: ['implicit', 'client_credentials'],
      initiate_login_uri: `${toolBase}/lti/login`,
      redirect_uris: [over.redirect ?? launchUrl],
      client_name: 'Cermin',
      jwks_uri: `${toolBase}/lti/keys`,
      token_endpoint_auth_method: 'private_key_jwt',
      scope: over.scope ?? `${SCOPE.score} ${SCOPE.nrps}`,
      'https://purl.imsglobal.org/spec/lti-tool-configuration': {
        domain: over.domain ?? host,
        target_link_uri: launchUrl,
        claims: ['iss', 'sub', 'name'],
        messages: [{ type: 'LtiDeepLinkingRequest' }],
      },
    };
  }

  it('rejects a redirect URI on another host, accepts a good registration once, and then serves the new client', async () => {
    const regUrl = new URL(platform.dynamicRegistrationUrl(`${toolBase}/lti/register`));
    expect(regUrl.searchParams.get('openid_configuration')).toBe(platform.openidConfigurationUrl);
    const regToken = regUrl.searchParams.get('registration_token') ?? '';
    expect(regToken).not.toBe('');

    const config = await http().get(path(regUrl.searchParams.get('openid_configuration') ?? ''));
    expect(config.body.registration_endpoint).toBe(platform.registrationUrl);
    expect(config.body['https://purl.imsglobal.org/spec/lti-platform-configuration'].product_family_code).toBe(
      'moodle',
    );

    const post = (body: unknown, t = regToken) =>
      http()
        .post(path(platform.registrationUrl))
        .set('Authorization', `Bearer ${t}`)
        .send(body as object);

    expect((await post(registration(), 'not-a-token')).status).toBe(401);
    const bad = await post(registration({ redirect: 'https://evil.example/lti/launch' }));
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('invalid_client_metadata');
    expect(bad.body.error_description).toMatch(/redirect_uri/);

    const good = await post(registration());
    expect(good.status).toBe(200);
    const clientId = good.body.client_id as string;
    const deploymentId = good.body['https://purl.imsglobal.org/spec/lti-tool-configuration'].deployment_id as string;
    expect(clientId).not.toBe(CLIENT_ID);
    expect(deploymentId).not.toBe(DEPLOYMENT_ID);
    expect(platform.registrations).toEqual([expect.objectContaining({ clientId, deploymentId })]);
    expect((await post(registration())).status).toBe(401); // one-time token

    // The new client can log in and get tokens, limited to the scopes it registered.
    const login = await http()
      .get('/demo/auth')
      .query(authParams({ client_id: clientId }));
    expect(login.status).toBe(200);
    const { payload } = await jwtVerify(
      parseAutoPostForm(login.text).fields.id_token,
      createRemoteJWKSet(new URL(platform.jwksUrl)),
      {
        audience: clientId,
      },
    );
    expect(payload[`${LTI}/deployment_id`]).toBe(deploymentId);
    const tok = await tokenRequest(await clientAssertion({ clientId }), `${SCOPE.score} ${SCOPE.lineItem}`);
    expect(tok.status).toBe(200);
    expect(tok.body.scope).toBe(SCOPE.score);
  });
});

describe('parseAutoPostForm', () => {
  it('reads forms in other styles (ltijs deep-linking response)', () => {
    const html = `<form id="ltijs_submit" style="display: none;" action='https://lms.example/dl?x=1&amp;y=2' method="POST">
      <input type="hidden" name="JWT" value="a.b.c" /><input type="text" name="ignored" value="v"></form>`;
    expect(parseAutoPostForm(html)).toEqual({
      action: 'https://lms.example/dl?x=1&y=2',
      method: 'post',
      fields: { JWT: 'a.b.c' },
    });
    expect(() => parseAutoPostForm('<p>no form</p>')).toThrow();
  });
});
