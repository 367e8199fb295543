import fs from 'node:fs';
import path from 'node:path';

/** The project's root (where package.json is), found the same way from src/ under ts-jest and from dist/src/. */
export const projectRoot: string = (() => {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('package.json not found above ' + __dirname);
    dir = parent;
  }
  return dir;
})();

/** Resolves a configured path (relative ones against the project root). */
export function fromRoot(p: string): string {
  return path.isAbsolute(p) ? p : path.join(projectRoot, p);
}
