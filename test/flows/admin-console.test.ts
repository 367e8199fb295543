/**
 * The admin console through an LTI administrator's launch from the demo LMS (real HTTP, real
 * database, the fake provider): the AI audit with its filters and CSV (pseudonyms, no text), the
 * failed grade deliveries across the platform's courses, a person's data exported and erased on
 * their behalf with every action in the change log; and no one but an admin gets in.
 */
import fs from 'node:fs';
import path from 'node:path';
import mongoose from 'mongoose';
import { DEMO_CLIENT_ID, DEMO_DEPLOYMENT_ID } from '../../sim/lms/bootstrap';
import { INSTANCE } from '../../src/domain/launch';
import { platformKeyOf } from '../../src/lti/launch-context';
import { recordAdminChange } from '../../src/privacy/admin-log';
import { issueSetupToken } from '../../src/admin/setup';
import { Browser, launchThroughDemo, ltikOf, type Page } from '../../sim/browser';
import { courseBaseOf, placeActivities, writeAndSubmit } from '../support/coaching';
import { startFakeOpenAI, type FakeOpenAI } from '../../sim/fake-openai';
import { startStack, type Stack } from '../support/stack';
import { projectRoot } from '../../src/core/paths';

let fake: FakeOpenAI;
let stack: Stack;
let admin: Browser;
let adminPage: Page;
let linkId: string;
const TEXT = 'Teks refleksi rahasia: saya menata arsip surat masuk dan melayani warga di loket.';

beforeAll(async () => {
  fake = await startFakeOpenAI({ models: ['fake-model'] });
  fake.fallback = {
    content: JSON.stringify({
      observations: ['Anda menata arsip.'],
      questions: ['Apa dampaknya bagi warga?'],
      values: [],
    }),
  };
  stack = await startStack({ AI_BASE_URL: fake.baseURL, AI_API_KEY: fake.apiKey, AI_MODEL: 'fake-model' });
  const { links } = await placeActivities(stack, new Browser(), [
    {
      id: 'bebas',
      form: { title: 'Refleksi', maxScore: '100', aiMode: 'all', 'prompt.refleksi': 'Ceritakan minggu ini.' },
    },
  ]);
  linkId = links[0];
  // Two participants ask the AI: one consented (the AI answers), one declined (the offline engine).
  for (const [user, choice] of [
    ['u-p-001', 'accept'],
    ['u-p-002', 'decline'],
  ] as const) {
    const p = await writeAndSubmit(stack, user, linkId, {}, { submit: false });
    await p.browser.go(`${stack.baseUrl}${courseBaseOf(p.page)}/ai/consent`, { form: { ltik: p.ltik, choice } });
    await p.browser.go(`${p.activityUrl}/entries/refleksi`, { form: { ltik: p.ltik, baseRevision: '0', text: TEXT } });
    await p.browser.go(`${p.activityUrl}/entries/refleksi/reflect`, { form: { ltik: p.ltik, lens: 'cermin' } });
  }
  admin = new Browser();
  adminPage = await launchThroughDemo(admin, stack.demoBase, 'u-admin-1');
}, 60_000);
afterAll(async () => {
  await stack.close();
  await fake.close();
});

const base = () => `${stack.baseUrl}${courseBaseOf(adminPage)}/admin`;
const get = (path: string) =>
  admin.go(`${base()}${path}${path.includes('?') ? '&' : '?'}ltik=${encodeURIComponent(ltikOf(adminPage))}`);

test('the AI audit lists every call under pseudonyms, filters, pages and exports CSV without text', async () => {
  expect(adminPage.body).toContain('Audit AI');
  const all = await get('/audit');
  expect(all.status).toBe(200);
  expect(all.body).toContain('2 catatan');
  expect(all.body).not.toContain('u-p-001');
  expect(all.body).not.toContain('Teks refleksi rahasia');
  const offline = await get('/audit?engine=offline');
  expect(offline.body).toContain('1 catatan');
  // The outcome and engine in words, not their codes (the CSV keeps the codes for analysis).
  expect(offline.body).toContain('<td>Anda belum menyetujui bantuan AI</td>');
  expect(offline.body).toContain('Mesin luring');
  expect(offline.body).not.toMatch(/<td>noConsent<\/td>/);
  expect((await get('/audit?from=2000-01-01&to=2000-01-02')).body).toContain('0 catatan');
  const csv = await get('/audit.csv?engine=ai');
  expect(csv.headers.get('content-type')).toContain('text/csv');
  const lines = csv.body
    .replace(/^\uFEFF/, '')
    .trim()
    .split('\r\n');
  expect(lines[0]).toMatch(/^at,courseKey,activityId,user,lensId,promptVersion,model,engine,outcome,/);
  expect(lines).toHaveLength(2);
  expect(lines[1]).toContain(',cermin,cermin@1,fake-model,ai,answered,');
  expect(csv.body).not.toContain('u-p-001');
  // Operator objects and malformed dates are refused, not passed to the database.
  expect((await get('/audit?engine[$ne]=x')).status).toBe(400);
  expect((await get('/audit?from=yesterday')).status).toBe(400);
});

test('failed deliveries of every course of the platform, with the reason', async () => {
  const courseKey = courseBaseOf(adminPage).split('/').pop() as string;
  await mongoose.connection.db?.collection('grade_deliveries').insertOne({
    _id: 'gd_failed_demo' as unknown as mongoose.Types.ObjectId,
    courseKey,
    activityId: 'act-x',
    userId: 'u-p-009',
    attempts: 0,
    history: [],
    updatedAt: new Date(),
    failed: {
      second: 1,
      kind: 'grade',
      payload: { scoreGiven: 80, scoreMaximum: 100 },
      by: { id: 'u-coach-1' },
      reason: 'Moodle menolak: kolom nilai dihapus',
      at: new Date(),
    },
  });
  const page = await get('/deliveries');
  expect(page.status).toBe(200);
  expect(page.body).toContain('Moodle menolak: kolom nilai dihapus');
  expect(page.body).toContain('u-p-009');
});

test("an admin exports and erases a person's data on their behalf; the change log names the admin and a pseudonym", async () => {
  const exported = await admin.go(`${base()}/person/export`, { form: { ltik: ltikOf(adminPage), userId: 'u-p-001' } });
  expect(exported.headers.get('content-disposition')).toContain('attachment');
  const data = JSON.parse(exported.body) as {
    person: { userId: string };
    sections: { coaching: { entries: Array<{ text: string }> } };
  };
  expect(data.person.userId).toBe('u-p-001');
  expect(data.sections.coaching.entries[0].text).toBe(TEXT);

  expect(
    (await admin.go(`${base()}/person/erase`, { form: { ltik: ltikOf(adminPage), userId: 'u-p-001' } })).status,
  ).toBe(400); // not confirmed
  const erased = await admin.go(`${base()}/person/erase`, {
    form: { ltik: ltikOf(adminPage), userId: 'u-p-001', confirm: 'yes' },
  });
  expect(erased.status).toBe(200);
  expect(erased.body).toMatch(/Data pengguna u-p-001 dihapus \(\d+ catatan\)/);
  expect(await mongoose.connection.db?.collection('coaching_entries').countDocuments({ userId: 'u-p-001' })).toBe(0);
  expect(await mongoose.connection.db?.collection('coaching_entries').countDocuments({ userId: 'u-p-002' })).toBe(1);
  const log = await mongoose.connection.db?.collection('admin_changes').find({}).sort({ at: 1, _id: 1 }).toArray();
  expect(log?.map((c) => [c.action, c.by.id])).toEqual([
    ['person.export', 'u-admin-1'],
    ['person.erase', 'u-admin-1'],
  ]);
  expect(JSON.stringify(log)).not.toContain('u-p-001');
  const erasure = await mongoose.connection.db?.collection('privacy_erasures').findOne({});
  expect(erasure?.by.role).toBe('admin');
  expect((await get('/person')).body).toContain('Data seseorang dihapus');
});

test('no one but an admin reaches the console', async () => {
  for (const user of ['u-coach-1', 'u-p-003']) {
    const b = new Browser();
    const page = await launchThroughDemo(b, stack.demoBase, user, { link: linkId });
    const url = `${stack.baseUrl}${courseBaseOf(page)}/admin`;
    const token = encodeURIComponent(ltikOf(page));
    for (const path of ['/audit', '/audit.csv', '/deliveries', '/person'])
      expect([user, path, (await b.go(`${url}${path}?ltik=${token}`)).status]).toEqual([user, path, 403]);
    for (const path of ['/person/export', '/person/erase'])
      expect([
        user,
        path,
        (await b.go(`${url}${path}`, { form: { ltik: ltikOf(page), userId: 'u-p-002', confirm: 'yes' } })).status,
      ]).toEqual([user, path, 403]);
  }
  expect(await mongoose.connection.db?.collection('coaching_entries').countDocuments({ userId: 'u-p-002' })).toBe(1);
});

test("retention: the platform's settings saved and logged, a dry run that removes nothing, then the purge", async () => {
  const token = ltikOf(adminPage);
  const page = await get('/retention');
  expect(page.body).toContain('pengaturan bawaan');
  const bad = await admin.go(`${base()}/retention`, {
    form: {
      ltik: token,
      aiConversationDays: '0',
      auditDays: '730',
      usageCountersDays: '90',
      recommendationEventsDays: '365',
      safetyAlertsDays: '365',
      queryVectorsDays: '7',
      erasureLogDays: '1825',
    },
  });
  expect(bad.status).toBe(400);
  // Named in the admin's language, the form as typed.
  expect(bad.body).toContain('Teks percakapan AI (hari): paling kecil 1.');
  expect(bad.body).toMatch(/name="aiConversationDays"[^>]*value="0"/);
  expect(bad.body).not.toContain('$.aiConversationDays');
  // An AI turn of u-p-002 (offline) a year old: its conversation text is past 30 days, its audit record is not past 730.
  await mongoose.connection.db
    ?.collection('coaching_ai_turns')
    .updateMany({ userId: 'u-p-002' }, { $set: { at: new Date(Date.now() - 365 * 86_400_000) } });
  const saved = await admin.go(`${base()}/retention`, {
    form: {
      ltik: token,
      aiConversationDays: '30',
      auditDays: '730',
      usageCountersDays: '90',
      recommendationEventsDays: '365',
      safetyAlertsDays: '365',
      queryVectorsDays: '7',
      erasureLogDays: '1825',
    },
  });
  expect(saved.body).toContain('Pengaturan retensi disimpan.');
  expect(saved.body).toContain('pengaturannya sendiri');
  const dry = await admin.go(`${base()}/retention/dry-run`, { form: { ltik: token } });
  expect(dry.body).toContain('Yang akan dihapus (uji coba)');
  expect(dry.body).toMatch(/Jawaban AI dan pertanyaan[\s\S]*?<td>1<\/td>/);
  expect(await mongoose.connection.db?.collection('coaching_ai_turns').countDocuments({ userId: 'u-p-002' })).toBe(1);
  // One dry run a minute per platform (each scans every collection the purge covers).
  expect((await admin.go(`${base()}/retention/dry-run`, { form: { ltik: token } })).status).toBe(429);
  // Running the purge (it covers every platform) is the operator's: the platform admin is refused, the operator runs it.
  expect(dry.body).not.toContain('/retention/run');
  expect((await admin.go(`${base()}/retention/run`, { form: { ltik: token } })).status).toBe(403);
  expect(await mongoose.connection.db?.collection('coaching_ai_turns').countDocuments({ userId: 'u-p-002' })).toBe(1);
  const operator = await setupSession();
  const run = await operator.browser.go(`${stack.baseUrl}/setup/console/retention/run`, {
    form: { csrf: operator.csrf },
  });
  expect(run.body).toContain('Yang dihapus');
  expect(await mongoose.connection.db?.collection('coaching_ai_turns').countDocuments({ userId: 'u-p-002' })).toBe(0);
  const log = await mongoose.connection.db
    ?.collection('admin_changes')
    .find({ action: /^retention/ })
    .sort({ at: 1, _id: 1 })
    .toArray();
  expect(log?.map((c) => c.action).sort()).toEqual(['retention.run', 'retention.set']);
  for (const user of ['u-coach-1']) {
    const b = new Browser();
    const p = await launchThroughDemo(b, stack.demoBase, user, { link: linkId });
    expect(
      (await b.go(`${stack.baseUrl}${courseBaseOf(p)}/admin/retention/run`, { form: { ltik: ltikOf(p) } })).status,
    ).toBe(403);
  }
});

test('lenses turned off and budgets changed by the admin apply at once, to the page and to the engine', async () => {
  const token = ltikOf(adminPage);
  const page = await get('/ai');
  expect(page.body).toContain('pengaturan awal instalasi');
  expect(page.body).toMatch(/name="enabled" value="kritik" checked/);
  // Everything but Kritik tajam; a budget of 0 tokens a day: no AI for participants.
  const enabled = ['cermin', 'steelman', 'sudut-pandang', 'narasi'];
  const bad = await admin.go(`${base()}/ai`, {
    form: { ltik: token, enabled: ['cermin'], userDailyTokens: '-5', courseMonthlyTokens: '100' },
  });
  expect(bad.status).toBe(400);
  expect(bad.body).toContain('Jatah token per peserta per hari (0: tanpa AI): paling kecil 0.');
  // A word where a number goes: named, and what was typed stays in the field (not a bare error page).
  const word = await admin.go(`${base()}/ai`, {
    form: { ltik: token, enabled: ['cermin'], userDailyTokens: '1000', courseMonthlyTokens: 'sejuta' },
  });
  expect(word.status).toBe(400);
  expect(word.body).toContain('Jatah token per kursus per bulan: isi dengan bilangan bulat');
  expect(word.body).toMatch(/name="courseMonthlyTokens"[^>]*value="sejuta"/);
  // Thousands grouped the Indonesian way are the number meant.
  const grouped = await admin.go(`${base()}/ai`, {
    form: { ltik: token, enabled, userDailyTokens: '0', courseMonthlyTokens: '4.000.000' },
  });
  expect(grouped.status).toBe(200);
  expect(grouped.body).toMatch(/name="courseMonthlyTokens"[^>]*value="4000000"/);
  const saved = await admin.go(`${base()}/ai`, {
    form: { ltik: token, enabled, userDailyTokens: '0', courseMonthlyTokens: '4000000' },
  });
  expect(saved.status).toBe(200);
  expect(saved.body).toContain('Pengaturan AI disimpan.');
  expect(saved.body).not.toMatch(/name="enabled" value="kritik" checked/);

  const p = await writeAndSubmit(stack, 'u-p-006', linkId, {}, { submit: false });
  await p.browser.go(`${stack.baseUrl}${courseBaseOf(p.page)}/ai/consent`, {
    form: { ltik: p.ltik, choice: 'accept' },
  });
  await p.browser.go(`${p.activityUrl}/entries/refleksi`, { form: { ltik: p.ltik, baseRevision: '0', text: TEXT } });
  const journal = await p.browser.go(`${p.activityUrl}?ltik=${encodeURIComponent(p.ltik)}`);
  expect(journal.body).toContain('value="cermin"');
  expect(journal.body).not.toContain('value="kritik"');
  expect(
    (await p.browser.go(`${p.activityUrl}/entries/refleksi/reflect`, { form: { ltik: p.ltik, lens: 'kritik' } }))
      .status,
  ).toBe(400);
  const before = fake.requests.length;
  const answered = await p.browser.go(`${p.activityUrl}/entries/refleksi/reflect`, {
    form: { ltik: p.ltik, lens: 'cermin' },
  });
  expect(answered.body).toContain('jatah AI Anda hari ini sudah habis');
  expect(fake.requests.length).toBe(before);
  const log = await mongoose.connection.db
    ?.collection('admin_changes')
    .find({ action: 'ai.set' })
    .sort({ at: 1, _id: 1 })
    .toArray();
  expect(log?.[0].detail).toMatchObject({ disabledLenses: ['kritik'], userDailyTokens: 0 });
});

test('a new consent text is published as the next version; everyone is asked again; earlier versions stay on record', async () => {
  const token = ltikOf(adminPage);
  const page = await get('/consent');
  expect(page.body).toMatch(/Versi yang berlaku: (\d+)/);
  const current = Number(/Versi yang berlaku: (\d+)/.exec(page.body)?.[1]);
  const form: Record<string, string> = { ltik: token };
  for (const l of ['id', 'en']) {
    form[`${l}.title`] = l === 'id' ? 'Persetujuan bantuan AI (revisi)' : 'AI help consent (revised)';
    form[`${l}.body`] =
      'Paragraf pertama tentang {provider}.\n\nParagraf kedua: disimpan paling lama {retentionDays} hari.';
    form[`${l}.accept`] = 'Setuju';
    form[`${l}.decline`] = 'Tidak';
    form[`${l}.withdraw`] = 'Tarik';
  }
  const refused = await admin.go(`${base()}/consent`, { form: { ...form, 'id.title': '' } });
  expect(refused.status).toBe(400);
  // The field named in the admin's language; everything else typed is still in the form.
  expect(refused.body).toContain('Bahasa Indonesia: Judul: wajib diisi.');
  expect(refused.body).toContain('value="AI help consent (revised)"');
  expect(refused.body).toContain('Paragraf kedua: disimpan paling lama {retentionDays} hari.');
  const published = await admin.go(`${base()}/consent`, { form });
  expect(published.status).toBe(200);
  expect(published.body).toContain(`Versi ${current + 1} diterbitkan`);

  // u-p-002 had answered the old text (declined): asked again, and shown the new one with the facts filled in.
  const b = new Browser();
  const p = await launchThroughDemo(b, stack.demoBase, 'u-p-002', { link: linkId });
  const activityUrl = `${stack.baseUrl}${new URL(p.url).pathname}`;
  const asked = await b.go(`${activityUrl}/entries/refleksi/reflect`, { form: { ltik: ltikOf(p), lens: 'cermin' } });
  expect(new URL(asked.url).pathname).toMatch(/\/ai\/consent$/);
  expect(asked.body).toContain('Persetujuan bantuan AI (revisi)');
  expect(asked.body).toMatch(/disimpan paling lama \d+ hari/);
  const versions = await mongoose.connection.db?.collection('ai_consent_texts').find({}).toArray();
  expect(versions?.map((v) => v.version)).toEqual([current + 1]);
  const log = await mongoose.connection.db
    ?.collection('admin_changes')
    .find({ action: 'consent.publish' })
    .sort({ at: 1, _id: 1 })
    .toArray();
  expect(log?.[0].detail).toEqual({ version: current + 1 });
});

// ---- The second door: the setup-token session (no LTI launch), for the whole instance ----

/** The console's routes, read from its source: the setup door must guard every one. */
function consoleRoutes(): Array<{ method: 'get' | 'post'; path: string }> {
  const text = fs.readFileSync(path.join(projectRoot, 'src', 'admin', 'console.ts'), 'utf8');
  return [...text.matchAll(/router\.(get|post)\(\s*'([^']+)',\s*admin,/g)].map((m) => ({
    method: m[1] as 'get' | 'post',
    path: m[2].replace(/:\w+\(([^|)]+)[^)]*\)/g, '$1'),
  }));
}

async function setupSession(): Promise<{ browser: Browser; csrf: string; home: Page }> {
  const browser = new Browser();
  const home = await browser.go(`${stack.baseUrl}/setup?token=${await issueSetupToken()}`);
  expect(home.status).toBe(200);
  return { browser, csrf: /name="csrf" value="([^"]+)"/.exec(home.body)?.[1] as string, home };
}

test("the setup session reaches every console page, sees every platform's courses, and its changes are logged as the setup token", async () => {
  const { browser, csrf, home } = await setupSession();
  const console = `${stack.baseUrl}/setup/console`;
  for (const page of ['/audit', '/deliveries', '/person', '/retention', '/ai', '/consent', '/changes'])
    expect(home.body).toContain(`href="/setup/console${page}"`);
  for (const { path: p } of consoleRoutes().filter((r) => r.method === 'get' && !r.path.endsWith('.csv'))) {
    expect([p, (await browser.go(`${console}${p}`)).status]).toEqual([p, 200]);
  }
  const audit = await browser.go(`${console}/audit`);
  expect(audit.body).toMatch(/\d+ catatan/);
  expect(audit.body).not.toContain('name="ltik"');
  const csv = await browser.go(`${console}/audit.csv?engine=offline`);
  expect(csv.headers.get('content-type')).toContain('text/csv');
  expect(csv.body).toContain(',offline,');
  expect((await browser.go(`${console}/audit?engine[$ne]=x`)).status).toBe(400);
  expect((await browser.go(`${console}/deliveries`)).body).toContain('Moodle menolak: kolom nilai dihapus');

  // A person's data: the setup session names the platform the person belongs to.
  const issuer = stack.demo.issuer;
  const platform = platformKeyOf(issuer, DEMO_CLIENT_ID);
  const person = await browser.go(`${console}/person`);
  expect(person.body).toContain(`<option value="${platform}">`);
  expect(person.body).toContain(`${issuer}, client ${DEMO_CLIENT_ID}`);
  expect((await browser.go(`${console}/person/export`, { form: { csrf, userId: 'u-p-006' } })).status).toBe(400);
  expect(
    (
      await browser.go(`${console}/person/export`, {
        form: { csrf, userId: 'u-p-006', platform: platformKeyOf('https://lms.lain.example', 'x') },
      })
    ).status,
  ).toBe(400);
  const exported = await browser.go(`${console}/person/export`, { form: { csrf, userId: 'u-p-006', platform } });
  expect(JSON.parse(exported.body).person.userId).toBe('u-p-006');
  const erased = await browser.go(`${console}/person/erase`, {
    form: { csrf, userId: 'u-p-006', platform, confirm: 'yes' },
  });
  expect(erased.status).toBe(200);
  expect(await mongoose.connection.db?.collection('coaching_entries').countDocuments({ userId: 'u-p-006' })).toBe(0);
  // Logged under the person's platform, so that platform's own admin sees the setup token did it.
  const seenByPlatformAdmin = await get('/changes');
  expect(seenByPlatformAdmin.body).toMatch(/setup token<\/td><td>Data seseorang dihapus/);

  // Retention: the instance default ('*') or one platform's own settings.
  const retention = await browser.go(`${console}/retention`);
  expect(retention.body).toContain('Bawaan semua platform');
  expect((await browser.go(`${console}/retention?platform=https://lms.lain.example`)).status).toBe(400);
  const days = {
    aiConversationDays: '90',
    auditDays: '730',
    usageCountersDays: '90',
    recommendationEventsDays: '365',
    safetyAlertsDays: '365',
    queryVectorsDays: '7',
    erasureLogDays: '1825',
  };
  const saved = await browser.go(`${console}/retention`, { form: { csrf, platform: '*', ...days } });
  expect(saved.body).toContain('Pengaturan retensi disimpan.');
  const stored = await mongoose.connection.db?.collection('privacy_retention_settings').findOne({ platform: '*' });
  expect(stored?.settings).toMatchObject({ aiConversationDays: 90 });
  const dry = await browser.go(`${console}/retention/dry-run`, { form: { csrf, platform } });
  expect(dry.body).toContain('Yang akan dihapus (uji coba)');

  const log = await mongoose.connection.db
    ?.collection('admin_changes')
    .find({ 'by.id': 'setup-token' })
    .sort({ at: 1, _id: 1 })
    .toArray();
  expect(log?.map((c) => [c.action, c.platform]).sort()).toEqual([
    ['person.erase', platform],
    ['person.export', platform],
    ['retention.run', '*'],
    ['retention.set', '*'],
  ]);
  expect((await browser.go(`${console}/changes`)).body).toContain('Pengaturan retensi diubah');
});

test('every console route refuses the setup door without a session, and every form without its CSRF token; nothing changes', async () => {
  const { browser, csrf } = await setupSession();
  const routes = consoleRoutes();
  expect(routes.length).toBeGreaterThanOrEqual(12);
  const before = await mongoose.connection.db?.collection('admin_changes').countDocuments({});
  const stranger = new Browser();
  const wrong: string[] = [];
  for (const r of routes) {
    const url = `${stack.baseUrl}/setup/console${r.path}`;
    const form = {
      userId: 'u-p-002',
      confirm: 'yes',
      platform: platformKeyOf(stack.demo.issuer, DEMO_CLIENT_ID),
      'id.title': 'x',
      userDailyTokens: '1',
      courseMonthlyTokens: '1',
    };
    const tries =
      r.method === 'get'
        ? [await stranger.go(url)]
        : [
            await stranger.go(url, { form: { ...form, csrf } }),
            await browser.go(url, { form }),
            await browser.go(url, { form: { ...form, csrf: `${csrf.slice(0, -2)}xx` } }),
          ];
    for (const res of tries) if (res.status !== 403) wrong.push(`${r.method} ${r.path}: ${res.status}`);
  }
  expect(wrong).toEqual([]);
  // An LTI launch's ltik is no key to the setup door either.
  expect(
    (
      await admin.go(`${stack.baseUrl}/setup/console/person/erase`, {
        form: { ltik: ltikOf(adminPage), userId: 'u-p-002', confirm: 'yes' },
      })
    ).status,
  ).toBe(403);
  expect(await mongoose.connection.db?.collection('admin_changes').countDocuments({})).toBe(before);
  expect(await mongoose.connection.db?.collection('coaching_entries').countDocuments({ userId: 'u-p-002' })).toBe(1);
});

test('the setup session manages deployments and turns a platform off and on; launches follow at once; each change is logged', async () => {
  const { browser, csrf } = await setupSession();
  const issuer = stack.demo.issuer;
  const deployments = `${stack.baseUrl}/setup/platforms/deployments`;
  // A refused deployment is refused at the launch; an inactive platform already at the login (the helper throws "auth 403").
  const launchStatus = async () => {
    try {
      return (await launchThroughDemo(new Browser(), stack.demoBase, 'u-p-003', { link: linkId })).status;
    } catch (e) {
      const refused = /^auth (\d+)/.exec((e as Error).message);
      if (refused) return Number(refused[1]);
      throw e;
    }
  };
  expect(await launchStatus()).toBe(200);

  const removed = await browser.go(deployments, {
    form: { csrf, issuer, clientId: DEMO_CLIENT_ID, deploymentId: DEMO_DEPLOYMENT_ID, action: 'remove' },
  });
  expect(removed.body).toContain('Deployment dihapus');
  expect(await launchStatus()).toBe(403);
  const again = await browser.go(deployments, {
    form: { csrf, issuer, clientId: DEMO_CLIENT_ID, deploymentId: DEMO_DEPLOYMENT_ID, action: 'remove' },
  });
  expect(again.body).toContain('tidak ada yang diubah');
  const added = await browser.go(deployments, {
    form: { csrf, issuer, clientId: DEMO_CLIENT_ID, deploymentId: DEMO_DEPLOYMENT_ID, action: 'add' },
  });
  expect(added.body).toContain('Deployment ditambahkan');
  expect(await launchStatus()).toBe(200);
  expect(
    (
      await browser.go(deployments, {
        form: { csrf, issuer: 'https://lms.lain.example', clientId: DEMO_CLIENT_ID, deploymentId: 'x', action: 'add' },
      })
    ).status,
  ).toBe(404);
  expect(
    (
      await browser.go(deployments, {
        form: { csrf, issuer, clientId: DEMO_CLIENT_ID, deploymentId: 'x', action: 'drop' },
      })
    ).status,
  ).toBe(400);

  const active = `${stack.baseUrl}/setup/platforms/active`;
  const off = await browser.go(active, { form: { csrf, issuer, clientId: DEMO_CLIENT_ID, active: 'no' } });
  expect(off.body).toContain('Platform dinonaktifkan');
  expect(await launchStatus()).toBe(403);
  await browser.go(active, { form: { csrf, issuer, clientId: DEMO_CLIENT_ID, active: 'yes' } });
  expect(await launchStatus()).toBe(200);

  const log = await mongoose.connection.db
    ?.collection('admin_changes')
    .find({ action: /^(deployment|platform)\./ })
    .sort({ at: 1, _id: 1 })
    .toArray();
  expect(log?.map((c) => c.action)).toEqual([
    'deployment.remove',
    'deployment.add',
    'platform.deactivate',
    'platform.activate',
  ]);
  expect(log?.every((c) => c.by.id === 'setup-token' && c.detail.issuer === issuer)).toBe(true);
});

// Reproduced against 27e6e1e: a platform's log named other platforms' admins and their changes.
test("a platform's change log shows its own changes and the operator's, never another platform's or its admins", async () => {
  const other = platformKeyOf('https://lms-lain.example.go.id', 'client-lain');
  await recordAdminChange({
    platform: other,
    by: { id: 'admin-lain', name: 'Admin Lain Sekali' },
    action: 'consent.publish',
    detail: { version: 99 },
  });
  await recordAdminChange({
    platform: other,
    by: { id: 'admin-lain', name: 'Admin Lain Sekali' },
    action: 'person.erase',
    detail: { subject: 'rahasia-lain' },
  });
  await recordAdminChange({
    platform: INSTANCE,
    by: { id: 'setup-token', name: 'Setup' },
    action: 'ai.providerSet',
    detail: { model: 'model-dari-setup' },
  });
  const page = await get('/changes');
  expect(page.status).toBe(200);
  expect(page.body).toContain('model-dari-setup');
  expect(page.body).not.toContain('&#34;version&#34;:99');
  expect(page.body).not.toContain('rahasia-lain');
  expect(page.body).not.toContain('Admin Lain Sekali');
});
