/**
 * Coaching steps shared by test files, done the way people do them through the demo LMS: a coach
 * places activities with Deep Linking, a participant writes and submits.
 */
import { parseAutoPostForm } from '../../src/demo/platform';
import { Browser, launchThroughDemo, ltikOf, type Page } from './browser';
import type { Stack } from './stack';

/** The coach places activities in one Deep Linking response; returns the new resource link ids. */
export async function placeActivities(stack: Stack, coach: Browser, templates: Array<{ id: string; form: Record<string, string> }>): Promise<{ links: string[]; picker: Page }> {
  let picker = await launchThroughDemo(coach, stack.demoBase, 'u-coach-1', { deepLinking: true });
  if (picker.status !== 200) throw new Error(`picker answered ${picker.status}`);
  const ltik = ltikOf(picker);
  const base = new URL(picker.url).pathname;
  for (const tpl of templates) {
    const added = await coach.go(`${stack.baseUrl}${base}/${tpl.id}`, { form: { ltik, intent: 'add', ...tpl.form } });
    if (added.status !== 200) throw new Error(`adding ${tpl.id} answered ${added.status}`);
    picker = added;
  }
  const before = stack.demo.course.links.length;
  const returning = await coach.go(`${stack.baseUrl}${base}-return`, { form: { ltik } });
  if (!parseAutoPostForm(returning.body).action) throw new Error('no deep linking response form');
  await coach.submitAutoForm(returning);
  return { links: stack.demo.course.links.slice(before).map((l) => l.id), picker };
}

/** A participant opens an activity link, writes the given entries (prompt key → text) and, if asked, submits. */
export async function writeAndSubmit(stack: Stack, userId: string, linkId: string, entries: Record<string, string>, opts: { submit?: boolean } = {}): Promise<{ browser: Browser; page: Page; activityUrl: string; ltik: string }> {
  const browser = new Browser();
  const page = await launchThroughDemo(browser, stack.demoBase, userId, { link: linkId });
  if (page.status !== 200) throw new Error(`launch of ${userId} answered ${page.status}`);
  const ltik = ltikOf(page);
  const activityUrl = `${stack.baseUrl}${new URL(page.url).pathname}`;
  for (const [key, text] of Object.entries(entries)) {
    const saved = await browser.go(`${activityUrl}/entries/${encodeURIComponent(key)}`, { form: { ltik, baseRevision: '0', text } });
    if (saved.status !== 200) throw new Error(`saving ${key} for ${userId} answered ${saved.status}`);
  }
  if (opts.submit !== false) {
    const submitted = await browser.go(`${activityUrl}/submit`, { form: { ltik } });
    if (submitted.status !== 200) throw new Error(`submit of ${userId} answered ${submitted.status}`);
  }
  return { browser, page, activityUrl, ltik };
}
