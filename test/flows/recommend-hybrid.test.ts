/**
 * Hybrid recommendations through the demo LMS with the fake OpenAI-compatible provider's
 * embeddings endpoint over real HTTP: the catalog is embedded once (in the background, the page
 * ranks lexically meanwhile); a participant's text is embedded only with their consent, redacted,
 * audited, and once per text; without consent, or when the provider fails, the page still shows
 * lexical recommendations.
 */
import mongoose from 'mongoose';
import { INSTANCE } from '../../src/domain/launch';
import { ProviderSource } from '../../src/ai/provider-source';
import { MARK_RECHECK_MS } from '../../src/db/change-marks';
import { Browser, type Page } from '../../sim/browser';
import { courseBaseOf, placeActivities, writeAndSubmit } from '../support/coaching';
import { startFakeOpenAI, type EmbeddingRequest, type FakeOpenAI } from '../../sim/fake-openai';
import { startStack, type Stack } from '../support/stack';
import { until } from '../support/chromium';

let fake: FakeOpenAI;
let stack: Stack;
let linkId: string;

const TEXT =
  'Hari ini Sahat Simanjuntak dan saya menata ulang alur antrean di loket pelayanan. Warga mengeluh menunggu lama, ' +
  'jadi kami memasang papan nomor antrean dan mencatat waktu tunggu setiap warga di buku register.';

const embeddingRequests = () =>
  fake.requests.filter((r) => r.path.endsWith('/embeddings')).map((r) => r.body as unknown as EmbeddingRequest);
const inputsOf = (r: EmbeddingRequest) => (Array.isArray(r.input) ? r.input : [r.input]);
/** A participant's query: one text, theirs (the catalog goes in batches of item texts). */
const isQuery = (r: EmbeddingRequest) => inputsOf(r).length === 1 && inputsOf(r)[0].includes('buku register');
const catalogTexts = () =>
  embeddingRequests()
    .filter((r) => !isQuery(r))
    .reduce((n, r) => n + inputsOf(r).length, 0);
const recommended = (page: Page) =>
  [...page.body.matchAll(/<li class="card" id="rec-([a-z0-9-]+)">/g)].map((m) => m[1]);

beforeAll(async () => {
  fake = await startFakeOpenAI({ models: ['fake-model'], embeddingModels: ['fake-embed'] });
  stack = await startStack({
    AI_BASE_URL: fake.baseURL,
    AI_API_KEY: fake.apiKey,
    AI_MODEL: 'fake-model',
    AI_EMBEDDING_MODEL: 'fake-embed',
  });
  const { links } = await placeActivities(stack, new Browser(), [
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
}, 60_000);
afterAll(async () => {
  await stack.close();
  await fake.close();
});

test("the catalog is embedded once; a consenting participant's text is embedded redacted, once, audited; then the ranking is hybrid", async () => {
  const p = await writeAndSubmit(stack, 'u-p-001', linkId, { refleksi: TEXT }, { submit: false });
  await p.browser.go(`${stack.baseUrl}${courseBaseOf(p.page)}/ai/consent`, {
    form: { ltik: p.ltik, choice: 'accept' },
  });
  const journal = () => p.browser.go(`${p.activityUrl}?ltik=${encodeURIComponent(p.ltik)}`);
  const first = await journal();
  expect(recommended(first)).toHaveLength(5); // lexical while the catalog's vectors are being built
  await until(() => catalogTexts() === 71 || null, 'the 71 catalog items embedded');

  const hybrid = await journal();
  expect(recommended(hybrid)).toHaveLength(5);
  const queries = embeddingRequests().filter(isQuery);
  expect(queries).toHaveLength(1);
  const query = inputsOf(queries[0])[0];
  expect(query).toContain('antrean');
  expect(query).not.toContain('Sahat'); // a course member's name never leaves the server
  expect(query).toMatch(/\[NAMA_\d+\]/);

  // The same text again: the cached vector, no new call; the catalog is not embedded again either.
  await journal();
  expect(embeddingRequests().filter(isQuery)).toHaveLength(1);
  expect(catalogTexts()).toBe(71);
  const audit = await mongoose.connection.db?.collection('ai_audit').find({ lensId: 'embedding' }).toArray();
  expect(audit?.map((a) => [a.engine, a.model, a.redactions.name])).toEqual([['ai', 'fake-embed', 1]]);
  expect(JSON.stringify(audit)).not.toContain('u-p-001');
});

test("without consent nothing of the participant's is embedded; a failing provider still leaves the lexical list", async () => {
  const before = embeddingRequests().length;
  const p = await writeAndSubmit(stack, 'u-p-002', linkId, { refleksi: TEXT }, { submit: false });
  const page = await p.browser.go(`${p.activityUrl}?ltik=${encodeURIComponent(p.ltik)}`);
  expect(recommended(page)).toHaveLength(5);
  expect(embeddingRequests().length).toBe(before);

  const q = await writeAndSubmit(
    stack,
    'u-p-003',
    linkId,
    { refleksi: `${TEXT} Besok saya akan melapor kepada atasan.` },
    { submit: false },
  );
  await q.browser.go(`${stack.baseUrl}${courseBaseOf(q.page)}/ai/consent`, {
    form: { ltik: q.ltik, choice: 'accept' },
  });
  fake.reply(
    { target: 'embeddings', status: 500 },
    { target: 'embeddings', status: 500 },
    { target: 'embeddings', status: 500 },
  );
  const failed = await q.browser.go(`${q.activityUrl}?ltik=${encodeURIComponent(q.ltik)}`);
  expect(failed.status).toBe(200);
  expect(recommended(failed)).toHaveLength(5);
});

test('an entry the participant marked private is never sent to the embedding provider', async () => {
  const secret = 'Catatan pribadi tentang buku register dan antrean yang tidak boleh keluar.';
  const p = await writeAndSubmit(stack, 'u-p-004', linkId, { refleksi: secret }, { submit: false });
  await p.browser.go(`${stack.baseUrl}${courseBaseOf(p.page)}/ai/consent`, {
    form: { ltik: p.ltik, choice: 'accept' },
  });
  await p.browser.go(`${p.activityUrl}/entries/refleksi/visibility`, { form: { ltik: p.ltik, visibility: 'private' } });
  const page = await p.browser.go(`${p.activityUrl}?ltik=${encodeURIComponent(p.ltik)}`);
  expect(recommended(page)).toHaveLength(5); // still recommended, lexically, here on the server
  expect(JSON.stringify(embeddingRequests())).not.toContain('Catatan pribadi');
});

test("once an admin switches to another server, a participant's writing is no longer embedded by the first one", async () => {
  const other = await startFakeOpenAI({ models: ['other-model'] });
  const source = new ProviderSource(
    { model: 'fake-model', timeoutMs: 5000, maxRetries: 0, name: 'env' },
    stack.config.lti.key,
  );
  try {
    expect(
      await source.set(
        INSTANCE,
        { baseUrl: other.baseURL, model: 'other-model', name: 'Server lain', apiKey: other.apiKey },
        'admin-test',
      ),
    ).toEqual({ ok: true, key: 'replaced' });
    await new Promise((r) => setTimeout(r, MARK_RECHECK_MS + 100)); // the app's cache of the provider in force
    const before = embeddingRequests().filter(isQuery).length;
    const p = await writeAndSubmit(
      stack,
      'u-p-007',
      linkId,
      { refleksi: `${TEXT} Ditulis setelah penyedia diganti.` },
      { submit: false },
    );
    // They agree to the text that names the other server.
    const consent = await p.browser.go(
      `${stack.baseUrl}${courseBaseOf(p.page)}/ai/consent?ltik=${encodeURIComponent(p.ltik)}`,
    );
    expect(consent.body).toContain('Server lain');
    await p.browser.go(`${stack.baseUrl}${courseBaseOf(p.page)}/ai/consent`, {
      form: { ltik: p.ltik, choice: 'accept' },
    });
    const page = await p.browser.go(`${p.activityUrl}?ltik=${encodeURIComponent(p.ltik)}`);
    expect(recommended(page)).toHaveLength(5); // ranked lexically
    expect(embeddingRequests().filter(isQuery).length).toBe(before);
    expect(JSON.stringify(embeddingRequests())).not.toContain('setelah penyedia diganti');
  } finally {
    await source.reset(INSTANCE);
    await other.close();
  }
});
