/**
 * The heart of Cermin through the demo LMS: a coach places activities with the real Deep Linking
 * flow (signed request → picker → signed response → Moodle-shaped platform creates the links and
 * their gradebook columns), then a participant writes, saves versions, hits a conflict, restores,
 * submits; the coach reviews, reopens and changes the maximum score (the column follows).
 */
import mongoose from 'mongoose';
import { Browser, launchThroughDemo, ltikOf, type Page } from '../../sim/browser';
import { startSecondPlatform, startStack, type Stack } from '../support/stack';
import { CLAIM } from '../../src/lti/claims';
import { placeActivities as placeActivitiesVia } from '../support/coaching';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack.close();
});

/** The href of the first link whose text matches. */
function linkTo(page: Page, text: RegExp): string {
  for (const m of page.body.matchAll(/<a [^>]*href="([^"]+)"[^>]*>([\s\S]*?)<\/a>/g)) {
    if (text.test(m[2])) return new URL(m[1].replace(/&amp;/g, '&'), page.url).toString();
  }
  throw new Error(`no link ${text} in ${page.url}`);
}

const placeActivities = (coach: Browser, templates: Array<{ id: string; form: Record<string, string> }>) =>
  placeActivitiesVia(stack, coach, templates);

describe('Deep Linking: the coach places activities and Moodle gets gradebook columns', () => {
  test('two activities in one response, each an ltiResourceLink with a line item and activity_id', async () => {
    const coach = new Browser();
    const lineItemsBefore = stack.demo.gradebook.lineItems.length;
    const { links, picker } = await placeActivities(coach, [
      {
        id: 'berakhlak',
        form: { title: 'Refleksi BerAKHLAK — Angkatan I', maxScore: '100', aiMode: 'mirror', dueAt: '' },
      },
      {
        id: 'habituasi',
        form: { title: 'Jurnal habituasi minggu 1', maxScore: '50', aiMode: 'off', dueAt: '2099-01-31' },
      },
    ]);
    // The picker said what was added last, and keeps the one step that finishes it in a bar of its own.
    expect(picker.body).toContain('«Jurnal habituasi minggu 1» ditambahkan ke pilihan Anda');
    expect(picker.body).toMatch(/<div class="place-bar">[\s\S]*Tempatkan 2 aktivitas di Moodle/);
    const created = stack.demo.course.links.filter((l) => links.includes(l.id));
    expect(created.map((l) => l.title)).toEqual(['Refleksi BerAKHLAK — Angkatan I', 'Jurnal habituasi minggu 1']);
    for (const l of created) expect(l.custom?.activity_id).toMatch(/^[\w-]{16}$/);
    const items = stack.demo.gradebook.lineItems.slice(lineItemsBefore);
    expect(items.map((i) => [i.label, i.scoreMaximum, i.tag])).toEqual([
      ['Refleksi BerAKHLAK — Angkatan I', 100, 'cermin:berakhlak'],
      ['Jurnal habituasi minggu 1', 50, 'cermin:habituasi'],
    ]);
    expect(items.map((i) => i.resourceId)).toEqual(created.map((l) => l.custom?.activity_id));
  });

  test('bad settings come back with every problem named and the typed values kept; nothing is added', async () => {
    const coach = new Browser();
    const picker = await launchThroughDemo(coach, stack.demoBase, 'u-coach-1', { deepLinking: true });
    const ltik = ltikOf(picker);
    const base = new URL(picker.url).pathname;
    const bad = await coach.go(`${stack.baseUrl}${base}/bebas`, {
      form: {
        ltik,
        intent: 'add',
        title: '',
        maxScore: '0',
        aiMode: 'oracle',
        dueAt: 'besok',
        instructions: 'Tulis dengan jujur.',
      },
    });
    expect(bad.status).toBe(400);
    for (const text of [
      'Judul wajib diisi',
      'Nilai maksimal harus bilangan bulat',
      'bantuan AI tidak dikenal',
      'Batas waktu tidak valid',
    ])
      expect(bad.body).toContain(text);
    expect(bad.body).toContain('Tulis dengan jujur.');
    const again = await coach.go(`${stack.baseUrl}${base}?ltik=${encodeURIComponent(ltik)}`);
    expect(again.body).toContain('Belum ada yang dipilih');
  });

  test("a preview shows the participant page with the coach's edits and stores nothing", async () => {
    const coach = new Browser();
    const picker = await launchThroughDemo(coach, stack.demoBase, 'u-coach-1', { deepLinking: true });
    const ltik = ltikOf(picker);
    const base = new URL(picker.url).pathname;
    const preview = await coach.go(`${stack.baseUrl}${base}/bebas`, {
      form: {
        ltik,
        intent: 'preview',
        title: 'Refleksi minggu pertama',
        maxScore: '100',
        'prompt.refleksi': 'Apa satu hal yang paling mengubah cara Anda bekerja minggu ini?',
      },
    });
    expect(preview.status).toBe(200);
    expect(preview.body).toContain('Pratinjau');
    expect(preview.body).toContain('Apa satu hal yang paling mengubah cara Anda bekerja minggu ini?');
    expect(preview.body).not.toContain('Untuk coach'); // the template's hint went with the replaced prompt
    // "Kembali ke pengaturan" posts the typed settings back: the form comes back as the coach left it.
    const fields = Object.fromEntries(
      [...preview.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [
        m[1],
        m[2].replace(/&#39;/g, "'").replace(/&amp;/g, '&'),
      ]),
    );
    expect(fields).toMatchObject({ intent: 'edit', title: 'Refleksi minggu pertama' });
    const edit = await coach.go(`${stack.baseUrl}${base}/bebas`, { form: fields });
    expect(edit.status).toBe(200);
    expect(edit.body).toContain('value="Refleksi minggu pertama"');
    expect(edit.body).toContain('Apa satu hal yang paling mengubah cara Anda bekerja minggu ini?');
    const again = await coach.go(`${stack.baseUrl}${base}?ltik=${encodeURIComponent(ltik)}`);
    expect(again.body).toContain('Belum ada yang dipilih');
  });

  test('a participant cannot open the picker, and the picker needs a Deep Linking launch', async () => {
    const participant = await launchThroughDemo(new Browser(), stack.demoBase, 'u-p-001');
    const courseBase = new URL(participant.url).pathname.replace(/\/(participant|activities\/.*)$/, '');
    const res = await new Browser().go(
      `${stack.baseUrl}${courseBase}/deep-linking?ltik=${encodeURIComponent(ltikOf(participant))}`,
    );
    expect(res.status).toBe(403);
    const coach = await launchThroughDemo(new Browser(), stack.demoBase, 'u-coach-1');
    const notDl = await new Browser().go(
      `${stack.baseUrl}${courseBase}/deep-linking?ltik=${encodeURIComponent(ltikOf(coach))}`,
    );
    expect(notDl.status).toBe(400);
  });
});

describe("the participant's journal", () => {
  let linkId: string;
  beforeAll(async () => {
    const { links } = await placeActivities(new Browser(), [
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

  async function openJournal(
    userId: string,
  ): Promise<{ browser: Browser; page: Page; ltik: string; entryUrl: string }> {
    const browser = new Browser();
    const page = await launchThroughDemo(browser, stack.demoBase, userId, { link: linkId });
    expect(page.status).toBe(200);
    expect(new URL(page.url).pathname).toMatch(/\/activities\/[\w-]+$/);
    return {
      browser,
      page,
      ltik: ltikOf(page),
      entryUrl: `${stack.baseUrl}${new URL(page.url).pathname}/entries/refleksi`,
    };
  }

  const json = (browser: Browser, url: string, ltik: string, body: Record<string, unknown>) =>
    fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', Authorization: `Bearer ${ltik}` },
      body: JSON.stringify(body),
    });

  test('writes without JavaScript, autosaves as JSON, keeps every version, and restores one', async () => {
    const { browser, page, ltik, entryUrl } = await openJournal('u-p-010');
    expect(page.body).toContain('Ceritakan satu keputusan sulit minggu ini.');
    expect(page.body).toContain('Anda dan coach kursus'); // who can see it, always shown

    const first = await browser.go(entryUrl, {
      form: { ltik, baseRevision: '0', text: 'Saya menunda surat <b>penting</b> karena takut salah.' },
    });
    expect(first.status).toBe(200);
    expect(first.body).toContain('Saya menunda surat &lt;b&gt;penting&lt;/b&gt; karena takut salah.'); // escaped, never HTML
    expect(first.body).toContain('Tersimpan.');

    const second = await json(browser, entryUrl, ltik, {
      baseRevision: 1,
      text: 'Saya menunda surat penting karena takut salah, lalu bertanya pada atasan.',
    });
    expect(second.status).toBe(200);
    expect(await second.json()).toMatchObject({ status: 'saved', revision: 2, words: 11 });

    const history = await browser.go(`${entryUrl}/history?ltik=${encodeURIComponent(ltik)}`);
    expect(history.status).toBe(200);
    expect(history.body).toContain('Versi 1');
    expect(history.body).toContain('Versi 2');

    const restored = await browser.go(`${entryUrl}/restore`, { form: { ltik, revision: '1', baseRevision: '2' } });
    expect(restored.status).toBe(200);
    const after = await json(browser, entryUrl, ltik, {
      baseRevision: 3,
      text: 'Saya menunda surat <b>penting</b> karena takut salah.',
    });
    expect(await after.json()).toMatchObject({ status: 'saved', unchanged: true, revision: 3 });
  });

  test('without JavaScript, one "Simpan" saves every entry typed on the page; a refused one comes back with both texts kept', async () => {
    const coach = new Browser();
    const { links } = await placeActivities(coach, [
      { id: 'berakhlak', form: { title: 'BerAKHLAK tanpa JS', maxScore: '100', aiMode: 'off', dueAt: '' } },
    ]);
    const browser = new Browser();
    const page = await launchThroughDemo(browser, stack.demoBase, 'u-p-015', { link: links[0] });
    const ltik = ltikOf(page);
    const activityUrl = `${stack.baseUrl}${new URL(page.url).pathname}`;
    // What the page's form posts: every entry's text and revision, and the "Simpan" that was pressed.
    expect(page.body).toContain('form="journal-form" name="entry.berorientasi-pelayanan-1"');
    const fields = (texts: Record<string, string>, from: string) => ({
      ltik,
      from,
      ...Object.fromEntries(
        Object.entries(texts).flatMap(([k, v]) => [
          [`entry.${k}`, v],
          [`base.${k}`, '0'],
        ]),
      ),
    });
    const both = await browser.go(`${activityUrl}/entries`, {
      form: fields(
        {
          'berorientasi-pelayanan-1': 'Saya membantu warga lansia mengisi formulir.',
          'akuntabel-1': 'Saya mencatat setiap berkas yang saya terima.',
          'akuntabel-2': '',
        },
        'berorientasi-pelayanan-1',
      ),
    });
    expect(both.status).toBe(200);
    expect(new URL(both.url).searchParams.get('saved')).toBe('berorientasi-pelayanan-1');
    const entries = mongoose.connection.db?.collection('coaching_entries');
    const stored = await entries?.find({ userId: 'u-p-015' }).sort({ key: 1 }).toArray();
    expect(stored?.map((e) => [e.key, e.text, e.revision])).toEqual([
      ['akuntabel-1', 'Saya mencatat setiap berkas yang saya terima.', 1],
      ['berorientasi-pelayanan-1', 'Saya membantu warga lansia mengisi formulir.', 1],
    ]);
    // One text refused (a control character): the other is saved, the refused one comes back as typed.
    const refused = await browser.go(`${activityUrl}/entries`, {
      form: {
        ...fields({ 'akuntabel-2': 'Teks dengan \u0007 bel.', 'kompeten-1': 'Saya belajar rumus baru.' }, 'kompeten-1'),
      },
    });
    expect(refused.status).toBe(400);
    expect(refused.body).toContain('Teks dengan');
    expect((await entries?.findOne({ userId: 'u-p-015', key: 'kompeten-1' }))?.text).toBe('Saya belajar rumus baru.');
    // A conflict (a stale revision) comes back with that entry out of the page's form: another
    // entry's "Simpan" cannot settle it, only its own "keep mine".
    const stale = await browser.go(`${activityUrl}/entries`, {
      form: { ltik, from: 'akuntabel-1', 'entry.akuntabel-1': 'Versi dari tab lama.', 'base.akuntabel-1': '0' },
    });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatch(/<textarea id="t-akuntabel-1" name="text"/);
    expect(stale.body).toContain('form="journal-form" name="entry.berorientasi-pelayanan-1"');
    // Every entry of a long journal at once, well past body-parser's default 100 kB.
    const long = 'Saya mencatat setiap langkah pelayanan dengan rinci. '.repeat(150);
    const all = await browser.go(`${activityUrl}/entries`, {
      form: fields(
        Object.fromEntries(
          ['harmonis-1', 'harmonis-2', 'loyal-1', 'loyal-2', 'adaptif-1', 'adaptif-2'].map((k) => [k, long]),
        ),
        'loyal-1',
      ),
    });
    expect(all.status).toBe(200);
    expect(await entries?.countDocuments({ userId: 'u-p-015', key: /^(harmonis|loyal|adaptif)-/ })).toBe(6);
    // Bad fields are refused before anything is saved.
    const bad = await browser.go(`${activityUrl}/entries`, { form: { ltik, 'entry.x': 'a', 'base.x': 'satu' } });
    expect(bad.status).toBe(400);
  });

  test('without an AI provider, the consent page and the AI page say the same: nothing goes to an AI', async () => {
    const { browser, ltik, page } = await openJournal('u-p-017');
    const course = new URL(page.url).pathname.replace(/\/activities\/.*$/, '');
    const q = `?ltik=${encodeURIComponent(ltik)}`;
    const consent = await browser.go(`${stack.baseUrl}${course}/ai/consent${q}`);
    const about = await browser.go(`${stack.baseUrl}${course}/ai/about${q}`);
    for (const body of [consent.body, about.body])
      expect(body).toContain('Tidak ada AI: Cermin memakai bank pertanyaannya sendiri.');
    expect(consent.body).toContain('tidak ada tulisan yang dikirim ke mana pun');
  });

  test('two tabs saving from the same version: no silent overwrite, both texts shown, nothing lost', async () => {
    const { browser, ltik, entryUrl } = await openJournal('u-p-011');
    expect((await json(browser, entryUrl, ltik, { baseRevision: 0, text: 'Awal dari tab pertama.' })).status).toBe(200);
    const tabA = await json(browser, entryUrl, ltik, { baseRevision: 1, text: 'Tab A menulis lanjutan.' });
    expect(tabA.status).toBe(200);
    const tabB = await json(browser, entryUrl, ltik, { baseRevision: 1, text: 'Tab B menulis hal lain.' });
    expect(tabB.status).toBe(409);
    expect(await tabB.json()).toMatchObject({
      status: 'conflict',
      current: { text: 'Tab A menulis lanjutan.', revision: 2 },
      yours: 'Tab B menulis hal lain.',
    });

    // Without JavaScript, the page shows both and keeps tab B's text in the box.
    const noJs = await browser.go(entryUrl, { form: { ltik, baseRevision: '1', text: 'Tab B sekali lagi.' } });
    expect(noJs.status).toBe(409);
    expect(noJs.body).toContain('Tab A menulis lanjutan.');
    expect(noJs.body).toContain('Tab B sekali lagi.');

    // The losing texts are kept and offered on the page until used or discarded.
    const page = await browser.go(
      `${stack.baseUrl}${new URL(entryUrl).pathname.replace(/\/entries\/.*$/, '')}?ltik=${encodeURIComponent(ltik)}`,
    );
    expect(page.body).toContain('Tab B menulis hal lain.');
    expect(page.body).toMatch(/2 salinan dari tab\/perangkat lain/);
  });

  test('bad input: oversized, control characters, broken encoding, unknown entry, bad revision — refused, nothing stored', async () => {
    const { browser, ltik, entryUrl } = await openJournal('u-p-012');
    const long = await json(browser, entryUrl, ltik, { baseRevision: 0, text: 'kata '.repeat(4001) });
    expect(long.status).toBe(413);
    expect((await long.json()).message).toContain('maksimal 20.000 karakter');
    const control = await json(browser, entryUrl, ltik, { baseRevision: 0, text: 'ada\u0007bel' });
    expect(control.status).toBe(400);
    expect((await control.json()).message).toContain('karakter kontrol');
    const broken = await browser
      .request(entryUrl, { form: { ltik, baseRevision: '0', text: 'x' }, headers: {} })
      .then(() =>
        fetch(entryUrl, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'text/html' },
          body: `ltik=${encodeURIComponent(ltik)}&baseRevision=1&text=caf%C3%28`,
        }),
      );
    expect(broken.status).toBe(400);
    expect(await broken.text()).toContain('pengodean tidak valid');
    const unknown = await json(browser, entryUrl.replace(/refleksi$/, 'tidak-ada'), ltik, {
      baseRevision: 0,
      text: 'x',
    });
    expect(unknown.status).toBe(404);
    const badRev = await json(browser, entryUrl, ltik, { baseRevision: 'satu', text: 'x' });
    expect(badRev.status).toBe(400);
    // Only the one good save above ('x', revision 1) exists.
    const history = await browser.go(`${entryUrl}/history?ltik=${encodeURIComponent(ltik)}`);
    expect(history.body).toContain('Versi 1');
    expect(history.body).not.toContain('Versi 2');
  });

  test('submitting locks the work, the coach sees it and can reopen it', async () => {
    const { browser, ltik, entryUrl, page } = await openJournal('u-p-013');
    const activityUrl = `${stack.baseUrl}${new URL(page.url).pathname}`;
    expect((await json(browser, entryUrl, ltik, { baseRevision: 0, text: 'Pendek.' })).status).toBe(200);
    expect(page.body).toContain('Kumpulkan untuk dinilai');
    // The first press asks, naming what is missing; nothing is submitted yet.
    const asked = await browser.go(`${activityUrl}/submit`, { form: { ltik } });
    expect(asked.status).toBe(200);
    expect(asked.body).toMatch(/Baru 0 dari \d+ entri yang memenuhi syarat\. Kumpulkan sekarang\?/);
    expect(asked.body).toContain('Belum terisi atau belum cukup panjang');
    expect(asked.body).toContain('name="confirm" value="1"');
    expect((await json(browser, entryUrl, ltik, { baseRevision: 1, text: 'Pendek, diubah.' })).status).toBe(200);
    expect((await browser.go(`${activityUrl}/submit`, { form: { ltik, confirm: 'yes' } })).status).toBe(400);
    const submitted = await browser.go(`${activityUrl}/submit`, { form: { ltik, confirm: '1' } });
    expect(submitted.status).toBe(200);
    expect(submitted.body).toContain('Tugas dikumpulkan untuk dinilai');
    expect((await json(browser, entryUrl, ltik, { baseRevision: 1, text: 'Mengubah setelah dikirim.' })).status).toBe(
      423,
    );

    const coach = new Browser();
    const manage = await launchThroughDemo(coach, stack.demoBase, 'u-coach-1', { link: linkId });
    expect(new URL(manage.url).pathname).toMatch(/\/manage$/);
    expect(manage.body).toContain('dikumpulkan belum lengkap'); // submitted before the completion rule held
    const name = stack.demo.users.find((u) => u.id === 'u-p-013')?.name as string;
    const work = await coach.go(linkTo(manage, new RegExp(name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))));
    expect(work.body).toContain('Pendek, diubah.');
    expect(work.status).toBe(200);
    const reopenAction = /action="([^"]+\/reopen)"/.exec(work.body)?.[1] as string;
    // A reopen says why: without a reason it is refused at the field, and nothing changes.
    const noReason = await coach.go(`${stack.baseUrl}${reopenAction}`, { form: { ltik: ltikOf(manage), reason: ' ' } });
    expect(noReason.status).toBe(400);
    expect(noReason.body).toContain('Tuliskan alasan membuka kembali');
    expect((await json(browser, entryUrl, ltik, { baseRevision: 2, text: 'Belum bisa.' })).status).toBe(423);
    const reason = 'Tambahkan siapa yang Anda layani dan apa hasilnya.';
    expect((await coach.go(`${stack.baseUrl}${reopenAction}`, { form: { ltik: ltikOf(manage), reason } })).status).toBe(
      200,
    );
    expect((await json(browser, entryUrl, ltik, { baseRevision: 2, text: 'Sekarang bisa diubah lagi.' })).status).toBe(
      200,
    );
    // The participant reads why on their journal.
    const journal = await browser.go(`${activityUrl}?ltik=${encodeURIComponent(ltik)}`);
    expect(journal.body).toContain('Coach membuka kembali tugas Anda');
    expect(journal.body).toContain(reason);
  });

  test("a participant calling coach routes gets 403; another course's activity id gets 404", async () => {
    const { browser, page, ltik } = await openJournal('u-p-014');
    const activityPath = new URL(page.url).pathname;
    for (const suffix of ['/manage', '/preview', '/submissions/u-p-010']) {
      const res = await browser.go(`${stack.baseUrl}${activityPath}${suffix}?ltik=${encodeURIComponent(ltik)}`);
      expect(res.status).toBe(403);
    }
    const courseBase = activityPath.replace(/\/activities\/.*$/, '');
    const missing = await browser.go(
      `${stack.baseUrl}${courseBase}/activities/AAAAAAAAAAAAAAAA?ltik=${encodeURIComponent(ltik)}`,
    );
    expect(missing.status).toBe(404);
    expect(missing.body).toContain('tidak ada di kursus ini');
  });

  test("a new title is Cermin's alone (Moodle keeps its name, the coach is told where to change it); a stale revision is refused", async () => {
    const coach = new Browser();
    const manage = await launchThroughDemo(coach, stack.demoBase, 'u-coach-1', { link: linkId });
    const ltik = ltikOf(manage);
    const revision = /name="revision" value="(\d+)"/.exec(manage.body)?.[1] as string;
    const column = stack.demo.gradebook.lineItems.find((i) => i.resourceLinkId === linkId);
    const label = column?.label;
    expect(label).toBe('Refleksi bebas');
    const saved = await coach.go(manage.url.replace(/\?.*$/, ''), {
      form: {
        ltik,
        revision,
        title: 'Refleksi bebas (revisi)',
        maxScore: '100',
        aiMode: 'mirror',
        instructions: 'Tulis dengan jujur.',
      },
    });
    expect(saved.status).toBe(200);
    expect(saved.body).toContain('<h1>Refleksi bebas (revisi)</h1>');
    expect(saved.body).toContain('Nama aktivitas dan kolom nilainya di Moodle diubah di Moodle');
    expect(column?.label).toBe(label);

    // The same stale revision again: another coach's edit is not overwritten.
    const stale = await coach.go(manage.url.replace(/\?.*$/, ''), {
      form: { ltik, revision, title: 'Judul lama', maxScore: '100' },
    });
    expect(stale.status).toBe(409);
  });
});

describe("another course's activity", () => {
  test('its id opens nothing here: by URL (404) or as a copied activity_id custom parameter (unconfigured)', async () => {
    const other = await startSecondPlatform(stack);
    try {
      // An activity in platform B's course, bound by hand to B's link 11.
      const coachB = new Browser();
      const setup = await launchThroughDemo(coachB, other.base, 'u-coach-1', { link: '11' });
      const created = await coachB.go(`${stack.baseUrl}${new URL(setup.url).pathname}`, {
        form: { ltik: ltikOf(setup), templateId: 'bebas' },
      });
      const foreignId = /\/activities\/([\w-]+)\/manage/.exec(new URL(created.url).pathname)?.[1] as string;
      expect(foreignId).toBeDefined();

      // A participant of platform A's course asks for it by URL.
      const participantA = new Browser();
      const pageA = await launchThroughDemo(participantA, stack.demoBase, 'u-p-015');
      const courseA = new URL(pageA.url).pathname.replace(/\/(participant|activities\/.*)$/, '');
      const byUrl = await participantA.go(
        `${stack.baseUrl}${courseA}/activities/${foreignId}?ltik=${encodeURIComponent(ltikOf(pageA))}`,
      );
      expect(byUrl.status).toBe(404);
      expect(byUrl.body).not.toContain('Refleksi bebas');
      const write = await fetch(`${stack.baseUrl}${courseA}/activities/${foreignId}/entries/refleksi`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Accept: 'application/json',
          Authorization: `Bearer ${ltikOf(pageA)}`,
        },
        body: JSON.stringify({ baseRevision: 0, text: 'menyusup' }),
      });
      expect(write.status).toBe(404);

      // Moodle copies custom parameters with a course: a launch in A carrying B's activity_id.
      const login = await participantA.request(`${stack.baseUrl}/lti/login`, {
        form: {
          iss: stack.demo.issuer,
          login_hint: 'u-p-015',
          target_link_uri: stack.cermin.lti.urls.toolUrl,
          client_id: 'cermin-demo',
        },
      });
      const state = new URL(login.headers.get('location') as string).searchParams;
      const claims = stack.demo.launchClaims(stack.demo.userByKind('participant'), {
        nonce: state.get('nonce') as string,
        linkId: '12',
        custom: { activity_id: foreignId },
      });
      expect((claims[CLAIM.custom] as Record<string, string>).activity_id).toBe(foreignId);
      const launched = await participantA.request(`${stack.baseUrl}/lti/launch`, {
        form: { id_token: await stack.demo.signIdToken(claims), state: state.get('state') as string },
      });
      expect(launched.status).toBe(303);
      expect(launched.headers.get('location')).toMatch(/\/participant\?ltik=/); // "not ready", not B's activity
    } finally {
      await other.close();
    }
  });
});
