/**
 * `npm run platform -- urls` as an admin runs it (the built command in its own process): it reads
 * the configuration from its environment as the server does, and says so when PUBLIC_URL is
 * missing instead of passing development defaults off as the real address.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../src/core/paths';

const cli = path.join(projectRoot, 'dist', 'src', 'cli', 'platform.js');
const run = (env: Record<string, string>) =>
  promisify(execFile)(process.execPath, [cli, 'urls'], {
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'development', ...env },
  });

test("with the server's PUBLIC_URL: its addresses, and no warning", async () => {
  const { stdout, stderr } = await run({ PUBLIC_URL: 'https://cermin.bpsdm.example.go.id' });
  expect(stdout).toContain('Tool URL:              https://cermin.bpsdm.example.go.id/lti/launch');
  expect(stdout).toContain('Dynamic registration:  https://cermin.bpsdm.example.go.id/lti/register');
  expect(stderr).toBe('');
});

test('without PUBLIC_URL: the development defaults, and a warning that says how to get the real ones', async () => {
  const { stdout, stderr } = await run({});
  expect(stdout).toContain('Tool URL:              http://localhost:3000/lti/launch');
  expect(stderr).toContain('PUBLIC_URL is not set for this command');
  expect(stderr).toContain('docker compose exec cermin');
});
