/**
 * The whole product in a real browser (Debian's Chromium through playwright-core), as a newcomer
 * would meet it: Cermin at http://127.0.0.1:PORT inside the iframe of the demo LMS at
 * http://localhost:PORT — two sites, third-party cookies blocked, as in Moodle.
 *
 *   admin registers the platform (dynamic registration) → coach places an activity with Deep
 *   Linking → participant launches, writes, loses the connection and keeps writing, consents,
 *   asks two lenses (the fake OpenAI-compatible provider), opens a recommendation, submits — with
 *   the keyboard only → coach opens the roster, asks for the AI draft, changes a level, finalizes
 *   → the score is in the demo LMS's gradebook.
 *
 * On every Cermin page of the journey: axe-core in Indonesian and in English (no serious or
 * critical violation), no script error, no CSP violation. Then the participant's page on an
 * emulated slow 3G phone (time to usable, bytes transferred; by DevTools and through a slow link at
 * the socket) and with JavaScript off. Screenshots
 * of the main pages go to docs/screenshots/ (linked from the README) when a page looks different
 * from the one there (SCREENSHOTS=all: every one).
 */
import fs from 'node:fs';
import path from 'node:path';
import mongoose from 'mongoose';
import {
  launchChromium,
  overflowsOf,
  until,
  watchProblems,
  type Browser,
  type BrowserContext,
  type Frame,
  type Page,
} from '../support/chromium';
import { startFakeOpenAI, type ChatRequest, type FakeOpenAI } from '../../sim/fake-openai';
import { writeScreenshot } from '../support/png';
import { startSlowLink } from '../support/slow-link';
import { startStack, startUnregisteredPlatform, type Stack } from '../support/stack';
import { DEMO_CLIENT_ID } from '../../sim/lms/bootstrap';
import { BEBAS_DRAFT_CRITERIA, writeAndSubmit } from '../support/coaching';
import { issueSetupToken } from '../../src/admin/setup';
import { projectRoot } from '../../src/core/paths';

jest.setTimeout(120_000);

const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const SHOTS = path.join(projectRoot, 'docs', 'screenshots');
/** The journal's transfer budget (the same as the autosave bench's): HTML, CSS, scripts, headers. */
const JOURNAL_BUDGET_BYTES = 60 * 1024;
/** WebPageTest's "3G Slow" profile: 400 kbit/s each way, 400 ms round trip. */
const SLOW_3G = {
  offline: false,
  latency: 400,
  downloadThroughput: (400 * 1024) / 8,
  uploadThroughput: (400 * 1024) / 8,
};

// Words the draft quotes (BEBAS_DRAFT_CRITERIA's evidence) and a name the redaction hides; over 120 words.
const TEXT = [
  'Hari Senin Sahat Simanjuntak meminta saya menggantikannya di loket. Saya melayani warga dengan ramah dan menjelaskan persyaratan satu per satu.',
  'Seorang ibu datang dengan berkas yang belum lengkap dan sudah dua kali pulang tanpa hasil. Saya memeriksa berkasnya bersama beliau, menandai apa yang kurang, dan menuliskan langkahnya di kertas agar beliau tidak perlu bertanya lagi.',
  'Dari kejadian itu saya belajar bahwa banyak warga gagal bukan karena malas, tetapi karena informasi yang kami berikan tersebar dan berubah-ubah.',
  'Minggu depan saya akan membuat daftar persyaratan tertulis bersama rekan loket, lalu meminta atasan memeriksanya sebelum ditempel di ruang tunggu.',
].join(' ');
const OFFLINE_TEXT = ' Tambahan saat sinyal hilang: saya juga akan mencatat pertanyaan yang paling sering muncul.';

const lensAnswer = (system: string) =>
  JSON.stringify({
    ...(system.includes('strongestForm')
      ? {
          strongestForm:
            'Pada intinya Anda berpendapat bahwa warga gagal karena informasi yang tersebar, sehingga daftar tertulis adalah langkah pertama.',
        }
      : {}),
    observations: [
      'Anda mendampingi warga sampai berkasnya jelas, tetapi belum menulis apa yang warga rasakan sesudahnya.',
    ],
    questions: [
      'Apa yang membuat informasi itu berubah-ubah?',
      'Bagaimana Anda akan tahu bahwa daftar itu benar-benar membantu warga?',
    ],
    values: [{ value: 'berorientasi-pelayanan', evidence: 'menjelaskan persyaratan satu per satu' }],
  });
const draftAnswer = (user: string) =>
  JSON.stringify({
    feedback: `Anda menceritakan dengan jujur saat menggantikan ${/\[NAMA_\d+\]/.exec(user)?.[0] ?? 'rekan'} di loket. Perdalam apa yang warga rasakan, lalu tuliskan ukuran keberhasilan daftar persyaratan Anda.`,
    criteria: BEBAS_DRAFT_CRITERIA,
  });
function fakeAnswer(body: ChatRequest): string {
  const system = String(body.messages.find((m) => m.role === 'system')?.content ?? '');
  const user = String(body.messages.find((m) => m.role === 'user')?.content ?? '');
  return user.includes('<rubrik>') ? draftAnswer(user) : lensAnswer(system);
}

let fake: FakeOpenAI;
let stack: Stack;
let chromium: Browser;
const ISSUES: string[] = []; // script errors and CSP violations, from every page of every context
const AXE: Array<{ page: string; locale: string; rules: string[] }> = [];
const VISITED = new Set<string>();
const LAYOUT: Array<{ page: string; width: number; overflows: string[] }> = [];

beforeAll(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  fake = await startFakeOpenAI({ models: ['fake-model'] });
  fake.fallback = { respond: fakeAnswer };
  [stack, chromium] = await Promise.all([
    startStack(
      {
        AI_BASE_URL: fake.baseURL,
        AI_API_KEY: fake.apiKey,
        AI_MODEL: 'fake-model',
        AI_PROVIDER_NAME: 'Server AI BPSDM (uji)',
        DEMO_PARTICIPANTS: '43',
      },
      { crossSiteDemo: true },
    ),
    launchChromium({ blockThirdPartyCookies: true }),
  ]);
  expect(new URL(stack.demoBase).hostname).toBe('localhost');
  expect(new URL(stack.baseUrl).hostname).toBe('127.0.0.1');
}, 60_000);
afterAll(async () => {
  await chromium?.close();
  await stack?.close();
  await fake?.close();
});

async function newContext(
  opts: Parameters<Browser['newContext']>[0] = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await chromium.newContext({ viewport: { width: 1280, height: 900 }, locale: 'id-ID', ...opts });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const problems = watchProblems(page);

  context.on('page', (p) => {
    const more = watchProblems(p);
    p.on('close', () => ISSUES.push(...more));
  });
  page.on('close', () => ISSUES.push(...problems));
  return { context, page };
}

/** Waits until the tool's frame shows a Cermin page whose path matches. */
async function frameAt(page: Page, pathPattern: RegExp): Promise<Frame> {
  return until(() => {
    const f = page.frame({ name: 'tool' });
    return f && pathPattern.test(new URL(f.url()).pathname) ? f : undefined;
  }, `the tool frame at ${pathPattern}`)
    .catch(async (e) => {
      const f = page.frame({ name: 'tool' });
      throw new Error(
        `${(e as Error).message}; the frame is at ${f?.url()}: ${((await f?.textContent('body').catch(() => '')) ?? '').slice(0, 400)}`,
      );
    })
    .then(async (f) => {
      await f.waitForLoadState('load');
      return f;
    });
}

/** axe-core on the document in view; serious and critical violations are recorded (and fail the run). */
async function axe(target: Frame | Page, label: string, locale: string): Promise<void> {
  await target.evaluate(AXE_SOURCE); // by the DevTools protocol: the page's CSP does not apply
  const violations = await target.evaluate(async () => {
    const run = (
      window as unknown as {
        axe: {
          run(
            ctx: Document,
            o: object,
          ): Promise<{ violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }> }>;
        };
      }
    ).axe;
    const result = await run.run(document, { resultTypes: ['violations'] });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map(
        (v) =>
          `${v.id} (${v.impact}) at ${v.nodes
            .map((n) => n.target.join(' '))
            .slice(0, 3)
            .join(', ')}`,
      );
  });
  AXE.push({ page: label, locale, rules: violations });
  VISITED.add(`${label} [${locale}]`);
  expect({ page: label, locale, violations }).toEqual({ page: label, locale, violations: [] });
  await fitsWidth(target, `${label} [${locale}]`);
  expect(await target.evaluate(() => document.documentElement.lang)).toBe(locale);
}

/** Nothing sticks out sideways (see overflowsOf); recorded for the summary test. */
async function fitsWidth(target: Frame | Page, label: string): Promise<void> {
  const found = await overflowsOf(target);
  LAYOUT.push({ page: label, ...found });
  expect({ page: label, overflows: found.overflows }).toEqual({ page: label, overflows: [] });
}

/** axe on the page in view (Indonesian), then the same address in English (`lang=en`), then back. */
async function axeBoth(frame: Frame, label: string): Promise<void> {
  await axe(frame, label, 'id');
  const url = new URL(frame.url());
  url.searchParams.set('lang', 'en');
  const english = await frame.goto(url.toString());
  expect([label, english?.status()]).toEqual([label, 200]);
  await axe(frame, label, 'en');
  url.searchParams.delete('lang');
  await frame.goto(url.toString());
}

/** A full-page screenshot of a Cermin page, opened on its own (its address carries the ltik). */
async function screenshot(
  context: BrowserContext,
  url: string,
  name: string,
  viewport = { width: 1280, height: 800 },
): Promise<void> {
  const page = await context.newPage();
  await page.setViewportSize(viewport);
  await page.goto(url);
  writeScreenshot(path.join(SHOTS, `${name}.png`), await page.screenshot({ fullPage: true }));
  await page.close();
}

/**
 * Presses Tab until the focused element in `frame` matches `selector`; every element focused on
 * the way inside the frame must show a visible focus indicator.
 */
async function tabTo(page: Page, frame: Frame, selector: string, max = 120): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const state = await frame.evaluate((sel) => {
      const el = document.activeElement as HTMLElement | null;
      if (!document.hasFocus() || !el || el === document.body)
        return { inside: false, match: false, visible: true, what: '' };
      const style = getComputedStyle(el);
      const visible =
        (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== 'none';
      return {
        inside: true,
        match: el.matches(sel),
        visible,
        what: `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.getAttribute('name') ? `[name=${el.getAttribute('name')}]` : ''}`,
      };
    }, selector);
    if (state.inside)
      expect({ focused: state.what, visibleFocus: state.visible }).toEqual({ focused: state.what, visibleFocus: true });
    if (state.match) return;
  }
  throw new Error(`Tab never reached ${selector}`);
}

/** The visible label of every form field on the page (axe checks too; this says which field). */
async function unlabelledFields(frame: Frame): Promise<string[]> {
  return frame.evaluate(() =>
    Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea'))
      .filter((el) => {
        const labels = (el as HTMLInputElement).labels;
        return !(labels && labels.length) && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby');
      })
      .map((el) => `${el.tagName.toLowerCase()}[name=${el.getAttribute('name')}]`),
  );
}

// State handed from one step of the journey to the next.
let clientId: string;
let linkId: string;
let participantFrameUrl: string;

describe("the journey, in Chromium, the tool in the LMS's cross-site iframe", () => {
  test("1. the admin opens the setup page and registers the platform (Moodle's dynamic registration)", async () => {
    const { context, page } = await newContext();
    await page.goto(`${stack.baseUrl}/setup?token=${await issueSetupToken()}`);
    expect(new URL(page.url()).pathname).toBe('/setup');
    await axe(page, 'setup', 'id');
    await page.goto(`${stack.baseUrl}/setup?lang=en`);
    await axe(page, 'setup', 'en');
    writeScreenshot(path.join(SHOTS, 'admin-setup.png'), await page.screenshot({ fullPage: true }));

    // A Moodle Cermin has never seen, on another origin, registers it as Moodle does: Manage tools,
    // the tool's URL, the registration in a panel (an iframe of the admin page) that Cermin's
    // "org.imsglobal.lti.close" message closes. It then waits for the operator.
    const moodle = await startUnregisteredPlatform(stack);
    const [indonesianMoodle, englishMoodle] = await Promise.all([
      startUnregisteredPlatform(stack),
      startUnregisteredPlatform(stack),
    ]);
    try {
      expect(new URL(moodle.base).origin).not.toBe(new URL(stack.baseUrl).origin);
      await page.goto(`${moodle.base}/admin/tools`);
      await page.fill('#tool-url', stack.cermin.lti.urls.registrationUrl);
      // Read as it arrives: the panel is gone as soon as the page's script has run, and Chromium
      // drops a detached frame's body, so on a loaded machine the body can be lost (a route cannot
      // catch it either: the panel reaches Cermin through the platform's redirect). What proves the
      // success page then is its close message, asserted below: only that page sends one.
      const framed: Array<{ status: number; inPanel: boolean; text: Promise<string | undefined> }> = [];
      page.on('response', (r) => {
        if (r.url().startsWith(stack.cermin.lti.urls.registrationUrl))
          framed.push({
            status: r.status(),
            inPanel: r.frame().parentFrame() !== null,
            text: r.text().catch(() => undefined),
          });
      });
      await Promise.all([page.waitForURL(/\/admin\/tools\?closed=/), page.press('#tool-url', 'Enter')]);
      expect(framed.map((f) => [f.status, f.inPanel])).toEqual([[200, true]]); // in the panel, not the window
      const panelText = await framed[0].text;
      if (panelText !== undefined) expect(panelText).toContain('Cermin terdaftar');
      expect(await page.textContent('#registration-closed')).toContain(new URL(stack.baseUrl).origin); // the panel closed on Cermin's message
      expect(await page.textContent('#tool-list')).toContain(moodle.demo.registrations[0].clientId);
      const registered = moodle.demo.registrations[0];
      // The page itself, in view (the panel above closes at once), in Indonesian and in English.
      await page.goto(indonesianMoodle.demo.dynamicRegistrationUrl(stack.cermin.lti.urls.registrationUrl));
      expect(await page.textContent('body')).toContain('Cermin terdaftar');
      await axe(page, 'registration', 'id');
      // The same page in English (a browser asking for English, another Moodle).
      const english = await newContext({ locale: 'en-US' });
      await english.page.goto(englishMoodle.demo.dynamicRegistrationUrl(stack.cermin.lti.urls.registrationUrl));
      expect(await english.page.textContent('body')).toContain('must approve it');
      await axe(english.page, 'registration', 'en');
      await english.context.close();
      // The operator approves it on the setup page, by keyboard.
      await page.goto(`${stack.baseUrl}/setup`);
      const approve = page
        .locator('form[action="/setup/platforms/approval"]')
        .filter({ has: page.locator(`input[name="clientId"][value="${registered.clientId}"]`) })
        .locator('button[value="approve"]');
      await approve.focus();
      await Promise.all([page.waitForURL(/\/setup\/platforms\/approval$/), page.keyboard.press('Enter')]);
      expect(await page.textContent('body')).toContain('Pendaftaran disetujui');
      expect((await stack.cermin.lti.registry.list()).find((p) => p.clientId === registered.clientId)).toMatchObject({
        pending: false,
        active: true,
      });
    } finally {
      await Promise.all([moodle.close(), indonesianMoodle.close(), englishMoodle.close()]);
    }
    // The rest of the journey runs in the demo LMS (its course, roster and gradebook), as its own client.
    clientId = DEMO_CLIENT_ID;

    // The admin launches Cermin from the LMS: the admin console, then each of its pages.
    await page.goto(`${stack.demoBase}/launch?user=u-admin-1&link=11&client=${clientId}`);
    let frame = await frameAt(page, /\/admin$/);
    const adminUrl = frame.url();
    await axeBoth(frame, 'admin');
    await screenshot(context, frame.url(), 'admin-console');
    for (const section of ['audit', 'deliveries', 'person', 'retention', 'ai', 'consent', 'changes']) {
      await Promise.all([
        frame.waitForURL(new RegExp(`/admin/${section}\\?`)),
        frame.press(`a[href*="/admin/${section}?"]`, 'Enter'),
      ]);
      frame = await frameAt(page, new RegExp(`/admin/${section}$`));
      await axeBoth(frame, `admin/${section}`);
      expect(await unlabelledFields(frame)).toEqual([]);
      await frame.goto(adminUrl);
      frame = await frameAt(page, /\/admin$/);
    }
    await context.close();
  });

  test('2. the coach places an activity with Deep Linking; the LMS gets the link', async () => {
    const { page } = await newContext();
    await page.goto(`${stack.demoBase}/launch?user=u-coach-1&dl=1&client=${clientId}`);
    let frame = await frameAt(page, /\/deep-linking$/);
    await axeBoth(frame, 'picker');
    await Promise.all([
      frame.waitForURL(/\/deep-linking\/bebas\?/),
      frame.press('a[href*="/deep-linking/bebas?"]', 'Enter'),
    ]);
    frame = await frameAt(page, /\/deep-linking\/bebas$/);
    await axeBoth(frame, 'picker/configure');
    expect(await unlabelledFields(frame)).toEqual([]);
    await frame.fill('input[name=title]', 'Refleksi pelayanan minggu ini');
    await frame.selectOption('select[name=aiMode]', 'all');
    await Promise.all([frame.waitForNavigation(), frame.press('button[name=intent][value=add]', 'Enter')]);
    const links = stack.demo.course.links.length;
    await Promise.all([
      page.waitForURL(/\/demo\//),
      frame.press('form[action$="/deep-linking-return"] button', 'Enter'),
    ]).catch(() => undefined);
    await until(() => stack.demo.course.links.length === links + 1, 'the LMS to store the new link');
    linkId = stack.demo.course.links[links].id;
    expect(stack.demo.course.links[links].title).toBe('Refleksi pelayanan minggu ini');
    await page.context().close();
  });

  test('3. a participant, with the keyboard only: writes, loses the connection and keeps writing, consents, asks two lenses, opens a material, submits', async () => {
    const user = 'u-p-001';
    const { context, page } = await newContext({
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
    });
    const toolRequests: Array<{ url: string; cookie?: string }> = [];
    page.on('request', async (r) => {
      if (r.url().startsWith(stack.baseUrl)) toolRequests.push({ url: r.url(), cookie: (await r.allHeaders()).cookie });
    });
    await page.goto(`${stack.demoBase}/launch?user=${user}&link=${linkId}&client=${clientId}`);
    let frame = await frameAt(page, /\/activities\/[\w-]+$/);
    participantFrameUrl = frame.url();
    // Third-party cookies are blocked in this frame (a cookie set here does not stick), and Cermin needs none.
    expect(
      await frame.evaluate(() => {
        document.cookie = 'probe=1; SameSite=None; Secure; Path=/';
        return document.cookie;
      }),
    ).toBe('');
    await axeBoth(frame, 'journal (empty)');
    expect(await unlabelledFields(frame)).toEqual([]);

    // Writing: Tab into the textarea, type; the autosave saves.
    await tabTo(page, frame, 'form[data-autosave] textarea');
    await page.keyboard.type(TEXT, { delay: 0 });
    await until(
      async () => /Tersimpan/.test((await frame.textContent('form[data-autosave] .entry-status')) ?? ''),
      'autosaved',
    ).catch(async (e) => {
      throw new Error(
        `${(e as Error).message}: status ${await frame.textContent('form[data-autosave] .entry-status')}, textarea ${(await frame.inputValue('form[data-autosave] textarea')).length} chars`,
      );
    });
    // The connection drops (every save fails at the network, as when the signal goes; the
    // browser's offline switch does not reach a frame of another site): the text keeps being
    // typed, is queued on the phone, and is sent once the connection is back.
    const isSave = (url: URL) => url.origin === stack.baseUrl && /\/entries\/refleksi$/.test(url.pathname);
    await context.route(isSave, (route) => route.abort('internetdisconnected'));
    await page.keyboard.type(OFFLINE_TEXT, { delay: 0 });
    await until(
      async () => /Tidak ada sinyal/.test((await frame.textContent('form[data-autosave] .entry-status')) ?? ''),
      'the offline notice',
    );
    // Storage is refused to a third-party frame here: the queue is kept in the page.
    expect(
      await frame.evaluate(() => {
        try {
          return typeof localStorage.length;
        } catch {
          return 'refused';
        }
      }),
    ).toBe('refused');
    await context.unroute(isSave);
    await until(
      async () =>
        (await mongoose.connection.db?.collection('coaching_entries').findOne({ userId: user }))?.text ===
        TEXT + OFFLINE_TEXT,
      'the queued text on the server',
      25_000,
    ).catch(async (e) => {
      throw new Error(
        `${(e as Error).message}: server has ${JSON.stringify((await mongoose.connection.db?.collection('coaching_entries').findOne({ userId: user }))?.text)}; page status ${await frame.textContent('form[data-autosave] .entry-status')}`,
      );
    });

    // The AI panel belongs to a saved entry: the page again (as after any reload), then consent.
    await frame.goto(participantFrameUrl);
    frame = await frameAt(page, /\/activities\/[\w-]+$/);
    await axeBoth(frame, 'journal (written, recommendations)');
    await tabTo(page, frame, 'form[data-ai-stream] input[name=lens]');
    await tabTo(page, frame, 'form[data-ai-stream] button');
    await Promise.all([frame.waitForURL(/\/ai\/consent\?/), page.keyboard.press('Enter')]);
    frame = await frameAt(page, /\/ai\/consent$/);
    expect(await frame.textContent('body')).toContain('Server AI BPSDM (uji)');
    await axeBoth(frame, 'AI consent');
    await tabTo(page, frame, 'button[name=choice][value=accept]');
    await Promise.all([frame.waitForURL(/\/activities\/[\w-]+\?/), page.keyboard.press('Enter')]);
    frame = await frameAt(page, /\/activities\/[\w-]+$/);

    // Two lenses: Cermin (the first), then Perkuat argumen (one ArrowDown in the list); each answer streams into the panel.
    for (const [lens, down] of [
      ['cermin', 0],
      ['steelman', 1],
    ] as const) {
      const asked = fake.requests.length;
      await tabTo(page, frame, 'form[data-ai-stream] input[name=lens]');
      for (let i = 0; i < down; i++) await page.keyboard.press('ArrowDown');
      expect(
        await frame.$eval('form[data-ai-stream] input[name=lens]:checked', (e) => (e as HTMLInputElement).value),
      ).toBe(lens);
      await tabTo(page, frame, 'form[data-ai-stream] button');
      await page.keyboard.press('Enter');
      await until(
        async () =>
          fake.requests.length > asked &&
          /warga rasakan sesudahnya/.test((await frame.textContent('section.ai')) ?? ''),
        `the ${lens} answer`,
      );
      await until(
        async () =>
          (await mongoose.connection.db
            ?.collection('coaching_ai_turns')
            .countDocuments({ userId: user, lensId: lens })) === 1,
        `the ${lens} turn stored`,
      );
    }
    await frame.goto(participantFrameUrl);
    frame = await frameAt(page, /\/activities\/[\w-]+$/);
    expect(await frame.textContent('section.ai')).toContain('Pada intinya Anda berpendapat');
    await axeBoth(frame, 'journal (AI answer)');
    await screenshot(context, participantFrameUrl, 'participant-ai-answer', { width: 390, height: 844 });

    // A recommended material, opened from the list (a new tab), is recorded as opened.
    const firstRec = await frame.getAttribute('.recs li.card', 'id');
    expect(firstRec).toMatch(/^rec-/);
    await tabTo(page, frame, `#${firstRec} h3 a`);
    const [material] = await Promise.all([context.waitForEvent('page'), page.keyboard.press('Enter')]);
    // The tab goes on to the material's own site (which this machine cannot reach); Cermin records the open.
    await material.close();
    await until(
      async () =>
        (
          (await mongoose.connection.db?.collection('recommend_history').findOne({ userId: user }))?.items as
            Array<{ itemId: string; openedAt?: Date }> | undefined
        )?.find((e) => e.itemId === firstRec?.slice(4))?.openedAt,
      'the open recorded',
    );
    await screenshot(context, `${participantFrameUrl}#rekomendasi`, 'participant-recommendations', {
      width: 390,
      height: 844,
    });

    // The participant's own pages: their data, and what the AI does and does not do.
    for (const [href, label] of [
      ['/privacy?', 'privacy (Data saya)'],
      ['/ai/about?', 'AI transparency'],
    ] as const) {
      await frame.goto(
        new URL((await frame.getAttribute(`a[href*="${href}"]`, 'href')) as string, frame.url()).toString(),
      );
      await axeBoth(frame, label);
      await frame.goto(participantFrameUrl);
      frame = await frameAt(page, /\/activities\/[\w-]+$/);
    }

    // Submit for grading, with the keyboard: the page asks first, naming what is still missing.
    await tabTo(page, frame, 'form[action*="/submit"] button');
    await Promise.all([frame.waitForNavigation(), page.keyboard.press('Enter')]);
    frame = await frameAt(page, /\/activities\/[\w-]+\/submit$/);
    expect(await frame.textContent('#confirm-submit')).toContain('Kumpulkan sekarang?');
    expect((await mongoose.connection.db?.collection('coaching_work').findOne({ userId: user }))?.status).toBe('draft');
    await axeBoth(frame, 'journal (confirm submit)');
    await tabTo(page, frame, '#confirm-submit button');
    await Promise.all([frame.waitForNavigation(), page.keyboard.press('Enter')]);
    frame = await frameAt(page, /\/activities\/[\w-]+$/);
    await until(
      async () =>
        (await mongoose.connection.db?.collection('coaching_work').findOne({ userId: user }))?.status === 'submitted',
      'submitted',
    );
    await axeBoth(frame, 'journal (submitted)');
    await screenshot(context, participantFrameUrl, 'participant-journal', { width: 390, height: 844 });

    expect(toolRequests.length).toBeGreaterThan(20);
    expect(toolRequests.filter((r) => r.cookie)).toEqual([]);
    await context.close();
  });

  test('4. the coach opens the roster, asks for the AI draft, changes a level, finalizes; the LMS gradebook shows the score', async () => {
    const { context, page } = await newContext();
    await page.goto(`${stack.demoBase}/launch?user=u-coach-1&link=${linkId}&client=${clientId}`);
    let frame = await frameAt(page, /\/manage$/);
    await axeBoth(frame, 'activity manage');
    await Promise.all([frame.waitForURL(/\/roster\?/), frame.press('a[href*="/roster?"]', 'Enter')]);
    frame = await frameAt(page, /\/roster$/);
    await axeBoth(frame, 'roster');
    await screenshot(context, frame.url(), 'coach-roster');
    // A widyaiswara on a phone: the roster's table scrolls inside its box, the page does not.
    await page.setViewportSize({ width: 390, height: 844 });
    await fitsWidth(frame, 'roster at 390 px');
    await page.setViewportSize({ width: 1280, height: 900 });
    await Promise.all([
      frame.waitForURL(/\/submissions\/u-p-001\?/),
      frame.press('a[href*="/submissions/u-p-001?"]', 'Enter'),
    ]);
    frame = await frameAt(page, /\/submissions\/u-p-001$/);
    const reviewUrl = frame.url();

    await Promise.all([frame.waitForNavigation(), frame.press('form[action$="/draft"] button', 'Enter')]);
    frame = await frameAt(page, /\/submissions\/u-p-001/);
    expect(await frame.textContent('.ai-draft')).toContain(
      'Anda menceritakan dengan jujur saat menggantikan Sahat Simanjuntak',
    );
    await Promise.all([frame.waitForURL(/useDraft=1/), frame.press('.ai-draft a[href*="useDraft=1"]', 'Enter')]);
    frame = await frameAt(page, /\/submissions\/u-p-001$/);
    await axeBoth(frame, 'review (AI draft)');
    expect(await unlabelledFields(frame)).toEqual([]);
    await screenshot(context, frame.url(), 'coach-review');
    // The draft suggested levels 1, 2, 2 (18 + …); the coach raises depth of reflection to level 2.
    expect(await frame.isChecked('input[name="level.kedalaman"][value="1"]')).toBe(true);
    await frame.press('input[name="level.kedalaman"][value="2"]', 'Space');
    await frame.fill(
      'textarea[name=comment]',
      'Refleksi Anda jujur dan runtut. Tambahkan ukuran keberhasilan untuk daftar persyaratan.',
    );
    await Promise.all([
      frame.waitForNavigation(),
      frame.press('form[action$="/finalize"] button[name=then][value=stay]', 'Enter'),
    ]);
    frame = await frameAt(page, /\/submissions\/u-p-001/);
    const score = await until(
      () => stack.demo.gradebook.scores.find((s) => s.userId === 'u-p-001' && s.scoreGiven !== undefined)?.scoreGiven,
      'the score at the LMS',
      20_000,
    );
    await frame.goto(reviewUrl);
    await axeBoth(await frameAt(page, /\/submissions\/u-p-001$/), 'review (finalized)');

    // The LMS's gradebook page shows it.
    await page.goto(`${stack.demoBase}/gradebook`);
    expect(await page.textContent('body')).toContain(`${score} / 100`);
    writeScreenshot(path.join(SHOTS, 'lms-gradebook.png'), await page.screenshot({ fullPage: true }));
    await context.close();
  });

  test('5. a widyaiswara grades 40 participants from the worklist with "Simpan & berikutnya"; a safety alert is followed up; a participant reads their grade', async () => {
    // The class: 39 participants write and submit as their phones would (HTTP), one through Chromium,
    // with the confirmation; one of them asks for reflection help in words that raise a safety alert.
    const CLASS = Array.from({ length: 40 }, (_, i) => `u-p-${String(i + 4).padStart(3, '0')}`);
    const byBrowser = CLASS[CLASS.length - 1];
    const inDanger = CLASS[6];
    for (let i = 0; i < CLASS.length - 1; i += 8) {
      await Promise.all(
        CLASS.slice(i, Math.min(i + 8, CLASS.length - 1)).map(async (userId) => {
          const text =
            userId === inDanger
              ? `${TEXT} Minggu ini berat sekali dan kadang saya ingin mengakhiri hidup saja.`
              : `${TEXT} Catatan ${userId}.`;
          const p = await writeAndSubmit(stack, userId, linkId, { refleksi: text }, { submit: userId !== inDanger });
          if (userId === inDanger) {
            const cared = await p.browser.go(`${p.activityUrl}/entries/refleksi/reflect`, {
              form: { ltik: p.ltik, lens: 'cermin' },
            });
            expect(cared.body).toContain('119');
            await p.browser.go(`${p.activityUrl}/submit`, { form: { ltik: p.ltik, confirm: '1' } });
          }
        }),
      );
    }
    const works = mongoose.connection.db?.collection('coaching_work');
    {
      const { context, page } = await newContext({
        viewport: { width: 390, height: 844 },
        isMobile: true,
        hasTouch: true,
      });
      await page.goto(`${stack.demoBase}/launch?user=${byBrowser}&link=${linkId}&client=${clientId}`);
      let frame = await frameAt(page, /\/activities\/[\w-]+$/);
      await frame.fill('form[data-autosave] textarea', TEXT);
      await until(
        async () => /Tersimpan/.test((await frame.textContent('form[data-autosave] .entry-status')) ?? ''),
        'autosaved',
      );
      // A phone's tap in a cross-site frame: by the keyboard, as Playwright cannot hit-test an emulated phone's frame.
      await frame.press('form[action*="/submit"] button', 'Enter');
      frame = await frameAt(page, /\/submit$/);
      expect(await frame.textContent('#confirm-submit')).toContain('Kumpulkan sekarang?');
      await frame.press('#confirm-submit button', 'Enter');
      await until(async () => (await works?.findOne({ userId: byBrowser }))?.status === 'submitted', 'submitted');
      await context.close();
    }
    expect(await works?.countDocuments({ userId: { $in: CLASS }, status: 'submitted' })).toBe(40);

    // The coach's landing for the activity: the worklist, to review first, and the open alert on top.
    const { context, page } = await newContext();
    await page.goto(`${stack.demoBase}/launch?user=u-coach-1&link=${linkId}&client=${clientId}`);
    let frame = await frameAt(page, /\/manage$/);
    const manageUrl = frame.url();
    expect(await frame.textContent('.tabs')).toContain('Perlu ditinjau (40)');
    expect(await frame.textContent('.safety-badge')).toContain('1 peringatan keselamatan belum ditindaklanjuti');
    await axeBoth(frame, 'worklist');
    await screenshot(context, frame.url(), 'coach-worklist');
    // The alert: from the badge to the roster's list, followed up with a note; the badge is gone everywhere.
    // In the LMS's cross-site frame Playwright's clicks land off target: links, buttons and radios by the keyboard (one press each).
    await Promise.all([frame.waitForURL(/\/roster\?/), frame.press('.safety-badge a', 'Enter')]);
    frame = await frameAt(page, /\/roster$/);
    const alert = frame.locator('.alert-item', {
      hasText: stack.demo.users.find((u) => u.id === inDanger)?.name ?? '',
    });
    await alert.locator('textarea[name=note]').fill('Sudah saya telepon; dirujuk ke konselor kantor.');
    await Promise.all([frame.waitForNavigation(), alert.locator('button[type=submit]').press('Enter')]);
    frame = await frameAt(page, /\/roster$/);
    expect(await frame.textContent('#alerts-h')).toContain('0 belum ditindaklanjuti');
    expect(await frame.textContent('.alert-item.done')).toContain('Ditindaklanjuti oleh');
    expect(await frame.$('.safety-badge')).toBeNull();
    await axeBoth(frame, 'roster (alert followed up)');
    await frame.goto(manageUrl);
    frame = await frameAt(page, /\/manage$/);
    expect(await frame.$('.safety-badge')).toBeNull();

    // Grading: "Mulai meninjau", then per participant three levels and "Simpan & berikutnya" (every
    // fourth by keyboard: a click on the first level, digits for the next rows, Ctrl+Enter).
    const actionsPer: Array<{ userId: string; actions: number }> = [];
    let commented = '';
    await Promise.all([frame.waitForURL(/\/submissions\//), frame.press('.worklist-actions a.button', 'Enter')]);
    for (let i = 0; i < CLASS.length; i++) {
      frame = await frameAt(page, /\/submissions\/[\w-]+$/);
      const userId = decodeURIComponent(new URL(frame.url()).pathname.split('/').pop() as string);
      expect(await frame.textContent('.review-nav')).toContain(`1 dari ${CLASS.length - i} (perlu ditinjau)`);
      if (i === 0) await axeBoth(frame, 'review (worklist)');
      let actions = 0;
      if (i % 4 === 3) {
        // A fresh rubric beside the writing has the keys: a digit picks the focused row's level and moves on.
        await until(
          () => frame.evaluate(() => document.activeElement?.getAttribute('name')),
          'the first row focused',
        ).then((name) => expect(name).toBe('level.kedalaman'));
        for (const digit of ['3', '2', '3']) await frame.locator(':focus').press(digit);
        expect(await frame.textContent('#review-total')).not.toBe('–');
        await Promise.all([
          frame.waitForURL((u) => !u.pathname.endsWith(`/${userId}`)),
          frame.locator(':focus').press('Control+Enter'),
        ]);
        actions += 4;
        expect(await mongoose.connection.db?.collection('coaching_reviews').findOne({ userId })).toMatchObject({
          decision: { levels: { kedalaman: 2, 'bukti-peran': 1, rencana: 2 } },
        });
      } else {
        for (const [criterion, level] of [
          ['kedalaman', 2],
          ['bukti-peran', 1 + (i % 3)],
          ['rencana', 2],
        ] as const) {
          await frame.press(`input[name="level.${criterion}"][value="${level}"]`, 'Space');
          actions += 1;
        }
        if (i === 0) {
          // The first comment is typed and kept in the coach's comment bank ...
          const comment = 'Cerita Anda runtut. Tuliskan ukuran keberhasilannya.';
          await frame.locator('textarea[name=comment]').pressSequentially(comment);
          await frame.press('input[name=saveToBank]', 'Space');
          actions += 1 + comment.length + 1;
        }
        if (i === 1) {
          // ... and the next participant gets it with one press.
          commented = userId;
          await frame.press('.bank button[data-insert]', 'Enter');
          expect(await frame.inputValue('textarea[name=comment]')).toBe(
            'Cerita Anda runtut. Tuliskan ukuran keberhasilannya.',
          );
          actions += 1;
        }
        await Promise.all([
          frame.waitForURL((u) => !u.pathname.endsWith(`/${userId}`)),
          frame.press('#save-next', 'Enter'),
        ]);
        actions += 1;
      }
      actionsPer.push({ userId, actions });
    }
    // After the last one: back on the worklist, nothing left to review.
    frame = await frameAt(page, /\/manage$/);
    expect(await frame.textContent('.notice')).toContain('tidak ada lagi tugas yang perlu ditinjau');
    expect(await frame.textContent('.tabs')).toContain('Perlu ditinjau (0)');
    expect(new Set(actionsPer.map((a) => a.userId)).size).toBe(40);
    const counts = actionsPer.map((a) => a.actions).sort((a, b) => a - b);
    console.log(
      `Grading 40 participants: actions (clicks + key presses) per participant after reading: median ${counts[20]}, ` +
        `max ${counts[39]} (the one whose comment was typed), ${counts.filter((n) => n <= 4).length} of 40 in 4 or fewer, ` +
        `${counts.filter((n) => n <= 5).length} in 5 or fewer (a comment from the bank is one more)`,
    );
    expect(counts.filter((n) => n <= 4).length).toBe(38);
    expect(counts.filter((n) => n <= 5).length).toBe(39);
    // Every grade reaches the LMS's gradebook.
    await until(
      () => CLASS.every((u) => stack.demo.gradebook.scores.some((s) => s.userId === u && s.scoreGiven !== undefined)),
      'all 40 grades at the LMS',
      60_000,
    );
    await context.close();

    // The participant who got a comment reads their grade, each criterion's level and the comment.
    const reader = await newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
    await reader.page.goto(`${stack.demoBase}/launch?user=${commented}&link=${linkId}&client=${clientId}`);
    const journal = await frameAt(reader.page, /\/activities\/[\w-]+$/);
    const feedback = await journal.textContent('.feedback');
    expect(feedback).toMatch(/Nilai Anda: [\d.]+ dari 100/);
    expect(feedback).toContain('Cerita Anda runtut. Tuliskan ukuran keberhasilannya.');
    expect(feedback).toContain('Kedalaman refleksi');
    await axeBoth(journal, 'journal (feedback)');
    await reader.context.close();
  }, 300_000);

  test('every page of the journey passed axe in both languages; no script error or CSP violation anywhere', () => {
    for (const label of [
      'setup',
      'registration',
      'admin',
      'admin/audit',
      'picker',
      'journal (empty)',
      'AI consent',
      'journal (AI answer)',
      'journal (submitted)',
      'roster',
      'review (AI draft)',
      'journal (confirm submit)',
      'worklist',
      'roster (alert followed up)',
      'review (worklist)',
      'journal (feedback)',
    ]) {
      for (const locale of ['id', 'en']) expect([...VISITED]).toContain(`${label} [${locale}]`);
    }
    expect(AXE.filter((a) => a.rules.length)).toEqual([]);
    expect(LAYOUT.filter((l) => l.overflows.length)).toEqual([]);
    expect(LAYOUT.some((l) => l.page === 'roster at 390 px' && l.width < 400)).toBe(true);
    expect(ISSUES).toEqual([]);
  });
});

describe("the participant's page on a slow 3G phone, and without JavaScript", () => {
  /** The activity page opened on its own on a phone (the LMS's own pages are not ours to measure): time to usable, bytes. */
  async function openOnPhone(
    context: BrowserContext,
    url: string,
    devtoolsThrottle: boolean,
  ): Promise<{
    phone: Page;
    usableMs: number;
    transferred: number;
    responses: number;
    timing: Record<string, number>;
  }> {
    const phone = await context.newPage();
    const cdp = await context.newCDPSession(phone);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    if (devtoolsThrottle) await cdp.send('Network.emulateNetworkConditions', SLOW_3G);
    const bytes = new Map<string, number>();
    cdp.on('Network.loadingFinished', (e: { requestId: string; encodedDataLength: number }) =>
      bytes.set(e.requestId, e.encodedDataLength),
    );
    const started = Date.now();
    await phone.goto(url, { waitUntil: 'domcontentloaded' });
    await phone.waitForSelector('form[data-autosave] textarea', { state: 'visible' });
    const usableMs = Date.now() - started;
    await phone.waitForLoadState('load');
    const timing = await phone.evaluate(() => {
      const n = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
      return {
        ttfb: Math.round(n.responseStart),
        dcl: Math.round(n.domContentLoadedEventEnd),
        load: Math.round(n.loadEventEnd),
      };
    });
    // Typing works at once.
    await phone.fill('form[data-autosave] textarea', 'Ditulis di ponsel dengan sinyal lemah.');
    return {
      phone,
      usableMs,
      transferred: [...bytes.values()].reduce((a, b) => a + b, 0),
      responses: bytes.size,
      timing,
    };
  }

  test('slow 3G (400 kbit/s, 400 ms), 360×640: usable within 3 s, transferred size under the journal budget', async () => {
    const { context, page } = await newContext({
      viewport: { width: 360, height: 640 },
      isMobile: true,
      hasTouch: true,
    });
    await page.goto(`${stack.demoBase}/launch?user=u-p-002&link=${linkId}&client=${clientId}`);
    const activityUrl = (await frameAt(page, /\/activities\/[\w-]+$/)).url();
    // 1. Throttled by the DevTools protocol (Chromium's own emulation; it may let the document itself through fast).
    const emulated = await openOnPhone(context, activityUrl, true);
    console.log(
      `3G (DevTools): usable ${emulated.usableMs} ms (ttfb ${emulated.timing.ttfb}, DOMContentLoaded ${emulated.timing.dcl}, load ${emulated.timing.load}); ${emulated.transferred} bytes in ${emulated.responses} responses`,
    );
    expect(emulated.usableMs).toBeLessThan(3000);
    expect(emulated.transferred).toBeLessThan(JOURNAL_BUDGET_BYTES);
    writeScreenshot(path.join(SHOTS, 'participant-phone-3g.png'), await emulated.phone.screenshot());
    // 2. Through a slow link at the socket (the same profile, handshakes and the document included):
    //    the page's own links are relative, so it works through the link's address as it does directly.
    const link = await startSlowLink(
      { host: '127.0.0.1', port: Number(new URL(stack.baseUrl).port) },
      { rttMs: SLOW_3G.latency, kbitPerSec: 400 },
    );
    try {
      const viaLink = new URL(activityUrl);
      viaLink.port = String(link.port);
      const wire = await openOnPhone(context, viaLink.toString(), false);
      console.log(
        `3G (slow link): usable ${wire.usableMs} ms (ttfb ${wire.timing.ttfb}, DOMContentLoaded ${wire.timing.dcl}, load ${wire.timing.load}); ${link.bytesDown()} bytes down, ${link.bytesUp()} up`,
      );
      // The document waited for the link: a handshake and a round trip at least.
      expect(wire.timing.ttfb).toBeGreaterThanOrEqual(SLOW_3G.latency * 2 - 50);
      expect(wire.usableMs).toBeLessThan(3000);
      expect(link.bytesDown()).toBeLessThan(JOURNAL_BUDGET_BYTES);
    } finally {
      await link.close();
    }
    await context.close();
  });

  test('without JavaScript: writing, saving and submitting still work', async () => {
    const { context, page } = await newContext();
    await page.goto(`${stack.demoBase}/launch?user=u-p-003&link=${linkId}&client=${clientId}`);
    const activityUrl = (await frameAt(page, /\/activities\/[\w-]+$/)).url(); // carries the ltik: no cookie needed
    await context.close();
    const noScript = await newContext({ javaScriptEnabled: false });
    await noScript.page.goto(activityUrl);
    await noScript.page.fill('form[data-autosave] textarea', TEXT);
    await Promise.all([
      noScript.page.waitForURL(/saved=refleksi/),
      noScript.page.click('form[data-autosave] button[type=submit]'),
    ]);
    expect(await noScript.page.textContent('body')).toContain('Tersimpan.');
    expect((await mongoose.connection.db?.collection('coaching_entries').findOne({ userId: 'u-p-003' }))?.text).toBe(
      TEXT,
    );
    await Promise.all([noScript.page.waitForNavigation(), noScript.page.click('form[action*="/submit"] button')]);
    expect(await noScript.page.textContent('#confirm-submit')).toContain('Kumpulkan sekarang?');
    await Promise.all([noScript.page.waitForNavigation(), noScript.page.click('#confirm-submit button')]);
    expect((await mongoose.connection.db?.collection('coaching_work').findOne({ userId: 'u-p-003' }))?.status).toBe(
      'submitted',
    );
    await noScript.context.close();
  });
});
