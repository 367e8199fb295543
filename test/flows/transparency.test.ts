/**
 * The participant's transparency page ("Tentang AI di Cermin"): the facts it states (pure, per
 * configuration and language) and the page itself over real HTTP through the demo LMS, with an
 * OpenAI-compatible provider configured: one h1, labelled sections, the provider and model in use,
 * what is replaced before sending, how long things are kept, and links that carry the ltik to the
 * consent page (coming back here) and to "Data saya".
 */
import fs from 'node:fs';
import mongoose from 'mongoose';
import path from 'node:path';
import { REDACTION_KINDS } from '../../src/ai/redaction';
import { MARK_RECHECK_MS } from '../../src/db/change-marks';
import { DEFAULT_RETENTION, RetentionSettingsStore } from '../../src/privacy/retention';
import { platformKeyOf } from '../../src/lti/launch-context';
import { DEMO_CLIENT_ID } from '../../sim/lms/bootstrap';
import { transparencyFacts, type TransparencyDeps } from '../../src/privacy/transparency';
import { hasMessage, translator } from '../../src/http/i18n';
import { Browser, launchThroughDemo, ltikOf, type Page } from '../../sim/browser';
import { courseBaseOf, placeActivities } from '../support/coaching';
import { startFakeOpenAI, type FakeOpenAI } from '../../sim/fake-openai';
import { startStack, type Stack } from '../support/stack';
import { projectRoot } from '../../src/core/paths';

const configured: TransparencyDeps = {
  providerName: 'Server AI BPSDM',
  model: 'llama-3.1-8b-instruct',
  providerConfigured: true,
  redacts: [...REDACTION_KINDS],
  retentionDays: 30,
  keepRawText: false,
};

describe('transparencyFacts (pure)', () => {
  test('a configured provider: named with its model; what the AI does, including drafts for the coach; what it never does', () => {
    const facts = transparencyFacts(configured, 'id');
    expect(facts.aiInUse).toBe(true);
    expect(facts.provider).toMatchObject({
      key: 'transparency.provider.ai',
      vars: { provider: 'Server AI BPSDM', model: 'llama-3.1-8b-instruct' },
    });
    expect(facts.noAi).toBeUndefined();
    expect(facts.does.map((d) => d.key)).toEqual([
      'transparency.does.questions',
      'transparency.does.mirror',
      'transparency.does.steelman',
      'transparency.does.critique',
      'transparency.does.otherView',
      'transparency.does.narrative',
      'transparency.does.coachDraft',
    ]);
    expect(facts.never.map((n) => n.key)).toEqual([
      'transparency.never.grade',
      'transparency.never.decide',
      'transparency.never.writeForYou',
      'transparency.never.privateForCoach',
      'transparency.never.others',
    ]);
    expect(facts.ask.map((a) => a.key)).toEqual(['transparency.ask.coach', 'transparency.ask.admin']);
  });

  test('no provider: says so (the question bank, nothing sent), and lists nothing the AI would do', () => {
    const facts = transparencyFacts({ ...configured, providerConfigured: false }, 'id');
    expect(facts.aiInUse).toBe(false);
    expect(facts.provider.key).toBe('transparency.provider.none');
    expect(facts.provider.vars).toBeUndefined();
    expect(facts.does).toEqual([]);
    expect(facts.noAi?.key).toBe('transparency.does.none');
  });

  test('a provider without a known model is named without one', () => {
    for (const model of [undefined, '', '  ']) {
      const facts = transparencyFacts({ ...configured, model }, 'en');
      expect(facts.provider).toMatchObject({
        key: 'transparency.provider.aiNoModel',
        vars: { provider: 'Server AI BPSDM' },
      });
    }
  });

  test('redacted kinds: only those configured, in a fixed order, unknown kinds never shown', () => {
    const facts = transparencyFacts(
      { ...configured, redacts: ['phone', 'email', 'address', 'name', 'nik', 'nip', 'name'] },
      'id',
    );
    expect(facts.redacted.map((r) => r.key)).toEqual(
      ['name', 'nip', 'nik', 'email', 'phone'].map((k) => `transparency.redact.${k}`),
    );
    expect(transparencyFacts({ ...configured, redacts: ['email'] }, 'id').redacted.map((r) => r.key)).toEqual([
      'transparency.redact.email',
    ]);
  });

  test('retention: counts always; the text only when the admin keeps it, for at most N days', () => {
    const off = transparencyFacts(configured, 'id');
    expect(off.keeps.map((k) => k.key)).toEqual([
      'transparency.keep.counts',
      'transparency.keep.textOff',
      'transparency.keep.answers',
      'transparency.keep.journal',
    ]);
    const on = transparencyFacts({ ...configured, keepRawText: true, retentionDays: 45 }, 'id');
    expect(on.keeps[1]).toMatchObject({ key: 'transparency.keep.textOn', vars: { days: 45 } });
    expect(on.keeps[2]).toMatchObject({ key: 'transparency.keep.answers', vars: { days: 45 } });
  });

  test("each line's text is its key translated, in the language asked for", () => {
    for (const locale of ['id', 'en'] as const) {
      const t = translator(locale);
      const facts = transparencyFacts({ ...configured, keepRawText: true }, locale);
      expect(facts.locale).toBe(locale);
      const lines = [
        facts.provider,
        ...facts.does,
        ...facts.never,
        facts.privateNote,
        facts.safety,
        ...facts.redacted,
        facts.checked,
        ...facts.keeps,
        ...facts.ask,
      ];
      for (const line of lines) expect(line.text).toBe(t(line.key, line.vars));
    }
  });

  // Fails until the transparency.* strings are in locales/id.json and locales/en.json.
  test('every word of the page exists in Indonesian and English, with the provider, model and days filled in', () => {
    const view = fs.readFileSync(path.join(projectRoot, 'views', 'transparency.ejs'), 'utf8');
    const inView = [...view.matchAll(/\bt\('(transparency\.[\w.]+)'/g)].map((m) => m[1]);
    const fromFacts = [true, false].flatMap((providerConfigured) =>
      [true, false].flatMap((keepRawText) => {
        const f = transparencyFacts(
          {
            ...configured,
            providerConfigured,
            keepRawText,
            model: providerConfigured && keepRawText ? undefined : configured.model,
          },
          'id',
        );
        return [
          f.provider,
          ...f.does,
          ...(f.noAi ? [f.noAi] : []),
          ...f.never,
          f.privateNote,
          f.safety,
          ...f.redacted,
          f.checked,
          ...f.keeps,
          ...f.ask,
        ].map((l) => l.key);
      }),
    );
    const keys = [...new Set([...inView, ...fromFacts])];
    expect(keys.length).toBeGreaterThan(30);
    const missing = keys.filter((k) => !hasMessage(k, 'id') || !hasMessage(k, 'en'));
    expect(missing).toEqual([]);
    for (const locale of ['id', 'en'] as const) {
      const facts = transparencyFacts({ ...configured, keepRawText: true, retentionDays: 45 }, locale);
      expect(facts.provider.text).toContain('Server AI BPSDM');
      expect(facts.provider.text).toContain('llama-3.1-8b-instruct');
      expect(facts.keeps[1].text).toContain('45');
      expect(transparencyFacts(configured, locale).keeps[1].text).toContain('30');
    }
  });
});

// ---- The page over HTTP. Needs the route mounted in app.ts (course.use(transparencyRoutes({...}))). ----

describe('GET /lti/app/courses/:courseKey/ai/about', () => {
  let fake: FakeOpenAI;
  let stack: Stack;
  let linkId: string;
  const PROVIDER = 'Server AI BPSDM & Diklat (uji)';

  beforeAll(async () => {
    fake = await startFakeOpenAI({ models: ['fake-model'] });
    stack = await startStack({
      AI_BASE_URL: fake.baseURL,
      AI_API_KEY: fake.apiKey,
      AI_MODEL: 'fake-model',
      AI_PROVIDER_NAME: PROVIDER,
      AI_KEEP_RAW_TEXT: 'true',
      AI_RAW_TEXT_RETENTION_DAYS: '21',
    });
    const { links } = await placeActivities(stack, new Browser(), [
      {
        id: 'bebas',
        form: { title: 'Refleksi', maxScore: '100', aiMode: 'all', 'prompt.refleksi': 'Apa yang Anda pelajari?' },
      },
    ]);
    linkId = links[0];
  }, 60_000);
  afterAll(async () => {
    await stack?.close();
    await fake?.close();
  });

  const aboutOf = async (
    userId: string,
    query: Record<string, string> = {},
  ): Promise<{ page: Page; ltik: string; base: string; browser: Browser }> => {
    const browser = new Browser();
    const landed = await launchThroughDemo(browser, stack.demoBase, userId, { link: linkId });
    expect(landed.status).toBe(200);
    const ltik = ltikOf(landed);
    const base = courseBaseOf(landed);
    const page = await browser.go(`${stack.baseUrl}${base}/ai/about?${new URLSearchParams({ ...query, ltik })}`);
    return { page, ltik, base, browser };
  };

  test('a participant reads it in Indonesian: one h1, labelled sections, the provider and model, retention, the AI call never made', async () => {
    const before = fake.requests.length;
    const { page, ltik, base } = await aboutOf('u-p-001');
    expect(page.status).toBe(200);
    expect(page.body).toMatch(/<html lang="id">/);
    expect(page.body.match(/<h1[\s>]/g)).toHaveLength(1);
    // Every section is labelled by a heading that exists on the page.
    const labelled = [...page.body.matchAll(/<section aria-labelledby="([^"]+)">/g)].map((m) => m[1]);
    expect(labelled.length).toBeGreaterThanOrEqual(7);
    for (const id of labelled) expect(page.body).toMatch(new RegExp(`<h2 id="${id}">`));
    // The provider as configured (escaped), its model, the days; no untranslated key.
    expect(page.body).toContain('Server AI BPSDM &amp; Diklat (uji)');
    expect(page.body).not.toContain('BPSDM & Diklat');
    expect(page.body).toContain('fake-model');
    const keep = /<section aria-labelledby="tr-keep-h">([\s\S]*?)<\/section>/.exec(page.body)?.[1] ?? '';
    expect(keep).toMatch(/\b21\b/);
    expect(page.body).not.toMatch(/transparency\.[a-z]/);
    // Links carry the ltik; the consent page brings the person back here.
    const hrefs = [...page.body.matchAll(/href="([^"]+)"/g)].map((m) => m[1].replace(/&amp;/g, '&'));
    const consent = hrefs.map((h) => new URL(h, stack.baseUrl)).find((u) => u.pathname === `${base}/ai/consent`);
    expect(consent?.searchParams.get('ltik')).toBe(ltik);
    expect(consent?.searchParams.get('back')).toBe(`${base}/ai/about`);
    const privacy = hrefs.map((h) => new URL(h, stack.baseUrl)).find((u) => u.pathname === `${base}/privacy`);
    expect(privacy?.searchParams.get('ltik')).toBe(ltik);
    // Reading about the AI calls no AI.
    expect(fake.requests.length).toBe(before);
  });

  test('the consent link works and leads back to the page', async () => {
    const { page, browser, base, ltik } = await aboutOf('u-p-002');
    const href = [...page.body.matchAll(/href="([^"]+\/ai\/consent[^"]*)"/g)].map((m) =>
      m[1].replace(/&amp;/g, '&'),
    )[0];
    const consentPage = await browser.go(new URL(href, stack.baseUrl).toString());
    expect(consentPage.status).toBe(200);
    const back = [...consentPage.body.matchAll(/name="back" value="([^"]+)"/g)].at(-1)?.[1];
    expect(back).toBe(`${base}/ai/about`);
    const accepted = await browser.go(`${stack.baseUrl}${base}/ai/consent`, {
      form: { ltik, choice: 'accept', back: back as string },
    });
    expect(new URL(accepted.url).pathname).toBe(`${base}/ai/about`);
    expect(accepted.status).toBe(200);
  });

  test('English through the language choice; the coach can read it too', async () => {
    const { page } = await aboutOf('u-p-003', { lang: 'en' });
    expect(page.status).toBe(200);
    expect(page.body).toMatch(/<html lang="en">/);
    expect(page.body).toContain('fake-model');
    const coach = await aboutOf('u-coach-1');
    expect(coach.page.status).toBe(200);
    expect(coach.page.body.match(/<h1[\s>]/g)).toHaveLength(1);
  });

  test("the days named are the platform's own retention setting, the one the purge follows; changing it asks consent again", async () => {
    const keepSection = (body: string) =>
      /<section aria-labelledby="tr-keep-h">([\s\S]*?)<\/section>/.exec(body)?.[1] ?? '';
    const { browser, base, ltik } = await aboutOf('u-p-005');
    const consentUrl = `${stack.baseUrl}${base}/ai/consent?ltik=${encodeURIComponent(ltik)}`;
    const accepted = await browser.go(`${stack.baseUrl}${base}/ai/consent`, {
      form: { ltik, choice: 'accept', back: '' },
    });
    expect(accepted.status).toBeLessThan(400);
    const before = await browser.go(consentUrl);
    expect(before.body).toContain('21 hari');
    expect(before.body).toContain('name="choice" value="withdraw"');
    // The platform's admin keeps AI conversations 60 days (what the console's retention form saves).
    const settings = new RetentionSettingsStore();
    try {
      await settings.set(
        platformKeyOf(stack.demo.issuer, DEMO_CLIENT_ID),
        { ...DEFAULT_RETENTION, aiConversationDays: 60 },
        'admin-test',
      );
      await new Promise((r) => setTimeout(r, MARK_RECHECK_MS + 100)); // as another instance would: the app sees it within the recheck time
      const about = await browser.go(`${stack.baseUrl}${base}/ai/about?ltik=${encodeURIComponent(ltik)}`);
      expect(keepSection(about.body)).toMatch(/\b60 hari\b/);
      expect(keepSection(about.body)).not.toMatch(/\b21\b/);
      const after = await browser.go(consentUrl);
      expect(after.body).toContain('60 hari');
      expect(after.body).not.toContain('21 hari');
      // Agreed to 21 days is not agreed to 60: the question is asked again.
      expect(after.body).toContain('name="choice" value="accept"');
    } finally {
      await mongoose.connection.db?.collection('privacy_retention_settings').deleteMany({ updatedBy: 'admin-test' });
    }
  });

  test("no ltik: refused; an ltik of this course on another course's address: refused", async () => {
    const { base, ltik } = await aboutOf('u-p-004');
    const none = await new Browser().go(`${stack.baseUrl}${base}/ai/about`);
    expect(none.status).toBe(401);
    const other = await new Browser().go(
      `${stack.baseUrl}/lti/app/courses/another-course/ai/about?ltik=${encodeURIComponent(ltik)}`,
    );
    expect(other.status).toBe(403);
  });
});
