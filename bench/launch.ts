/**
 * `npm run bench -- launch [--n 300] [--concurrency 4] [--warmup 20] [--batch 25]`
 *
 * The full LTI 1.3 launch round trip, as a person's click costs it, measured against Cermin and,
 * in the same run and on the same database server, against a bare ltijs app that renders "ok"
 * (bench/bare-ltijs.ts). The project's target: Cermin's p50 within 1.3x of bare ltijs.
 *
 * - Database: one FerretDB for the run (in a temp dir), or the server of MONGODB_URI when set;
 *   a database per target (cermin_bench_<rand>, bare_bench_<rand>), dropped at the end.
 * - Platforms: this process hosts two demo LMSs (src/demo/platform.ts) on its own server, one per
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
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import express from 'express';
import mongoose from 'mongoose';
import { ensureFerretdb, freePort, startFerretdb, type EmbeddedDatabase } from '../src/db/embedded';
import { createDemoPlatform, parseAutoPostForm, type DemoPlatform, type DemoUser } from '../src/demo/platform';
import { fromRoot, projectRoot } from '../src/paths';
import { Browser, type Page } from '../test/support/browser';

const USAGE = `Usage: npm run bench -- launch [--n 300] [--concurrency 4] [--warmup 20] [--batch 25]
       [--participants 32] [--timeout 900] [--node-env development|test] [--profile DIR]`;

export const FERRETDB_VERSION = 'v1.24.2';
const CLIENT_IDS = { cermin: 'bench-cermin', bare: 'bench-bare' } as const;
const DEPLOYMENT_ID = 'bench-deployment';

type TargetName = 'cermin' | 'bare';

interface Options {
  n: number;
  concurrency: number;
  warmup: number;
  batch: number;
  participants: number;
  timeoutSeconds: number;
  nodeEnv: 'development' | 'test';
  profileDir?: string;
}

export class BenchError extends Error {}

function progress(message: string): void {
  process.stderr.write(`[bench launch] ${message}\n`);
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      n: { type: 'string' }, concurrency: { type: 'string' }, warmup: { type: 'string' }, batch: { type: 'string' },
      participants: { type: 'string' }, timeout: { type: 'string' }, 'node-env': { type: 'string' }, profile: { type: 'string' },
    },
  });
  const int = (flag: keyof typeof values, fallback: number, min: number): number => {
    const raw = values[flag];
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new BenchError(`--${flag}: must be an integer ≥ ${min}`);
    return n;
  };
  const nodeEnv = values['node-env'] ?? 'development';
  if (nodeEnv !== 'development' && nodeEnv !== 'test') throw new BenchError('--node-env: development or test (production needs an https PUBLIC_URL)');
  return {
    n: int('n', 300, 1),
    concurrency: int('concurrency', 4, 1),
    warmup: int('warmup', 20, 0),
    batch: int('batch', 25, 1),
    participants: int('participants', 32, 1),
    timeoutSeconds: int('timeout', 900, 10),
    nodeEnv,
    profileDir: values.profile ? path.resolve(values.profile) : undefined,
  };
}

// ---------- database ----------

/** The same server with another database name (keeps the query; adds authSource when the path named it). */
export function withDbName(uri: string, name: string): string {
  const m = /^(mongodb(?:\+srv)?:\/\/([^/?]+))(?:\/([^?]*))?(\?.*)?$/.exec(uri);
  if (!m) throw new BenchError('MONGODB_URI is not a mongodb:// or mongodb+srv:// URI');
  const [, base, hosts, oldDb, query = ''] = m;
  const params = new URLSearchParams(query.slice(1));
  // With credentials, the database in the path is also where the user authenticates.
  if (hosts.includes('@') && !params.has('authSource')) params.set('authSource', oldDb || 'admin');
  const q = params.toString();
  return `${base}/${name}${q ? `?${q}` : ''}`;
}

export async function dropDatabase(uri: string): Promise<void> {
  const conn = mongoose.createConnection(uri, { serverSelectionTimeoutMS: 5000 });
  try {
    await conn.asPromise();
    await conn.dropDatabase();
  } finally {
    await conn.close().catch(() => undefined);
  }
}

// ---------- child processes ----------

export class Child {
  readonly proc: ChildProcess;
  private out = '';
  private err = '';
  stopping = false;
  /** Rejects when the process exits before stop() was asked for. Always handled. */
  readonly died: Promise<never>;
  readonly exited: Promise<void>;

  constructor(readonly name: string, script: string, env: NodeJS.ProcessEnv, nodeArgs: string[] = []) {
    this.proc = spawn(process.execPath, [...nodeArgs, script], { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stdout?.on('data', (c: Buffer) => { this.out = (this.out + c.toString()).slice(-16_000); });
    this.proc.stderr?.on('data', (c: Buffer) => { this.err = (this.err + c.toString()).slice(-16_000); });
    this.exited = new Promise((resolve) => this.proc.once('exit', () => resolve()));
    this.died = new Promise<never>((_resolve, reject) => {
      this.proc.once('exit', (code, signal) => {
        if (this.stopping) return;
        const hint = code === 0 ? ' (a clean exit, as after a SIGTERM/SIGINT from outside)' : '';
        reject(new BenchError(`${this.name} (pid ${this.proc.pid}) exited early: code ${code}, signal ${signal}${hint}\n${this.tails()}`));
      });
      this.proc.once('error', (e) => reject(new BenchError(`${this.name} could not be started: ${e.message}`)));
    });
    this.died.catch(() => undefined);
  }

  get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  stdoutText(): string {
    return this.out;
  }

  tails(): string {
    const tail = (s: string) => s.trim().split('\n').slice(-25).join('\n') || '(empty)';
    return `--- ${this.name} stderr (tail) ---\n${tail(this.err)}\n--- ${this.name} stdout (tail) ---\n${tail(this.out)}`;
  }

  /** Peak resident set size in MiB (VmHWM), where /proc has it. */
  peakRssMiB(): number | undefined {
    try {
      const status = fs.readFileSync(`/proc/${this.proc.pid}/status`, 'utf8');
      const kb = /^VmHWM:\s+(\d+)\s+kB/m.exec(status)?.[1];
      return kb ? Number(kb) / 1024 : undefined;
    } catch {
      return undefined;
    }
  }

  /** SIGTERM, then SIGKILL after graceMs (longer than Cermin's own 10 s shutdown grace). */
  async stop(graceMs = 15_000): Promise<void> {
    this.stopping = true;
    if (!this.alive) return;
    const started = performance.now();
    const killer = setTimeout(() => {
      progress(`${this.name} did not stop within ${graceMs} ms: SIGKILL\n${this.tails()}`);
      this.proc.kill('SIGKILL');
    }, graceMs);
    this.proc.kill('SIGTERM');
    await this.exited;
    clearTimeout(killer);
    progress(`${this.name} stopped in ${Math.round(performance.now() - started)} ms`);
  }
}

/** Runs a node script to completion (the platform CLI); its output on failure. */
export function runScript(script: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [script, ...args], { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    proc.stdout.on('data', (c: Buffer) => { output += c.toString(); });
    proc.stderr.on('data', (c: Buffer) => { output += c.toString(); });
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.once('error', (e) => { clearTimeout(timer); reject(new BenchError(`${path.basename(script)}: ${e.message}`)); });
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(output.trim());
      else reject(new BenchError(`node ${path.relative(projectRoot, script)} ${args[0]} failed (code ${code}, signal ${signal}):\n${output.trim().slice(-3000)}`));
    });
  });
}

/**
 * Only what a node process needs from ours: no stray MONGODB_URI, ENCRYPTION_KEY, AI_* and such.
 * NODE_OPTIONS passes, so both children can be instrumented alike (e.g. `--require` a counter).
 */
export function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const k of ['PATH', 'HOME', 'TMPDIR', 'TZ', 'LANG', 'LC_ALL', 'NODE_OPTIONS']) if (process.env[k] !== undefined) env[k] = process.env[k];
  return env;
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

/** A browser behind Cermin's reverse proxy: its own client address, as the proxy reports it. */
export class ClientBrowser extends Browser {
  constructor(private readonly clientIp: string) {
    super();
  }

  override request(url: string, init: Parameters<Browser['request']>[1] = {}): Promise<Page> {
    return super.request(url, { ...init, headers: { ...init.headers, 'X-Forwarded-For': this.clientIp } });
  }
}

const HOPS = ['platform: launch page', 'tool: login', 'platform: auth', 'tool: launch (id_token)', 'tool: first page'] as const;

function describePage(page: Page): string {
  const location = page.headers.get('location');
  const body = page.body.replace(/\s+/g, ' ').trim().slice(0, 400);
  return `HTTP ${page.status} from ${page.url.replace(/([?&]ltik=)[^&]+/, '$1…')}${location ? ` → ${location.replace(/([?&]ltik=)[^&]+/, '$1…')}` : ''}${body ? `\n    body: ${body}` : ''}`;
}

let launchCounter = 0;

async function launchOnce(target: Target, user: DemoUser): Promise<LaunchTiming> {
  const k = ++launchCounter;
  const browser = new ClientBrowser(`10.${(k >> 16) & 255}.${(k >> 8) & 255}.${k & 255}`);
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
    return hop(name, () => browser.request(new URL(form.action, p.url).toString(), { method: 'POST', form: form.fields }));
  };

  let page = await hop('platform: launch page', () => browser.request(`${target.demoBase}/launch?user=${encodeURIComponent(user.id)}&link=${target.linkId}`));
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

  constructor(private readonly participants: DemoUser[], private readonly concurrency: number, private readonly guard: <T>(p: Promise<T>) => Promise<T>) {}

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
        w.then(() => this.inFlight.delete(w), () => this.inFlight.delete(w));
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

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
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

export function table(header: string[], rows: Array<Array<string | number>>): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

const round = (x: number, digits: number) => Number(x.toFixed(digits));

// ---------- the run ----------

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&#34;').replace(/'/g, '&#39;');
}

export async function main(argv: string[]): Promise<number> {
  let opts: Options;
  try {
    opts = parseOptions(argv);
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }

  const scripts = {
    cermin: path.join(__dirname, '..', 'src', 'main.js'),
    cli: path.join(__dirname, '..', 'src', 'cli', 'platform.js'),
    bare: path.join(__dirname, 'bare-ltijs.js'),
  };
  for (const file of Object.values(scripts)) {
    if (!fs.existsSync(file)) {
      console.error(`${file} is missing: run through \`npm run bench -- launch\` (it builds first)`);
      return 2;
    }
  }

  const cleanups: Array<{ what: string; run: () => Promise<void> }> = [];
  const children: Child[] = [];
  let overtimeTimer: NodeJS.Timeout | undefined;
  const overtime = new Promise<never>((_resolve, reject) => {
    overtimeTimer = setTimeout(() => reject(new BenchError(`time limit of ${opts.timeoutSeconds} s reached (--timeout)`)), opts.timeoutSeconds * 1000);
  });
  overtime.catch(() => undefined);
  // Ctrl-C or a SIGTERM: stop measuring and clean up (a terminal's SIGINT reaches the children too).
  let onSignal: (signal: NodeJS.Signals) => void = () => undefined;
  const interrupted = new Promise<never>((_resolve, reject) => {
    onSignal = (signal) => {
      for (const c of children) c.stopping = true;
      reject(new BenchError(`interrupted by ${signal}`));
    };
  });
  interrupted.catch(() => undefined);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  /** Waits for p unless a child dies, the time is up or the bench is interrupted first. */
  const guard = <T>(p: Promise<T>): Promise<T> => Promise.race([p, overtime, interrupted, ...children.map((c) => c.died)]);

  let report: string | undefined;
  let runner: Runner | undefined;
  try {
    const rand = crypto.randomBytes(4).toString('hex');
    const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cermin-bench-'));
    cleanups.push({ what: 'remove temp dir', run: async () => fs.rmSync(tmpDir, { recursive: true, force: true }) });

    // Database server.
    let serverUri: string;
    let dbKind: string;
    if (process.env.MONGODB_URI) {
      serverUri = process.env.MONGODB_URI;
      dbKind = 'MONGODB_URI (from the environment)';
    } else {
      const binary = await guard(ensureFerretdb(fromRoot('.tools'), FERRETDB_VERSION, progress));
      // Not raced: its handle is needed to stop it, and it gives up by itself after 15 s.
      const ferret: EmbeddedDatabase = await startFerretdb(binary, tmpDir, 'x');
      cleanups.push({ what: 'stop FerretDB', run: () => ferret.stop() });
      serverUri = ferret.uri;
      dbKind = `FerretDB ${FERRETDB_VERSION} (SQLite, temp dir)`;
    }
    const dbUris = { cermin: withDbName(serverUri, `cermin_bench_${rand}`), bare: withDbName(serverUri, `bare_bench_${rand}`) };
    cleanups.push({
      what: 'drop databases',
      run: async () => {
        for (const uri of Object.values(dbUris)) await dropDatabase(uri);
      },
    });
    progress(`database: ${dbKind}`);

    // The platforms' server listens first (on a port of its own choosing), then the two tools get
    // free ports distinct from it and from each other.
    const driverApp = express();
    driverApp.disable('x-powered-by');
    const driver = http.createServer(driverApp);
    await new Promise<void>((resolve, reject) => {
      driver.once('error', reject);
      driver.listen(0, '127.0.0.1', resolve);
    });
    cleanups.push({
      what: 'close the platforms\' server',
      run: () => new Promise<void>((resolve) => { driver.closeAllConnections(); driver.close(() => resolve()); }),
    });
    const driverPort = (driver.address() as AddressInfo).port;
    const ports = new Set([driverPort]);
    const distinctFreePort = async (): Promise<number> => {
      for (;;) {
        const port = await freePort();
        if (!ports.has(port)) {
          ports.add(port);
          return port;
        }
      }
    };
    const cerminPort = await distinctFreePort();
    const barePort = await distinctFreePort();
    const driverBase = `http://127.0.0.1:${driverPort}`;
    const cerminUrl = `http://127.0.0.1:${cerminPort}`;
    const bareUrl = `http://127.0.0.1:${barePort}`;

    // The two demo platforms, on this process's own server.
    const platforms = {
      cermin: await createDemoPlatform({
        issuer: `${driverBase}/p-cermin`, clientId: CLIENT_IDS.cermin, deploymentId: DEPLOYMENT_ID, participants: opts.participants,
        tool: { loginUrl: `${cerminUrl}/lti/login`, launchUrl: `${cerminUrl}/lti/launch`, jwksUrl: `${cerminUrl}/lti/keys` },
      }),
      bare: await createDemoPlatform({
        issuer: `${driverBase}/p-bare`, clientId: CLIENT_IDS.bare, deploymentId: DEPLOYMENT_ID, participants: opts.participants,
        tool: { loginUrl: `${bareUrl}/login`, launchUrl: `${bareUrl}/`, jwksUrl: `${bareUrl}/keys` },
      }),
    };
    driverApp.use('/p-cermin', platforms.cermin.router);
    driverApp.use('/p-bare', platforms.bare.router);

    const profileArgs = (name: string): string[] => {
      if (!opts.profileDir) return [];
      const dir = path.join(opts.profileDir, name);
      fs.mkdirSync(dir, { recursive: true });
      return ['--cpu-prof', `--cpu-prof-dir=${dir}`];
    };

    // Cermin: register the platform with the CLI, then start it.
    const cerminEnv: NodeJS.ProcessEnv = {
      ...baseEnv(),
      NODE_ENV: opts.nodeEnv,
      DEMO: 'false',
      PORT: String(cerminPort),
      HOST: '127.0.0.1',
      PUBLIC_URL: cerminUrl,
      MONGODB_URI: dbUris.cermin,
      LTI_KEY: crypto.randomBytes(32).toString('hex'),
      LOG_LEVEL: 'warn',
      DATA_DIR: path.join(tmpDir, 'cermin-data'),
    };
    const p = platforms.cermin;
    const registered = await guard(runScript(scripts.cli, [
      'add', '--issuer', p.issuer, '--client-id', CLIENT_IDS.cermin, '--auth-url', p.authUrl, '--token-url', p.tokenUrl,
      '--jwks-url', p.jwksUrl, '--deployment-id', DEPLOYMENT_ID,
    ], cerminEnv, 120_000));
    progress(`cermin: ${registered}`);

    const stopChildren = async () => { await Promise.all(children.map((c) => c.stop())); };
    cleanups.push({ what: 'stop Cermin and bare ltijs', run: stopChildren });

    let started = performance.now();
    const cermin = new Child('cermin', scripts.cermin, cerminEnv, profileArgs('cermin'));
    children.push(cermin);
    await guard((async () => {
      for (;;) {
        const ok = await fetch(`${cerminUrl}/readyz`, { signal: AbortSignal.timeout(2000) }).then((r) => r.status === 200, () => false);
        if (ok) return;
        if (performance.now() - started > 60_000) throw new BenchError(`Cermin did not answer /readyz 200 within 60 s\n${cermin.tails()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    })());
    progress(`cermin ready on ${cerminUrl} (pid ${cermin.proc.pid}, ${Math.round(performance.now() - started)} ms)`);

    // Bare ltijs.
    started = performance.now();
    const bare = new Child('bare ltijs', scripts.bare, {
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
    }, profileArgs('bare'));
    children.push(bare);
    await guard((async () => {
      while (!/^ready$/m.test(bare.stdoutText())) {
        if (performance.now() - started > 60_000) throw new BenchError(`bare ltijs did not print "ready" within 60 s\n${bare.tails()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    })());
    progress(`bare ltijs ready on ${bareUrl} (pid ${bare.proc.pid}, ${Math.round(performance.now() - started)} ms)`);

    // Targets and their checks.
    const locale = JSON.parse(fs.readFileSync(fromRoot('locales/id.json'), 'utf8')) as Record<string, string>;
    const heading = `<h1>${esc(locale['participant.title'])}</h1>`;
    const targets: Record<TargetName, Target> = {
      cermin: {
        name: 'cermin', demo: platforms.cermin, demoBase: platforms.cermin.issuer, linkId: platforms.cermin.course.links[0].id,
        check: (page, user) => {
          if (!/\/lti\/app\/courses\/[^/]+\/participant$/.test(new URL(page.url).pathname)) return 'not the participant page';
          if (!page.body.includes('<h1>')) return 'no <h1>';
          if (!page.body.includes(heading)) return `no participant heading ${heading}`;
          if (!page.body.includes(esc(user.name))) return `the participant's name "${user.name}" is missing`;
          return undefined;
        },
      },
      bare: {
        name: 'bare', demo: platforms.bare, demoBase: platforms.bare.issuer, linkId: platforms.bare.course.links[0].id,
        check: (page) => (page.body === 'ok' ? undefined : 'body is not "ok"'),
      },
    };
    const participants = platforms.cermin.users.filter((u) => u.kind === 'participant');
    runner = new Runner(participants, opts.concurrency, guard);

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
    await stopChildren();

    // Report.
    const s = { cermin: summarize(series.cermin), bare: summarize(series.bare) };
    const ratio = s.cermin.p50 / s.bare.p50;
    const ms = (x: number) => x.toFixed(1);
    const mib = (x: number | undefined) => (x === undefined ? '–' : x.toFixed(0));
    const lines: string[] = [];
    lines.push('');
    lines.push(`LTI launch round trip: ${opts.n} launches per target, concurrency ${opts.concurrency}, batches of ${opts.batch} alternating, ${opts.warmup} warm-up each`);
    lines.push(`database: ${dbKind}; Cermin NODE_ENV=${opts.nodeEnv}; node ${process.version}; ${os.cpus().length} CPUs; measured for ${measureSeconds.toFixed(1)} s`);
    lines.push('');
    lines.push(table(
      ['target', 'launches', 'p50 ms', 'p90 ms', 'p99 ms', 'mean ms', 'launches/s', 'peak RSS MiB'],
      (['cermin', 'bare'] as const).map((t) => [t === 'bare' ? 'bare ltijs' : t, s[t].launches, ms(s[t].p50), ms(s[t].p90), ms(s[t].p99), ms(s[t].mean), s[t].rps.toFixed(1), mib(peak[t])]),
    ));
    lines.push('');
    lines.push(`ratio cermin p50 / bare p50: ${ratio.toFixed(2)} (target ≤ 1.30: ${ratio <= 1.3 ? 'met' : 'NOT met'})`);
    lines.push('');
    lines.push('per hop (p50 / mean ms; platform hops are served by this process):');
    const hopStats = (t: TargetName, h: string) => {
      const xs = series[t].timings.map((x) => x.hops[h] ?? 0).sort((a, b) => a - b);
      return `${ms(percentile(xs, 50))} / ${ms(xs.reduce((a, b) => a + b, 0) / xs.length)}`;
    };
    lines.push(table(['hop', 'cermin', 'bare ltijs'], HOPS.map((h) => [h, hopStats('cermin', h), hopStats('bare', h)])));
    lines.push('');
    lines.push(JSON.stringify({
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
    }));
    report = lines.join('\n');
    return 0;
  } catch (err) {
    let failure = err;
    await runner?.abort(5000);
    // A launch that failed because a child died: name the death, not the refused connection.
    if (!(err instanceof BenchError) || !/exited early/.test(err.message)) {
      await new Promise((r) => setTimeout(r, 300));
      const dead = children.find((c) => !c.alive && !c.stopping);
      if (dead) failure = await dead.died.catch((e: unknown) => e);
    }
    console.error(`\nbench launch FAILED: ${failure instanceof Error ? failure.message : String(failure)}`);
    if (!(failure instanceof BenchError) && failure instanceof Error && failure.stack) console.error(failure.stack);
    return 1;
  } finally {
    clearTimeout(overtimeTimer);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    for (const { what, run } of cleanups.reverse()) {
      try {
        await Promise.race([run(), new Promise((_r, reject) => setTimeout(() => reject(new Error('timed out after 20 s')), 20_000).unref())]);
      } catch (e) {
        progress(`cleanup "${what}" failed: ${(e as Error).message}`);
      }
    }
    if (opts.profileDir) progress(`CPU profiles: ${opts.profileDir}/cermin, ${opts.profileDir}/bare`);
    if (report) process.stdout.write(`${report}\n`);
  }
}
