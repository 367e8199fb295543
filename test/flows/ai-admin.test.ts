/**
 * The admin's "test connection" for the AI provider, from an LTI administrator's launch and from
 * the setup-token page, against the fake OpenAI-compatible server over real HTTP: what is
 * configured (never the key), a clear result for a working provider, a missing model and an
 * unreachable one; and no one else may run it.
 */
import mongoose from 'mongoose';
import { Browser, launchThroughDemo, ltikOf } from '../../sim/browser';
import { courseBaseOf, placeActivities, writeAndSubmit } from '../support/coaching';
import { startFakeOpenAI, type FakeOpenAI } from '../../sim/fake-openai';
import { startStack, type Stack } from '../support/stack';
import { connectionMessage, displayUrl } from '../../src/admin/ai-provider';
import { translator } from '../../src/http/i18n';
import { issueSetupToken } from '../../src/admin/setup';

let fake: FakeOpenAI;
let stack: Stack;

beforeAll(async () => {
  fake = await startFakeOpenAI({ models: ['fake-model', 'other-model'] });
  stack = await startStack({
    AI_BASE_URL: fake.baseURL,
    AI_API_KEY: fake.apiKey,
    AI_MODEL: 'fake-model',
    AI_PROVIDER_NAME: 'Server AI BPSDM (uji)',
  });
}, 60_000);
afterAll(async () => {
  await stack.close();
  await fake.close();
});

const adminBase = (url: string) =>
  `${stack.baseUrl}${(/^\/lti\/app\/courses\/[^/]+/.exec(new URL(url).pathname) ?? [''])[0]}`;

test('each result reads as what happened and what to check', () => {
  const t = translator('id');
  const settings = { model: 'llama3.1:8b', timeoutMs: 20000 };
  expect(connectionMessage({ ok: true, latencyMs: 42, modelListed: true }, settings, t)).toEqual({
    ok: true,
    message: 'Terhubung dalam 42 ms, dan model llama3.1:8b tersedia.',
  });
  expect(connectionMessage({ ok: true, latencyMs: 42, modelListed: false }, settings, t)).toMatchObject({
    ok: false,
    message: expect.stringContaining('Periksa AI_MODEL'),
  });
  expect(connectionMessage({ ok: true, latencyMs: 42, modelListed: null }, settings, t)).toMatchObject({
    ok: true,
    message: expect.stringContaining('tidak mencantumkan daftar model'),
  });
  const failures: Array<[Parameters<typeof connectionMessage>[0], RegExp]> = [
    [{ ok: false, kind: 'auth', reason: '401 Incorrect API key' }, /Periksa AI_API_KEY/],
    [{ ok: false, kind: 'unreachable', reason: 'Connection error.' }, /Periksa AI_BASE_URL dan jaringan/],
    [{ ok: false, kind: 'timeout', reason: 'Request timed out.' }, /tidak menjawab dalam 20000 ms/],
    [{ ok: false, kind: 'notFound', reason: '404' }, /berakhiran \/v1/],
    [{ ok: false, kind: 'rateLimited', reason: '429' }, /kuota/],
  ];
  for (const [result, message] of failures) {
    const shown = connectionMessage(result, settings, t);
    expect(shown.ok).toBe(false);
    expect(shown.message).toMatch(message);
    expect(shown.detail).toBe((result as { reason: string }).reason);
  }
  // A provider set in the console is checked in the console: the message names its form's field, not a variable.
  const fromConsole = connectionMessage({ ok: false, kind: 'auth', reason: '401' }, settings, t, true, 'platform');
  expect(fromConsole.message).toBe('Kunci API ditolak. Periksa isian «Kunci API» di formulir penyedia AI.');
  expect(
    connectionMessage({ ok: false, kind: 'notFound', reason: '404' }, settings, translator('en'), true, 'instance')
      .message,
  ).toBe(
    'The address was not found. Check the “API address” field of the AI provider form (it usually ends in /v1) and the “Model” field of the AI provider form.',
  );
  expect(displayUrl('https://user:sk-secret@llm.bpsdm.example/v1?api-key=sk-secret#x')).toBe(
    'https://llm.bpsdm.example/v1',
  );
});

test('an LTI administrator sees the provider (never the key) and tests it; a coach or participant may not', async () => {
  const browser = new Browser();
  const admin = await launchThroughDemo(browser, stack.demoBase, 'u-admin-1');
  expect(admin.status).toBe(200);
  expect(admin.body).toContain('Server AI BPSDM (uji)');
  expect(admin.body).toContain(`<code>${fake.baseURL}</code>`);
  expect(admin.body).toContain('diatur (tidak ditampilkan)');
  expect(admin.body).not.toContain(fake.apiKey);
  const ltik = ltikOf(admin);
  const test = `${adminBase(admin.url)}/admin/ai-test`;

  const worked = await browser.go(test, { form: { ltik } });
  expect(worked.status).toBe(200);
  expect(worked.body).toMatch(/Berhasil\.<\/strong> Terhubung dalam \d+ ms, dan model fake-model tersedia\./);
  expect(fake.requests.at(-1)?.path).toMatch(/\/models$/);

  fake.models = ['other-model'];
  const missing = await browser.go(test, { form: { ltik } });
  expect(missing.body).toContain('tetapi model fake-model tidak ada dalam daftar model penyedia');
  fake.models = ['fake-model', 'other-model'];

  expect((await browser.go(test, { form: { ltik, model: 'gpt-4o' } })).status).toBe(400);
  for (const user of ['u-coach-1', 'u-p-001']) {
    const other = new Browser();
    const page = await launchThroughDemo(other, stack.demoBase, user);
    const before = fake.requests.length;
    const refused = await other.go(`${adminBase(page.url)}/admin/ai-test`, { form: { ltik: ltikOf(page) } });
    expect([user, refused.status]).toEqual([user, 403]);
    expect(fake.requests.length).toBe(before);
  }
});

test('an admin switches the provider: the key is stored sealed, never shown; turns go to the new one; consent is asked again', async () => {
  const other = await startFakeOpenAI({ apiKey: 'sk-other-provider-key-123', models: ['llama-bpsdm'] });
  other.fallback = {
    content: JSON.stringify({
      observations: ['Anda menata arsip.'],
      questions: ['Apa dampaknya bagi warga?'],
      values: [],
    }),
  };
  try {
    // A participant who consented to the first provider.
    const coach = new Browser();
    const { links } = await placeActivities(stack, coach, [
      {
        id: 'bebas',
        form: { title: 'Refleksi', maxScore: '100', aiMode: 'all', 'prompt.refleksi': 'Ceritakan minggu ini.' },
      },
    ]);
    const p = await writeAndSubmit(
      stack,
      'u-p-003',
      links[0],
      { refleksi: 'Saya menata arsip surat masuk minggu ini dan mencatat setiap surat.' },
      { submit: false },
    );
    const consentUrl = `${stack.baseUrl}${courseBaseOf(p.page)}/ai/consent`;
    await p.browser.go(consentUrl, { form: { ltik: p.ltik, choice: 'accept' } });

    const browser = new Browser();
    const admin = await launchThroughDemo(browser, stack.demoBase, 'u-admin-1');
    expect(admin.body).toContain('Dari pengaturan lingkungan');
    const ltik = ltikOf(admin);
    const set = await browser.go(`${adminBase(admin.url)}/admin/ai-provider`, {
      form: {
        ltik,
        baseUrl: other.baseURL,
        model: 'llama-bpsdm',
        name: 'Ollama BPSDM',
        apiKey: 'sk-other-provider-key-123',
      },
    });
    expect(set.status).toBe(200);
    expect(set.body).toContain('Diatur oleh admin');
    expect(set.body).toContain('Ollama BPSDM');
    expect(set.body).toContain('<code>llama-bpsdm</code>');
    expect(set.body).not.toContain('sk-other-provider-key-123');
    const stored = JSON.stringify(await mongoose.connection.db?.collection('ai_provider').find({}).toArray());
    expect(stored).not.toContain('sk-other-provider-key-123');
    expect(stored).toMatch(/"tag":/);
    const log = JSON.stringify(
      await mongoose.connection.db
        ?.collection('admin_changes')
        .find({ action: 'ai.providerSet' })
        .sort({ at: 1, _id: 1 })
        .toArray(),
    );
    expect(log).toContain('replaced');
    expect(log).not.toContain('sk-other-provider-key-123');
    // The test connection reaches the new provider with the sealed key.
    expect((await browser.go(`${adminBase(admin.url)}/admin/ai-test`, { form: { ltik } })).body).toContain(
      'dan model llama-bpsdm tersedia',
    );

    // The participant's consent named the old provider: asked again; then turns go to the new one.
    const asked = await p.browser.go(`${p.activityUrl}/entries/refleksi/reflect`, {
      form: { ltik: p.ltik, lens: 'cermin' },
    });
    expect(new URL(asked.url).pathname).toMatch(/\/ai\/consent$/);
    expect(asked.body).toContain('Ollama BPSDM');
    await p.browser.go(consentUrl, { form: { ltik: p.ltik, choice: 'accept' } });
    const before = fake.requests.length;
    const answered = await p.browser.go(`${p.activityUrl}/entries/refleksi/reflect`, {
      form: { ltik: p.ltik, lens: 'cermin' },
    });
    expect(answered.body).toContain('Dijawab oleh AI (llama-bpsdm)');
    expect(other.requests.some((r) => r.path.endsWith('/chat/completions'))).toBe(true);
    expect(fake.requests.length).toBe(before);

    // Bad input is refused; others may not change it; reset goes back to the environment's.
    const refused = await browser.go(`${adminBase(admin.url)}/admin/ai-provider`, {
      form: { ltik, baseUrl: 'javascript:alert(1)', model: 'x', name: '' },
    });
    expect(refused.status).toBe(400);
    // Each field named in the admin's language, not as a JSON path.
    expect(refused.body).toMatch(/Alamat[^:]*: isinya tidak dapat dipakai/);
    expect(refused.body).toMatch(/Nama[^:]*: wajib diisi/);
    expect(refused.body).not.toContain('$.baseUrl');
    const coachPage = await launchThroughDemo(coach, stack.demoBase, 'u-coach-1');
    expect(
      (
        await coach.go(`${adminBase(coachPage.url)}/admin/ai-provider`, {
          form: { ltik: ltikOf(coachPage), reset: '1' },
        })
      ).status,
    ).toBe(403);
    const reset = await browser.go(`${adminBase(admin.url)}/admin/ai-provider`, { form: { ltik, reset: '1' } });
    expect(reset.body).toContain('Dari pengaturan lingkungan');
    expect(reset.body).toContain(`<code>${fake.baseURL}</code>`);
  } finally {
    await other.close();
  }
});

test('the setup-token page tests it too, with its own CSRF token; an unreachable provider says what to check', async () => {
  const browser = new Browser();
  const setup = await browser.go(`${stack.baseUrl}/setup?token=${await issueSetupToken()}`);
  expect(setup.body).toContain('Tes koneksi');
  const csrf = /name="csrf" value="([^"]+)"/.exec(setup.body)?.[1] as string;
  expect((await new Browser().go(`${stack.baseUrl}/setup/ai-test`, { form: { csrf } })).status).toBe(403); // no session
  expect((await browser.go(`${stack.baseUrl}/setup/ai-test`, { form: { csrf: 'forged' } })).status).toBe(403);
  const worked = await browser.go(`${stack.baseUrl}/setup/ai-test`, { form: { csrf } });
  expect(worked.body).toContain('dan model fake-model tersedia');
  // The setup session can switch the provider too (its CSRF token required), and go back.
  expect(
    (
      await browser.go(`${stack.baseUrl}/setup/ai-provider`, {
        form: { baseUrl: fake.baseURL, model: 'other-model', name: 'Server uji' },
      })
    ).status,
  ).toBe(403);
  const switched = await browser.go(`${stack.baseUrl}/setup/ai-provider`, {
    form: { csrf, baseUrl: fake.baseURL, model: 'other-model', name: 'Server uji', apiKey: fake.apiKey },
  });
  expect(switched.body).toContain('Server uji');
  expect(switched.body).not.toContain(fake.apiKey);
  expect((await browser.go(`${stack.baseUrl}/setup/ai-provider`, { form: { csrf, reset: '1' } })).body).toContain(
    'Dari pengaturan lingkungan',
  );
  const logged = await mongoose.connection.db
    ?.collection('admin_changes')
    .find({ platform: '*' })
    .sort({ at: 1, _id: 1 })
    .toArray();
  expect(logged?.map((c) => [c.action, c.by.id])).toEqual([
    ['ai.providerSet', 'setup-token'],
    ['ai.providerReset', 'setup-token'],
  ]);
  expect(JSON.stringify(logged)).not.toContain(fake.apiKey);

  await fake.close(); // the provider goes away (last test of this file)
  const down = await browser.go(`${stack.baseUrl}/setup/ai-test`, { form: { csrf } });
  expect(down.status).toBe(200);
  expect(down.body).toContain('Belum berhasil.');
  expect(down.body).toContain('Penyedia tidak dapat dihubungi. Periksa AI_BASE_URL');
});
