/**
 * Cermin's pages inside the demo LMS's iframe (another origin, as Moodle), in Chromium, on a
 * desktop and on a 390 px phone: nothing sticks out sideways. Found in a real Moodle 5.1: the AI
 * lens dropdown was 757 px wide (its options carry each lens's description) and stuck out of its
 * card, and the roster's table spilled 173 px out of a phone's frame.
 */
import { Browser as HttpBrowser } from '../../sim/browser';
import { placeActivities } from '../support/coaching';
import {
  launchChromium,
  launchInFrame,
  overflowsOf,
  until,
  type Browser,
  type Frame,
  type Page,
} from '../support/chromium';
import { startStack, type Stack } from '../support/stack';

let stack: Stack;
let chromium: Browser;
let links: string[];

const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 900 },
  { name: 'phone', width: 390, height: 844 },
] as const;
const TEXT =
  'Hari Senin saya melayani warga yang kesulitan mengisi formulir daring. Saya mendampingi beliau sampai selesai dan mencatat kendalanya untuk atasan.';

beforeAll(async () => {
  [stack, chromium] = await Promise.all([startStack(), launchChromium()]);
  // Several activities with long names, as a widyaiswara's course has: the roster gets wide.
  ({ links } = await placeActivities(stack, new HttpBrowser(), [
    {
      id: 'bebas',
      form: {
        title: 'Refleksi bebas dengan cermin AI tentang pelayanan publik minggu pertama',
        maxScore: '100',
        aiMode: 'all',
        'prompt.refleksi': 'Ceritakan satu kejadian pelayanan minggu ini.',
      },
    },
    {
      id: 'berakhlak',
      form: {
        title: 'Refleksi nilai dasar BerAKHLAK — Angkatan I Latsar CPNS',
        maxScore: '100',
        aiMode: 'off',
        dueAt: '',
      },
    },
    {
      id: 'habituasi',
      form: {
        title: 'Jurnal habituasi aktualisasi di unit kerja, minggu kedua',
        maxScore: '50',
        aiMode: 'off',
        dueAt: '',
      },
    },
  ]));
}, 60_000);
afterAll(async () => {
  await chromium?.close();
  await stack?.close();
});

async function inFrame(
  viewport: { width: number; height: number },
  launchUrl: string,
  landed: RegExp,
): Promise<{ page: Page; frame: Frame; close(): Promise<void> }> {
  const context = await chromium.newContext({ viewport, locale: 'id-ID' });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const frame = await launchInFrame(page, launchUrl, landed);
  return { page, frame, close: () => context.close() };
}

describe.each(VIEWPORTS)('on a $name ($width px)', (viewport) => {
  test('the journal with the AI lens dropdown fits its frame', async () => {
    const user = viewport.name === 'desktop' ? 'u-p-001' : 'u-p-002';
    const { frame, close } = await inFrame(
      viewport,
      `${stack.demoBase}/launch?user=${user}&link=${links[0]}`,
      /\/activities\/[\w-]+\?/,
    );
    try {
      await frame.fill('form[data-autosave] textarea', TEXT);
      await frame.click('form[data-autosave] button[type=submit]');
      await until(
        async () => /Tersimpan/.test((await frame.textContent('form[data-autosave] .entry-status')) ?? ''),
        'saved',
      );
      await frame.goto(frame.url()); // the panel belongs to a saved entry
      const lenses = await frame.waitForSelector('form[data-ai-stream] fieldset.lenses');
      // Each way of asking is a card with its (long) description: they wrap within the width there is.
      const longest = await lenses.evaluate((f) =>
        Math.max(...Array.from(f.querySelectorAll('label.lens')).map((l) => (l.textContent ?? '').trim().length)),
      );
      expect(longest).toBeGreaterThan(60);
      expect(await overflowsOf(frame)).toMatchObject({ overflows: [] });
    } finally {
      await close();
    }
  });

  test("the coach's roster fits its frame; on a phone each participant is a card, nothing scrolls sideways", async () => {
    const { frame, close } = await inFrame(
      viewport,
      `${stack.demoBase}/launch?user=u-coach-1&link=${links[0]}`,
      /\/manage\?/,
    );
    try {
      await Promise.all([frame.waitForURL(/\/roster\?/), frame.click('a[href*="/roster?"]')]);
      await frame.waitForLoadState('load');
      const found = await overflowsOf(frame);
      expect(found).toMatchObject({ overflows: [] });
      if (viewport.name === 'phone') {
        expect(found.width).toBeLessThan(400);
        // One card per participant: the row is as wide as the frame, each status labelled with its activity.
        const box = await frame.$eval('.scroll', (el) => ({ content: el.scrollWidth, shown: el.clientWidth }));
        expect(box.content).toBeLessThanOrEqual(box.shown);
        const card = await frame.$eval('table.roster tbody tr', (tr) => ({
          display: getComputedStyle(tr).display,
          label: getComputedStyle(tr.querySelector('td') as Element, '::before').content,
        }));
        expect(card.display).toBe('block');
        expect(card.label).toMatch(/^".+: "$/);
      }
    } finally {
      await close();
    }
  });
});
