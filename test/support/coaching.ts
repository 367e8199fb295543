/**
 * Coaching steps shared by test files, done the way people do them through the demo LMS: a coach
 * places activities with Deep Linking, a participant writes and submits.
 */
import { parseAutoPostForm } from '../../sim/lms/platform';
import { Browser, launchThroughDemo, ltikOf, type Page } from '../../sim/browser';
import type { Stack } from './stack';

/** The coach places activities in one Deep Linking response; returns the new resource link ids. */
export async function placeActivities(
  stack: Stack,
  coach: Browser,
  templates: Array<{ id: string; form: Record<string, string> }>,
): Promise<{ links: string[]; picker: Page }> {
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
export async function writeAndSubmit(
  stack: Stack,
  userId: string,
  linkId: string,
  entries: Record<string, string>,
  opts: { submit?: boolean } = {},
): Promise<{ browser: Browser; page: Page; activityUrl: string; ltik: string }> {
  const browser = new Browser();
  const page = await launchThroughDemo(browser, stack.demoBase, userId, { link: linkId });
  if (page.status !== 200) throw new Error(`launch of ${userId} answered ${page.status}`);
  const ltik = ltikOf(page);
  const activityUrl = `${stack.baseUrl}${new URL(page.url).pathname}`;
  for (const [key, text] of Object.entries(entries)) {
    const saved = await browser.go(`${activityUrl}/entries/${encodeURIComponent(key)}`, {
      form: { ltik, baseRevision: '0', text },
    });
    if (saved.status !== 200) throw new Error(`saving ${key} for ${userId} answered ${saved.status}`);
  }
  if (opts.submit !== false) {
    const submitted = await browser.go(`${activityUrl}/submit`, { form: { ltik, confirm: '1' } });
    if (submitted.status !== 200) throw new Error(`submit of ${userId} answered ${submitted.status}`);
  }
  return { browser, page, activityUrl, ltik };
}

/** `/lti/app/courses/<courseKey>` of a tool page. */
export function courseBaseOf(page: Page): string {
  return (/^\/lti\/app\/courses\/[^/]+/.exec(new URL(page.url).pathname) ?? [''])[0];
}

export interface PlacedActivity {
  linkId: string;
  activityId: string;
  lineItemId: string;
  coach: Browser;
  coachPage: Page;
}

/** One free-reflection activity placed by the demo coach (`form` adds or overrides its fields), and the coach's page on it (for their ltik). */
export async function placeOneActivity(
  stack: Stack,
  title: string,
  maxScore: number,
  form: Record<string, string> = {},
): Promise<PlacedActivity> {
  const coach = new Browser();
  const { links } = await placeActivities(stack, coach, [
    {
      id: 'bebas',
      form: { title, maxScore: String(maxScore), 'prompt.refleksi': 'Apa yang Anda pelajari minggu ini?', ...form },
    },
  ]);
  const link = stack.demo.course.links.find((l) => l.id === links[0]);
  const coachPage = await launchThroughDemo(coach, stack.demoBase, 'u-coach-1', { link: links[0] });
  return {
    linkId: links[0],
    activityId: String(link?.custom?.activity_id),
    lineItemId: String(link?.lineItemId),
    coach,
    coachPage,
  };
}

/** The coach's review page of one participant (absolute URL, without the ltik). */
export function reviewUrlOf(stack: Stack, placed: PlacedActivity, userId: string): string {
  return `${stack.baseUrl}${courseBaseOf(placed.coachPage)}/activities/${placed.activityId}/submissions/${encodeURIComponent(userId)}`;
}

/** The coach opens the review page and finalizes: `choose` picks a level index from those offered per criterion. */
export async function finalizeReview(
  stack: Stack,
  placed: PlacedActivity,
  userId: string,
  choose: (levels: number[]) => number,
  extra: Record<string, string> = {},
): Promise<Page> {
  const url = reviewUrlOf(stack, placed, userId);
  const ltik = ltikOf(placed.coachPage);
  const page = await placed.coach.go(`${url}?ltik=${encodeURIComponent(ltik)}`);
  if (page.status !== 200) throw new Error(`review page of ${userId} answered ${page.status}`);
  const offered: Record<string, number[]> = {};
  for (const m of page.body.matchAll(/name="(level\.[^"]+)" value="(\d+)"/g)) (offered[m[1]] ??= []).push(Number(m[2]));
  const levels = Object.fromEntries(Object.entries(offered).map(([field, list]) => [field, String(choose(list))]));
  const revision = /name="revision" value="(\d+)"/.exec(page.body)?.[1] ?? '0';
  return placed.coach.go(`${url}/finalize`, {
    form: {
      ltik,
      revision,
      comment: 'Refleksi yang jujur. Coba ukur hasil daftar periksa Anda.',
      release: 'now',
      ...levels,
      ...extra,
    },
  });
}

/**
 * A coach-draft answer's rubric part for the 'bebas' template, quoting a reflection that says it
 * "melayani warga dengan ramah", "menjelaskan persyaratan satu per satu" and will "membuat daftar
 * persyaratan tertulis bersama rekan loket" (levels 1, 2, 2).
 */
export const BEBAS_DRAFT_CRITERIA = [
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
    level: 2,
    evidence: 'membuat daftar persyaratan tertulis bersama rekan loket',
    reason: 'Rencana konkret, belum dengan ukuran.',
  },
];
