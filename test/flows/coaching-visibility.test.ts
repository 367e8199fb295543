/**
 * A link added by hand in Moodle, the dated habituasi journal, who sees what (private, coach,
 * mentor), and the language a person chooses.
 */
import { Browser, launchThroughDemo, ltikOf, type Page } from '../../sim/browser';
import { startStack, type Stack } from '../support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack.close();
});

const LINK = '12'; // "Jurnal habituasi" in the demo course: added by hand, no activity_id
const today = () => new Date(Date.now() + 7 * 3600 * 1000).toISOString().slice(0, 10);

async function post(browser: Browser, page: Page, path: string, form: Record<string, string>): Promise<Page> {
  return browser.go(`${stack.baseUrl}${path}`, { form: { ltik: ltikOf(page), ...form } });
}

describe('an unconfigured link', () => {
  test('a participant sees "not ready"; the coach binds it to a template; then the participant writes', async () => {
    const early = await launchThroughDemo(new Browser(), stack.demoBase, 'u-p-001', { link: LINK });
    expect(early.status).toBe(200);
    expect(early.body).toContain('belum disiapkan oleh coach');

    const coach = new Browser();
    const setup = await launchThroughDemo(coach, stack.demoBase, 'u-coach-1', { link: LINK });
    expect(new URL(setup.url).pathname).toMatch(/\/setup$/);
    const bad = await post(coach, setup, new URL(setup.url).pathname, { templateId: 'tidak-ada' });
    expect(bad.status).toBe(400);
    const created = await post(coach, setup, new URL(setup.url).pathname, { templateId: 'habituasi' });
    expect(created.status).toBe(200);
    expect(new URL(created.url).pathname).toMatch(/\/manage$/);
    expect(created.body).toContain('Aktivitas dibuat');

    // Launching the same link again lands on the bound activity, for both.
    const again = await launchThroughDemo(new Browser(), stack.demoBase, 'u-coach-1', { link: LINK });
    expect(new URL(again.url).pathname).toBe(new URL(created.url).pathname);
    const participant = await launchThroughDemo(new Browser(), stack.demoBase, 'u-p-001', { link: LINK });
    expect(new URL(participant.url).pathname).toMatch(/\/activities\/[\w-]+$/);
    expect(participant.body).toContain('Catatan untuk tanggal');
  });
});

describe('the dated habituasi journal', () => {
  test('a new entry for today is written and counted; impossible dates are refused', async () => {
    const browser = new Browser();
    const page = await launchThroughDemo(browser, stack.demoBase, 'u-p-002', { link: LINK });
    const activity = new URL(page.url).pathname;
    const opened = await post(browser, page, `${activity}/journal`, { date: today() });
    expect(opened.status).toBe(200);
    expect(opened.body).toContain(`id="entry-d-${today()}"`);
    const text = 'Hari ini saya melayani warga yang mengurus surat pindah. '.repeat(12);
    const saved = await post(browser, page, `${activity}/entries/d-${today()}`, { baseRevision: '0', text });
    expect(saved.status).toBe(200);
    expect(saved.body).toMatch(/1 dari 10 entri/);

    for (const date of ['2031-02-30', '2099-01-01', 'kemarin']) {
      expect((await post(browser, page, `${activity}/journal`, { date })).status).toBe(400);
    }
    const future = await post(browser, page, `${activity}/entries/d-2099-01-01`, {
      baseRevision: '0',
      text: 'dari masa depan',
    });
    expect(future.status).toBe(404);
  });
});

describe('who sees an entry', () => {
  test("private stays with its writer; shared reaches the coach; the mentor sees only their own participants' mentor-shared entries", async () => {
    const write = async (userId: string, visibility: 'private' | 'coach' | 'mentor', text: string) => {
      const browser = new Browser();
      const page = await launchThroughDemo(browser, stack.demoBase, userId, { link: LINK });
      const activity = new URL(page.url).pathname;
      const key = `d-${today()}`;
      await post(browser, page, `${activity}/entries/${key}`, { baseRevision: '0', text });
      const after = await post(browser, page, `${activity}/entries/${key}/visibility`, { visibility });
      expect(after.status).toBe(200);
      return after;
    };
    const shown = await write('u-p-003', 'mentor', 'Catatan untuk mentor dari peserta tiga.');
    expect(shown.body).toContain('Anda, coach, dan mentor Anda'); // the page says who can see it
    await write('u-p-004', 'mentor', 'Catatan untuk mentor dari peserta empat.');
    const priv = await write('u-p-005', 'private', 'Catatan pribadi peserta lima.');
    expect(priv.body).toContain('Hanya Anda');

    // The demo's mentor mentors the first three participants (role_scope_mentor).
    const mentor = await launchThroughDemo(new Browser(), stack.demoBase, 'u-mentor-1', { link: LINK });
    expect(new URL(mentor.url).pathname).toMatch(/\/mentor$/);
    expect(mentor.body).toContain('Catatan untuk mentor dari peserta tiga.');
    expect(mentor.body).not.toContain('peserta empat');
    expect(mentor.body).not.toContain('pribadi');

    const coach = new Browser();
    const manage = await launchThroughDemo(coach, stack.demoBase, 'u-coach-1', { link: LINK });
    const base = new URL(manage.url).pathname.replace(/\/manage$/, '');
    const five = await coach.go(
      `${stack.baseUrl}${base}/submissions/u-p-005?ltik=${encodeURIComponent(ltikOf(manage))}`,
    );
    expect(five.status).toBe(200);
    expect(five.body).not.toContain('Catatan pribadi peserta lima.');
    expect(five.body).toContain('1 entri ditandai pribadi');
    const three = await coach.go(
      `${stack.baseUrl}${base}/submissions/u-p-003?ltik=${encodeURIComponent(ltikOf(manage))}`,
    );
    expect(three.body).toContain('Catatan untuk mentor dari peserta tiga.');

    // A participant cannot read another participant's history.
    const other = new Browser();
    const otherPage = await launchThroughDemo(other, stack.demoBase, 'u-p-006', { link: LINK });
    const history = await other.go(
      `${stack.baseUrl}${new URL(otherPage.url).pathname}/entries/d-${today()}/history?ltik=${encodeURIComponent(ltikOf(otherPage))}`,
    );
    expect(history.status).toBe(404);
    expect(history.body).not.toContain('peserta tiga');
  });
});

describe('language', () => {
  test('Indonesian by default, switchable to English, remembered at the next launch', async () => {
    const browser = new Browser();
    const page = await launchThroughDemo(browser, stack.demoBase, 'u-p-007', { link: LINK });
    expect(page.body).toContain('lang="id"');
    const back = new URL(page.url).pathname;
    const english = await browser.go(`${stack.baseUrl}/lti/app/prefs/lang`, {
      form: { ltik: ltikOf(page), lang: 'en', back },
    });
    expect(english.status).toBe(200);
    expect(new URL(english.url).pathname).toBe(back);
    expect(english.body).toContain('lang="en"');
    expect(english.body).toContain('Write an entry');
    const relaunch = await launchThroughDemo(new Browser(), stack.demoBase, 'u-p-007', { link: LINK });
    expect(relaunch.body).toContain('lang="en"');
    // Someone else keeps Indonesian.
    const other = await launchThroughDemo(new Browser(), stack.demoBase, 'u-p-008', { link: LINK });
    expect(other.body).toContain('lang="id"');
    const bad = await browser.go(`${stack.baseUrl}/lti/app/prefs/lang`, { form: { ltik: ltikOf(page), lang: 'fr' } });
    expect(bad.status).toBe(400);
  });
});
