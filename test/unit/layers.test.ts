/**
 * The layer rule in eslint.config.mjs, run as `npm run lint` runs it: an import that climbs a layer
 * and a route file imported from another folder are refused; an import of a lower layer passes.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../src/core/paths';

const run = promisify(execFile);
const eslint = path.join(projectRoot, 'node_modules', '.bin', 'eslint');

/** ESLint's messages for `code` as if it were the file at `file` (relative to the project). */
async function lint(file: string, code: string): Promise<string[]> {
  const pending = run(eslint, ['--format', 'json', '--stdin', '--stdin-filename', file], { cwd: projectRoot });
  pending.child.stdin?.end(code);
  // ESLint exits 1 when it reports a problem; its JSON is on stdout either way.
  const { stdout } = await pending.catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '[]' }));
  const [result] = JSON.parse(stdout) as Array<{ messages: Array<{ ruleId: string | null; message: string }> }>;
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

test('the HTTP kit may not import a feature', async () => {
  const messages = await lint(
    'src/http/probe.ts',
    "import { CoachingService } from '../coaching/service';\nexport type X = CoachingService;\n",
  );
  expect(messages.join('\n')).toMatch(/src\/http\/ is below/);
});

test("a feature may not import one above it, nor another feature's routes", async () => {
  const up = await lint(
    'src/recommend/probe.ts',
    "import type { CoachingService } from '../coaching/service';\nexport type X = CoachingService;\n",
  );
  expect(up.join('\n')).toMatch(/src\/recommend\/ is below/);
  const routes = await lint(
    'src/privacy/probe.ts',
    "import { reviewRoutes } from '../coaching/review/routes';\nexport const x = reviewRoutes;\n",
  );
  expect(routes.join('\n')).toMatch(/mounted by its own feature only/);
});

test('importing a lower layer passes', async () => {
  const messages = await lint(
    'src/coaching/probe.ts',
    "import { formatTime } from '../http/format';\nimport type { AiFeature } from '../ai/feature';\nexport const x = formatTime;\nexport type Y = AiFeature;\n",
  );
  expect(messages).toEqual([]);
});
