/**
 * The AI panel's script in Chromium, inside the demo LMS's iframe, against the fake
 * OpenAI-compatible provider: asking a lens sends the participant to consent first; after
 * consenting, the answer appears piece by piece while the model is still writing, then the panel
 * is replaced by the one the page would show (labelled, with "why this answer"), and the form
 * works again without a reload. Without JavaScript the same form posts and the page shows it.
 */
import { Browser as HttpBrowser } from '../../sim/browser';
import { placeActivities } from '../support/coaching';
import {
  launchChromium,
  launchInFrame,
  until,
  watchProblems,
  type Browser,
  type BrowserContext,
  type Frame,
  type Page,
} from '../support/chromium';
import { startFakeOpenAI, type ChatRequest, type FakeOpenAI } from '../../sim/fake-openai';
import { startStack, type Stack } from '../support/stack';

let fake: FakeOpenAI;
let stack: Stack;
let chromium: Browser;
let linkId: string;

const LANDED = /\/lti\/app\/courses\/[^/]+\/activities\/[\w-]+\?/;
const TEXT =
  'Hari Senin saya melayani warga yang kesulitan mengisi formulir daring. Saya mendampingi beliau sampai selesai dan mencatat kendalanya untuk atasan.';

const answer = (body: ChatRequest) => {
  const user = body.messages.find((m) => m.role === 'user')?.content as string;
  expect(user).toContain('<refleksi>');
  return JSON.stringify({
    observations: ['Anda mendampingi warga sampai selesai, tetapi belum menulis apa yang warga rasakan sesudahnya.'],
    questions: [
      'Apa yang membuat formulir daring itu sulit bagi warga?',
      'Bagaimana catatan Anda untuk atasan akan dipakai?',
      'Apa yang akan Anda ubah minggu depan?',
    ],
    values: [{ value: 'berorientasi-pelayanan', evidence: 'mendampingi beliau sampai selesai' }],
  });
};

beforeAll(async () => {
  fake = await startFakeOpenAI({ models: ['fake-model'] });
  [stack, chromium] = await Promise.all([
    startStack({
      AI_BASE_URL: fake.baseURL,
      AI_API_KEY: fake.apiKey,
      AI_MODEL: 'fake-model',
      AI_PROVIDER_NAME: 'Server AI BPSDM (uji)',
    }),
    launchChromium(),
  ]);
  const { links } = await placeActivities(stack, new HttpBrowser(), [
    {
      id: 'bebas',
      form: {
        title: 'Refleksi dengan AI',
        maxScore: '100',
        aiMode: 'all',
        'prompt.refleksi': 'Ceritakan satu kejadian pelayanan minggu ini.',
      },
    },
  ]);
  linkId = links[0];
}, 60_000);
afterAll(async () => {
  await chromium?.close();
  await stack?.close();
  await fake?.close();
});

/** A participant's journal in the LMS iframe, with one entry written and saved. */
async function journalWithEntry(
  user: string,
): Promise<{ context: BrowserContext; page: Page; frame: Frame; problems: string[] }> {
  const context = await chromium.newContext();
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const problems = watchProblems(page);
  const frame = await launchInFrame(page, `${stack.demoBase}/launch?user=${user}&link=${linkId}`, LANDED);
  await frame.waitForSelector('form[data-autosave] textarea');
  await frame.fill('form[data-autosave] textarea', TEXT);
  await frame.click('form[data-autosave] button[type=submit]');
  await until(
    async () => /Tersimpan/.test((await frame.textContent('form[data-autosave] .entry-status')) ?? ''),
    'saved',
  );
  return { context, page, frame, problems };
}

test("consent first, then the answer streams into the panel and becomes the page's own panel", async () => {
  const opened = await journalWithEntry('u-p-001');
  const { context, page, problems } = opened;
  let { frame } = opened;
  // The panel appears once the entry is saved (after a reload: it belongs to a saved entry).
  await frame.goto(frame.url());
  await frame.waitForSelector('form[data-ai-stream]');

  // Asking before consenting: the script goes to the consent page (it cannot show a redirect).
  await frame.check('form[data-ai-stream] input[name=lens][value=cermin]');
  await Promise.all([frame.waitForURL(/\/ai\/consent\?/), frame.click('form[data-ai-stream] button')]);
  expect(await frame.textContent('body')).toContain('Server AI BPSDM (uji)');
  await Promise.all([frame.waitForURL(LANDED), frame.click('button[name=choice][value=accept]')]);
  frame = page.frames().find((f) => LANDED.test(f.url())) as Frame;
  await frame.waitForSelector('form[data-ai-stream]');

  fake.reply({ respond: answer, chunkDelayMs: 40 });
  const requests = fake.requests.length;
  await frame.check('form[data-ai-stream] input[name=lens][value=cermin]');
  // Notes in the page when each question appears in the live card, and when the final panel does.
  await frame.evaluate(() => {
    const w = window as unknown as { seen: Array<[string, number]> };
    w.seen = [];
    new MutationObserver((changes) => {
      for (const c of changes) {
        for (const n of Array.from(c.addedNodes)) {
          if (!(n instanceof HTMLElement)) continue;
          if (n.tagName === 'LI' && n.closest('.ai-live')) w.seen.push(['question', performance.now()]);
          if (n.tagName === 'SECTION' && n.classList.contains('ai')) w.seen.push(['panel', performance.now()]);
        }
      }
    }).observe(document.body, { childList: true, subtree: true });
  });
  await frame.click('form[data-ai-stream] button');
  // While the model writes: the live card, the status, and the button waits.
  await frame.waitForSelector('.ai-live li');
  expect(await frame.getAttribute('form[data-ai-stream]', 'aria-busy')).toBe('true');
  expect(await frame.isDisabled('form[data-ai-stream] button')).toBe(true);
  expect(await frame.textContent('.ai-live .hint')).toContain('AI sedang membaca refleksi Anda');
  // Then the page's own panel replaces it.
  await frame.waitForSelector('.ai .card:not(.ai-live)');
  const seen = await frame.evaluate(() => (window as unknown as { seen: Array<[string, number]> }).seen);
  expect(seen.map(([what]) => what)).toEqual(['question', 'question', 'question', 'panel']);
  // Each question arrived as the model wrote it (the provider waits 40 ms between pieces), not all at the end.
  expect(seen[3][1] - seen[0][1]).toBeGreaterThan(150);
  const panel = (await frame.textContent('.ai')) ?? '';
  expect(panel).toContain('Dijawab oleh AI (fake-model)');
  expect(panel).toContain('Apa yang akan Anda ubah minggu depan?');
  expect(panel).toContain('Mengapa jawaban ini?');
  expect(await frame.evaluate(() => document.activeElement?.classList.contains('card'))).toBe(true);
  expect(fake.requests.length).toBe(requests + 1);
  expect(frame.url()).toMatch(LANDED); // no navigation: the page stayed

  // The new form works at once (its handler is attached): a second lens, streamed again.
  fake.reply({ respond: answer, chunkDelayMs: 5 });
  await frame.check('form[data-ai-stream] input[name=lens][value=kritik]');
  await frame.click('form[data-ai-stream] button');
  await until(() => fake.requests.length === requests + 2 || null, 'second request');
  await frame.waitForSelector('.ai .card:not(.ai-live)');
  expect(fake.requests[requests + 1].body?.stream).toBe(true);
  expect(fake.requests[requests + 1].body?.messages[0].content).toContain('Kritik tajam');
  expect(frame.url()).toMatch(LANDED);
  expect(problems).toEqual([]);
  await context.close();
});

test("a failing provider: the offline engine's questions replace the live card, saying why", async () => {
  const { context, frame, problems } = await journalWithEntry('u-p-002');
  const consent = new URL(frame.url());
  consent.pathname = consent.pathname.replace(/\/activities\/.*$/, '/ai/consent');
  const ltik = consent.searchParams.get('ltik') as string;
  await new HttpBrowser().go(`${consent.origin}${consent.pathname}`, { form: { ltik, choice: 'accept' } });
  await frame.goto(frame.url());
  fake.reply({ status: 503 }, { status: 503 });
  await frame.click('form[data-ai-stream] button');
  await frame.waitForSelector('.ai .card:not(.ai-live)');
  const panel = (await frame.textContent('.ai')) ?? '';
  expect(panel).toContain('Pertanyaan dari bank pertanyaan Cermin (tanpa AI)');
  expect(panel).toContain('layanan AI sedang tidak dapat dihubungi');
  expect(problems).toEqual([]);
  await context.close();
});
