/**
 * What every embedded engine needs from the operating system: run a build step (telling the
 * person at the terminal it is still going), find a free loopback port, start a server process
 * that goes down with Cermin, and stop it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';

export class EmbeddedDatabaseError extends Error {}

export type Progress = (message: string) => void;

export function hasCommand(cmd: string, versionArgs: string[]): boolean {
  return spawnSync(cmd, versionArgs, { stdio: 'ignore' }).status === 0;
}

export function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const res = spawnSync(cmd, args, { ...opts, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (res.status !== 0) {
    throw new EmbeddedDatabaseError(
      `${cmd} ${args.join(' ')} failed: ${(res.stderr || res.stdout || String(res.error)).trim().slice(-2000)}`,
    );
  }
  return res.stdout;
}

/** Runs a long command without blocking, telling the person watching that it is still going. */
export function runWithProgress(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv },
  progress: Progress,
  label: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (c: Buffer) => {
      output = (output + c.toString()).slice(-4000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const ticker = setInterval(() => progress(`  … ${label} (${Math.round((Date.now() - started) / 1000)} s)`), 15000);
    child.once('error', (err) => {
      clearInterval(ticker);
      reject(new EmbeddedDatabaseError(`${cmd}: ${err.message}`));
    });
    child.once('exit', (code) => {
      clearInterval(ticker);
      if (code === 0) resolve();
      else
        reject(new EmbeddedDatabaseError(`${cmd} ${args.join(' ')} failed (${code}): ${output.trim().slice(-2000)}`));
    });
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface ServerProcess {
  child: ChildProcess;
  /** The last few kB the server wrote, for an error message. */
  output(): string;
}

/**
 * Starts a database server and waits until it says it is ready (a line matching `ready`) or, when
 * no such line is given, until its port accepts connections. However Cermin ends (an uncaught
 * error, process.exit), the server goes with it.
 */
export async function startServer(
  name: string,
  cmd: string,
  args: string[],
  opts: { port: number; timeoutMs: number; ready?: RegExp; env?: NodeJS.ProcessEnv },
): Promise<ServerProcess> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: opts.env });
  let output = '';
  let readySeen = false;
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
    if (opts.ready?.test(output)) readySeen = true;
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const killOnExit = () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  let spawnError: Error | undefined;
  child.once('error', (err) => {
    spawnError = err;
  });
  const deadline = Date.now() + opts.timeoutMs;
  while (Date.now() < deadline) {
    if (spawnError) throw new EmbeddedDatabaseError(`${name}: ${spawnError.message}`);
    if (child.exitCode !== null)
      throw new EmbeddedDatabaseError(`${name} exited with code ${child.exitCode}: ${output.trim()}`);
    if (opts.ready ? readySeen : await accepts(opts.port)) return { child, output: () => output.trim() };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new EmbeddedDatabaseError(`${name} was not ready within ${opts.timeoutMs} ms: ${output.trim()}`);
}

function accepts(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(killer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
