/**
 * Every bench in bench/ runs here in a quick mode (tiny sizes, the run's own database), as
 * `npm run bench -- NAME` runs it: it must finish, exit 0 and print its JSON line last. The figures
 * themselves mean nothing at these sizes and are not checked; what this catches is a bench that no
 * longer runs (a change to Cermin it depends on, such as an address it may no longer reach).
 * Runs the built dist/ (npm test builds it first).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { testDatabaseUri } from '../support/stack';
import { projectRoot } from '../../src/core/paths';

const root = projectRoot;
const runner = path.join(root, 'dist', 'bench', 'run.js');

/** Each bench and the flags of its quick mode. */
const QUICK: Record<string, string[]> = {
  launch: ['--n', '8', '--warmup', '2', '--batch', '4', '--concurrency', '2'],
  autosave: ['--participants', '6', '--seconds', '2', '--interval', '1', '--warmup', '2'],
  grades: [
    '--grades',
    '12',
    '--participants',
    '12',
    '--instances',
    '2',
    '--roster-requests',
    '6',
    '--roster-warmup',
    '2',
  ],
  ai: ['--turns', '8', '--baseline', '2', '--warmup', '1', '--offline-turns', '40'],
  recommend: ['--queries', '200', '--warmup', '5', '--max-size', '1000', '--hybrid-max-size', '1000'],
  'recommend-eval': [],
  'coaching-eval': [],
  'recommend-history': ['--sizes', '200,400', '--per-person', '5', '--reads', '5'],
  db: ['--sizes', '200,400', '--samples', '5'],
  walk: ['--repeat', '1'],
};

test('the quick list names every bench there is', () => {
  const benches = fs
    .readdirSync(path.join(root, 'bench'))
    .filter((f) => f.endsWith('.ts') && !['run.ts', 'harness.ts', 'bare-ltijs.ts'].includes(f))
    .map((f) => f.replace(/\.ts$/, ''))
    .sort();
  expect(Object.keys(QUICK).sort()).toEqual(benches);
});

function run(name: string, args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [runner, name, ...args], {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        MONGODB_URI: testDatabaseUri(`bench_${name.replace(/-/g, '_')}`),
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
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

test.each(Object.entries(QUICK))(
  'npm run bench -- %s, quick: exits 0 with its JSON line last',
  async (name, args) => {
    const { code, out, err } = await run(name, args);
    const last = out.trim().split('\n').pop() ?? '';
    expect({ code, tail: code === 0 ? '' : `${out.slice(-1500)}\n${err.slice(-1500)}` }).toEqual({ code: 0, tail: '' });
    expect(JSON.parse(last)).toMatchObject({ bench: name });
  },
  240_000,
);
