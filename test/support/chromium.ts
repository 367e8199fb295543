/**
 * A real browser for the tests that need one: Debian's Chromium driven by playwright-core
 * (no downloaded browser). Collects what must never happen on a Cermin page: script errors and
 * Content Security Policy violations.
 */
import { chromium, type Browser, type Frame, type Page } from 'playwright-core';

export type { Browser, BrowserContext, Frame, Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** `blockThirdPartyCookies`: as Chrome does by default for more and more users (and Safari and Firefox already do). */
export function launchChromium(opts: { blockThirdPartyCookies?: boolean } = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      ...(opts.blockThirdPartyCookies ? ['--test-third-party-cookie-phaseout'] : []),
    ],
  });
}

/** Script errors and CSP violations seen on a page (every frame of it). */
export function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (/Content Security Policy/i.test(msg.text())) problems.push(`csp: ${msg.text()}`);
  });
  return problems;
}

/**
 * Opens the demo LMS's launch page, which posts the launch into its iframe named "tool", and
 * waits for the tool's page there (the URL matching `landed`).
 */
export async function launchInFrame(page: Page, launchUrl: string, landed: RegExp): Promise<Frame> {
  await page.goto(launchUrl);
  const frame = page.frame({ name: 'tool' });
  if (!frame) throw new Error(`no frame "tool" on ${launchUrl}`);
  await frame.waitForURL(landed);
  await frame.waitForLoadState('load');
  return frame;
}

/** Polls `probe` until it returns something truthy (or throws with the last value after `ms`). */
export async function until<T>(probe: () => Promise<T> | T, what: string, ms = 10000): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  let last: T | undefined;
  for (;;) {
    last = await probe();
    if (last) return last as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * What sticks out sideways on the document in view: the document scrolling sideways, or anything
 * ending past `main` that is not inside a box scrolling on its own (a wide table in `.scroll`).
 * Moodle's frame is narrow on a phone and about 800 px wide on a desktop.
 */
export async function overflowsOf(target: Frame | Page): Promise<{ width: number; overflows: string[] }> {
  return target.evaluate(() => {
    const root = document.documentElement;
    const out: string[] = [];
    if (root.scrollWidth > root.clientWidth + 1)
      out.push(`the document is ${root.scrollWidth} px wide in ${root.clientWidth} px`);
    const main = document.querySelector('main') ?? document.body;
    const edge = main.getBoundingClientRect().right;
    const scrollsItself = (el: Element): boolean => {
      for (let p = el.parentElement; p && p !== main; p = p.parentElement)
        if (['auto', 'scroll'].includes(getComputedStyle(p).overflowX)) return true;
      return false;
    };
    const name = (el: Element) =>
      `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${typeof el.className === 'string' && el.className ? `.${el.className.split(' ')[0]}` : ''}`;
    for (const el of Array.from(main.querySelectorAll('*'))) {
      const r = el.getBoundingClientRect();
      if (r.width > 0 && r.right > edge + 1 && !scrollsItself(el))
        out.push(`${name(el)} ends ${Math.round(r.right - edge)} px past the page`);
    }
    return { width: root.clientWidth, overflows: out.slice(0, 5) };
  });
}
