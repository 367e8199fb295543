/**
 * `npm run bench -- launch [--n 300] [--concurrency 4] [--warmup 20] [--batch 25]`
 *
 * The full LTI 1.3 launch round trip, as a person's click costs it, measured against Cermin and,
 * in the same run and on the same database server, against a bare ltijs app that renders "ok"
 * (bench/bare-ltijs.ts). The project's target: Cermin's p50 within 1.3x of bare ltijs.
 *
 * - Database: the embedded database for the run (in a temp dir), or the server of MONGODB_URI when set;
 *   a database per target (cermin_bench_<rand>, bare_bench_<rand>), dropped at the end.
 * - Platforms: this process hosts two demo LMSs (sim/lms/platform.ts) on its own server, one per
 *   tool, so the platform's work (RS256 signing, pages) is outside both measured processes and
 *   the same for both.
 * - Cermin runs as `node dist/src/main.js` (NODE_ENV=development, DEMO=false), its platform
 *   registered beforehand with `node dist/src/cli/platform.js add`; the baseline runs as
 *   `node dist/bench/bare-ltijs.js`.
 * - One launch: GET platform launch page → POST its form to the tool's login (302) → GET platform
 *   auth (200, id_token form) → POST id_token + state to the tool's launch (302/303) → follow the
 *   redirect → first rendered page (200), checked. Fresh cookie jar per launch, users cycling
 *   through the participants. Targets alternate in batches so drift hits both alike.
 * - Each launch carries its own X-Forwarded-For client address: Cermin trusts it from loopback
 *   (as behind its reverse proxy) and rate-limits /lti/login + /lti/launch per client, 300 a
 *   minute, which one address would exhaust in seconds. ltijs ignores the header.
 *
 * Output: a table, a per-hop table, and as the last line of stdout one JSON object.
 * Options: --n, --concurrency, --warmup, --batch, --participants, --timeout SECONDS (whole run),
 * --node-env (Cermin's NODE_ENV: development, the default, or test), --profile DIR (children run
 * with `node --cpu-prof`, profiles in DIR/cermin and DIR/bare).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createDemoPlatform, parseAutoPostForm, type DemoPlatform, type DemoUser } from '../sim/lms/platform';
import { fromRoot } from '../src/core/paths';
import type { Page } from '../sim/browser';
import {
  baseEnv,
  BenchError,
  type BenchRun,
  ClientBrowser,
  cpuProfileArgs,
  describePage,
  nextClientIp,
  parseFlags,
  percentile,
  round,
  runBench,
  sleep,
  table,
  withDbName,
  type CommonOptions,
} from './harness';

const USAGE = `Usage: npm run bench -- launch [--n 300] [--concurrency 4] [--warmup 20] [--batch 25]
       [--participants 32] [--timeout 900] [--node-env development|test] [--profile DIR]`;

const CLIENT_IDS = { cermin: 'bench-cermin', bare: 'bench-bare' } as const;
const DEPLOYMENT_ID = 'bench-deployment';

type TargetName = 'cermin' | 'bare';

interface Options extends CommonOptions {
  n: number;
  concurrency: number;
  warmup: number;
  batch: number;
  participants: number;
}

function parseOptions(argv: string[]): Options {
  const { num: int, nodeEnv, profileDir } = parseFlags(argv, ['n', 'concurrency', 'warmup', 'batch', 'participants']);
  return {
    n: int('n', 300, 1),
    concurrency: int('concurrency', 4, 1),
    warmup: int('warmup', 20, 0),
    batch: int('batch', 25, 1),
    participants: int('participants', 32, 1),
    timeoutSeconds: int('timeout', 900, 10),
    nodeEnv,
    profileDir,
  };
}

// ---------- one launch ----------

interface Target {
  name: TargetName;
  demo: DemoPlatform;
  demoBase: string;
  linkId: string;
  /** undefined when the first page is right, else what is wrong with it. */
  check(page: Page, user: DemoUser): string | undefined;
}

interface LaunchTiming {
  totalMs: number;
  hops: Record<string, number>;
}

const HOPS = [
  'platform: launch page',
  'tool: login',
  'platform: auth',
  'tool: launch (id_token)',
  'tool: first page',
] as const;

async function launchOnce(target: Target, user: DemoUser): Promise<LaunchTiming> {
  const browser = new ClientBrowser(nextClientIp());
  const hops: Record<string, number> = {};
  const t0 = performance.now();
  const hop = async (name: (typeof HOPS)[number], request: () => Promise<Page>): Promise<Page> => {
    const start = performance.now();
    const page = await request();
    hops[name] = (hops[name] ?? 0) + performance.now() - start;
    return page;
  };
  const fail = (step: string, page: Page): never => {
    throw new BenchError(`${target.name} launch as ${user.id} failed at "${step}": ${describePage(page)}`);
  };
  const isRedirect = (p: Page) => p.status >= 300 && p.status < 400 && p.headers.has('location');
  const next = (p: Page) => new URL(p.headers.get('location') as string, p.url).toString();
  const post = (p: Page, name: (typeof HOPS)[number]) => {
    const form = parseAutoPostForm(p.body);
    return hop(name, () =>
      browser.request(new URL(form.action, p.url).toString(), { method: 'POST', form: form.fields }),
    );
  };

  let page = await hop('platform: launch page', () =>
    browser.request(`${target.demoBase}/launch?user=${encodeURIComponent(user.id)}&link=${target.linkId}`),
  );
  if (page.status !== 200) fail('platform launch page', page);
  page = await post(page, 'tool: login');
  if (!isRedirect(page)) fail('tool login (expected a redirect to the platform)', page);
  page = await hop('platform: auth', () => browser.request(next(page)));
  if (page.status !== 200) fail('platform auth (expected the id_token form)', page);
  page = await post(page, 'tool: launch (id_token)');
  if (!isRedirect(page)) fail('tool launch (expected a redirect to the first page)', page);
  for (let hopsLeft = 5; isRedirect(page); hopsLeft--) {
    if (hopsLeft === 0) fail('too many redirects', page);
    const url = next(page);
    page = await hop('tool: first page', () => browser.request(url));
  }
  const totalMs = performance.now() - t0;
  if (page.status !== 200) fail('first page', page);
  const wrong = target.check(page, user);
  if (wrong) fail(`first page: ${wrong}`, page);
  return { totalMs, hops };
}

// ---------- scheduling and statistics ----------

interface Series {
  timings: LaunchTiming[];
  wallMs: number;
}

class Runner {
  private readonly cursor: Record<TargetName, number> = { cermin: 0, bare: 0 };
  private aborted = false;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly participants: DemoUser[],
    private readonly concurrency: number,
    private readonly guard: <T>(p: Promise<T>) => Promise<T>,
  ) {}

  /** `count` launches at the set concurrency; the wall time is added to the series when given. */
  async batch(target: Target, count: number, series?: Series): Promise<void> {
    let left = count;
    const worker = async () => {
      while (left > 0 && !this.aborted) {
        left--;
        const user = this.participants[this.cursor[target.name]++ % this.participants.length];
        const timing = await launchOnce(target, user);
        series?.timings.push(timing);
      }
    };
    const start = performance.now();
    try {
      const workers = Array.from({ length: Math.min(this.concurrency, count) }, () => {
        const w = worker();
        this.inFlight.add(w);
        w.then(
          () => this.inFlight.delete(w),
          () => this.inFlight.delete(w),
        );
        return w;
      });
      await this.guard(Promise.all(workers));
    } catch (err) {
      this.aborted = true;
      throw err;
    }
    if (series) series.wallMs += performance.now() - start;
  }

  /** Starts no more launches and waits (bounded) for those under way, so the tools stop idle. */
  async abort(timeoutMs: number): Promise<void> {
    this.aborted = true;
    await Promise.race([Promise.allSettled([...this.inFlight]), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }
}

interface Summary {
  launches: number;
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  rps: number;
}

function summarize(series: Series): Summary {
  const totals = series.timings.map((t) => t.totalMs).sort((a, b) => a - b);
  return {
    launches: totals.length,
    p50: percentile(totals, 50),
    p90: percentile(totals, 90),
    p99: percentile(totals, 99),
    mean: totals.reduce((a, b) => a + b, 0) / totals.length,
    rps: totals.length / (series.wallMs / 1000),
  };
}

// ---------- the run ----------

function esc(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&#34;')
    .replace(/'/g, '&#39;');
}

export function main(argv: string[]): Promise<number> {
  const scripts = {
    cermin: path.join(__dirname, '..', 'src', 'main.js'),
    cli: path.join(__dirname, '..', 'src', 'cli', 'platform.js'),
    bare: path.join(__dirname, 'bare-ltijs.js'),
  };
  return runBench({
    bench: 'launch',
    usage: USAGE,
    argv,
    parse: parseOptions,
    scripts: Object.values(scripts),
    profileNote: (dir) => `CPU profiles: ${dir}/cermin, ${dir}/bare`,
    body: (run, opts) => measure(run, opts, scripts),
  });
}

async function measure(
  run: BenchRun,
  opts: Options,
  scripts: { cermin: string; cli: string; bare: string },
): Promise<number> {
  const { guard, progress } = run;

  const rand = crypto.randomBytes(4).toString('hex');
  const tmpDir = run.tempDir('cermin-bench-');

  // Database server.
  const { serverUri, dbKind } = await run.database(tmpDir);
  const dbUris = {
    cermin: withDbName(serverUri, `cermin_bench_${rand}`),
    bare: withDbName(serverUri, `bare_bench_${rand}`),
  };
  run.dropAtEnd(Object.values(dbUris));
  progress(`database: ${dbKind}`);

  // The platforms' server listens first (on a port of its own choosing), then the two tools get
  // free ports distinct from it and from each other.
  const driver = await run.platformServer();
  const cerminPort = await run.freePort();
  const barePort = await run.freePort();
  const driverBase = driver.base;
  const cerminUrl = `http://127.0.0.1:${cerminPort}`;
  const bareUrl = `http://127.0.0.1:${barePort}`;

  // The two demo platforms, on this process's own server.
  const platforms = {
    cermin: await createDemoPlatform({
      issuer: `${driverBase}/p-cermin`,
      clientId: CLIENT_IDS.cermin,
      deploymentId: DEPLOYMENT_ID,
      participants: opts.participants,
      tool: {
        loginUrl: `${cerminUrl}/lti/login`,
        launchUrl: `${cerminUrl}/lti/launch`,
        jwksUrl: `${cerminUrl}/lti/keys`,
      },
    }),
    bare: await createDemoPlatform({
      issuer: `${driverBase}/p-bare`,
      clientId: CLIENT_IDS.bare,
      deploymentId: DEPLOYMENT_ID,
      participants: opts.participants,
      tool: { loginUrl: `${bareUrl}/login`, launchUrl: `${bareUrl}/`, jwksUrl: `${bareUrl}/keys` },
    }),
  };
  driver.app.use('/p-cermin', platforms.cermin.router);
  driver.app.use('/p-bare', platforms.bare.router);

  const profileArgs = (name: string): string[] => cpuProfileArgs(opts.profileDir && path.join(opts.profileDir, name));

  // Cermin: register the platform with the CLI, then start it.
  const cerminEnv = run.cerminEnv({
    nodeEnv: opts.nodeEnv,
    port: cerminPort,
    url: cerminUrl,
    dbUri: dbUris.cermin,
    tmpDir,
  });
  await run.registerPlatform(scripts.cli, platforms.cermin, CLIENT_IDS.cermin, DEPLOYMENT_ID, cerminEnv);
  const cermin = await run.startCermin(scripts.cermin, cerminEnv, cerminUrl, profileArgs('cermin'));

  // Bare ltijs.
  const started = performance.now();
  const bare = run.spawn(
    'bare ltijs',
    scripts.bare,
    {
      ...baseEnv(),
      NODE_ENV: opts.nodeEnv,
      PORT: String(barePort),
      MONGODB_URI: dbUris.bare,
      LTI_KEY: crypto.randomBytes(32).toString('hex'),
      ISSUER: platforms.bare.issuer,
      CLIENT_ID: CLIENT_IDS.bare,
      AUTH_URL: platforms.bare.authUrl,
      TOKEN_URL: platforms.bare.tokenUrl,
      JWKS_URL: platforms.bare.jwksUrl,
    },
    profileArgs('bare'),
  );
  await guard(
    (async () => {
      while (!/^ready$/m.test(bare.stdoutText())) {
        if (performance.now() - started > 60_000)
          throw new BenchError(`bare ltijs did not print "ready" within 60 s\n${bare.tails()}`);
        await sleep(50);
      }
    })(),
  );
  progress(`bare ltijs ready on ${bareUrl} (pid ${bare.proc.pid}, ${Math.round(performance.now() - started)} ms)`);

  // Targets and their checks.
  const locale = JSON.parse(fs.readFileSync(fromRoot('locales/id.json'), 'utf8')) as Record<string, string>;
  const heading = `<h1>${esc(locale['participant.title'])}</h1>`;
  const targets: Record<TargetName, Target> = {
    cermin: {
      name: 'cermin',
      demo: platforms.cermin,
      demoBase: platforms.cermin.issuer,
      linkId: platforms.cermin.course.links[0].id,
      check: (page, user) => {
        if (!/\/lti\/app\/courses\/[^/]+\/participant$/.test(new URL(page.url).pathname))
          return 'not the participant page';
        if (!page.body.includes('<h1>')) return 'no <h1>';
        if (!page.body.includes(heading)) return `no participant heading ${heading}`;
        if (!page.body.includes(esc(user.name))) return `the participant's name "${user.name}" is missing`;
        return undefined;
      },
    },
    bare: {
      name: 'bare',
      demo: platforms.bare,
      demoBase: platforms.bare.issuer,
      linkId: platforms.bare.course.links[0].id,
      check: (page) => (page.body === 'ok' ? undefined : 'body is not "ok"'),
    },
  };
  const participants = platforms.cermin.users.filter((u) => u.kind === 'participant');
  const runner = new Runner(participants, opts.concurrency, guard);
  run.onFailure = () => runner.abort(5000);

  // Warm-up, then measured rounds; the order within a round alternates.
  const order = (r: number): TargetName[] => (r % 2 === 0 ? ['cermin', 'bare'] : ['bare', 'cermin']);
  progress(`warm-up: ${opts.warmup} launches each`);
  for (let done = 0, r = 0; done < opts.warmup; done += opts.batch, r++) {
    for (const name of order(r)) await runner.batch(targets[name], Math.min(opts.batch, opts.warmup - done));
  }
  const series: Record<TargetName, Series> = { cermin: { timings: [], wallMs: 0 }, bare: { timings: [], wallMs: 0 } };
  const rounds = Math.ceil(opts.n / opts.batch);
  progress(`measuring: ${opts.n} launches each, concurrency ${opts.concurrency}, ${rounds} rounds of ${opts.batch}`);
  const measureStart = performance.now();
  for (let r = 0; r < rounds; r++) {
    const count = Math.min(opts.batch, opts.n - r * opts.batch);
    for (const name of order(r)) await runner.batch(targets[name], count, series[name]);
    if ((r + 1) % Math.max(1, Math.floor(rounds / 5)) === 0 || r === rounds - 1) progress(`  round ${r + 1}/${rounds}`);
  }
  const measureSeconds = (performance.now() - measureStart) / 1000;

  const peak = { cermin: cermin.peakRssMiB(), bare: bare.peakRssMiB() };
  await run.stopChildren();

  // Report.
  const s = { cermin: summarize(series.cermin), bare: summarize(series.bare) };
  const ratio = s.cermin.p50 / s.bare.p50;
  const ms = (x: number) => x.toFixed(1);
  const mib = (x: number | undefined) => (x === undefined ? '–' : x.toFixed(0));
  const lines: string[] = [];
  lines.push('');
  lines.push(
    `LTI launch round trip: ${opts.n} launches per target, concurrency ${opts.concurrency}, batches of ${opts.batch} alternating, ${opts.warmup} warm-up each`,
  );
  lines.push(
    `database: ${dbKind}; Cermin NODE_ENV=${opts.nodeEnv}; node ${process.version}; ${os.cpus().length} CPUs; measured for ${measureSeconds.toFixed(1)} s`,
  );
  lines.push('');
  lines.push(
    table(
      ['target', 'launches', 'p50 ms', 'p90 ms', 'p99 ms', 'mean ms', 'launches/s', 'peak RSS MiB'],
      (['cermin', 'bare'] as const).map((t) => [
        t === 'bare' ? 'bare ltijs' : t,
        s[t].launches,
        ms(s[t].p50),
        ms(s[t].p90),
        ms(s[t].p99),
        ms(s[t].mean),
        s[t].rps.toFixed(1),
        mib(peak[t]),
      ]),
    ),
  );
  lines.push('');
  lines.push(`ratio cermin p50 / bare p50: ${ratio.toFixed(2)} (target ≤ 1.30: ${ratio <= 1.3 ? 'met' : 'NOT met'})`);
  lines.push('');
  lines.push('per hop (p50 / mean ms; platform hops are served by this process):');
  const hopStats = (t: TargetName, h: string) => {
    const xs = series[t].timings.map((x) => x.hops[h] ?? 0).sort((a, b) => a - b);
    return `${ms(percentile(xs, 50))} / ${ms(xs.reduce((a, b) => a + b, 0) / xs.length)}`;
  };
  lines.push(
    table(
      ['hop', 'cermin', 'bare ltijs'],
      HOPS.map((h) => [h, hopStats('cermin', h), hopStats('bare', h)]),
    ),
  );
  lines.push('');
  lines.push(
    JSON.stringify({
      bench: 'launch',
      n: opts.n,
      concurrency: opts.concurrency,
      cermin_p50_ms: round(s.cermin.p50, 2),
      cermin_p99_ms: round(s.cermin.p99, 2),
      cermin_rps: round(s.cermin.rps, 1),
      bare_p50_ms: round(s.bare.p50, 2),
      bare_p99_ms: round(s.bare.p99, 2),
      bare_rps: round(s.bare.rps, 1),
      ratio: round(ratio, 2),
    }),
  );
  run.report = lines.join('\n');
  return 0;
}
