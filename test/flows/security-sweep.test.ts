/**
 * Security sweep over real HTTP: the whole of Cermin (startStack) with the demo LMS and an
 * OpenAI-compatible provider whose key the test knows.
 *   1. Secrets never in logs: every log line of a full journey (placing, writing, consent, AI
 *      lenses, a coach's AI draft, review, grade delivery, admin pages, a replayed launch) is
 *      scanned for the LTI key, the AI key, every ltik, id_token, access token and client
 *      assertion seen on the wire, the tool's private key, the setup token, the reflection,
 *      the AI's answer, the coach's comment and the participant's name, e-mail and NIP.
 *   2. Mongo operator injection: operator objects in form fields, JSON bodies and query strings
 *      on every participant and coach form: refused (400) or taken as a plain string; nothing
 *      changes; nobody else's data comes back.
 *   3. Every coach, admin and mentor route (found by reading the sources for requireAudience)
 *      refuses every other audience with 403, and no course opens another course's pages.
 *   4. CSRF: without the ltik (or with a forged one) no form under /lti/app changes anything;
 *      the setup forms need their csrf token and the session cookie; the ltik never leaves in a
 *      Referer.
 *   5. Output escaping: script and attribute-breaking payloads in a reflection, an AI answer, an
 *      activity title, the coach's comment, a catalog item title and reflected query strings.
 *   6. Sessions and operations endpoints: an old ltik is refused; /metrics names no one.
 *   7. Rate limits: the AI turns per minute per person, and LTI logins per window.
 * The logs are captured by handing createLogger's pino a destination in memory (createLogger
 * itself cannot take a stream; its options, redaction included, are kept as they are).
 */
import { getProvider } from '../../src/lti/ltijs';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import mongoose from 'mongoose';
import type { DemoUser } from '../../sim/lms/roster';
import { createLogger } from '../../src/core/log';
import { issueSetupToken } from '../../src/admin/setup';
import { Browser, launchThroughDemo, ltikOf, type Page } from '../../sim/browser';
import { courseBaseOf, finalizeReview, placeActivities, type PlacedActivity } from '../support/coaching';
import { startFakeOpenAI, type FakeOpenAI } from '../../sim/fake-openai';
import { startSecondPlatform, startStack, startUnregisteredPlatform, type Stack } from '../support/stack';
import { projectRoot } from '../../src/core/paths';

const mockLogLines: string[] = [];
jest.mock('pino', () => {
  const real = jest.requireActual('pino');
  // createLogger's own options (level, base, redact), only the destination is ours.
  const wrapped = (opts?: unknown, dest?: unknown) =>
    real(
      opts,
      dest ?? {
        write: (line: string) => {
          mockLogLines.push(line);
        },
      },
    );
  return Object.assign(wrapped, real, { default: wrapped, pino: wrapped });
});

const ROOT = projectRoot;
const XSS_SCRIPT = '<script>alert(1)</script>';
const XSS_ATTR = '"><img src=x onerror=alert(1)>';
const PAYLOAD = `Awal ${XSS_SCRIPT} tengah ${XSS_ATTR} akhir`;
const ESCAPED_SCRIPT = '&lt;script&gt;alert(1)&lt;/script&gt;';
const ESCAPED_ATTR = '&#34;&gt;&lt;img src=x onerror=alert(1)&gt;';

const DISTINCT = 'Kemarin saya menolak amplop dari pemohon izin dan melaporkannya kepada atasan di loket tujuh.';
const REFLECTION = `${DISTINCT} Saya melayani warga dengan ramah dan menjelaskan persyaratan satu per satu.`;
const AI_SENTENCE = 'Anda menuliskan keberanian menolak pemberian yang tidak semestinya di loket tujuh.';
const COACH_COMMENT = 'Keputusan menolak amplop itu patut dicatat sebagai teladan akuntabilitas di unit Anda.';

let fake: FakeOpenAI;
let stack: Stack;
let placed: PlacedActivity;
let xssLinkId: string;
let xssActivityId: string;
let course: string; // /lti/app/courses/<key>
let setupToken: string;
let registrationToken: string;
const wire = {
  ltiks: new Set<string>(),
  idTokens: new Set<string>(),
  accessTokens: new Set<string>(),
  assertions: new Set<string>(),
  jwts: new Set<string>(),
};
const realFetch = globalThis.fetch;

function harvest(text: string | null | undefined): void {
  if (!text) return;
  for (const m of text.matchAll(/[?&](?:amp;)?ltik=([^&"'#\s<>]+)/g)) wire.ltiks.add(decodeURIComponent(m[1]));
  for (const m of text.matchAll(/name="ltik" value="([^"]+)"/g)) wire.ltiks.add(m[1]);
  for (const m of text.matchAll(/name="id_token" value="([^"]+)"/g)) wire.idTokens.add(m[1]);
  for (const m of text.matchAll(/name="JWT" value="([^"]+)"/g)) wire.jwts.add(m[1]);
  for (const m of text.matchAll(/"access_token"\s*:\s*"([^"]+)"/g)) wire.accessTokens.add(m[1]);
}

/** Every request and response of the test's own goes past this (Cermin's calls to the platform: the platform's record, at the end). */
function watchTheWire(): void {
  globalThis.fetch = async (input: string | URL | Request, init?: RequestInit) => {
    const body = init?.body;
    const sent = typeof body === 'string' ? body : body instanceof URLSearchParams ? body.toString() : '';
    for (const m of sent.matchAll(/client_assertion=([^&]+)/g)) wire.assertions.add(decodeURIComponent(m[1]));
    const res = await realFetch(input, init);
    harvest(res.headers.get('location'));
    const type = res.headers.get('content-type') ?? '';
    if (/html|json/.test(type) && !/event-stream/.test(type)) harvest(await res.clone().text());
    return res;
  };
}

const lensAnswer =
  (observation: string, question = 'Apa yang membuat Anda yakin untuk melaporkannya?') =>
  () =>
    JSON.stringify({ observations: [observation], questions: [question], values: [] });

const draftAnswer = () =>
  JSON.stringify({
    feedback:
      'Anda menceritakan dengan jujur keputusan menolak pemberian. Perdalam apa yang Anda rasakan, lalu tuliskan langkah berikutnya di unit Anda.',
    criteria: [
      {
        criterion: 'kedalaman',
        level: 1,
        evidence: 'melayani warga dengan ramah',
        reason: 'Kejadian diceritakan, sebab dan akibatnya belum ditimbang.',
      },
      {
        criterion: 'bukti-peran',
        level: 2,
        evidence: 'menjelaskan persyaratan satu per satu',
        reason: 'Peran sendiri tampak jelas dalam tindakan.',
      },
      {
        criterion: 'rencana',
        level: 1,
        evidence: 'melaporkannya kepada atasan',
        reason: 'Belum ada rencana yang konkret dan terukur.',
      },
    ],
  });

interface Session {
  browser: Browser;
  page: Page;
  ltik: string;
  base: string;
  activityUrl: string;
}

async function launch(userId: string, opts: { link?: string; demoBase?: string } = {}): Promise<Session> {
  const browser = new Browser();
  const page = await launchThroughDemo(browser, opts.demoBase ?? stack.demoBase, userId, {
    link: opts.link ?? placed.linkId,
  });
  if (page.status !== 200) throw new Error(`launch of ${userId} answered ${page.status}: ${page.body.slice(0, 200)}`);
  return {
    browser,
    page,
    ltik: ltikOf(page),
    base: courseBaseOf(page),
    activityUrl: `${stack.baseUrl}${new URL(page.url).pathname}`,
  };
}

const url = (p: string, q: Record<string, string> = {}) =>
  `${stack.baseUrl}${p}${Object.keys(q).length ? `?${new URLSearchParams(q)}` : ''}`;

async function send(
  method: 'GET' | 'POST',
  target: string,
  opts: { form?: Record<string, string>; json?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: string; headers: Headers }> {
  const headers: Record<string, string> = { Accept: 'text/html', ...opts.headers };
  let body: string | undefined;
  if (opts.form) {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(opts.form).toString();
  } else if (opts.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.json);
  } else if (opts.raw !== undefined) {
    headers['Content-Type'] ??= 'application/json';
    body = opts.raw;
  }
  const res = await fetch(target, { method, headers, body, redirect: 'manual' });
  return { status: res.status, body: await res.text(), headers: res.headers };
}

/** What people have written, decided and chosen: every collection a refused request must leave alone. */
const DATA = [
  'coaching_activities',
  'coaching_entries',
  'coaching_entry_versions',
  'coaching_entry_conflicts',
  'coaching_work',
  'coaching_reviews',
  'coaching_review_decisions',
  'coaching_ai_turns',
  'coaching_ai_latest',
  'ai_consents',
  'ai_consent_events',
  'recommend_items',
  'recommend_curation',
  'cermin_preferences',
  'privacy_erasures',
  'platforms',
  'cermin_deployments',
  'cermin_platform_meta',
  'grade_outbox',
];

async function snapshot(): Promise<Record<string, string>> {
  const db = mongoose.connection.db;
  if (!db) throw new Error('no database');
  const out: Record<string, string> = {};
  for (const name of DATA) {
    const docs = await db
      .collection(name)
      .find(
        {},
        {
          projection: {
            attempts: 0,
            nextAttemptAt: 0,
            lease: 0,
            leasedUntil: 0,
            lastError: 0,
            updatedAt: 0,
            state: 0,
            sentAt: 0,
          },
        },
      )
      .toArray();
    out[name] = JSON.stringify(docs.map((d) => JSON.stringify(d)).sort());
  }
  return out;
}

function changed(before: Record<string, string>, after: Record<string, string>): string[] {
  return Object.keys(before).filter((k) => before[k] !== after[k]);
}

async function entryOf(
  userId: string,
  key = 'refleksi',
  activityId = placed.activityId,
): Promise<{ text: string; revision: number; visibility: string } | null> {
  return (await mongoose.connection.db
    ?.collection('coaching_entries')
    .findOne({ userId, key, activityId })) as unknown as { text: string; revision: number; visibility: string } | null;
}

const sessions = new Map<Session, string>();
const activityIdOf = (s: Session) => new URL(s.activityUrl).pathname.split('/activities/')[1]?.split('/')[0] ?? '';

/** A participant's launch on an activity (their journal page). */
async function participant(userId: string, link?: string): Promise<Session> {
  const s = await launch(userId, { link });
  sessions.set(s, userId);
  return s;
}

/** Saves an entry as the page's form does, on top of the current revision. */
async function saveEntry(s: Session, text: string, key = 'refleksi'): Promise<void> {
  const current = await entryOf(sessions.get(s) as string, key, activityIdOf(s));
  const saved = await s.browser.go(`${s.activityUrl}/entries/${key}`, {
    form: { ltik: s.ltik, baseRevision: String(current?.revision ?? 0), text },
  });
  if (saved.status !== 200) throw new Error(`save answered ${saved.status}`);
}

beforeAll(async () => {
  fake = await startFakeOpenAI({ models: ['fake-model'] });
  watchTheWire();
  stack = await startStack(
    {
      AI_BASE_URL: fake.baseURL,
      AI_API_KEY: fake.apiKey,
      AI_MODEL: 'fake-model',
      AI_PROVIDER_NAME: 'Server AI BPSDM (uji)',
      AI_TURNS_PER_MINUTE: '3',
    },
    { log: createLogger('debug') },
  );
  const coach = new Browser();
  const { links } = await placeActivities(stack, coach, [
    {
      id: 'bebas',
      form: {
        title: 'Refleksi integritas',
        maxScore: '100',
        aiMode: 'all',
        'prompt.refleksi': 'Ceritakan satu keputusan sulit minggu ini.',
      },
    },
    {
      id: 'bebas',
      form: {
        title: `Judul ${XSS_SCRIPT} ${XSS_ATTR}`,
        maxScore: '100',
        aiMode: 'all',
        'prompt.refleksi': `Pertanyaan ${XSS_ATTR}`,
      },
    },
  ]);
  const activityOf = (id: string) => String(stack.demo.course.links.find((l) => l.id === id)?.custom?.activity_id);
  const coachPage = await launchThroughDemo(coach, stack.demoBase, 'u-coach-1', { link: links[0] });
  placed = {
    linkId: links[0],
    activityId: activityOf(links[0]),
    lineItemId: String(stack.demo.course.links.find((l) => l.id === links[0])?.lineItemId),
    coach,
    coachPage,
  };
  xssLinkId = links[1];
  xssActivityId = activityOf(links[1]);
  course = courseBaseOf(coachPage);
}, 90_000);

afterAll(async () => {
  globalThis.fetch = realFetch;
  await stack?.close();
  await fake?.close();
});

// ---------------------------------------------------------------------------------------------
describe('1. a full journey (its logs are scanned at the end of the file)', () => {
  test('setup page, consent, lenses (plain, streamed, failing), submission, AI draft, review, grade delivery, admin pages, a replayed launch', async () => {
    // The setup-token admin tests the provider connection (the AI key travels).
    setupToken = await issueSetupToken();
    const setup = new Browser();
    const admin = await setup.go(url('/setup', { token: setupToken }));
    expect(admin.status).toBe(200);
    const csrf = /name="csrf" value="([^"]+)"/.exec(admin.body)?.[1] as string;
    expect((await setup.go(url('/setup/ai-test'), { form: { csrf } })).status).toBe(200);

    const p1 = await participant('u-p-001');
    await saveEntry(p1, REFLECTION);
    await p1.browser.go(url(`${course}/ai/consent`), { form: { ltik: p1.ltik, choice: 'accept' } });
    fake.reply({ respond: lensAnswer(AI_SENTENCE) });
    const answered = await p1.browser.go(`${p1.activityUrl}/entries/refleksi/reflect`, {
      form: { ltik: p1.ltik, lens: 'cermin' },
    });
    expect(answered.status).toBe(200);
    expect(answered.body).toContain(AI_SENTENCE);
    // Streamed, as the page's script asks.
    fake.reply({ respond: lensAnswer(AI_SENTENCE), chunkDelayMs: 5 });
    const streamed = await send('POST', `${p1.activityUrl}/entries/refleksi/reflect`, {
      form: { ltik: p1.ltik, lens: 'cermin' },
      headers: { Accept: 'text/event-stream' },
    });
    expect(streamed.status).toBe(200);
    expect(streamed.body).toContain('event: done');
    expect(streamed.body).toContain(AI_SENTENCE);
    // A failing provider: the offline engine answers.
    fake.reply({ status: 500 }, { status: 500 });
    expect(
      (await p1.browser.go(`${p1.activityUrl}/entries/refleksi/reflect`, { form: { ltik: p1.ltik, lens: 'kritik' } }))
        .status,
    ).toBe(200);
    // A broken autosave body carrying the reflection: refused, and not echoed into a log.
    const broken = await send('POST', `${p1.activityUrl}/entries/refleksi`, {
      raw: `{"ltik":"${p1.ltik}","text":"${DISTINCT}`,
      headers: { Accept: 'application/json' },
    });
    expect(broken.status).toBe(400);
    expect((await p1.browser.go(`${p1.activityUrl}/submit`, { form: { ltik: p1.ltik, confirm: '1' } })).status).toBe(
      200,
    );
    expect((await p1.browser.go(url(`${course}/privacy/export.json`, { ltik: p1.ltik }))).status).toBe(200);

    // The coach asks for an AI draft, then finalizes; the grade goes to the platform (access token).
    const coachLtik = ltikOf(placed.coachPage);
    fake.reply({ respond: draftAnswer });
    const reviewUrl = url(`${course}/activities/${placed.activityId}/submissions/u-p-001`);
    const drafted = await placed.coach.go(`${reviewUrl}/draft`, { form: { ltik: coachLtik } });
    expect(drafted.status).toBe(200);
    const finalized = await finalizeReview(stack, placed, 'u-p-001', (levels) => levels[levels.length - 1], {
      comment: COACH_COMMENT,
    });
    expect(finalized.status).toBe(200);
    const deadline = Date.now() + 15_000;
    while (
      !stack.demo.gradebook.scores.some((s) => s.userId === 'u-p-001' && s.scoreGiven !== undefined) &&
      Date.now() < deadline
    )
      await new Promise((r) => setTimeout(r, 100));
    expect(
      stack.demo.gradebook.scores.find((s) => s.userId === 'u-p-001' && s.scoreGiven !== undefined)?.comment,
    ).toContain(COACH_COMMENT);

    // The LMS admin's console and connection test.
    const adminSession = await launch('u-admin-1');
    expect(new URL(adminSession.page.url).pathname).toBe(`${course}/admin`);
    expect(
      (await adminSession.browser.go(url(`${course}/admin/ai-test`), { form: { ltik: adminSession.ltik } })).status,
    ).toBe(200);

    // Dynamic registration of a Moodle on another origin, once and then again with the same (now
    // used) token: the second is refused and logged.
    const moodle = await startUnregisteredPlatform(stack);
    const registration = moodle.demo.dynamicRegistrationUrl(stack.cermin.lti.urls.registrationUrl);
    registrationToken = new URL(registration).searchParams.get('registration_token') as string;
    expect((await send('GET', registration)).status).toBe(200);
    expect((await send('GET', registration)).status).toBeGreaterThanOrEqual(400);
    await moodle.close();

    // A replayed id_token is refused (and the refusal is logged).
    const idToken = [...wire.idTokens][0];
    expect(idToken).toBeDefined();
    const replay = await send('POST', url('/lti/launch'), { form: { id_token: idToken, state: 'replayed-state' } });
    expect(replay.status).toBeGreaterThanOrEqual(400);
    expect(replay.status).toBeLessThan(500);
  }, 90_000);
});

// ---------------------------------------------------------------------------------------------
describe('2. Mongo operator injection', () => {
  let p2: Session;
  let p3: Session;
  let coachLtik: string;
  let adminLtik: string;
  let itemId: string;

  beforeAll(async () => {
    p2 = await participant('u-p-002');
    await saveEntry(p2, 'Tulisan peserta dua yang tidak boleh tertimpa.');
    p3 = await participant('u-p-003');
    await saveEntry(p3, 'Tulisan peserta tiga, milik orang lain.');
    await p3.browser.go(url(`${course}/ai/consent`), { form: { ltik: p3.ltik, choice: 'accept' } });
    coachLtik = ltikOf(placed.coachPage);
    adminLtik = (await launch('u-admin-1')).ltik;
    itemId = `materi-uji-${crypto.randomBytes(3).toString('hex')}`;
    const added = await placed.coach.go(url(`${course}/materials/items`), {
      form: {
        ltik: coachLtik,
        id: itemId,
        title: 'Materi uji',
        description: 'Materi untuk uji keamanan.',
        url: 'https://example.org/materi',
        type: 'article',
        language: 'id',
        values: 'akuntabel',
        competencies: '',
        tags: '',
        level: 'dasar',
      },
    });
    expect(added.status).toBe(200);
  }, 60_000);

  test('participant forms: operator objects in fields are refused with 400 and nothing changes', async () => {
    const before = await snapshot();
    const entry = await entryOf('u-p-002');
    const rev = entry?.revision ?? 0;
    const e = `${p2.activityUrl}/entries/refleksi`;
    const attempts: Array<[string, string, { form?: Record<string, string>; json?: unknown }]> = [
      ['save: text[$gt] as a form field', e, { form: { ltik: p2.ltik, baseRevision: String(rev), 'text[$gt]': '' } }],
      ['save: text as an operator object', e, { json: { ltik: p2.ltik, baseRevision: rev, text: { $gt: '' } } }],
      [
        'save: baseRevision as an operator object',
        e,
        { json: { ltik: p2.ltik, baseRevision: { $gt: 0 }, text: 'timpa' } },
      ],
      ['save: $where without text', e, { json: { ltik: p2.ltik, baseRevision: rev, $where: 'sleep(500) || true' } }],
      [
        'save: visibility as an operator',
        e,
        { json: { ltik: p2.ltik, baseRevision: rev, text: 'timpa', visibility: { $ne: 'private' } } },
      ],
      ['visibility', `${e}/visibility`, { json: { ltik: p2.ltik, visibility: { $ne: 'coach' } } }],
      ['restore', `${e}/restore`, { json: { ltik: p2.ltik, revision: { $gt: 0 }, baseRevision: rev } }],
      ['new journal date', `${p2.activityUrl}/journal`, { json: { ltik: p2.ltik, date: { $gt: '' } } }],
      ['lens[$ne] as a form field', `${e}/reflect`, { form: { ltik: p2.ltik, 'lens[$ne]': 'x' } }],
      ['lens as an operator object', `${e}/reflect`, { json: { ltik: p2.ltik, lens: { $ne: 'x' } } }],
      ['consent choice', url(`${course}/ai/consent`), { json: { ltik: p3.ltik, choice: { $ne: 'accept' } } }],
      ['erase confirm', url(`${course}/privacy/erase`), { json: { ltik: p2.ltik, confirm: { $ne: '' } } }],
      [
        'recommendation mark',
        url(`${course}/recommend/${itemId}/mark`),
        { json: { ltik: p2.ltik, mark: { $ne: '' } } },
      ],
      ['data saver', url(`${course}/recommend/data-saver`), { json: { ltik: p2.ltik, dataSaver: { $ne: 'on' } } }],
      ['language', url('/lti/app/prefs/lang'), { json: { ltik: p2.ltik, lang: { $ne: 'id' } } }],
    ];
    const outcomes = [];
    for (const [name, target, body] of attempts) outcomes.push([name, (await send('POST', target, body)).status]);
    expect(outcomes).toEqual(attempts.map(([name]) => [name, 400]));
    expect(changed(before, await snapshot())).toEqual([]);
    expect(await entryOf('u-p-002')).toMatchObject({
      text: 'Tulisan peserta dua yang tidak boleh tertimpa.',
      revision: rev,
    });
  });

  test("an extra $where field next to valid ones is ignored: the text is saved as typed, nobody else's entry moves", async () => {
    const other = await entryOf('u-p-003');
    const rev = (await entryOf('u-p-002'))?.revision ?? 0;
    const saved = await send('POST', `${p2.activityUrl}/entries/refleksi`, {
      json: { ltik: p2.ltik, baseRevision: rev, text: '{"$ne": null}', $where: 'this.userId != ""', userId: 'u-p-003' },
      headers: { Accept: 'application/json' },
    });
    expect(saved.status).toBe(200);
    expect(await entryOf('u-p-002')).toMatchObject({ text: '{"$ne": null}', revision: rev + 1 });
    expect(await entryOf('u-p-003')).toEqual(other);
  });

  test("query strings with operators: taken as plain values or refused; the export holds only the person's own data", async () => {
    const page = await send(
      'GET',
      `${p2.activityUrl}?${new URLSearchParams({ ltik: p2.ltik, 'saved[$ne]': '1', 'open[$gt]': '' })}`,
    );
    expect(page.status).toBe(200);
    expect(page.body).not.toContain('Tulisan peserta tiga');
    const history = await send(
      'GET',
      `${p2.activityUrl}/entries/refleksi/history?${new URLSearchParams({ ltik: p2.ltik, 'key[$ne]': 'x', 'userId[$ne]': 'x' })}`,
    );
    expect(history.status).toBe(200);
    expect(history.body).not.toContain('Tulisan peserta tiga');
    const exported = await send(
      'GET',
      url(`${course}/privacy/export.json`, { ltik: p2.ltik, 'userId[$ne]': 'x', 'issuer[$exists]': 'true' }),
    );
    expect(exported.status).toBe(200);
    expect(exported.body).toContain('{\\"$ne\\": null}');
    expect(exported.body).not.toContain('Tulisan peserta tiga');
    expect(exported.body).not.toContain('u-p-003');
    expect(exported.body).not.toContain(DISTINCT);
    const open = await send(
      'GET',
      url(`${course}/recommend/${encodeURIComponent('{"$ne":null}')}/open`, { ltik: p2.ltik }),
    );
    expect(open.status).toBe(404);
  });

  test('coach forms and the roster: operator objects refused with 400, nothing changes; a user id that looks like an operator finds nobody', async () => {
    const before = await snapshot();
    const rosterQueries: Array<Record<string, string>> = [
      { 'q[$regex]': '.*' },
      { 'status[$ne]': 'x' },
      { 'activity[$ne]': 'x' },
      { 'sort[$ne]': 'name' },
      { 'page[$gt]': '0' },
      { 'q[$where]': '1' },
    ];
    for (const q of rosterQueries)
      expect([
        JSON.stringify(q),
        (await send('GET', url(`${course}/roster`, { ltik: coachLtik, ...q }))).status,
      ]).toEqual([JSON.stringify(q), 400]);
    const review = url(`${course}/activities/${placed.activityId}/submissions/u-p-001`);
    const manage = url(`${course}/activities/${placed.activityId}/manage`);
    const attempts: Array<[string, string, unknown]> = [
      [
        'finalize: revision',
        `${review}/finalize`,
        { ltik: coachLtik, revision: { $gt: 0 }, comment: 'x', release: 'now' },
      ],
      ['finalize: comment', `${review}/finalize`, { ltik: coachLtik, comment: { $ne: '' }, release: 'now' }],
      ['finalize: release', `${review}/finalize`, { ltik: coachLtik, release: { $in: ['now'] } }],
      ['draft: $where', `${review}/draft`, { ltik: coachLtik, $where: 'true' }],
      ['manage: title', manage, { ltik: coachLtik, title: { $ne: '' }, maxScore: '100' }],
      ['manage: maxScore', manage, { ltik: coachLtik, title: 'Judul baru', maxScore: { $gt: 0 } }],
      ['manage: aiMode', manage, { ltik: coachLtik, title: 'Judul baru', maxScore: '100', aiMode: { $ne: 'off' } }],
      ['setup link: templateId', url(`${course}/setup`), { ltik: coachLtik, templateId: { $ne: '' } }],
      ['materials: add', url(`${course}/materials/items`), { ltik: coachLtik, id: { $gt: '' }, title: 'x' }],
      ['materials: edit', url(`${course}/materials/items/${itemId}`), { ltik: coachLtik, title: { $ne: '' } }],
      [
        'materials: status',
        url(`${course}/materials/items/${itemId}/status`),
        { ltik: coachLtik, status: { $ne: 'active' } },
      ],
      [
        'materials: curation',
        url(`${course}/materials/items/${itemId}/curation`),
        { ltik: coachLtik, state: { $ne: 'none' } },
      ],
      ['materials: import', url(`${course}/materials/import`), { ltik: coachLtik, text: { $ne: '' } }],
      ['admin: connection test', url(`${course}/admin/ai-test`), { ltik: adminLtik, $where: 'true' }],
    ];
    const outcomes = [];
    for (const [name, target, json] of attempts) outcomes.push([name, (await send('POST', target, { json })).status]);
    expect(outcomes).toEqual(attempts.map(([name]) => [name, 400]));
    // Path parameters are strings: an "operator" user id is a user nobody has.
    for (const who of ['{"$ne":null}', '{"$gt":""}']) {
      const page = await send(
        'GET',
        `${url(`${course}/activities/${placed.activityId}/submissions/${encodeURIComponent(who)}`)}?ltik=${encodeURIComponent(coachLtik)}`,
      );
      expect(page.status).toBe(404);
      expect(page.body).not.toContain(DISTINCT);
    }
    expect(changed(before, await snapshot())).toEqual([]);
  });

  test('the Deep Linking configuration form refuses operator objects', async () => {
    const coach = new Browser();
    const picker = await launchThroughDemo(coach, stack.demoBase, 'u-coach-1', { deepLinking: true });
    const before = await snapshot();
    const res = await send('POST', `${stack.baseUrl}${new URL(picker.url).pathname}/bebas`, {
      json: { ltik: ltikOf(picker), intent: 'add', title: { $ne: '' }, maxScore: '100' },
    });
    expect(res.status).toBe(400);
    expect(changed(before, await snapshot())).toEqual([]);
  });

  test('mongoose refuses operators in filters built from input, in this stack as in production', () => {
    expect(mongoose.get('sanitizeFilter')).toBe(true);
    expect(mongoose.get('strictQuery')).toBe(true);
  });

  test('the admin console: operator objects in the audit filters and the person forms are refused', async () => {
    const before = await snapshot();
    const auditQueries: Array<Record<string, string>> = [
      { 'course[$ne]': 'x' },
      { 'lens[$ne]': 'x' },
      { 'outcome[$regex]': '.*' },
      { 'from[$gt]': '' },
    ];
    for (const q of auditQueries) {
      expect([q, (await send('GET', url(`${course}/admin/audit`, { ltik: adminLtik, ...q }))).status]).toEqual([
        q,
        400,
      ]);
    }
    for (const [path, json] of [
      ['/admin/person/export', { ltik: adminLtik, userId: { $ne: null } }],
      ['/admin/person/erase', { ltik: adminLtik, userId: { $gt: '' }, confirm: 'yes' }],
    ] as const) {
      const res = await send('POST', url(`${course}${path}`), { json });
      expect([path, res.status]).toEqual([path, 400]);
      expect(res.body).not.toContain('Tulisan peserta');
    }
    expect(changed(before, await snapshot())).toEqual([]);
  });

  test('the setup page: a token given as an operator opens nothing', async () => {
    const res = await send('GET', url('/setup', { 'token[$ne]': 'x' }));
    expect(res.status).toBe(403);
    expect(res.headers.getSetCookie().join(';')).not.toContain('cermin_setup=');
  });
});

// ---------------------------------------------------------------------------------------------
type Audience = 'participant' | 'coach' | 'admin' | 'mentor';
interface GuardedRoute {
  file: string;
  method: 'get' | 'post';
  path: string;
  allowed: Audience[];
}

/** Where a router's paths are mounted inside the course (app.ts), when not at the course itself. */
const PREFIX: Record<string, string> = {
  'src/coaching/journal/routes.ts': '/activities',
  'src/admin/console.ts': '/admin',
};

/**
 * Guards a router is handed rather than building (the admin console has two doors): the name it
 * uses, and the source line that gives that guard to the course's door, checked below.
 */
const HANDED: Record<string, { name: string; door: RegExp; allowed: Audience[] }> = {
  'src/admin/console.ts': {
    name: 'admin',
    door: /export const launchAdminAccess: AdminAccess = \{\s*guard: requireAudience\('admin'\),/,
    allowed: ['admin'],
  },
};

/** Every route under a course with a requireAudience guard, read from the sources. */
function guardedRoutes(): { guarded: GuardedRoute[]; open: string[] } {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, d.name);
      if (d.isDirectory()) walk(p);
      else if (d.name.endsWith('.ts')) files.push(p);
    }
  };
  walk(path.join(ROOT, 'src'));
  const audiences = (list: string) => [...list.matchAll(/'(\w+)'/g)].map((m) => m[1] as Audience);
  const guarded: GuardedRoute[] = [];
  const open: string[] = [];
  for (const file of files) {
    const rel = path.relative(ROOT, file).split(path.sep).join('/');
    if (
      rel === 'src/app.ts' ||
      rel === 'src/admin/setup.ts' ||
      rel === 'src/admin/landing.ts' ||
      rel === 'src/http/ops.ts' ||
      rel.startsWith('src/lti/')
    )
      continue;
    const text = fs.readFileSync(file, 'utf8');
    const named = new Map(
      [...text.matchAll(/const (\w+) = requireAudience\(([^)]*)\)/g)].map((m) => [m[1], audiences(m[2])]),
    );
    const handed = HANDED[rel];
    if (handed) {
      if (!handed.door.test(text))
        throw new Error(`${rel}: the course's door no longer hands its routes the guard the sweep expects`);
      named.set(handed.name, handed.allowed);
    }
    const wide = /router\.use\(requireAudience\(([^)]*)\)\)/.exec(text);
    for (const m of text.matchAll(
      /\b(?:router|course)\.(get|post|put|patch|delete)\(\s*'([^']+)',\s*(?:requireAudience\(([^)]*)\)|(\w+))/g,
    )) {
      const allowed =
        m[3] !== undefined ? audiences(m[3]) : (named.get(m[4]) ?? (wide ? audiences(wide[1]) : undefined));
      const route = `${PREFIX[rel] ?? ''}${m[2]}`;
      if (allowed) guarded.push({ file: rel, method: m[1] as 'get' | 'post', path: route, allowed });
      else open.push(`${m[1].toUpperCase()} ${route} (${rel})`);
    }
  }
  return { guarded, open };
}

describe("3. every coach, admin and mentor route refuses the other audiences; no course opens another's", () => {
  const found = guardedRoutes();
  let ltiks: Record<Audience, string>;
  let itemId: string;

  beforeAll(async () => {
    const coachLtik = ltikOf(placed.coachPage);
    ltiks = {
      participant: (await participant('u-p-001')).ltik,
      coach: coachLtik,
      admin: (await launch('u-admin-1')).ltik,
      mentor: (await launch('u-mentor-1')).ltik,
    };
    itemId = `materi-peran-${crypto.randomBytes(3).toString('hex')}`;
    await placed.coach.go(url(`${course}/materials/items`), {
      form: {
        ltik: coachLtik,
        id: itemId,
        title: 'Materi peran',
        description: 'Materi uji peran.',
        url: 'https://example.org/peran',
        type: 'article',
        language: 'id',
        values: 'kompeten',
        competencies: '',
        tags: '',
        level: 'dasar',
      },
    });
  }, 60_000);

  test('the sources are read: the participant router is mounted at /activities and the guarded routes are many', () => {
    expect(fs.readFileSync(path.join(ROOT, 'src', 'app.ts'), 'utf8')).toMatch(
      /\['\/activities', coaching\.activitiesRouter\]/,
    );
    expect(fs.readFileSync(path.join(ROOT, 'src', 'coaching', 'feature.ts'), 'utf8')).toMatch(
      /activitiesRouter: participantRoutes\(/,
    );
    const coachOrAdmin = found.guarded.filter(
      (r) => !r.allowed.includes('participant') && !r.allowed.includes('mentor'),
    );
    expect(coachOrAdmin.length).toBeGreaterThanOrEqual(20);
    const adminOnly = found.guarded
      .filter((r) => r.allowed.length === 1 && r.allowed[0] === 'admin')
      .map((r) => r.path);
    expect(adminOnly).toEqual(expect.arrayContaining(['/admin', '/admin/ai-test']));
    expect(found.guarded.some((r) => r.path === '/roster' && r.allowed.includes('coach'))).toBe(true);
  });

  test('each guarded route answers 403 to every audience it does not name, and changes nothing', async () => {
    // An open safety alert of this course: following it up is a coach's act, refused to everyone else.
    const alertId = 'sa-sweep-open';
    await mongoose.connection.db?.collection('coaching_safety_alerts').updateOne(
      { _id: alertId as never },
      {
        $setOnInsert: {
          at: new Date(),
          courseKey: decodeURIComponent(course.split('/').pop() as string),
          activityId: placed.activityId,
          userId: 'u-p-001',
          key: 'refleksi',
          category: 'distress',
          severity: 'medium',
          phrases: ['lelah sekali'],
        },
      },
      { upsert: true },
    );
    const params: Record<string, string> = {
      alertId,
      activityId: placed.activityId,
      userId: 'u-p-001',
      templateId: 'bebas',
      itemId,
      key: 'refleksi',
    };
    // `:format(csv|json)`, `:mode(dry-run|run)`: the first alternative; other parameters from the list.
    const concrete = (p: string) =>
      `${course}${p.replace(/:\w+\(([^|)]+)[^)]*\)/g, '$1').replace(/:(\w+)/g, (_m, name: string) => {
        if (!(name in params)) throw new Error(`unknown route parameter :${name} in ${p}: add it to the sweep`);
        return encodeURIComponent(params[name]);
      })}`;
    const before = await snapshot();
    const wrong: string[] = [];
    let calls = 0;
    for (const route of found.guarded) {
      for (const who of (['participant', 'coach', 'admin', 'mentor'] as const).filter(
        (a) => !route.allowed.includes(a),
      )) {
        const target = url(concrete(route.path));
        const res =
          route.method === 'get'
            ? await send('GET', `${target}?ltik=${encodeURIComponent(ltiks[who])}`)
            : await send('POST', target, { form: { ltik: ltiks[who] } });
        calls++;
        if (res.status !== 403) wrong.push(`${route.method.toUpperCase()} ${route.path} as ${who}: ${res.status}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(calls).toBeGreaterThan(60);
    expect(changed(before, await snapshot())).toEqual([]);
    // And the audiences a GET route names do get in (the guard is not refusing everyone).
    const letIn: string[] = [];
    for (const route of found.guarded.filter((r) => r.method === 'get' && !r.path.startsWith('/deep-linking'))) {
      const res = await send('GET', `${url(concrete(route.path))}?ltik=${encodeURIComponent(ltiks[route.allowed[0]])}`);
      if ([401, 403, 404].includes(res.status)) letIn.push(`${route.path} as ${route.allowed[0]}: ${res.status}`);
    }
    expect(letIn).toEqual([]);
  });

  test('routes without an audience guard are the ones meant for anyone launched (listed for the report)', () => {
    // Any launched user, for themselves: consent, their data, the language; nothing else.
    const expected = [
      'GET /ai/consent',
      'POST /ai/consent',
      'GET /privacy',
      'GET /privacy/export.:format(json|html)',
      'POST /privacy/erase',
      'GET /ai/about',
      'POST /prefs/lang',
    ];
    const open = found.open.map((o) => o.replace(/ \(.*\)$/, ''));
    expect(open.filter((o) => !expected.includes(o))).toEqual([]);
  });

  test("course B (another platform) is closed to course A's coach and admin, and the other way round", async () => {
    const second = await startSecondPlatform(stack);
    try {
      const stackB = { ...stack, demoBase: second.base, demo: second.demo } as Stack;
      const coachB = new Browser();
      const { links } = await placeActivities(stackB, coachB, [
        {
          id: 'bebas',
          form: { title: 'Kegiatan rahasia kursus B', maxScore: '50', 'prompt.refleksi': 'Pertanyaan kursus B' },
        },
      ]);
      const pageB = await launchThroughDemo(coachB, second.base, 'u-coach-1', { link: links[0] });
      expect(pageB.status).toBe(200);
      const courseB = courseBaseOf(pageB);
      const activityB = String(second.demo.course.links.find((l) => l.id === links[0])?.custom?.activity_id);
      expect(courseB).not.toBe(course);
      const aLtiks = [ltiks.coach, ltiks.admin];
      const refused: Array<[string, number]> = [];
      for (const ltik of aLtiks) {
        for (const p of [
          '/coach',
          '/roster',
          '/materials',
          '/admin',
          `/activities/${activityB}/manage`,
          `/activities/${activityB}/submissions/u-p-001`,
          '/privacy',
          '/ai/consent',
        ]) {
          const res = await send('GET', url(`${courseB}${p}`, { ltik }));
          refused.push([p, res.status]);
          expect(res.body).not.toContain('Kegiatan rahasia kursus B');
        }
        const post = await send('POST', url(`${courseB}/activities/${activityB}/manage`), {
          form: { ltik, title: 'diambil alih', maxScore: '10' },
        });
        refused.push(['POST manage', post.status]);
        // Course A's address with course B's activity: not found in A.
        const inA = await send('GET', url(`${course}/activities/${activityB}/manage`, { ltik }));
        refused.push(["A with B's activity", inA.status === 404 ? 403 : inA.status]);
        expect(inA.body).not.toContain('Kegiatan rahasia kursus B');
      }
      expect(refused.filter(([, status]) => status !== 403)).toEqual([]);
      // B's coach on A's pages.
      for (const p of ['/coach', '/roster', `/activities/${placed.activityId}/manage`]) {
        expect((await send('GET', url(`${course}${p}`, { ltik: ltikOf(pageB) }))).status).toBe(403);
      }
      const activity = await mongoose.connection.db
        ?.collection('coaching_activities')
        .findOne({ _id: activityB as unknown as mongoose.mongo.BSON.ObjectId });
      expect(activity?.title).toBe('Kegiatan rahasia kursus B');
    } finally {
      await second.close();
    }
  }, 60_000);
});

// ---------------------------------------------------------------------------------------------
describe('4. CSRF', () => {
  let p4: Session;

  beforeAll(async () => {
    p4 = await participant('u-p-004');
    await saveEntry(p4, 'Tulisan yang tidak boleh diubah dari situs lain.');
    await p4.browser.go(url(`${course}/ai/consent`), { form: { ltik: p4.ltik, choice: 'accept' } });
  }, 30_000);

  /** The same ltik with its signature changed: what an attacker could guess at best. */
  const forged = (ltik: string) => {
    const [h, b, s] = ltik.split('.');
    return `${h}.${b}.${s.slice(0, -4)}${s.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
  };
  /** A well-formed ltik signed with another key. */
  const foreign = (ltik: string) => {
    const [h, b] = ltik.split('.');
    return `${h}.${b}.${crypto.createHmac('sha256', 'not-the-key').update(`${h}.${b}`).digest('base64url')}`;
  };

  test("forms under /lti/app without the ltik, or with a forged one, are refused (401) and change nothing — even with the browser's cookies", async () => {
    const before = await snapshot();
    const coachLtik = ltikOf(placed.coachPage);
    const rev = String((await entryOf('u-p-004'))?.revision ?? 0);
    const review = url(`${course}/activities/${placed.activityId}/submissions/u-p-001`);
    const forms: Array<[string, Record<string, string>, string]> = [
      [`${p4.activityUrl}/entries/refleksi`, { baseRevision: rev, text: 'ditulis dari situs lain' }, p4.ltik],
      [`${p4.activityUrl}/entries/refleksi/visibility`, { visibility: 'private' }, p4.ltik],
      [`${p4.activityUrl}/submit`, {}, p4.ltik],
      [url(`${course}/ai/consent`), { choice: 'withdraw' }, p4.ltik],
      [url(`${course}/privacy/erase`), { confirm: 'yes' }, p4.ltik],
      [url('/lti/app/prefs/lang'), { lang: 'en' }, p4.ltik],
      [`${review}/finalize`, { comment: 'dari situs lain', release: 'now' }, coachLtik],
      [`${review}/reopen`, {}, coachLtik],
      [url(`${course}/roster/release`), {}, coachLtik],
      [url(`${course}/materials/import`), { text: 'id,title\nx,y' }, coachLtik],
    ];
    const wrong: string[] = [];
    for (const [target, form, ltik] of forms) {
      for (const [how, extra] of [
        ['no ltik', {}],
        ['forged ltik', { ltik: forged(ltik) }],
        ['foreign ltik', { ltik: foreign(ltik) }],
      ] as const) {
        // As a cross-site form would arrive: the participant's browser (its cookies for the tool), another Origin.
        const res = await p4.browser.request(target, {
          form: { ...form, ...extra },
          headers: { Origin: 'https://evil.example', Referer: 'https://evil.example/x' },
        });
        if (res.status !== 401) wrong.push(`${new URL(target).pathname} (${how}): ${res.status}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(changed(before, await snapshot())).toEqual([]);
    expect(await entryOf('u-p-004')).toMatchObject({ text: 'Tulisan yang tidak boleh diubah dari situs lain.' });
  });

  test('the ltik never leaves in a Referer: every page, and the redirect to an outside material, say so', async () => {
    const journal = await send('GET', `${p4.activityUrl}?ltik=${encodeURIComponent(p4.ltik)}`);
    expect(journal.headers.get('referrer-policy')).toMatch(/^(same-origin|no-referrer|strict-origin)$/);
    const open = await send('GET', url(`${course}/recommend/hindari-gratifikasi/open`, { ltik: p4.ltik }));
    if (open.status === 303) {
      expect(new URL(open.headers.get('location') as string).origin).not.toBe(stack.baseUrl);
      expect(open.headers.get('referrer-policy')).toMatch(/^(same-origin|no-referrer|strict-origin)$/);
    }
    // Outside links on the journal are opened without a referrer.
    for (const a of journal.body.matchAll(/<a [^>]*href="https?:\/\/[^"]+"[^>]*>/g))
      expect(a[0]).toMatch(/rel="[^"]*noreferrer/);
  });

  test("the setup page's forms need both the session cookie (SameSite=Strict) and the csrf token", async () => {
    const token = await issueSetupToken();
    const admin = new Browser();
    const opened = await admin.request(url('/setup', { token }));
    const cookie = opened.headers.getSetCookie().find((c) => c.startsWith('cermin_setup='));
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect(cookie).toMatch(/Path=\/setup/i);
    const page = await admin.go(url('/setup'));
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)?.[1] as string;
    expect(csrf).toBeTruthy();
    const platform = {
      issuer: 'https://evil.example',
      clientId: 'evil',
      authUrl: 'https://evil.example/a',
      tokenUrl: 'https://evil.example/t',
      jwksUrl: 'https://evil.example/k',
      deploymentId: 'd',
    };
    const count = async () => (await stack.cermin.lti.registry.list()).length;
    const platformsBefore = await count();
    expect((await admin.request(url('/setup/platforms'), { form: platform })).status).toBe(403); // no token
    expect((await admin.request(url('/setup/platforms'), { form: { ...platform, csrf: `${csrf}x` } })).status).toBe(
      403,
    ); // wrong token
    expect((await new Browser().request(url('/setup/platforms'), { form: { ...platform, csrf } })).status).toBe(403); // token, no session (cross-site)
    expect((await admin.request(url('/setup/ai-test'), { form: {} })).status).toBe(403);
    // An LTI session (any role) is not a setup session.
    expect((await send('GET', url('/setup', { ltik: ltikOf(placed.coachPage) }))).status).toBe(403);
    expect(
      (await send('POST', url('/setup/platforms'), { form: { ...platform, ltik: ltikOf(placed.coachPage), csrf } }))
        .status,
    ).toBe(403);
    expect(await count()).toBe(platformsBefore);
    expect((await stack.cermin.lti.registry.list()).some((p) => p.issuer === 'https://evil.example')).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
describe('5. output escaping', () => {
  let p10: Session;
  const assertEscaped = (label: string, html: string, opts: { expectText?: boolean } = {}) => {
    expect([label, html.includes(XSS_SCRIPT)]).toEqual([label, false]);
    expect([label, html.includes('<img src=x onerror=alert(1)>')]).toEqual([label, false]);
    if (opts.expectText !== false) {
      expect([label, html.includes(ESCAPED_SCRIPT)]).toEqual([label, true]);
      expect([label, html.includes(ESCAPED_ATTR)]).toEqual([label, true]);
    }
  };

  beforeAll(async () => {
    p10 = await participant('u-p-010', xssLinkId);
    await saveEntry(p10, PAYLOAD);
  }, 30_000);

  test('a reflection and an activity title with script and attribute payloads: escaped on the journal and the history page', async () => {
    const journal = await p10.browser.go(`${p10.activityUrl}?ltik=${encodeURIComponent(p10.ltik)}`);
    expect(journal.status).toBe(200);
    assertEscaped('journal', journal.body);
    expect(journal.body).toContain(`Judul ${ESCAPED_SCRIPT}`);
    const history = await p10.browser.go(
      `${p10.activityUrl}/entries/refleksi/history?ltik=${encodeURIComponent(p10.ltik)}`,
    );
    expect(history.status).toBe(200);
    assertEscaped('history', history.body);
  });

  test('an AI answer carrying a payload is escaped, on the page and in the streamed panel', async () => {
    await p10.browser.go(url(`${course}/ai/consent`), { form: { ltik: p10.ltik, choice: 'accept' } });
    fake.reply({
      respond: lensAnswer(`Anda menulis ${XSS_SCRIPT} dan ${XSS_ATTR} di tulisan Anda.`, `Mengapa ${XSS_ATTR}?`),
    });
    const answered = await p10.browser.go(`${p10.activityUrl}/entries/refleksi/reflect`, {
      form: { ltik: p10.ltik, lens: 'cermin' },
    });
    expect(answered.status).toBe(200);
    assertEscaped('AI panel', answered.body);
    expect(answered.body).toContain('Dijawab oleh AI (fake-model)');
    expect(answered.body).toContain(`Anda menulis ${ESCAPED_SCRIPT} dan ${ESCAPED_ATTR} di tulisan Anda.`);
    // The streamed panel's html, and the pieces streamed before it.
    fake.reply({ respond: lensAnswer(`Anda menulis ${XSS_SCRIPT} dan ${XSS_ATTR} di tulisan Anda.`) });
    const streamed = await send('POST', `${p10.activityUrl}/entries/refleksi/reflect`, {
      form: { ltik: p10.ltik, lens: 'cermin' },
      headers: { Accept: 'text/event-stream' },
    });
    expect(streamed.headers.get('content-type')).toContain('text/event-stream');
    const done = /event: done\ndata: (.*)\n/.exec(streamed.body)?.[1];
    expect(done).toBeDefined();
    const html = (JSON.parse(done as string) as { html: string }).html;
    expect(html).toContain(`Anda menulis ${ESCAPED_SCRIPT}`);
    expect(html).not.toContain(XSS_SCRIPT);
    expect(html).not.toContain('<img src=x onerror=alert(1)>');
  });

  test("the coach's pages: review, roster, course home; the coach's comment on the participant's page", async () => {
    expect((await p10.browser.go(`${p10.activityUrl}/submit`, { form: { ltik: p10.ltik, confirm: '1' } })).status).toBe(
      200,
    );
    const coachLtik = ltikOf(placed.coachPage);
    const review = url(`${course}/activities/${xssActivityId}/submissions/u-p-010`);
    const reviewPage = await placed.coach.go(`${review}?ltik=${encodeURIComponent(coachLtik)}`);
    expect(reviewPage.status).toBe(200);
    assertEscaped('review page', reviewPage.body);
    const roster = await placed.coach.go(url(`${course}/roster`, { ltik: coachLtik, activity: xssActivityId }));
    expect(roster.status).toBe(200);
    assertEscaped('roster (activity title)', roster.body, { expectText: false });
    expect(roster.body).toContain(`Judul ${ESCAPED_SCRIPT}`);
    const home = await placed.coach.go(url(`${course}/coach`, { ltik: coachLtik }));
    assertEscaped('coach home (activity title)', home.body, { expectText: false });
    expect(home.body).toContain(`Judul ${ESCAPED_SCRIPT}`);

    const finalized = await finalizeReview(
      stack,
      { ...placed, activityId: xssActivityId, linkId: xssLinkId },
      'u-p-010',
      (levels) => levels[0],
      { comment: `Umpan balik ${PAYLOAD}` },
    );
    expect(finalized.status).toBe(200);
    assertEscaped('review after finalize', finalized.body);
    expect(finalized.body).toContain(`Umpan balik Awal ${ESCAPED_SCRIPT}`);
  });

  test("what Moodle sends (a participant's profile name, the course title) is escaped on the coach's roster and review pages", async () => {
    // Moodle lets people edit their own names: the demo's user and course records play that.
    const person = stack.demo.users.find((u) => u.id === 'u-p-013') as DemoUser;
    const saved = {
      name: person.name,
      givenName: person.givenName,
      familyName: person.familyName,
      course: stack.demo.course.title,
    };
    Object.assign(person, { name: `Rudi ${XSS_SCRIPT}`, givenName: 'Rudi', familyName: XSS_ATTR });
    stack.demo.course.title = `Kursus ${XSS_SCRIPT}`;
    try {
      const p = await participant('u-p-013');
      assertEscaped('journal (Moodle names)', p.page.body, { expectText: false });
      await saveEntry(p, 'Saya belajar mendengarkan keluhan warga sampai selesai sebelum menjawab.');
      expect((await p.browser.go(`${p.activityUrl}/submit`, { form: { ltik: p.ltik, confirm: '1' } })).status).toBe(
        200,
      );
      const coach = await launch('u-coach-1');
      const roster = await coach.browser.go(url(`${course}/roster`, { ltik: coach.ltik, refresh: '1', q: 'Rudi' }));
      expect(roster.status).toBe(200);
      assertEscaped('roster (Moodle names)', roster.body);
      expect(roster.body).toContain(`Rudi ${ESCAPED_SCRIPT}`);
      const review = await coach.browser.go(
        url(`${course}/activities/${placed.activityId}/submissions/u-p-013`, { ltik: coach.ltik }),
      );
      expect(review.status).toBe(200);
      assertEscaped('review (Moodle names)', review.body, { expectText: false });
      expect(review.body).toContain(`Rudi ${ESCAPED_SCRIPT}`);
      const home = await coach.browser.go(url(`${course}/coach`, { ltik: coach.ltik }));
      assertEscaped('coach home (course title)', home.body, { expectText: false });
      expect(home.body).toContain(`Kursus ${ESCAPED_SCRIPT}`);
    } finally {
      Object.assign(person, { name: saved.name, givenName: saved.givenName, familyName: saved.familyName });
      stack.demo.course.title = saved.course;
    }
  });

  test('a catalog item title on the materials page; a javascript: link is refused', async () => {
    const coachLtik = ltikOf(placed.coachPage);
    const id = `materi-xss-${crypto.randomBytes(3).toString('hex')}`;
    const added = await placed.coach.go(url(`${course}/materials/items`), {
      form: {
        ltik: coachLtik,
        id,
        title: `Materi ${XSS_SCRIPT} ${XSS_ATTR}`,
        description: `Isi ${XSS_ATTR}`,
        url: 'https://example.org/xss',
        type: 'article',
        language: 'id',
        values: 'akuntabel',
        competencies: '',
        tags: XSS_ATTR.slice(0, 40),
        level: 'dasar',
      },
    });
    expect(added.status).toBe(200);
    assertEscaped('materials', added.body);
    expect(added.body).toContain(`Materi ${ESCAPED_SCRIPT}`);
    const js = await placed.coach.go(url(`${course}/materials/items`), {
      form: {
        ltik: coachLtik,
        id: `${id}-js`,
        title: 'Tautan skrip',
        description: 'x',
        url: 'javascript:alert(1)',
        type: 'article',
        language: 'id',
        values: 'akuntabel',
        competencies: '',
        tags: '',
        level: 'dasar',
      },
    });
    expect(js.status).toBe(400);
    expect(js.body).not.toMatch(/href="javascript:/i);
  });

  test('query strings reflected into pages are escaped', async () => {
    const coachLtik = ltikOf(placed.coachPage);
    const materials = await send('GET', url(`${course}/materials`, { ltik: coachLtik, added: PAYLOAD }));
    expect(materials.status).toBe(200);
    assertEscaped('materials notice', materials.body);
    const roster = await send(
      'GET',
      url(`${course}/roster`, { ltik: coachLtik, q: `${XSS_SCRIPT}${XSS_ATTR}`.slice(0, 100) }),
    );
    expect(roster.status).toBe(200);
    assertEscaped('roster search', roster.body);
    const consent = await send(
      'GET',
      url(`${course}/ai/consent`, { ltik: p10.ltik, back: `${course}/x"><script>alert(1)</script>` }),
    );
    expect(consent.status).toBe(200);
    expect(consent.body).not.toContain(XSS_SCRIPT);
    const lang = await send('GET', url(`${course}/ai/consent`, { ltik: p10.ltik, lang: `en${XSS_ATTR}` }));
    expect(lang.body).not.toContain('<img src=x onerror=alert(1)>');
  });
});

// ---------------------------------------------------------------------------------------------
/** An HS256 JWT, as ltijs signs an ltik with the LTI key. */
function signHs256(payload: Record<string, unknown>, key: string): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = `${enc({ alg: 'HS256', typ: 'JWT' })}.${enc(payload)}`;
  return `${head}.${crypto.createHmac('sha256', key).update(head).digest('base64url')}`;
}

describe('6. sessions and operations endpoints', () => {
  test('sanity: a re-signed copy of a fresh ltik is accepted (so the next test measures the age, not the signature)', async () => {
    const p = await participant('u-p-012');
    const payload = JSON.parse(Buffer.from(p.ltik.split('.')[1], 'base64url').toString()) as Record<string, unknown>;
    const copy = signHs256(payload, stack.config.lti.key);
    expect((await send('GET', `${p.activityUrl}?ltik=${encodeURIComponent(copy)}`)).status).toBe(200);
  });

  // ltijs (ltiaas mode) checks an ltik's signature and that the person has a launch on record,
  // never its age; an ltik copied from an address bar, browser history or a shared link would keep
  // opening (and could erase) the person's data. Cermin refuses one older than LTI_SESSION_HOURS.
  test('an ltik issued three days ago is refused, even though its owner launched again today', async () => {
    const p = await participant('u-p-012');
    const payload = JSON.parse(Buffer.from(p.ltik.split('.')[1], 'base64url').toString()) as Record<string, unknown>;
    const old = signHs256({ ...payload, iat: Math.floor(Date.now() / 1000) - 3 * 24 * 3600 }, stack.config.lti.key);
    const res = await send('GET', `${p.activityUrl}?ltik=${encodeURIComponent(old)}`);
    expect(res.status).toBe(401);
  });

  // /metrics answers anyone: its route labels must not carry participants' LMS user ids or activity ids.
  test('/metrics names no participant and no activity', async () => {
    const metrics = await send('GET', url('/metrics'));
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain('cermin_http_request_duration_seconds');
    // The offending series, without their values (a whole metrics page would drown the message).
    const series = metrics.body
      .split('\n')
      .filter((l) => l.includes('_count{'))
      .map((l) => l.replace(/ [^ ]+$/, ''));
    expect(series.length).toBeGreaterThan(5);
    const person = series.find((l) => l.includes('u-p-0'));
    const activity = series.find((l) => l.includes(placed.activityId));
    expect({ person, activity }).toEqual({ person: undefined, activity: undefined });
  });

  // Reproduced against 27e6e1e: every unknown path added a series to /metrics, which anyone could grow without bound.
  test('probing unknown paths adds at most one /metrics series, whatever the paths', async () => {
    const seriesCount = async () =>
      (await send('GET', url('/metrics'))).body
        .split('\n')
        .filter((l) => l.startsWith('cermin_http_request_duration_seconds_count{')).length;
    const paths = [
      '/nope',
      '/wp-admin/setup.php',
      '/lti/app/courses/x/y/z',
      '/lti/unknown',
      '/setup/nothing',
      '/.env',
      '/static/missing.js',
    ];
    const probe = async (round: number) => Promise.all(paths.map((p) => send('GET', url(`${p}/p${round}`))));
    await probe(0);
    await seriesCount(); // its own series exists from here on
    const before = await seriesCount();
    for (let round = 1; round <= 5; round++) await probe(round);
    expect(await seriesCount()).toBe(before);
    expect((await send('GET', url('/metrics'))).body).toContain('route="(unmatched)"');
  });
});

// ---------------------------------------------------------------------------------------------
describe('7. rate limits (last: the login limit then holds for the rest of the window)', () => {
  test('AI turns per minute per person: past the limit the question bank answers and the provider is not called', async () => {
    const p = await participant('u-p-011');
    await saveEntry(p, 'Saya belajar menyusun jadwal pelayanan bersama rekan, dan warga tidak lagi menunggu lama.');
    await p.browser.go(url(`${course}/ai/consent`), { form: { ltik: p.ltik, choice: 'accept' } });
    const calls = () => fake.requests.filter((r) => r.path.includes('chat/completions')).length;
    const start = calls();
    for (let i = 0; i < 3; i++) {
      fake.reply({ respond: lensAnswer('Anda menyusun jadwal bersama rekan.') });
      expect(
        (await p.browser.go(`${p.activityUrl}/entries/refleksi/reflect`, { form: { ltik: p.ltik, lens: 'cermin' } }))
          .status,
      ).toBe(200);
    }
    expect(calls() - start).toBe(3);
    fake.reply({ respond: lensAnswer('Tidak boleh sampai.') });
    const limited = await p.browser.go(`${p.activityUrl}/entries/refleksi/reflect`, {
      form: { ltik: p.ltik, lens: 'cermin' },
    });
    expect(limited.status).toBe(200);
    expect(limited.body).toContain('(tanpa AI)');
    expect(limited.body).not.toContain('Tidak boleh sampai.');
    expect(calls() - start).toBe(3);
    expect(fake.pending).toBe(1); // the answer that was never asked for
    fake.reset();
  });

  test("LTI logins: past the window's limit, 429", async () => {
    const limit = stack.config.rateLimit.ltiMaxPerWindow;
    let status = 0;
    for (let i = 0; i <= limit + 1 && status !== 429; i++) status = (await send('GET', url('/lti/login'))).status;
    expect(status).toBe(429);
  }, 60_000);
});

// ---------------------------------------------------------------------------------------------
describe('1. (end) secrets never in logs', () => {
  test("no log line of the whole run holds a key, a token, a reflection, an AI answer, a comment or a person's identity", async () => {
    const lines = mockLogLines.join('');
    // The capture worked and saw the run.
    const parsed = mockLogLines.map((l) => JSON.parse(l) as { msg?: string; level: number });
    expect(parsed.filter((l) => l.msg === 'request').length).toBeGreaterThan(100);
    expect(parsed.some((l) => l.msg === 'launch refused' || l.msg === 'request without a valid ltik')).toBe(true);
    // What was seen on the wire: by the browser side here, and by the platform (Cermin's calls to it
    // go through its own guarded client, which this file's fetch does not see).
    for (const grant of stack.demo.recentGrants) {
      wire.assertions.add(grant.assertion);
      wire.accessTokens.add(grant.accessToken);
    }
    expect(wire.ltiks.size).toBeGreaterThan(10);
    expect(wire.idTokens.size).toBeGreaterThan(5);
    expect(wire.accessTokens.size).toBeGreaterThan(0);
    expect(wire.assertions.size).toBeGreaterThan(0);
    const platform = await getProvider().getPlatform(
      stack.demo.issuer,
      (await stack.cermin.lti.registry.list()).find((p) => p.issuer === stack.demo.issuer)?.clientId as string,
    );
    const privateKey = platform ? await platform.platformPrivateKey() : '';
    const keyLines = privateKey.split('\n').filter((l) => l.length >= 40);
    expect(keyLines.length).toBeGreaterThan(5);
    const person = stack.demo.users.find((u) => u.id === 'u-p-001');
    const coach = stack.demo.users.find((u) => u.id === 'u-coach-1');
    const needles: Array<[string, string]> = [
      ['LTI key', stack.config.lti.key],
      ['AI API key', fake.apiKey],
      ['setup token', setupToken],
      ['registration token', registrationToken],
      ...[...wire.ltiks].flatMap((v, i): Array<[string, string]> => [
        [`ltik #${i}`, v],
        [`ltik #${i} signature`, v.split('.')[2] ?? v],
      ]),
      ...[...wire.idTokens].flatMap((v, i): Array<[string, string]> => [
        [`id_token #${i}`, v],
        [`id_token #${i} signature`, v.split('.')[2] ?? v],
      ]),
      ...[...wire.jwts].map((v, i): [string, string] => [`deep linking JWT #${i}`, v.split('.')[2] ?? v]),
      ...[...wire.accessTokens].map((v, i): [string, string] => [`access token #${i}`, v]),
      ...[...wire.assertions].map((v, i): [string, string] => [`client assertion #${i}`, v.split('.')[2] ?? v]),
      ...keyLines.map((l, i): [string, string] => [`private key line ${i}`, l]),
      ['reflection', DISTINCT],
      ['reflection (part)', 'menolak amplop'],
      ['AI answer', AI_SENTENCE],
      ['coach comment', COACH_COMMENT],
      ['participant name', person?.name as string],
      ['participant email', person?.email as string],
      [
        'participant NIP',
        /person_sourcedid":"(\d{18})/.exec(
          JSON.stringify(stack.demo.launchClaims(person as DemoUser, { nonce: 'n', linkId: placed.linkId })),
        )?.[1] ?? 'missing',
      ],
      ['coach name', coach?.name as string],
      ['coach email', coach?.email as string],
    ];
    for (const [label, value] of needles)
      expect([label, typeof value === 'string' && value.length >= 8]).toEqual([label, true]);
    const found = needles.filter(([, value]) => lines.includes(value)).map(([label]) => label);
    expect(found).toEqual([]);
  });
});
