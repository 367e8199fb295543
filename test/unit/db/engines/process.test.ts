/**
 * `npm start` as a process: the embedded database is started and kept under DATA_DIR, the demo
 * launch works, SIGTERM stops everything cleanly, a restart keeps the data, and a start that
 * cannot work says why. Runs the built dist/ (npm test builds it first).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Browser, launchThroughDemo } from '../../../../sim/browser';
import { freePort } from '../../../../src/db/embedded';
import { projectRoot } from '../../../../src/core/paths';

const root = projectRoot;
const main = path.join(root, 'dist', 'src', 'main.js');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cermin-proc-'));

interface Running {
  child: ChildProcessWithoutNullStreams;
  port: number;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function start(env: Record<string, string>, port: number): Running {
  const child = spawn(process.execPath, [main], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NODE_ENV: 'development',
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      ...env,
    },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    err += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, port, stdout: () => out, stderr: () => err, exited };
}

async function waitFor(run: Running, text: string, ms = 60000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!run.stdout().includes(text)) {
    if (run.child.exitCode !== null) throw new Error(`exited ${run.child.exitCode}: ${run.stderr()}`);
    if (Date.now() > deadline) throw new Error(`timeout waiting for "${text}": ${run.stdout()} ${run.stderr()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

afterAll(() => {
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test('start with the embedded database, launch, stop on SIGTERM, restart with the data kept', async () => {
  const port = await freePort();
  const first = start({}, port);
  try {
    await waitFor(first, 'Cermin berjalan');
    expect(first.stdout()).toMatch(/\/setup\?token=[\w-]{20,}/);
    expect(first.stdout()).toContain(`http://127.0.0.1:${port}/demo`);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    const page = await launchThroughDemo(new Browser(), `http://127.0.0.1:${port}/demo`, 'u-p-001');
    expect(page.status).toBe(200);
    // The engine `auto` picked (mongod where it can be downloaded, else the Java one), remembered with its data.
    const engine = fs.readFileSync(path.join(dataDir, 'embedded-engine'), 'utf8').trim();
    expect(engine).toMatch(/^(mongod|java)$/);
    expect(fs.existsSync(path.join(dataDir, engine === 'java' ? 'embedded-db' : 'mongod'))).toBe(true);
    expect(fs.statSync(path.join(dataDir, '.dev-lti-key')).mode & 0o077).toBe(0);
  } finally {
    first.child.kill('SIGTERM');
  }
  expect(await first.exited).toBe(0);
  // The embedded database went down with it.
  await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();

  const keysBefore = fs.readFileSync(path.join(dataDir, '.dev-lti-key'), 'utf8');
  const second = start({}, port);
  try {
    await waitFor(second, 'Cermin berjalan');
    const keys = (await (await fetch(`http://127.0.0.1:${port}/lti/keys`)).json()) as { keys: unknown[] };
    expect(keys.keys).toHaveLength(1); // the demo platform's tool key survived the restart, not a second one
    const page = await launchThroughDemo(new Browser(), `http://127.0.0.1:${port}/demo`, 'u-coach-1');
    expect(page.status).toBe(200);
    expect(fs.readFileSync(path.join(dataDir, '.dev-lti-key'), 'utf8')).toBe(keysBefore);
  } finally {
    second.child.kill('SIGINT');
  }
  expect(await second.exited).toBe(0);
}, 120000);

test('SIGTERM with a request in flight: it finishes, its keep-alive connection is let go, exit well before the grace period', async () => {
  const port = await freePort();
  const run = start({}, port);
  await waitFor(run, 'Cermin berjalan');
  const agent = new http.Agent({ keepAlive: true });
  const body = 'iss=https%3A%2F%2Fnobody.example&login_hint=x&target_link_uri=x';
  // A slow upload keeps the request in flight across the signal; afterwards the client stays
  // connected and idle, as a reverse proxy's pooled connection would.
  const answered = new Promise<number>((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: '/lti/login',
        method: 'POST',
        agent,
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.write(body.slice(0, 10));
    setTimeout(() => req.end(body.slice(10)), 700);
  });
  await new Promise((r) => setTimeout(r, 200));
  const signalled = Date.now();
  run.child.kill('SIGTERM');
  expect(await answered).toBe(400); // answered in full: an unregistered platform
  expect(await run.exited).toBe(0);
  const took = Date.now() - signalled;
  agent.destroy();
  expect(took).toBeLessThan(5000); // the grace period is 10 s
}, 60000);

test('an anonymous request with a hostile OIDC state is refused and the process keeps serving', async () => {
  const port = await freePort();
  const run = start({}, port);
  try {
    await waitFor(run, 'Cermin berjalan');
    // Reproduced against 27e6e1e: ltijs built a cookie name from the raw state in an async path,
    // and the TypeError nobody awaited stopped Node.
    for (const path of ['/lti/app/x', '/lti/launch']) {
      for (const body of ['state=a%20b', 'state=a%3Bb%3Dc', 'state=x&id_token=a.b.c']) {
        const res = await fetch(`http://127.0.0.1:${port}${path}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body,
        });
        expect(res.status).toBe(400);
      }
      const json = await fetch(`http://127.0.0.1:${port}${path}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{"state":{"a":1}}',
      });
      expect(json.status).toBe(400);
    }
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    expect(run.child.exitCode).toBeNull();
  } finally {
    run.child.kill('SIGTERM');
  }
  expect(await run.exited).toBe(0);
}, 60000);

test('a bad configuration stops the start with one message naming each bad key', async () => {
  const run = start({ PORT: 'abc', LOG_LEVEL: 'loud', LTI_KEY: 'short' }, 0);
  expect(await run.exited).toBe(2);
  for (const name of ['PORT', 'LOG_LEVEL', 'LTI_KEY']) expect(run.stderr()).toContain(name);
  expect(run.stderr()).not.toContain('short'); // the secret's value is not echoed
});

test('a broken coaching template stops the start, naming the file and the problem', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cermin-tpl-'));
  for (const f of fs.readdirSync(path.join(root, 'config', 'templates')))
    fs.copyFileSync(path.join(root, 'config', 'templates', f), path.join(dir, f));
  const broken = JSON.parse(fs.readFileSync(path.join(dir, 'bebas.json'), 'utf8')) as {
    maxScore: number;
    colour?: string;
  };
  broken.colour = 'merah';
  fs.writeFileSync(path.join(dir, 'bebas.json'), JSON.stringify(broken));
  const run = start({ TEMPLATES_DIR: dir }, await freePort());
  expect(await run.exited).toBe(2);
  expect(run.stderr()).toContain('bebas.json');
  expect(run.stderr()).toContain('colour');
  expect(run.stdout()).not.toContain('Cermin berjalan');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('with no MONGODB_URI and no way to run a local database, the error says how to set MONGODB_URI', async () => {
  const emptyTools = fs.mkdtempSync(path.join(os.tmpdir(), 'cermin-notools-'));
  const run = start({ EMBEDDED_DB: 'java', TOOLS_DIR: emptyTools, PATH: '/nonexistent' }, await freePort());
  expect(await run.exited).toBe(3);
  expect(run.stderr()).toContain('MONGODB_URI');
  expect(run.stderr()).toContain('Java 17 and Maven are needed');
  fs.rmSync(emptyTools, { recursive: true, force: true });
});
