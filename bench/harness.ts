/**
 * What the benches share (bench/launch.ts, bench/autosave.ts, bench/grades.ts): option helpers, the
 * database (the embedded one in a temp dir, or the server of MONGODB_URI), child processes (Cermin, the
 * platform CLI), this process's own server for the demo platforms, the run's time limit, signals
 * and cleanup, the table/percentile helpers of the reports, a work pool and CPU counters.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
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
import {
  embeddedVersions,
  freePort,
  startEmbeddedDatabase,
  type EmbeddedDatabase,
  type EngineName,
} from '../src/db/embedded';
import type { DemoPlatform } from '../sim/lms/platform';
import { fromRoot, projectRoot } from '../src/core/paths';
import { Browser, launchThroughDemo, ltikOf, type Page } from '../sim/browser';
import { parseAutoPostForm } from '../sim/lms/platform';

export class BenchError extends Error {}

export type Progress = (message: string) => void;

export function progressFor(bench: string): Progress {
  return (message) => {
    process.stderr.write(`[bench ${bench}] ${message}\n`);
  };
}

export const round = (x: number, digits: number) => Number(x.toFixed(digits));

/** mulberry32: a small seeded generator, so a bench's inputs and faults are the same for the same --seed. */
export function seededRandom(seed: number): () => number {
  let a = (seed * 0x9e3779b1 + 0x6d2b79f5) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

// ---------- options ----------

/**
 * The bench's own flags (all taking a value) and the common ones (--timeout, --node-env,
 * --profile); unknown flags and positionals are refused.
 */
export function parseFlags<F extends string>(argv: string[], flags: readonly F[]) {
  const options = Object.fromEntries(
    [...flags, 'timeout', 'node-env', 'profile'].map((f) => [f, { type: 'string' as const }]),
  );
  const values = parseArgs({ args: argv, strict: true, allowPositionals: false, options }).values as Partial<
    Record<string, string>
  >;
  const nodeEnv = values['node-env'] ?? 'development';
  if (nodeEnv !== 'development' && nodeEnv !== 'test')
    throw new BenchError('--node-env: development or test (production needs an https PUBLIC_URL)');
  /** A numeric flag's value: the fallback when absent, else checked. */
  const num = (flag: F | 'timeout', fallback: number, min: number, integer = true): number => {
    const raw = values[flag];
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min)
      throw new BenchError(`--${flag}: must be ${integer ? 'an integer' : 'a number'} ≥ ${min}`);
    return n;
  };
  /** A text flag's value, as given. */
  const text = (flag: F): string | undefined => values[flag];
  return {
    num,
    text,
    nodeEnv: nodeEnv as CommonOptions['nodeEnv'],
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

  constructor(
    readonly name: string,
    script: string,
    env: NodeJS.ProcessEnv,
    nodeArgs: string[],
    private readonly progress: Progress,
  ) {
    this.proc = spawn(process.execPath, [...nodeArgs, script], {
      cwd: projectRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc.stdout?.on('data', (c: Buffer) => {
      this.out = (this.out + c.toString()).slice(-16_000);
    });
    this.proc.stderr?.on('data', (c: Buffer) => {
      this.err = (this.err + c.toString()).slice(-16_000);
    });
    this.exited = new Promise((resolve) => this.proc.once('exit', () => resolve()));
    this.died = new Promise<never>((_resolve, reject) => {
      this.proc.once('exit', (code, signal) => {
        if (this.stopping) return;
        const hint = code === 0 ? ' (a clean exit, as after a SIGTERM/SIGINT from outside)' : '';
        reject(
          new BenchError(
            `${this.name} (pid ${this.proc.pid}) exited early: code ${code}, signal ${signal}${hint}\n${this.tails()}`,
          ),
        );
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
      this.progress(`${this.name} did not stop within ${graceMs} ms: SIGKILL\n${this.tails()}`);
      this.proc.kill('SIGKILL');
    }, graceMs);
    this.proc.kill('SIGTERM');
    await this.exited;
    clearTimeout(killer);
    this.progress(`${this.name} stopped in ${Math.round(performance.now() - started)} ms`);
  }
}

/** Runs a node script to completion (the platform CLI); its output on failure. */
export function runScript(script: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [script, ...args], {
      cwd: projectRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    proc.stdout.on('data', (c: Buffer) => {
      output += c.toString();
    });
    proc.stderr.on('data', (c: Buffer) => {
      output += c.toString();
    });
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.once('error', (e) => {
      clearTimeout(timer);
      reject(new BenchError(`${path.basename(script)}: ${e.message}`));
    });
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(output.trim());
      else
        reject(
          new BenchError(
            `node ${path.relative(projectRoot, script)} ${args[0]} failed (code ${code}, signal ${signal}):\n${output.trim().slice(-3000)}`,
          ),
        );
    });
  });
}

/**
 * Only what a node process needs from ours: no stray MONGODB_URI, ENCRYPTION_KEY, AI_* and such.
 * NODE_OPTIONS passes, so both children can be instrumented alike (e.g. `--require` a counter).
 */
export function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const k of ['PATH', 'HOME', 'TMPDIR', 'TZ', 'LANG', 'LC_ALL', 'NODE_OPTIONS'])
    if (process.env[k] !== undefined) env[k] = process.env[k];
  return env;
}

/** `node --cpu-prof` into dir (created), or nothing without a dir. */
export function cpuProfileArgs(dir: string | undefined): string[] {
  if (!dir) return [];
  fs.mkdirSync(dir, { recursive: true });
  return ['--cpu-prof', `--cpu-prof-dir=${dir}`];
}

// ---------- browsers and pages ----------

/** A browser behind Cermin's reverse proxy: its own client address, as the proxy reports it. */
export class ClientBrowser extends Browser {
  constructor(private readonly clientIp: string) {
    super();
  }

  override request(url: string, init: Parameters<Browser['request']>[1] = {}): Promise<Page> {
    return super.request(url, { ...init, headers: { ...init.headers, 'X-Forwarded-For': this.clientIp } });
  }
}

let clientCounter = 0;
/** A distinct client address per person (or launch), as Cermin's reverse proxy would report it. */
export function nextClientIp(): string {
  const k = ++clientCounter;
  return `10.${(k >> 16) & 255}.${(k >> 8) & 255}.${k & 255}`;
}

export function describePage(page: Page): string {
  const location = page.headers.get('location');
  const body = page.body.replace(/\s+/g, ' ').trim().slice(0, 400);
  return `HTTP ${page.status} from ${page.url.replace(/([?&]ltik=)[^&]+/, '$1…')}${location ? ` → ${location.replace(/([?&]ltik=)[^&]+/, '$1…')}` : ''}${body ? `\n    body: ${body}` : ''}`;
}

// ---------- statistics and tables ----------

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export function table(header: string[], rows: Array<Array<string | number>>): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

// ---------- the run ----------

export interface CommonOptions {
  timeoutSeconds: number;
  nodeEnv: 'development' | 'test';
  profileDir?: string;
}

export interface Database {
  serverUri: string;
  dbKind: string;
  /** The embedded database this run started; undefined with MONGODB_URI. */
  embedded?: EmbeddedDatabase;
}

/** One bench run: its time limit, signals, child processes, and the cleanups run at its end. */
export class BenchRun {
  readonly progress: Progress;
  readonly children: Child[] = [];
  private readonly cleanups: Array<{ what: string; run: () => Promise<void> }> = [];
  private readonly overtime: Promise<never>;
  private readonly overtimeTimer: NodeJS.Timeout;
  private readonly interrupted: Promise<never>;
  private onSignal: (signal: NodeJS.Signals) => void = () => undefined;
  private readonly usedPorts = new Set<number>();
  /** Printed to stdout after the cleanups: the tables and the JSON line. */
  report: string | undefined;
  /** Called on a failure, before the cleanups: stops the load and waits (bounded) for what is under way. */
  onFailure: () => Promise<void> = async () => undefined;

  constructor(
    readonly bench: string,
    timeoutSeconds: number,
  ) {
    this.progress = progressFor(bench);
    let timer: NodeJS.Timeout | undefined;
    this.overtime = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new BenchError(`time limit of ${timeoutSeconds} s reached (--timeout)`)),
        timeoutSeconds * 1000,
      );
    });
    this.overtimeTimer = timer as NodeJS.Timeout;
    this.overtime.catch(() => undefined);
    // Ctrl-C or a SIGTERM: stop measuring and clean up (a terminal's SIGINT reaches the children too).
    this.interrupted = new Promise<never>((_resolve, reject) => {
      this.onSignal = (signal) => {
        for (const c of this.children) c.stopping = true;
        reject(new BenchError(`interrupted by ${signal}`));
      };
    });
    this.interrupted.catch(() => undefined);
    process.once('SIGINT', this.onSignal);
    process.once('SIGTERM', this.onSignal);
  }

  /** Waits for p unless a child dies, the time is up or the bench is interrupted first. */
  readonly guard = <T>(p: Promise<T>): Promise<T> =>
    Promise.race([p, this.overtime, this.interrupted, ...this.children.map((c) => c.died)]);

  /** Run at the end, last registered first. */
  cleanup(what: string, run: () => Promise<void>): void {
    this.cleanups.push({ what, run });
  }

  tempDir(prefix: string): string {
    const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    this.cleanup('remove temp dir', async () => fs.rmSync(tmpDir, { recursive: true, force: true }));
    return tmpDir;
  }

  /**
   * The server of MONGODB_URI, else an embedded one of this run's own in tmpDir: the engine
   * `npm start` would pick (EMBEDDED_DB picks another, e.g. ferretdb to compare).
   */
  async database(tmpDir: string): Promise<Database> {
    if (process.env.MONGODB_URI)
      return { serverUri: process.env.MONGODB_URI, dbKind: 'MONGODB_URI (from the environment)' };
    const mode = (process.env.EMBEDDED_DB ?? 'auto') as 'auto' | EngineName;
    if (!['auto', 'mongod', 'java', 'ferretdb'].includes(mode))
      throw new BenchError('EMBEDDED_DB: auto, mongod, java or ferretdb');
    // Not raced: its handle is needed to stop it, and each engine gives up by itself.
    const embedded = await startEmbeddedDatabase({
      ...embeddedVersions(),
      dataDir: tmpDir,
      toolsDir: fromRoot('.tools'),
      mode,
      dbName: 'x',
      progress: this.progress,
    });
    this.cleanup('stop the embedded database', () => embedded.stop());
    return { serverUri: embedded.uri, dbKind: `embedded ${embedded.kind} (temp dir)`, embedded };
  }

  /** The databases this run creates, dropped at its end. */
  dropAtEnd(uris: string[]): void {
    this.cleanup(uris.length === 1 ? 'drop database' : 'drop databases', async () => {
      for (const uri of uris) await dropDatabase(uri);
    });
  }

  /** This process's server for the demo platforms, on a port of its own choosing. */
  async platformServer(): Promise<{ app: express.Express; base: string }> {
    const app = express();
    app.disable('x-powered-by');
    const server = http.createServer(app);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    this.cleanup(
      "close the platforms' server",
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    );
    const port = (server.address() as AddressInfo).port;
    this.usedPorts.add(port);
    return { app, base: `http://127.0.0.1:${port}` };
  }

  /** A free port, distinct from the platforms' server and from those handed out before. */
  async freePort(): Promise<number> {
    for (;;) {
      const port = await freePort();
      if (!this.usedPorts.has(port)) {
        this.usedPorts.add(port);
        return port;
      }
    }
  }

  /** A child process of the run: stopped at its end, its death fails guard(). */
  spawn(name: string, script: string, env: NodeJS.ProcessEnv, nodeArgs: string[] = []): Child {
    if (this.children.length === 0) this.cleanup('stop the child processes', () => this.stopChildren());
    const child = new Child(name, script, env, nodeArgs, this.progress);
    this.children.push(child);
    return child;
  }

  async stopChildren(): Promise<void> {
    await Promise.all(this.children.map((c) => c.stop()));
  }

  /** Cermin's environment, as it runs in production (but for NODE_ENV and DEMO=false). */
  cerminEnv(o: {
    nodeEnv: CommonOptions['nodeEnv'];
    port: number;
    url: string;
    dbUri: string;
    tmpDir: string;
  }): NodeJS.ProcessEnv {
    return {
      ...baseEnv(),
      NODE_ENV: o.nodeEnv,
      DEMO: 'false',
      PORT: String(o.port),
      HOST: '127.0.0.1',
      PUBLIC_URL: o.url,
      MONGODB_URI: o.dbUri,
      LTI_KEY: crypto.randomBytes(32).toString('hex'),
      LOG_LEVEL: 'warn',
      DATA_DIR: path.join(o.tmpDir, 'cermin-data'),
      // The bench's platforms (and fake AI servers) listen on loopback, as an intranet Moodle would be allowed.
      OUTBOUND_ALLOW: '127.0.0.1',
    };
  }

  /** Registers the demo platform in Cermin's database with `node dist/src/cli/platform.js add`. */
  async registerPlatform(
    cliScript: string,
    p: DemoPlatform,
    clientId: string,
    deploymentId: string,
    env: NodeJS.ProcessEnv,
  ): Promise<void> {
    const registered = await this.guard(
      runScript(
        cliScript,
        [
          'add',
          '--issuer',
          p.issuer,
          '--client-id',
          clientId,
          '--auth-url',
          p.authUrl,
          '--token-url',
          p.tokenUrl,
          '--jwks-url',
          p.jwksUrl,
          '--deployment-id',
          deploymentId,
        ],
        env,
        120_000,
      ),
    );
    this.progress(`cermin: ${registered}`);
  }

  /** Starts Cermin and waits for its /readyz to answer 200. */
  async startCermin(script: string, env: NodeJS.ProcessEnv, url: string, nodeArgs: string[]): Promise<Child> {
    const started = performance.now();
    const cermin = this.spawn('cermin', script, env, nodeArgs);
    await this.guard(
      (async () => {
        for (;;) {
          const ok = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) }).then(
            (r) => r.status === 200,
            () => false,
          );
          if (ok) return;
          if (performance.now() - started > 60_000)
            throw new BenchError(`Cermin did not answer /readyz 200 within 60 s\n${cermin.tails()}`);
          await sleep(100);
        }
      })(),
    );
    this.progress(`cermin ready on ${url} (pid ${cermin.proc.pid}, ${Math.round(performance.now() - started)} ms)`);
    return cermin;
  }

  /** Reports a failure: stops the load, and names a child's death rather than what it caused. */
  async fail(err: unknown): Promise<number> {
    let failure = err;
    await this.onFailure();
    // A launch or save that failed because a child died: name the death, not the refused connection.
    if (!(err instanceof BenchError) || !/exited early/.test(err.message)) {
      await sleep(300);
      const dead = this.children.find((c) => !c.alive && !c.stopping);
      if (dead) failure = await dead.died.catch((e: unknown) => e);
    }
    console.error(`\nbench ${this.bench} FAILED: ${failure instanceof Error ? failure.message : String(failure)}`);
    if (!(failure instanceof BenchError) && failure instanceof Error && failure.stack) console.error(failure.stack);
    return 1;
  }

  /** Runs the cleanups (each bounded), then prints the report. */
  async finish(afterCleanup?: string): Promise<void> {
    clearTimeout(this.overtimeTimer);
    process.removeListener('SIGINT', this.onSignal);
    process.removeListener('SIGTERM', this.onSignal);
    for (const { what, run } of this.cleanups.reverse()) {
      try {
        await Promise.race([
          run(),
          new Promise((_r, reject) => setTimeout(() => reject(new Error('timed out after 20 s')), 20_000).unref()),
        ]);
      } catch (e) {
        this.progress(`cleanup "${what}" failed: ${(e as Error).message}`);
      }
    }
    if (afterCleanup) this.progress(afterCleanup);
    if (this.report) process.stdout.write(`${this.report}\n`);
  }
}

/**
 * A bench's main: options (exit 2 on bad usage), the built scripts it runs (exit 2 when missing),
 * then body within a BenchRun; cleanup and the report however it ends.
 */
export async function runBench<O extends CommonOptions>(spec: {
  bench: string;
  usage: string;
  argv: string[];
  parse: (argv: string[]) => O;
  scripts: string[];
  /** A line of progress after the cleanups (where the CPU profiles are). */
  profileNote: (profileDir: string) => string;
  body: (run: BenchRun, opts: O) => Promise<number>;
}): Promise<number> {
  let opts: O;
  try {
    opts = spec.parse(spec.argv);
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${spec.usage}`);
    return 2;
  }
  for (const file of spec.scripts) {
    if (!fs.existsSync(file)) {
      console.error(`${file} is missing: run through \`npm run bench -- ${spec.bench}\` (it builds first)`);
      return 2;
    }
  }
  const run = new BenchRun(spec.bench, opts.timeoutSeconds);
  try {
    return await spec.body(run, opts);
  } catch (err) {
    return await run.fail(err);
  } finally {
    await run.finish(opts.profileDir ? spec.profileNote(opts.profileDir) : undefined);
  }
}

// ---------- shared by the benches: a work pool and process CPU counters ----------

/** fn over items, `concurrency` at a time, in order of the items; stops at the first failure. */
export async function pool<T, R>(
  items: T[],
  concurrency: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i], i);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** User + system CPU seconds of a process, from /proc (undefined elsewhere). */
export function cpuSeconds(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return undefined;
  }
}

/**
 * The coach places one activity of a template with the real Deep Linking flow (picker, add,
 * return, the platform creating the link and its column); returns the new resource link id.
 */
export async function placeActivityVia(
  demo: DemoPlatform,
  cerminUrl: string,
  coachId: string,
  templateId: string,
  fields: Record<string, string>,
): Promise<string> {
  const coach = new ClientBrowser(nextClientIp());
  const fail = (step: string, page: Page): never => {
    throw new BenchError(`Deep Linking as ${coachId} failed at "${step}": ${describePage(page)}`);
  };
  const picker = await launchThroughDemo(coach, demo.issuer, coachId, { deepLinking: true });
  if (picker.status !== 200 || !/\/deep-linking$/.test(new URL(picker.url).pathname)) fail('the picker', picker);
  const ltik = ltikOf(picker);
  const base = new URL(picker.url).pathname;
  const added = await coach.go(`${cerminUrl}${base}/${templateId}`, { form: { ltik, intent: 'add', ...fields } });
  if (added.status !== 200 || !added.body.includes('(1)')) fail(`adding '${templateId}'`, added);
  const before = demo.course.links.length;
  const returning = await coach.go(`${cerminUrl}${base}-return`, { form: { ltik } });
  if (returning.status !== 200) fail('the return', returning);
  const form = parseAutoPostForm(returning.body);
  if (form.action !== demo.deepLinkReturnUrl)
    throw new BenchError(`Deep Linking: the return form posts to ${form.action}, not ${demo.deepLinkReturnUrl}`);
  const platformPage = await coach.submitAutoForm(returning);
  if (platformPage.status !== 200) fail('the platform receiving the response', platformPage);
  const links = demo.course.links.slice(before);
  if (links.length !== 1) throw new BenchError(`Deep Linking: the platform created ${links.length} links, expected 1`);
  return links[0].id;
}
