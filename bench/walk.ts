/**
 * `npm run bench -- walk [--repeat 3]`
 *
 * How many of Cermin's own modules one request runs through, for three walks a newcomer follows:
 * a participant's launch (the POST of the id_token to /lti/launch, up to its redirect), an
 * autosave (one JSON save of an entry), and a coach's finalize up to the grade reaching the
 * platform (the finalize POST, then the delivery worker's AGS send). Fewer modules per walk is a
 * house that is easier to follow; the figure is read from V8's precise coverage, so it counts what
 * really ran, not what an import graph suggests.
 *
 * - Cermin runs in this process (createApp, as `npm start`) on the run's embedded database (or
 *   MONGODB_URI), with the demo LMS at /demo and its grade worker on.
 * - Coverage counters are reset just before a walk and read just after it; a module counts when at
 *   least one of its functions ran. Timers that may fire inside a window (the worker's poll, the
 *   LTI sweeper) are kept out by counting only what every one of --repeat walks ran.
 * - Only src/ counts (not the demo LMS in sim/, not node_modules).
 *
 * Output: a table (walk, modules, the modules), then one JSON line of figures. Exit 0 when every
 * walk completed; 1 otherwise; 2 on bad usage.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import inspector from 'node:inspector/promises';
import path from 'node:path';
import mongoose from 'mongoose';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/core/log';
import { projectRoot } from '../src/core/paths';
import { Browser, loginToAuthResponse, ltikOf, type Page } from '../sim/browser';
import { parseAutoPostForm } from '../sim/lms/platform';
import {
  BenchError,
  type BenchRun,
  parseFlags,
  placeActivityVia,
  runBench,
  sleep,
  table,
  withDbName,
  type CommonOptions,
} from './harness';

interface Options extends CommonOptions {
  repeat: number;
}

const USAGE = 'Usage: npm run bench -- walk [--repeat N] [--timeout SECONDS]';
const SRC = path.join(projectRoot, 'dist', 'src') + path.sep;

function parse(argv: string[]): Options {
  const flags = parseFlags(argv, ['repeat'] as const);
  return { repeat: flags.num('repeat', 3, 1), timeoutSeconds: flags.num('timeout', 600, 10), nodeEnv: flags.nodeEnv };
}

/** The src/ modules with a function that ran since the last call. */
async function modulesRun(session: inspector.Session): Promise<Set<string>> {
  const { result } = (await session.post('Profiler.takePreciseCoverage')) as {
    result: Array<{ url: string; functions: Array<{ ranges: Array<{ count: number }> }> }>;
  };
  const ran = new Set<string>();
  for (const script of result) {
    const file = script.url.startsWith('file://') ? new URL(script.url).pathname : script.url;
    if (!file.startsWith(SRC)) continue;
    if (script.functions.some((f) => f.ranges[0]?.count > 0)) ran.add(path.relative(SRC, file).replace(/\.js$/, '.ts'));
  }
  return ran;
}

async function until<T>(what: string, check: () => T | undefined | null | false, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > end) throw new BenchError(`waited ${timeoutMs} ms for ${what}`);
    await sleep(20);
  }
}

export function main(argv: string[]): Promise<number> {
  return runBench({
    bench: 'walk',
    usage: USAGE,
    argv,
    parse,
    scripts: [],
    profileNote: () => '',
    body: measure,
  });
}

async function measure(run: BenchRun, opts: Options): Promise<number> {
  const tmp = run.tempDir('cermin-walk-');
  const db = await run.database(tmp);
  const dbUri = withDbName(db.serverUri, `cermin_walk_${crypto.randomBytes(4).toString('hex')}`);
  run.dropAtEnd([dbUri]);
  const port = await run.freePort();
  const config = loadConfig({
    env: {
      NODE_ENV: 'test',
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      MONGODB_URI: dbUri,
      LTI_KEY: crypto.randomBytes(32).toString('hex'),
      LOG_LEVEL: 'silent',
      OUTBOUND_ALLOW: '127.0.0.1,localhost',
      GRADES_WORKER: 'true',
    },
  });
  await mongoose.connect(dbUri);
  const cermin = await createApp({ config, dbUri, log: createLogger('silent') });
  const server = http.createServer(cermin.app);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  run.cleanup('stop Cermin', async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await cermin.close();
    await mongoose.disconnect();
  });
  const demo = cermin.demo;
  if (!demo) throw new BenchError('the walk needs the demo LMS (NODE_ENV=test enables it)');
  const base = config.publicUrl;
  const demoBase = `${base}/demo`;

  run.progress('placing an activity through Deep Linking');
  const linkId = await placeActivityVia(demo, base, 'u-coach-1', 'bebas', {
    title: 'Refleksi (walk)',
    maxScore: '100',
  });
  const coach = new Browser();
  const coachFirst = await coach.go(`${demoBase}/launch?${new URLSearchParams({ user: 'u-coach-1', link: linkId })}`);
  const coachPage = await coach.submitAutoForm(await coach.submitAutoForm(coachFirst));
  const coachLtik = ltikOf(coachPage);
  const courseBase = new URL(coachPage.url).pathname.replace(/\/activities\/.*$/, '');
  const activityId = /\/activities\/([^/?]+)/.exec(new URL(coachPage.url).pathname)?.[1];
  if (!activityId) throw new BenchError(`the coach's launch did not open the activity: ${coachPage.url}`);

  const session = new inspector.Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.startPreciseCoverage', { callCount: true, detailed: false });
  run.cleanup('stop coverage', async () => {
    await session.post('Profiler.stopPreciseCoverage');
    session.disconnect();
  });

  const walks: Record<'launch' | 'autosave' | 'finalize', Set<string>[]> = { launch: [], autosave: [], finalize: [] };
  for (let i = 0; i < opts.repeat; i++) {
    const userId = `u-p-${String(i + 1).padStart(3, '0')}`;
    run.progress(`walk ${i + 1} of ${opts.repeat} as ${userId}`);
    const browser = new Browser();
    // Launch: everything before the id_token's POST is outside the window.
    const auth = await loginToAuthResponse(
      browser,
      `${demoBase}/launch?${new URLSearchParams({ user: userId, link: linkId })}`,
    );
    const form = parseAutoPostForm(auth.body);
    await modulesRun(session);
    const launched = await browser.request(form.action, {
      form: form.fields,
      headers: { Origin: new URL(auth.url).origin },
    });
    walks.launch.push(await modulesRun(session));
    if (launched.status !== 302 && launched.status !== 303)
      throw new BenchError(`the launch answered ${launched.status}, not a redirect`);
    const page: Page = await browser.go(new URL(launched.headers.get('location') as string, base).toString());
    const ltik = ltikOf(page);
    const activityUrl = `${base}${new URL(page.url).pathname}`;
    // Autosave: one JSON save, as journal.js sends it.
    await modulesRun(session);
    const saved = await fetch(`${activityUrl}/entries/refleksi`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', Authorization: `Bearer ${ltik}` },
      body: JSON.stringify({
        text: 'Saya melayani warga lansia di loket dan menjelaskan persyaratan satu per satu.',
        baseRevision: 0,
      }),
    });
    walks.autosave.push(await modulesRun(session));
    if (saved.status !== 200) throw new BenchError(`the autosave answered ${saved.status}`);
    const submitted = await browser.go(`${activityUrl}/submit`, { form: { ltik, confirm: '1' } });
    if (submitted.status !== 200) throw new BenchError(`the submit answered ${submitted.status}`);
    await until('the submitted progress at the platform', () =>
      demo.gradebook.received.some((s) => s.userId === userId),
    );
    // Finalize → AGS: the coach's decision, then the worker's delivery of the grade.
    const reviewUrl = `${base}${courseBase}/activities/${activityId}/submissions/${userId}`;
    const review = await coach.go(`${reviewUrl}?ltik=${encodeURIComponent(coachLtik)}`);
    const levels = Object.fromEntries(
      [...review.body.matchAll(/name="(level\.[^"]+)" value="(\d+)"/g)].map((m) => [m[1], m[2]]),
    );
    const revision = /name="revision" value="(\d+)"/.exec(review.body)?.[1] ?? '0';
    await modulesRun(session);
    const done = await coach.go(`${reviewUrl}/finalize`, {
      form: { ltik: coachLtik, revision, comment: 'Refleksi yang jujur.', release: 'now', ...levels },
    });
    await until('the grade at the platform', () =>
      demo.gradebook.received.some((s) => s.userId === userId && s.gradingProgress === 'FullyGraded'),
    );
    walks.finalize.push(await modulesRun(session));
    if (done.status !== 200) throw new BenchError(`the finalize answered ${done.status}`);
  }

  const counted = Object.fromEntries(
    Object.entries(walks).map(([name, runs]) => [name, [...runs[0]].filter((m) => runs.every((r) => r.has(m))).sort()]),
  ) as Record<keyof typeof walks, string[]>;
  const lines = table(
    ['walk', 'modules', 'which'],
    Object.entries(counted).map(([name, mods]) => [name, mods.length, mods.join(' ')]),
  );
  run.report = `${lines}\n${JSON.stringify({ bench: 'walk', repeat: opts.repeat, launch: counted.launch.length, autosave: counted.autosave.length, finalize: counted.finalize.length })}`;
  return 0;
}
