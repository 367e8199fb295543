/**
 * The participant's AI help through the demo LMS and an OpenAI-compatible provider over real HTTP
 * (no JavaScript: plain form posts): asked for consent first; after consenting, a lens answers on
 * the journal page, labelled with the engine and model, with a "why this answer" card; nothing
 * identifying reaches the provider; every turn audited; declining or withdrawing gives the
 * offline engine's questions, saying why.
 */
import mongoose from 'mongoose';
import { Browser, launchThroughDemo, ltikOf, type Page } from '../../sim/browser';
import { placeActivities } from '../support/coaching';
import { startStack, type Stack } from '../support/stack';
import { startFakeOpenAI, type ChatRequest, type FakeOpenAI } from '../../sim/fake-openai';

let fake: FakeOpenAI;
let stack: Stack;
let linkId: string;

const TEXT =
  'Minggu ini Pak Ahmad Fauzi Hidayat meminta saya melayani warga yang membawa KTP. ' +
  'Saya melayani warga dengan ramah dan menjelaskan persyaratan satu per satu. Nomor WA saya 0812 3456 7890.';

/** The consent form's own `back` (the page's language switch has one too). */
const consentBack = (page: Page) => [...page.body.matchAll(/name="back" value="([^"]+)"/g)].at(-1)?.[1] as string;

const goodAnswer = (body: ChatRequest) => {
  const user = body.messages.find((m) => m.role === 'user')?.content as string;
  const person = /\[NAMA_\d+\]/.exec(user)?.[0] ?? 'rekan';
  return JSON.stringify({
    observations: [`Anda menceritakan permintaan ${person} dan cara Anda menjelaskan persyaratan.`],
    questions: ['Bagaimana Anda tahu warga itu benar-benar memahami persyaratannya?'],
    values: [{ value: 'berorientasi-pelayanan', evidence: 'melayani warga dengan ramah' }],
  });
};

beforeAll(async () => {
  fake = await startFakeOpenAI({ models: ['fake-model'] });
  stack = await startStack({
    AI_BASE_URL: fake.baseURL,
    AI_API_KEY: fake.apiKey,
    AI_MODEL: 'fake-model',
    AI_PROVIDER_NAME: 'Server AI BPSDM (uji)',
  });
  const { links } = await placeActivities(stack, new Browser(), [
    {
      id: 'bebas',
      form: {
        title: 'Refleksi dengan AI',
        maxScore: '100',
        aiMode: 'all',
        'prompt.refleksi': 'Ceritakan satu kejadian pelayanan minggu ini.',
      },
    },
  ]);
  linkId = links[0];
}, 60_000);
afterAll(async () => {
  await stack.close();
  await fake.close();
});

async function journalOf(userId: string): Promise<{ browser: Browser; page: Page; ltik: string; activityUrl: string }> {
  const browser = new Browser();
  const page = await launchThroughDemo(browser, stack.demoBase, userId, { link: linkId });
  const activityUrl = `${stack.baseUrl}${new URL(page.url).pathname}`;
  const ltik = ltikOf(page);
  const saved = await browser.go(`${activityUrl}/entries/refleksi`, { form: { ltik, baseRevision: '0', text: TEXT } });
  expect(saved.status).toBe(200);
  return { browser, page: saved, ltik, activityUrl };
}

test('consent first; then a lens answers on the page, labelled, with why; the provider never sees a name or a phone number', async () => {
  const { browser, ltik, activityUrl } = await journalOf('u-p-002');
  const asked = await browser.go(`${activityUrl}/entries/refleksi/reflect`, { form: { ltik, lens: 'cermin' } });
  expect(asked.status).toBe(200);
  expect(new URL(asked.url).pathname).toMatch(/\/ai\/consent$/);
  expect(asked.body).toContain('Server AI BPSDM (uji)');
  expect(asked.body).toContain('fake-model');
  expect(fake.requests).toHaveLength(0);

  const back = consentBack(asked);
  const accepted = await browser.go(new URL(asked.url).origin + new URL(asked.url).pathname, {
    form: { ltik, choice: 'accept', back },
  });
  expect(new URL(accepted.url).pathname).toBe(new URL(activityUrl).pathname);

  fake.reply({ respond: goodAnswer, usage: { prompt_tokens: 800, completion_tokens: 60 } });
  const answered = await browser.go(`${activityUrl}/entries/refleksi/reflect`, { form: { ltik, lens: 'cermin' } });
  expect(answered.status).toBe(200);
  expect(answered.body).toContain('Dijawab oleh AI (fake-model)');
  expect(answered.body).toContain('Bagaimana Anda tahu warga itu benar-benar memahami persyaratannya?');
  expect(answered.body).toContain('Anda menceritakan permintaan Ahmad Fauzi Hidayat'); // the name put back
  expect(answered.body).toContain('Mengapa jawaban ini?');
  expect(answered.body).toContain('cermin@1');
  expect(answered.body).toMatch(/Sebelum dikirim diganti: 1 nama, 0 NIP\/NIK, 1 e-mail\/telepon/);
  const sent = JSON.stringify(fake.requests.at(-1)?.body);
  expect(sent).not.toContain('Ahmad');
  expect(sent).not.toContain('0812');
  const audit = await mongoose.connection.db?.collection('ai_audit').find({ engine: 'ai' }).toArray();
  expect(audit?.map((a) => [a.outcome, a.lensId, a.model, a.tokens.prompt])).toEqual([
    ['answered', 'cermin', 'fake-model', 800],
  ]);
  expect(JSON.stringify(audit)).not.toContain('u-p-002');
});

test("declining: no AI, the offline questions, saying why; the lens list follows the activity's AI mode", async () => {
  const { browser, ltik, activityUrl } = await journalOf('u-p-003');
  const asked = await browser.go(`${activityUrl}/entries/refleksi/reflect`, { form: { ltik, lens: 'kritik' } });
  const back = consentBack(asked);
  await browser.go(new URL(asked.url).origin + new URL(asked.url).pathname, {
    form: { ltik, choice: 'decline', back },
  });
  const before = fake.requests.length;
  const offline = await browser.go(`${activityUrl}/entries/refleksi/reflect`, { form: { ltik, lens: 'kritik' } });
  expect(offline.status).toBe(200);
  expect(offline.body).toContain('Pertanyaan dari bank pertanyaan Cermin (tanpa AI)');
  expect(offline.body).toContain('Anda belum menyetujui bantuan AI');
  // The critique's own move, around the participant's own sentence.
  expect(offline.body).toContain('inti itu baru kokoh bila akibatnya juga bisa ditunjukkan');
  expect(offline.body).toContain('Saya melayani warga dengan ramah dan menjelaskan persyaratan satu per satu.');
  expect(fake.requests.length).toBe(before);
  for (const lens of ['Cermin', 'Perkuat argumen', 'Kritik tajam']) expect(offline.body).toContain(lens);

  const bad = await browser.go(`${activityUrl}/entries/refleksi/reflect`, { form: { ltik, lens: 'oracle' } });
  expect(bad.status).toBe(400);
  expect(bad.body).toContain('Pilih salah satu cara');
});

test('withdrawing is one click; a failing provider gives the offline engine, never an error page', async () => {
  const { browser, ltik, activityUrl } = await journalOf('u-p-004');
  const consentUrl = `${stack.baseUrl}${new URL(activityUrl).pathname.replace(/\/activities\/.*$/, '')}/ai/consent`;
  await browser.go(consentUrl, { form: { ltik, choice: 'accept' } });
  fake.reply({ status: 500 }, { status: 500 }); // the provider is set to retry once
  const failed = await browser.go(`${activityUrl}/entries/refleksi/reflect`, { form: { ltik, lens: 'cermin' } });
  expect(failed.status).toBe(200);
  expect(failed.body).toContain('layanan AI sedang tidak dapat dihubungi');
  const withdrawn = await browser.go(consentUrl, { form: { ltik, choice: 'withdraw' } });
  expect(withdrawn.body).toContain('Persetujuan Anda sudah ditarik');
  const before = fake.requests.length;
  const after = await browser.go(`${activityUrl}/entries/refleksi/reflect`, { form: { ltik, lens: 'cermin' } });
  expect(after.body).toContain('Anda belum menyetujui bantuan AI');
  expect(fake.requests.length).toBe(before);
});

test('a participant in danger gets care, not a lens; the coaches are alerted even for a private entry, with only the trigger words', async () => {
  const browser = new Browser();
  const page = await launchThroughDemo(browser, stack.demoBase, 'u-p-005', { link: linkId });
  const activityUrl = `${stack.baseUrl}${new URL(page.url).pathname}`;
  const ltik = ltikOf(page);
  const text =
    'Minggu ini berat sekali. Target kantor menumpuk dan saya merasa sendirian. Kadang saya ingin mengakhiri hidup saja.';
  await browser.go(`${activityUrl}/entries/refleksi`, { form: { ltik, baseRevision: '0', text } });
  await browser.go(`${activityUrl}/entries/refleksi/visibility`, { form: { ltik, visibility: 'private' } });
  // Never asked for consent: care comes first, not the consent form.
  const before = fake.requests.length;
  const cared = await browser.go(`${activityUrl}/entries/refleksi/reflect`, { form: { ltik, lens: 'kritik' } });
  expect(cared.status).toBe(200);
  expect(cared.body).toContain('119');
  expect(cared.body).toContain('112');
  expect(cared.body).not.toContain('Pertanyaan dari bank pertanyaan Cermin');
  expect(fake.requests.length).toBe(before);

  const coach = await launchThroughDemo(new Browser(), stack.demoBase, 'u-coach-1', { link: linkId });
  const roster = await new Browser().go(
    `${stack.baseUrl}${new URL(coach.url).pathname.replace(/\/activities\/.*$/, '')}/roster?ltik=${encodeURIComponent(ltikOf(coach))}`,
  );
  expect(roster.body).toContain('Peringatan keselamatan');
  expect(roster.body).toContain('Andi Muhammad Arief'); // u-p-005
  expect(roster.body).toContain('tanda ingin menyakiti diri');
  expect(roster.body).not.toContain('Target kantor menumpuk');
  // Asking again about the same words does not alert the coach again.
  await browser.go(`${activityUrl}/entries/refleksi/reflect`, { form: { ltik, lens: 'cermin' } });
  const alerts = await mongoose.connection.db
    ?.collection('coaching_safety_alerts')
    .find({ userId: 'u-p-005' })
    .toArray();
  expect(alerts?.map((a) => [a.category, a.severity])).toEqual([['selfHarm', 'high']]);
  expect(alerts?.[0].phrases.join(' ')).toMatch(/mengakhiri hidup/);
});

test('an alert stays open until a coach follows it up: a badge on every coach landing, no reading list for the participant meanwhile; another course cannot close it', async () => {
  // u-p-005's alert from the test above is open.
  const participant = new Browser();
  const page = await launchThroughDemo(participant, stack.demoBase, 'u-p-005', { link: linkId });
  expect(page.body).not.toContain('id="rec-');
  const coachBrowser = new Browser();
  const manage = await launchThroughDemo(coachBrowser, stack.demoBase, 'u-coach-1', { link: linkId });
  const ltik = ltikOf(manage);
  const course = new URL(manage.url).pathname.replace(/\/activities\/.*$/, '');
  const q = `?ltik=${encodeURIComponent(ltik)}`;
  for (const landing of [manage.body, (await coachBrowser.go(`${stack.baseUrl}${course}/coach${q}`)).body]) {
    expect(landing).toContain('1 peringatan keselamatan belum ditindaklanjuti');
  }
  const roster = await coachBrowser.go(`${stack.baseUrl}${course}/roster${q}`);
  expect(roster.body).toContain('Peringatan keselamatan (1 belum ditindaklanjuti)');
  expect(roster.body).toContain('tidak dapat mengirim notifikasi Moodle');
  const alerts = mongoose.connection.db?.collection('coaching_safety_alerts');
  const open = await alerts?.findOne({ userId: 'u-p-005' });
  // Another course's coach who learned this alert's id: the course in their ltik is not the alert's.
  const elsewhere = { ...open, _id: 'sa-other-course', courseKey: 'another-course' };
  await alerts?.insertOne(elsewhere as never);
  const refused = await coachBrowser.go(`${stack.baseUrl}${course}/roster/alerts/sa-other-course/follow-up`, {
    form: { ltik, note: 'menutup yang bukan milik saya' },
  });
  expect(refused.status).toBe(409);
  expect((await alerts?.findOne({ _id: 'sa-other-course' as never }))?.followUp).toBeUndefined();
  await alerts?.deleteOne({ _id: 'sa-other-course' as never });
  // A note too long is refused before anything is written.
  const url = `${stack.baseUrl}${course}/roster/alerts/${encodeURIComponent(String(open?._id))}/follow-up`;
  expect((await coachBrowser.go(url, { form: { ltik, note: 'x'.repeat(1001) } })).status).toBe(400);
  const done = await coachBrowser.go(url, { form: { ltik, note: 'Sudah saya telepon.' } });
  expect(done.status).toBe(200);
  expect(done.body).toContain('Tindak lanjut tercatat');
  expect(done.body).toContain('Sudah saya telepon.');
  expect(done.body).not.toContain('peringatan keselamatan belum ditindaklanjuti');
  expect((await alerts?.findOne({ userId: 'u-p-005' }))?.followUp).toMatchObject({
    by: { id: 'u-coach-1' },
    note: 'Sudah saya telepon.',
  });
  // Once is enough: a second follow-up is refused, the first stays.
  expect((await coachBrowser.go(url, { form: { ltik, note: 'lagi' } })).status).toBe(409);
  // The participant's journal has its reading list back.
  const after = await participant.go(
    `${stack.baseUrl}${new URL(page.url).pathname}?ltik=${encodeURIComponent(ltikOf(page))}`,
  );
  expect(after.body).toContain('id="rec-');
});

/** Posts the AI form as the page's script does and reads the server-sent events as they arrive. */
async function streamReflect(
  url: string,
  form: Record<string, string>,
): Promise<{
  status: number;
  type: string;
  events: Array<{ event: string; data: Record<string, unknown>; at: number }>;
  body: string;
}> {
  const res = await fetch(url, {
    method: 'POST',
    body: new URLSearchParams(form),
    headers: { Accept: 'text/event-stream' },
  });
  const type = res.headers.get('content-type') ?? '';
  const events: Array<{ event: string; data: Record<string, unknown>; at: number }> = [];
  let body = '';
  let buffer = '';
  const decoder = new TextDecoder();
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    const text = decoder.decode(chunk, { stream: true });
    body += text;
    buffer += text;
    const blocks = buffer.split('\n\n');
    buffer = blocks.pop() as string;
    for (const block of blocks) {
      const name = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (name && data) events.push({ event: name, data: JSON.parse(data) as Record<string, unknown>, at: Date.now() });
    }
  }
  return { status: res.status, type, events, body };
}

test("with the page's script the answer streams as server-sent events: pieces while the model writes, then the panel as the page shows it", async () => {
  const { browser, ltik, activityUrl } = await journalOf('u-p-001');
  const reflectUrl = `${activityUrl}/entries/refleksi/reflect`;
  // Consent not given yet: the script is told where to go instead of a redirect it cannot show.
  const asked = fake.requests.length;
  const needConsent = await fetch(reflectUrl, {
    method: 'POST',
    body: new URLSearchParams({ ltik, lens: 'cermin' }),
    headers: { Accept: 'text/event-stream' },
  });
  expect(needConsent.status).toBe(200);
  const { navigate } = (await needConsent.json()) as { navigate: string };
  expect(new URL(navigate, stack.baseUrl).pathname).toMatch(/\/ai\/consent$/);
  expect(fake.requests.length).toBe(asked);
  const consentUrl = `${stack.baseUrl}${new URL(activityUrl).pathname.replace(/\/activities\/.*$/, '')}/ai/consent`;
  await browser.go(consentUrl, { form: { ltik, choice: 'accept' } });

  // A bad lens is refused as a page (the script then posts the form itself and shows it).
  const bad = await streamReflect(reflectUrl, { ltik, lens: 'oracle' });
  expect(bad.status).toBe(400);
  expect(bad.type).not.toContain('event-stream');

  fake.reply({ respond: goodAnswer, chunkDelayMs: 20 });
  const before = fake.requests.length;
  const streamed = await streamReflect(reflectUrl, { ltik, lens: 'cermin' });
  expect(streamed.status).toBe(200);
  expect(streamed.type).toContain('text/event-stream');
  expect(fake.requests.length).toBe(before + 1);
  expect(fake.requests.at(-1)?.body?.stream).toBe(true);
  const names = streamed.events.map((e) => e.event);
  expect(names[0]).toBe('status');
  expect(names.at(-1)).toBe('done');
  const pieces = streamed.events.filter((e) => e.event === 'piece');
  expect(pieces.map((p) => p.data.path)).toEqual(['observations[0]', 'questions[0]', 'values[0].evidence']);
  expect(pieces[0].data.text).toContain('Ahmad Fauzi Hidayat'); // names put back before anything is sent to the page
  // Really streamed: the first piece reached the client well before the end.
  const done = streamed.events.at(-1) as unknown as { data: { html: string; engine: string }; at: number };
  expect(done.at - pieces[0].at).toBeGreaterThan(100);
  expect(done.data.engine).toBe('ai');
  expect(done.data.html).toMatch(/^<section class="ai" id="ai-refleksi"/);
  expect(done.data.html).toContain('Dijawab oleh AI (fake-model)');
  expect(done.data.html).toContain('Bagaimana Anda tahu warga itu benar-benar memahami persyaratannya?');
  expect(done.data.html).toContain('Mengapa jawaban ini?');
  expect(done.data.html).toContain(`<input type="hidden" name="ltik" value="${ltik}">`); // the form works again at once
  expect(streamed.body).not.toContain('[NAMA_');
  // The same turn is on the page after a reload (it was stored before it was shown).
  const page = await browser.go(`${activityUrl}?ltik=${encodeURIComponent(ltik)}`);
  expect(page.body).toContain('Bagaimana Anda tahu warga itu benar-benar memahami persyaratannya?');
});
