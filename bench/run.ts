/**
 * `npm run bench -- NAME [args]` (that is, `node dist/bench/run.js NAME [args]`): runs the
 * exported `main(args)` of bench/<NAME>.ts. Exit code: what the bench returns; 2 for an unknown
 * bench (the available ones are listed), 1 when a bench throws.
 */
import fs from 'node:fs';
import path from 'node:path';

export type BenchMain = (args: string[]) => Promise<number | void> | number | void;

const NAME = /^[a-z0-9][a-z0-9-]*$/i;

function load(name: string): { main?: unknown } | undefined {
  if (!NAME.test(name) || name === 'run') return undefined;
  const file = path.join(__dirname, `${name}.js`);
  if (!fs.existsSync(file)) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(file) as { main?: unknown };
}

/** The benches in this directory: every module (but this one) that exports `main`. */
function available(): string[] {
  return fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.js') && f !== 'run.js')
    .map((f) => f.slice(0, -'.js'.length))
    .filter((name) => typeof load(name)?.main === 'function')
    .sort();
}

async function run(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  const mod = name ? load(name) : undefined;
  if (!mod || typeof mod.main !== 'function') {
    console.error(
      `${name ? `Unknown bench: ${name}` : 'No bench named'}\nUsage: npm run bench -- NAME [args]\nAvailable: ${available().join(', ') || '(none)'}`,
    );
    return 2;
  }
  const code = await (mod.main as BenchMain)(args);
  return typeof code === 'number' ? code : 0;
}

if (require.main === module) {
  run(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
      // Keep-alive sockets or a stray timer must not hold a finished bench open.
      setTimeout(() => process.exit(code), 2000).unref();
    },
    (err: unknown) => {
      console.error('bench failed:', err);
      process.exit(1);
    },
  );
}
