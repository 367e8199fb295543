/**
 * The journal's script in a real browser (Debian's Chromium through playwright-core): a coach
 * places a 'bebas' activity through Deep Linking, then participants launch it from the demo LMS,
 * which posts the launch into its iframe named "tool", exactly as Moodle does. In that frame:
 * autosave (debounced, one save at a time), the offline queue, conflicts, a queue surviving a
 * closed page, "submit for grading" flushing first, and the plain form post without JavaScript.
 */
import { Browser as HttpBrowser, launchThroughDemo, ltikOf, type Page as HttpPage } from '../../sim/browser';
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
import { startStack, type Stack } from '../support/stack';
import { parseAutoPostForm } from '../../sim/lms/platform';
import { Entry, Work } from '../../src/coaching/models';

let stack: Stack;
let chromium: Browser;
let linkId: string;

/** The coach's Deep Linking flow (as in coaching-flow.test.ts): picker → add → return → links. */
async function placeActivities(
  coach: HttpBrowser,
  templates: Array<{ id: string; form: Record<string, string> }>,
): Promise<{ links: string[]; picker: HttpPage }> {
  let picker = await launchThroughDemo(coach, stack.demoBase, 'u-coach-1', { deepLinking: true });
  expect(picker.status).toBe(200);
  const ltik = ltikOf(picker);
  const base = new URL(picker.url).pathname;
  for (const tpl of templates) {
    const added = await coach.go(`${stack.baseUrl}${base}/${tpl.id}`, { form: { ltik, intent: 'add', ...tpl.form } });
    expect(added.status).toBe(200);
    picker = added;
  }
  const before = stack.demo.course.links.length;
  const returning = await coach.go(`${stack.baseUrl}${base}-return`, { form: { ltik } });
  expect(returning.status).toBe(200);
  expect(parseAutoPostForm(returning.body).action).toBe(stack.demo.deepLinkReturnUrl);
  expect((await coach.submitAutoForm(returning)).status).toBe(200);
  const links = stack.demo.course.links.slice(before).map((l) => l.id);
  expect(links).toHaveLength(templates.length);
  return { links, picker };
}

beforeAll(async () => {
  [stack, chromium] = await Promise.all([startStack(), launchChromium()]);
  const { links } = await placeActivities(new HttpBrowser(), [
    {
      id: 'bebas',
      form: {
        title: 'Refleksi bebas',
        maxScore: '100',
        'prompt.refleksi': 'Ceritakan satu keputusan sulit minggu ini.',
      },
    },
  ]);
  linkId = links[0];
});
afterAll(async () => {
  await chromium?.close();
  await stack?.close();
});

interface Strings {
  saving: string;
  saved: string;
  unsaved: string;
  offline: string;
  conflict: string;
  keepMine: string;
  keepTheirs: string;
  theirVersion: string;
  error: string;
}
interface Journal {
  context: BrowserContext;
  page: Page;
  frame: Frame;
  problems: string[];
  strings: Strings;
  user: string;
}

const ENTRY = 'form[data-autosave]';
const isSave = (url: URL) => /\/activities\/[\w-]+\/entries\/refleksi$/.test(url.pathname);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const launchUrl = (user: string) => `${stack.demoBase}/launch?user=${user}&link=${linkId}`;
const LANDED = /\/lti\/app\/courses\/[^/]+\/activities\/[\w-]+\?/;

async function openPage(
  context: BrowserContext,
  user: string,
): Promise<{ page: Page; frame: Frame; problems: string[] }> {
  const page = await context.newPage();
  const problems = watchProblems(page);
  const frame = await launchInFrame(page, launchUrl(user), LANDED);
  await frame.waitForSelector(`${ENTRY} textarea`);
  return { page, frame, problems };
}

async function open(user: string): Promise<Journal> {
  const context = await chromium.newContext();
  context.setDefaultTimeout(10000); // a missing element fails the test with Playwright's message, not jest's timeout
  const { page, frame, problems } = await openPage(context, user);
  const strings = await frame.evaluate(
    () => ({ ...(document.getElementById('journal-strings') as HTMLElement).dataset }) as unknown as Strings,
  );
  expect(strings.saved).toBe('Tersimpan'); // the Indonesian strings reached the page
  return { context, page, frame, problems, strings, user };
}

/** What the server holds for the participant's entry. */
async function server(user: string): Promise<{ text: string; revision: number } | null> {
  const e = await Entry.findOne({ userId: user, key: 'refleksi' }).lean();
  return e ? { text: e.text, revision: e.revision } : null;
}
const serverHas = (user: string, text: string, revision?: number) =>
  until(
    async () => {
      const e = await server(user);
      return e?.text === text && (revision === undefined || e.revision === revision) ? e : null;
    },
    `server text ${JSON.stringify(text)} r${revision ?? '?'}`,
  );

const status = (frame: Frame) => frame.textContent(`${ENTRY} .entry-status`);
const statusIs = (frame: Frame, text: string) => until(async () => (await status(frame)) === text, `status "${text}"`);
const textOf = (frame: Frame) => frame.inputValue(`${ENTRY} textarea`);
const type = (frame: Frame, text: string) => frame.locator(`${ENTRY} textarea`).pressSequentially(text, { delay: 5 });
/** The entry's Save button: with the script, a save at once (no reload); used where the autosave's delay is not the point. */
const saveNow = (frame: Frame) => frame.click(`${ENTRY} button[type=submit]`);
/** The revision the entry's next save builds on (a field of the page's one form: `base.<key>`). */
const baseRevision = (frame: Frame) => frame.getAttribute(`${ENTRY} input[data-base]`, 'value');
const queue = (frame: Frame) =>
  frame.evaluate(() =>
    Object.keys(localStorage)
      .filter((k) => k.startsWith('cermin.queue:'))
      .map(
        (k) =>
          JSON.parse(localStorage.getItem(k) as string) as {
            action: string;
            text: string;
            baseRevision: number;
            at: number;
          },
      ),
  );
/** Counts the entry saves the page sends. */
function countSaves(page: Page): () => number {
  let n = 0;
  page.on('request', (r) => {
    if (r.method() === 'POST' && isSave(new URL(r.url()))) n++;
  });
  return () => n;
}

async function finish(j: Journal): Promise<void> {
  expect(j.problems).toEqual([]);
  await j.context.close();
}

describe('the journal page in Chromium, inside the LMS iframe', () => {
  test('autosaves after typing stops, one save at a time, and the Save button saves without a reload', async () => {
    const j = await open('u-p-020');
    const { page, frame } = j;
    expect(page.url()).toContain('/demo/launch');
    expect(frame.parentFrame()).toBe(page.mainFrame()); // really the iframe, not the top page

    const bodies: Array<{ text: string; baseRevision: number }> = [];
    let inflight = 0;
    let maxInflight = 0;
    let firstArrived!: () => void;
    let releaseFirst!: () => void;
    const arrived = new Promise<void>((r) => {
      firstArrived = r;
    });
    const gate = new Promise<void>((r) => {
      releaseFirst = r;
    });
    await page.route(isSave, async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      inflight++;
      maxInflight = Math.max(maxInflight, inflight);
      bodies.push(route.request().postDataJSON());
      if (bodies.length === 1) {
        firstArrived();
        await gate;
      }
      const response = await route.fetch();
      inflight--;
      await route.fulfill({ response });
    });
    await frame.evaluate(() => {
      (window as unknown as { marker: number }).marker = 42;
    });

    await type(frame, 'Saya menunda keputusan.');
    const typedAt = Date.now();
    // Before any save: the words are counted as typed, and the status says the text is not saved yet.
    expect(await frame.textContent(`${ENTRY} .words`)).toMatch(/^3 kata/);
    expect(await status(frame)).toBe(j.strings.unsaved);
    await arrived; // the debounced save, once, after typing stopped
    expect(Date.now() - typedAt).toBeGreaterThan(1000);
    expect(bodies).toEqual([{ text: 'Saya menunda keputusan.', baseRevision: 0 }]);
    expect(await status(frame)).toBe(j.strings.saving);

    // More typing, the Save button, and that typing's own autosave delay, all while the first save
    // is in flight: nothing more is sent yet.
    await type(frame, ' Lalu saya bertanya.');
    await frame.click(`${ENTRY} button[type=submit]`);
    await sleep(1800);
    expect(bodies).toHaveLength(1);
    releaseFirst();

    await serverHas(j.user, 'Saya menunda keputusan. Lalu saya bertanya.', 2);
    await statusIs(frame, j.strings.saved);
    expect(bodies.map((b) => b.baseRevision)).toEqual([0, 1]); // the second save on the first's revision
    expect(maxInflight).toBe(1);
    expect(await baseRevision(frame)).toBe('2');
    // A change undone before the delay is over: the text is what the server has, so no save.
    await type(frame, 'x');
    await frame.press(`${ENTRY} textarea`, 'Backspace');
    await sleep(1800);
    expect(bodies).toHaveLength(2);
    // No reload happened: the page's own state is still there.
    expect(await frame.evaluate(() => (window as unknown as { marker: number }).marker)).toBe(42);
    expect(frame.url()).toMatch(LANDED);
    await finish(j);
  });

  test('offline: the text is queued in localStorage and sent when the connection is back', async () => {
    const j = await open('u-p-021');
    const { context, page, frame } = j;
    await type(frame, 'Catatan pertama.');
    await saveNow(frame);
    await serverHas(j.user, 'Catatan pertama.', 1);
    await statusIs(frame, j.strings.saved);
    expect(await frame.textContent('#entry-refleksi .words')).toMatch(/^2 kata \(minimal \d+\)$/); // follows the save

    await context.setOffline(true);
    await type(frame, ' Ditulis saat luring.');
    await statusIs(frame, j.strings.offline);
    expect(await queue(frame)).toEqual([
      expect.objectContaining({
        text: 'Catatan pertama. Ditulis saat luring.',
        baseRevision: 1,
        action: expect.stringMatching(/\/entries\/refleksi$/),
      }),
    ]);
    expect((await server(j.user))?.text).toBe('Catatan pertama.');

    await context.setOffline(false); // the "online" event sends the queue
    await serverHas(j.user, 'Catatan pertama. Ditulis saat luring.', 2);
    await statusIs(frame, j.strings.saved);
    expect(await queue(frame)).toEqual([]);

    // The server unreachable while the browser thinks it is online: a failed fetch queues too.
    await page.route(isSave, (route) => route.abort('connectionrefused'));
    await type(frame, ' Server mati.');
    await saveNow(frame);
    await statusIs(frame, j.strings.offline);
    expect((await queue(frame)).map((q) => q.text)).toEqual(['Catatan pertama. Ditulis saat luring. Server mati.']);
    await page.unroute(isSave);
    await type(frame, '!');
    await saveNow(frame);
    await serverHas(j.user, 'Catatan pertama. Ditulis saat luring. Server mati.!', 3);
    await until(async () => (await queue(frame)).length === 0, 'empty queue');
    await finish(j);
  });

  test('a conflict shows both texts, stops autosaving, and each choice keeps what the participant chose', async () => {
    const j = await open('u-p-022');
    const { page, frame } = j;
    const saves = countSaves(page);
    await type(frame, 'Versi dari halaman.');
    await saveNow(frame);
    await serverHas(j.user, 'Versi dari halaman.', 1);
    await statusIs(frame, j.strings.saved);

    // Another tab saves over revision 1, with the ltik this page carries.
    const { ltik, action } = await frame.evaluate((sel) => {
      const form = document.querySelector(sel) as HTMLFormElement;
      return { ltik: (form.elements.namedItem('ltik') as HTMLInputElement).value, action: form.action };
    }, ENTRY);
    const elsewhere = async (text: string, baseRevision: number) => {
      const res = await fetch(action, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', Authorization: `Bearer ${ltik}` },
        body: JSON.stringify({ text, baseRevision }),
      });
      expect(res.status).toBe(200);
      return (await res.json()) as { revision: number };
    };
    expect((await elsewhere('Versi dari tab lain.', Number(await baseRevision(frame)))).revision).toBe(2);

    await type(frame, ' Ditambah.');
    const alert = frame.locator('.conflict[role=alert]');
    await alert.waitFor();
    expect(await alert.locator('pre').textContent()).toBe('Versi dari tab lain.');
    expect(await alert.textContent()).toContain(j.strings.conflict);
    expect(await alert.textContent()).toContain(j.strings.theirVersion);
    expect(await textOf(frame)).toBe('Versi dari halaman. Ditambah.');
    expect(
      await alert.locator('button').evaluateAll((bs) => bs.map((b) => [(b as HTMLButtonElement).type, b.textContent])),
    ).toEqual([
      ['button', j.strings.keepMine],
      ['button', j.strings.keepTheirs],
    ]);
    // The conflict block sits right under the entry's form.
    expect(
      await frame.evaluate(
        (sel) => (document.querySelector(sel) as HTMLElement).nextElementSibling?.getAttribute('role'),
        ENTRY,
      ),
    ).toBe('alert');
    expect((await server(j.user))?.text).toBe('Versi dari tab lain.'); // nothing overwritten

    // No autosave until the participant chooses.
    const sent = saves();
    await type(frame, ' Lagi.');
    await sleep(1800);
    expect(saves()).toBe(sent);

    await alert.getByRole('button', { name: j.strings.keepMine }).click();
    await serverHas(j.user, 'Versi dari halaman. Ditambah. Lagi.', 3);
    await statusIs(frame, j.strings.saved);
    expect(await alert.count()).toBe(0);
    expect(await baseRevision(frame)).toBe('3');

    // Once more, and this time keep the saved version: no save needed, the next edit builds on it.
    await elsewhere('Versi lain lagi.', 3);
    await type(frame, ' X');
    await saveNow(frame);
    await alert.waitFor();
    const beforeTheirs = saves();
    await alert.getByRole('button', { name: j.strings.keepTheirs }).click();
    expect(await textOf(frame)).toBe('Versi lain lagi.');
    expect(await baseRevision(frame)).toBe('4');
    expect(await alert.count()).toBe(0);
    expect(saves()).toBe(beforeTheirs);
    await type(frame, ' Lanjut.');
    await saveNow(frame);
    await serverHas(j.user, 'Versi lain lagi. Lanjut.', 5);
    expect(await alert.count()).toBe(0);
    await finish(j);
  });

  test('a text typed offline survives the page being closed: the next launch puts it back and sends it', async () => {
    const j = await open('u-p-023');
    const { context, frame } = j;
    await type(frame, 'Awal.');
    await saveNow(frame);
    await serverHas(j.user, 'Awal.', 1);
    await statusIs(frame, j.strings.saved);

    await context.setOffline(true);
    await type(frame, ' Belum terkirim.');
    // Closed at once, before the autosave's delay: leaving the page queues the text.
    await j.page.close({ runBeforeUnload: true });
    await until(() => j.page.isClosed(), 'page closed');
    expect(j.problems).toEqual([]);

    await context.setOffline(false);
    const again = await openPage(context, j.user);
    await serverHas(j.user, 'Awal. Belum terkirim.', 2);
    expect(await textOf(again.frame)).toBe('Awal. Belum terkirim.');
    await statusIs(again.frame, j.strings.saved);
    await until(async () => (await queue(again.frame)).length === 0, 'empty queue');
    await finish({ ...j, ...again });
  });

  test('"Kumpulkan untuk dinilai" saves what was just typed first, and waits while a text is not on the server', async () => {
    const j = await open('u-p-024');
    const { context, frame } = j;
    const submitWork = frame.getByRole('button', { name: 'Kumpulkan untuk dinilai' });

    // Offline: the post would lock the work without the text, so the page stays and says why.
    await context.setOffline(true);
    await type(frame, 'Teks terakhir.');
    await submitWork.click();
    await statusIs(frame, j.strings.offline);
    await sleep(300);
    expect(frame.url()).not.toContain('submitted=1');
    expect(await frame.evaluate(() => document.activeElement?.tagName)).toBe('TEXTAREA');
    expect(await Work.findOne({ userId: j.user, status: 'submitted' }).lean()).toBeNull();

    await context.setOffline(false);
    await serverHas(j.user, 'Teks terakhir.', 1);
    await type(frame, ' Sebelum dikirim.');
    await submitWork.click(); // at once: before the autosave's delay
    // The confirmation, with the text already on the server; only its own button submits.
    await frame.waitForURL(/\/submit\?/);
    expect((await server(j.user))?.text).toBe('Teks terakhir. Sebelum dikirim.');
    expect(await Work.findOne({ userId: j.user, status: 'submitted' }).lean()).toBeNull();
    await frame.getByRole('button', { name: 'Ya, kumpulkan sekarang' }).click();
    await frame.waitForURL(/submitted=1/);
    expect(await Work.findOne({ userId: j.user, status: 'submitted' }).lean()).not.toBeNull();
    expect(await frame.textContent('body')).toContain('Tugas dikumpulkan untuk dinilai');
    await finish(j);
  });

  test("a refused save shows the server's message in the status and keeps the text (not queued)", async () => {
    const j = await open('u-p-026');
    const { frame } = j;
    await type(frame, 'Awal yang baik.');
    await saveNow(frame);
    await serverHas(j.user, 'Awal yang baik.', 1);
    // A control character (pasted from somewhere): the server answers 400 with a translated message.
    await frame.evaluate((sel) => {
      const ta = document.querySelector(`${sel} textarea`) as HTMLTextAreaElement;
      ta.value += ' ada\u0007bel';
    }, ENTRY);
    await saveNow(frame);
    await until(async () => /karakter kontrol/.test((await status(frame)) ?? ''), 'the 400 message in the status');
    expect(await frame.getAttribute(`${ENTRY} .entry-status`, 'role')).toBe('status');
    expect(await textOf(frame)).toBe('Awal yang baik. ada\u0007bel');
    expect(await queue(frame)).toEqual([]);
    expect(await server(j.user)).toEqual({ text: 'Awal yang baik.', revision: 1 });
    await finish(j);
  });

  test('without JavaScript the form still posts and saves', async () => {
    const j = await open('u-p-025');
    const toolUrl = j.frame.url(); // carries the ltik: no cookie needed
    await j.context.close();
    const context = await chromium.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    const problems = watchProblems(page);
    await page.goto(toolUrl);
    await page.fill(`${ENTRY} textarea`, 'Ditulis tanpa JavaScript.');
    await Promise.all([page.waitForURL(/saved=refleksi/), page.click(`${ENTRY} button[type=submit]`)]);
    await serverHas(j.user, 'Ditulis tanpa JavaScript.', 1);
    expect(await page.textContent('body')).toContain('Tersimpan.');
    expect(problems).toEqual([]);
    await context.close();
  });
});
