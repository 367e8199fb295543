/**
 * A small browser stand-in over real HTTP: keeps cookies per origin, follows redirects by hand
 * (so tests see each hop), and submits the auto-posting forms that LTI uses between platform and
 * tool. Used by the tests and the launch benchmark.
 */
import { parseAutoPostForm } from './lms/platform';

export interface Page {
  status: number;
  url: string;
  body: string;
  headers: Headers;
}

export class Browser {
  /** origin → cookie name → value */
  private readonly jar = new Map<string, Map<string, string>>();

  /** Drops cookies, as a browser that blocks third-party cookies would for the tool. */
  blockCookiesFor(origin: string): void {
    this.blocked.add(origin);
  }
  private readonly blocked = new Set<string>();

  cookies(origin: string): Map<string, string> {
    let jar = this.jar.get(origin);
    if (!jar) this.jar.set(origin, (jar = new Map()));
    return jar;
  }

  private store(url: string, headers: Headers): void {
    const origin = new URL(url).origin;
    if (this.blocked.has(origin)) return;
    for (const line of headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age=0\b/i.test(a) || /^\s*expires=Thu, 01 Jan 1970/i.test(a));
      if (expired || value === '') this.cookies(origin).delete(name);
      else this.cookies(origin).set(name, value);
    }
  }

  private cookieHeader(url: string): string | undefined {
    const jar = this.jar.get(new URL(url).origin);
    if (!jar || jar.size === 0) return undefined;
    return [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  /** One request, no redirect following. */
  /** `form` values given as arrays are sent as repeated fields, as a browser sends a checkbox group. */
  async request(
    url: string,
    init: { method?: string; form?: Record<string, string | readonly string[]>; headers?: Record<string, string> } = {},
  ): Promise<Page> {
    const headers: Record<string, string> = { Accept: 'text/html', ...init.headers };
    const cookie = this.cookieHeader(url);
    if (cookie) headers.Cookie = cookie;
    let body: string | undefined;
    if (init.form) {
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(
        Object.entries(init.form).flatMap(([k, v]) => (typeof v === 'string' ? [[k, v]] : v.map((x) => [k, x]))),
      ).toString();
    }
    const res = await fetch(url, {
      method: init.method ?? (init.form ? 'POST' : 'GET'),
      headers,
      body,
      redirect: 'manual',
    });
    this.store(url, res.headers);
    return { status: res.status, url, body: await res.text(), headers: res.headers };
  }

  /** Follows redirects (like a browser), up to a limit. */
  async go(
    url: string,
    init: { method?: string; form?: Record<string, string | readonly string[]>; headers?: Record<string, string> } = {},
  ): Promise<Page> {
    let page = await this.request(url, init);
    for (let hops = 0; hops < 10 && page.status >= 300 && page.status < 400; hops++) {
      const next = new URL(page.headers.get('location') ?? '', page.url).toString();
      page = await this.request(next);
    }
    return page;
  }

  /**
   * Submits the page's auto-posting form (what the one-line script would do), with the Origin
   * header a browser sends on a POST: the origin of the page the form is on.
   */
  async submitAutoForm(page: Page, overrides: Record<string, string> = {}): Promise<Page> {
    const form = parseAutoPostForm(page.body);
    const action = new URL(form.action, page.url).toString();
    const post = form.method.toUpperCase() !== 'GET';
    return this.go(action, {
      method: post ? 'POST' : 'GET',
      form: { ...form.fields, ...overrides },
      ...(post ? { headers: { Origin: new URL(page.url).origin } } : {}),
    });
  }
}

/** The platform's launch page → tool login → platform auth → the auth response page (with id_token). */
export async function loginToAuthResponse(browser: Browser, launchPageUrl: string): Promise<Page> {
  const launchPage = await browser.go(launchPageUrl);
  if (launchPage.status !== 200) throw new Error(`launch page ${launchPage.status}: ${launchPage.body.slice(0, 200)}`);
  // POST /lti/login answers with a redirect to the platform's auth endpoint, which answers with the id_token form.
  return browser.submitAutoForm(launchPage);
}

/** A full launch as a person clicking "launch" in the demo LMS; returns the first rendered tool page. */
export async function launchThroughDemo(
  browser: Browser,
  demoBase: string,
  userId: string,
  opts: { link?: string; deepLinking?: boolean } = {},
): Promise<Page> {
  const q = new URLSearchParams({ user: userId });
  if (opts.deepLinking) q.set('dl', '1');
  else q.set('link', opts.link ?? '11');
  const authResponse = await loginToAuthResponse(browser, `${demoBase}/launch?${q}`);
  if (authResponse.status !== 200) throw new Error(`auth ${authResponse.status}: ${authResponse.body.slice(0, 300)}`);
  return browser.submitAutoForm(authResponse);
}

/** The ltik carried by a tool page's URL. */
export function ltikOf(page: Page): string {
  const ltik = new URL(page.url).searchParams.get('ltik');
  if (!ltik) throw new Error(`no ltik in ${page.url}`);
  return ltik;
}
