/**
 * Saves arriving at once from one person, as an offline queue flushes when the connection comes
 * back, against the test database over the wire (the embedded default; these were first seen on
 * FerretDB, whose upserts race and whose updates of one document lose each other, and are kept as
 * the proof that Cermin's own writes lose nothing on the engine it ships). Reproduced against 27e6e1e: six
 * first saves of different entries gave three 500s (E11000 on the work and entry records) and
 * three entries missing from the journal and the coach's review; eight saves of one entry from
 * one base sometimes gave a 500; in a real Moodle the coach read "10/14" for a participant with 14
 * entries (counts kept in one shared record). Every save must end in 200 or 409, and every stored
 * entry must be listed and counted everywhere: counts and lists come from the entries themselves.
 */
import { Browser, launchThroughDemo, ltikOf } from '../../sim/browser';
import { courseBaseOf, placeActivities } from '../support/coaching';
import { startStack, type Stack } from '../support/stack';

let stack: Stack;
let sectionsLink: string;
let journalLink: string;
const ROUNDS = 3;

beforeAll(async () => {
  stack = await startStack();
  const { links } = await placeActivities(stack, new Browser(), [
    { id: 'berakhlak', form: { title: 'Refleksi BerAKHLAK', maxScore: '100', aiMode: 'off', dueAt: '' } },
    { id: 'habituasi', form: { title: 'Jurnal habituasi', maxScore: '50', aiMode: 'off', dueAt: '' } },
  ]);
  [sectionsLink, journalLink] = links;
}, 60_000);
afterAll(async () => {
  await stack.close();
});

interface Participant {
  browser: Browser;
  ltik: string;
  activityUrl: string;
  course: string;
}

async function open(userId: string, link: string): Promise<Participant> {
  const browser = new Browser();
  const page = await launchThroughDemo(browser, stack.demoBase, userId, { link });
  expect(page.status).toBe(200);
  return {
    browser,
    ltik: ltikOf(page),
    activityUrl: `${stack.baseUrl}${new URL(page.url).pathname}`,
    course: `${stack.baseUrl}${courseBaseOf(page)}`,
  };
}

/** An autosave as the page's script sends it (JSON answer). */
async function autosave(
  p: Participant,
  key: string,
  text: string,
  baseRevision = 0,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${p.activityUrl}/entries/${encodeURIComponent(key)}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
    body: new URLSearchParams({ ltik: p.ltik, baseRevision: String(baseRevision), text }).toString(),
  });
  return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, unknown> };
}

const day = (offset: number) => new Date(Date.now() - offset * 86_400_000).toISOString().slice(0, 10);
const textOf = (who: string, key: string) =>
  `Catatan ${who} untuk ${key}: saya melayani warga di loket dan mencatat keluhan mereka dengan teliti hari ini.`;

async function coachSees(participant: string, link: string): Promise<string> {
  const coach = new Browser();
  const page = await launchThroughDemo(coach, stack.demoBase, 'u-coach-1', { link });
  const activityId = /\/activities\/([^/]+)\//.exec(new URL(page.url).pathname)?.[1];
  return (
    await coach.go(
      `${stack.baseUrl}${courseBaseOf(page)}/activities/${activityId}/submissions/${participant}?ltik=${encodeURIComponent(ltikOf(page))}`,
    )
  ).body;
}

test.each(Array.from({ length: ROUNDS }, (_v, i) => i))(
  "six first saves of different entries at once (round %i): all 200, all listed in the journal and the coach's review",
  async (round) => {
    const who = `u-p-0${10 + round}`;
    for (const [link, keys] of [
      [
        sectionsLink,
        [
          'berorientasi-pelayanan-1',
          'berorientasi-pelayanan-2',
          'akuntabel-1',
          'akuntabel-2',
          'kompeten-1',
          'kompeten-2',
        ],
      ],
      [journalLink, [0, 1, 2, 3, 4, 5].map((d) => `d-${day(d)}`)],
    ] as const) {
      const p = await open(who, link);
      const answers = await Promise.all(keys.map((key) => autosave(p, key, textOf(who, key))));
      expect(answers.map((a) => a.status)).toEqual(keys.map(() => 200));
      const journal = (await p.browser.go(`${p.activityUrl}?ltik=${encodeURIComponent(p.ltik)}`)).body;
      for (const key of keys) expect([key, journal.includes(textOf(who, key))]).toEqual([key, true]);
      const review = await coachSees(who, link);
      for (const key of keys) expect([key, review.includes(textOf(who, key))]).toEqual([key, true]);
    }
  },
);

test.each(Array.from({ length: ROUNDS }, (_v, i) => i))(
  'eight saves of one entry from one base at once (round %i): one 200, the rest 409 with the winner, every text kept',
  async (round) => {
    const who = `u-p-0${20 + round}`;
    const p = await open(who, sectionsLink);
    const key = 'akuntabel-1';
    const texts = Array.from(
      { length: 8 },
      (_v, i) => `Versi ${i} dari tab ${i}: saya memastikan laporan harian selesai tepat waktu dan angkanya cocok.`,
    );
    const answers = await Promise.all(texts.map((t) => autosave(p, key, t)));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([200, 409, 409, 409, 409, 409, 409, 409]);
    const winner = texts[answers.findIndex((a) => a.status === 200)];
    for (const a of answers.filter((x) => x.status === 409))
      expect((a.body.current as { text: string }).text).toBe(winner);
    // The journal shows the winner and keeps every other text as a copy to use or discard: nothing typed is lost.
    const journal = (await p.browser.go(`${p.activityUrl}?ltik=${encodeURIComponent(p.ltik)}`)).body;
    for (const t of texts) expect([t.slice(0, 20), journal.includes(t)]).toEqual([t.slice(0, 20), true]);
  },
);

test.each(Array.from({ length: ROUNDS }, (_v, i) => i))(
  "all 14 BerAKHLAK entries saved at once (round %i): 14/14 in the journal, the coach's review and the coach's activity page",
  async (round) => {
    const who = `u-p-0${30 + round}`;
    const p = await open(who, sectionsLink);
    const keys = [
      'berorientasi-pelayanan',
      'akuntabel',
      'kompeten',
      'harmonis',
      'loyal',
      'adaptif',
      'kolaboratif',
    ].flatMap((value) => [`${value}-1`, `${value}-2`]);
    expect(keys).toHaveLength(14);
    // Long enough to count (the template asks for 50 words an entry).
    const long = (key: string) =>
      `${textOf(who, key)} ${'Saya juga menuliskan apa yang saya pelajari dari kejadian itu dan apa yang akan saya ubah minggu depan. '.repeat(3)}`;
    expect((await Promise.all(keys.map((key) => autosave(p, key, long(key))))).map((a) => a.status)).toEqual(
      keys.map(() => 200),
    );

    const journal = (await p.browser.go(`${p.activityUrl}?ltik=${encodeURIComponent(p.ltik)}`)).body;
    expect(journal).toContain('14 dari 14 entri');
    for (const key of keys) expect([key, journal.includes(long(key).trim())]).toEqual([key, true]);

    const review = await coachSees(who, sectionsLink);
    expect(review).toMatch(/<dd>14\/14<\/dd>/);
    for (const key of keys) expect([key, review.includes(long(key).trim())]).toEqual([key, true]);

    const coach = new Browser();
    const page = await launchThroughDemo(coach, stack.demoBase, 'u-coach-1', { link: sectionsLink });
    expect(page.status).toBe(200);
    const row = new RegExp(`${who}[\\s\\S]*?</tr>`).exec(page.body)?.[0] ?? page.body;
    expect(row).toContain('<td>14/14</td>');
  },
);
