/**
 * Recommendations through the demo LMS (real launches, real database, plain form posts): the
 * participant's list after writing, with reasons in their words; opening and marking items; data
 * saver by choice or by the browser's Save-Data; the coach's catalog page with what participants
 * did, endorsing and hiding, adding, editing and retiring course items, importing (all or
 * nothing, each problem with its line) and exporting; and every refusal.
 */
import { Browser, launchThroughDemo, ltikOf, type Page } from '../../sim/browser';
import { courseBaseOf, placeActivities, writeAndSubmit } from '../support/coaching';
import { startStack, type Stack } from '../support/stack';

let stack: Stack;
let linkId: string;
let coach: Browser;
let coachPage: Page;

const TEXT =
  'Minggu ini banyak warga mengeluh karena antrean di loket pelayanan sangat panjang. Saya mencoba mengatur nomor antrean ' +
  'dan menjelaskan persyaratan kepada warga satu per satu. Keluhan warga berkurang, tetapi saya belum mencatat berapa lama warga menunggu.';

beforeAll(async () => {
  stack = await startStack();
  coach = new Browser();
  const { links } = await placeActivities(stack, coach, [
    {
      id: 'bebas',
      form: {
        title: 'Refleksi pelayanan',
        maxScore: '100',
        'prompt.refleksi': 'Ceritakan satu kejadian pelayanan minggu ini.',
      },
    },
  ]);
  linkId = links[0];
  coachPage = await launchThroughDemo(coach, stack.demoBase, 'u-coach-1', { link: linkId });
}, 60_000);
afterAll(async () => {
  await stack.close();
});

const materials = () => `${stack.baseUrl}${courseBaseOf(coachPage)}/materials`;
const coachGo = (path: string, form?: Record<string, string | string[]>) =>
  coach.go(
    form
      ? `${materials()}${path}`
      : `${materials()}${path}${path.includes('?') ? '&' : '?'}ltik=${encodeURIComponent(ltikOf(coachPage))}`,
    form ? { form: { ltik: ltikOf(coachPage), ...form } as Record<string, string> } : undefined,
  );
/** The titles in the page's recommendation list, in order. */
const recommended = (page: Page) =>
  [...page.body.matchAll(/<li class="card" id="rec-([a-z0-9-]+)">/g)].map((m) => m[1]);

async function participant(
  userId: string,
): Promise<{ browser: Browser; journal: () => Promise<Page>; ltik: string; base: string; back: string }> {
  const p = await writeAndSubmit(stack, userId, linkId, { refleksi: TEXT }, { submit: false });
  const journal = () => p.browser.go(`${p.activityUrl}?ltik=${encodeURIComponent(p.ltik)}`);
  return {
    browser: p.browser,
    journal,
    ltik: p.ltik,
    base: `${stack.baseUrl}${courseBaseOf(p.page)}`,
    back: new URL(p.activityUrl).pathname,
  };
}

test('after writing, the participant sees a few materials, each saying why in their own words; opening and marking are kept', async () => {
  const p = await participant('u-p-001');
  const page = await p.journal();
  expect(page.body).toContain('Bacaan yang disarankan');
  const ids = recommended(page);
  expect(ids.length).toBe(5);
  expect(ids).toContain('mengurai-antrean-layanan');
  expect(page.body).toMatch(
    /Refleksi Anda menyebut [^<]*&#34;(nomor antrean|antrean|loket|warga mengeluh|Keluhan warga)&#34;/,
  );

  // Opening goes through Cermin (recorded), then on to the material.
  const open = await fetch(`${p.base}/recommend/mengurai-antrean-layanan/open?ltik=${encodeURIComponent(p.ltik)}`, {
    redirect: 'manual',
  });
  expect(open.status).toBe(303);
  expect(open.headers.get('location')).toMatch(/^https:\/\/.*/);
  const helpful = await p.browser.go(`${p.base}/recommend/mengurai-antrean-layanan/mark`, {
    form: { ltik: p.ltik, mark: 'helpful', back: p.back },
  });
  expect(helpful.status).toBe(200);
  expect(helpful.body).toContain('Anda menandai: Membantu.');
  expect(helpful.body).toMatch(/id="rec-mengurai-antrean-layanan">[\s\S]*?sudah dibuka/);

  // Not helpful: it goes, and something else takes its place.
  const other = ids.find((id) => id !== 'mengurai-antrean-layanan') as string;
  const after = await p.browser.go(`${p.base}/recommend/${other}/mark`, {
    form: { ltik: p.ltik, mark: 'notHelpful', back: p.back },
  });
  expect(recommended(after)).not.toContain(other);
  expect(recommended(after)).toHaveLength(5);

  // Refusals: an unknown item, a made-up mark, a way back out of the course.
  expect(
    (await p.browser.go(`${p.base}/recommend/tidak-ada/mark`, { form: { ltik: p.ltik, mark: 'helpful' } })).status,
  ).toBe(404);
  expect(
    (await p.browser.go(`${p.base}/recommend/${other}/mark`, { form: { ltik: p.ltik, mark: 'excellent' } })).status,
  ).toBe(400);
  const outside = await fetch(`${p.base}/recommend/${other}/mark`, {
    method: 'POST',
    redirect: 'manual',
    body: new URLSearchParams({ ltik: p.ltik, mark: 'clear', back: 'https://evil.example/' }),
  });
  expect(outside.headers.get('location')).not.toContain('evil.example');
});

test('data saver, chosen or asked for by the browser, puts light materials first and says so', async () => {
  const p = await participant('u-p-002');
  const before = await p.journal();
  expect(before.body).toMatch(/<p class="hint">Video/); // without data saver a video is among them
  const on = await p.browser.go(`${p.base}/recommend/data-saver`, {
    form: { ltik: p.ltik, dataSaver: 'on', back: p.back },
  });
  expect(on.body).toContain('Mode hemat data aktif');
  expect(on.body).toMatch(/Ringan \(\d+ KB\), cocok untuk mode hemat data\./);
  expect(on.body).not.toMatch(/<p class="hint">Video/);
  // Turned off by the person, it stays off even when the browser asks to save data: their choice wins.
  await p.browser.go(`${p.base}/recommend/data-saver`, { form: { ltik: p.ltik, dataSaver: 'off', back: p.back } });
  const overruled = await (
    await fetch(`${stack.baseUrl}${p.back}?ltik=${encodeURIComponent(p.ltik)}`, { headers: { 'Save-Data': 'on' } })
  ).text();
  expect(overruled).toContain('Mode hemat data mati.');
});

test('the coach sees what participants did with each item, and endorsing or hiding changes what they are offered', async () => {
  const page = await coachGo('');
  expect(page.status).toBe(200);
  expect(page.body).toMatch(
    /id="item-mengurai-antrean-layanan">[\s\S]*?Ditampilkan ke [12] peserta · dibuka 1 · membantu 1/,
  );

  const p = await participant('u-p-003');
  const first = recommended(await p.journal());
  const hide = first[0];
  expect((await coachGo(`/items/${hide}/curation`, { curation: 'hidden' })).status).toBe(200);
  expect((await coachGo('/items/standar-pelayanan-publik/curation', { curation: 'endorsed' })).status).toBe(200);
  const now = await p.journal();
  expect(recommended(now)).not.toContain(hide);
  expect(first).not.toContain('standar-pelayanan-publik');
  expect(recommended(now)).toContain('standar-pelayanan-publik');
  expect(now.body).toMatch(/id="rec-standar-pelayanan-publik">[\s\S]*?Dianjurkan oleh coach Anda\./);
  // A hidden item cannot be opened from an old page either.
  expect((await p.browser.go(`${p.base}/recommend/${hide}/open?ltik=${encodeURIComponent(p.ltik)}`)).status).toBe(404);
});

test('the coach adds, edits and retires a course item; a bad one is refused, saying which fields', async () => {
  const item = {
    id: 'sop-loket-kecamatan',
    title: 'SOP Loket Antrean Kecamatan',
    description: 'Prosedur mengatur antrean dan nomor antrean di loket pelayanan kecamatan.',
    url: 'https://lms.example.go.id/mod/resource/view.php?id=77',
    type: 'pdf',
    language: 'id',
    sizeKb: '240',
    values: ['berorientasi-pelayanan', 'akuntabel'],
    competencies: 'pelayanan publik',
    tags: 'antrean, loket, SOP',
    level: 'dasar',
  };
  const added = await coachGo('/items', item);
  expect(added.status).toBe(200);
  expect(added.body).toContain('Materi sop-loket-kecamatan ditambahkan.');
  expect(added.body).toContain('ditambahkan coach');
  expect((await coachGo('/items', item)).status).toBe(409);
  expect((await coachGo('/items', { ...item, id: 'komunikasi-asertif' })).body).toContain(
    'sudah dipakai katalog bersama',
  );
  const bad = await coachGo('/items', { ...item, id: 'bad-one', url: 'javascript:alert(1)', title: '' });
  expect(bad.status).toBe(400);
  expect(bad.body).toMatch(/Periksa isian berikut: Judul, Alamat \(URL, http atau https\)\./);

  const edited = await coachGo('/items/sop-loket-kecamatan', { ...item, title: 'SOP Antrean Loket (revisi)' });
  expect(edited.body).toContain('SOP Antrean Loket (revisi)');
  const p = await participant('u-p-004');
  expect(recommended(await p.journal())).toContain('sop-loket-kecamatan');
  await coachGo('/items/sop-loket-kecamatan/status', { status: 'retired' });
  expect(recommended(await p.journal())).not.toContain('sop-loket-kecamatan');
  expect((await coachGo('/items/komunikasi-asertif/status', { status: 'retired' })).status).toBe(409); // shared: hide it instead
});

test("import is all or nothing, each problem with its line; oversized files and another course's export are refused; export gives it back", async () => {
  const header = 'id,title,description,url,type,language,sizeKb,durationMinutes,values,competencies,tags,level,phases';
  const good = [
    header,
    'panduan-antrean,Panduan Antrean,"Mengatur antrean, nomor, dan ruang tunggu",https://example.org/antrean,artikel,id,80,,Berorientasi Pelayanan;Akuntabel,pelayanan publik,antrean;loket,dasar,reality',
    'catatan-waktu-tunggu,Mencatat Waktu Tunggu,Cara sederhana mencatat waktu tunggu warga,https://example.org/waktu,pdf,id,300,,akuntabel,pengukuran,waktu tunggu,dasar,',
  ].join('\n');
  const before = (await coachGo('')).body.match(/<li class="card/g)?.length ?? 0;
  const bad = [
    header,
    'baris-baik,Baris Baik,Deskripsi,https://example.org/a,article,id,10,,akuntabel,,,dasar,',
    'baris-buruk,Baris Buruk,Deskripsi,javascript:alert(1),article,id,10,,akuntabel,,,dasar,',
    'baris-baik,Duplikat,Deskripsi,https://example.org/b,article,id,10,,akuntabel,,,dasar,',
  ].join('\n');
  const refused = await coachGo('/import', { text: bad });
  expect(refused.status).toBe(400);
  expect(refused.body).toContain('Tidak ada yang diimpor.');
  expect(refused.body).toMatch(/[Bb]aris 3[^<]*url/);
  expect(refused.body).toMatch(/[Bb]aris 4[^<]*baris-baik/);
  expect((await coachGo('')).body.match(/<li class="card/g)?.length).toBe(before);

  const tooBig = await coachGo('/import', { text: `${header}\n${'x'.repeat(1_100_000)}` });
  expect(tooBig.status).toBe(413);
  expect(tooBig.body).toMatch(/1000 KB/);
  const otherCourse = await coachGo('/import', {
    text: JSON.stringify({
      course: 'course-lain',
      items: [
        {
          id: 'dari-kursus-lain',
          title: 'T',
          description: 'D',
          url: 'https://example.org/x',
          type: 'article',
          language: 'id',
          values: ['akuntabel'],
          competencies: [],
          tags: [],
          level: 'dasar',
        },
      ],
    }),
  });
  expect(otherCourse.status).toBe(400);
  expect(otherCourse.body).toContain('course-lain');

  const imported = await coachGo('/import', { text: good });
  expect(imported.status).toBe(200);
  expect(imported.body).toContain('2 materi diimpor.');
  expect((await coachGo('/import', { text: good })).status).toBe(400); // already there
  expect((await coachGo('/import', { text: good, replace: '1' })).status).toBe(200);

  const csv = await coachGo('/export.csv');
  expect(csv.headers.get('content-type')).toContain('text/csv');
  expect(csv.body).toContain('panduan-antrean');
  expect(csv.body).not.toContain('komunikasi-asertif'); // the shared catalog is not the course's to export
  const json = JSON.parse((await coachGo('/export.json')).body) as { course: string; items: Array<{ id: string }> };
  expect(json.items.map((i) => i.id)).toEqual(expect.arrayContaining(['panduan-antrean', 'catatan-waktu-tunggu']));
});

test("participants cannot reach the coach's catalog; no one reaches it without a launch", async () => {
  const p = await participant('u-p-005');
  expect((await p.browser.go(`${p.base}/materials?ltik=${encodeURIComponent(p.ltik)}`)).status).toBe(403);
  expect(
    (
      await p.browser.go(`${p.base}/materials/items/komunikasi-asertif/curation`, {
        form: { ltik: p.ltik, curation: 'hidden' },
      })
    ).status,
  ).toBe(403);
  expect((await p.browser.go(`${p.base}/materials/import`, { form: { ltik: p.ltik, text: 'id\nx' } })).status).toBe(
    403,
  );
  expect((await new Browser().go(materials())).status).toBe(401);
  // The coach's own forms refuse fields they do not have.
  expect((await coachGo('/items/komunikasi-asertif/curation', { curation: 'hidden', courseKey: 'x' })).status).toBe(
    400,
  );
});

test("without a choice of their own, the browser's Save-Data decides, and the participant can still turn it off", async () => {
  const q = await participant('u-p-006');
  const asked = await fetch(`${stack.baseUrl}${q.back}?ltik=${encodeURIComponent(q.ltik)}`, {
    headers: { 'Save-Data': 'on' },
  });
  const body = await asked.text();
  expect(body).toContain('Browser Anda meminta hemat data');
  expect(body).not.toMatch(/<p class="hint">Video/);
  expect(body).toContain('name="dataSaver" value="off"');
});
