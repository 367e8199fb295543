/**
 * The routes an Express 4 app has mounted, read from its router stack (nested routers, sub-apps
 * and parameterised mounts included), for tests that must reach every route without a list kept
 * by hand.
 */
import type express from 'express';

export interface MountedRoute {
  method: string;
  path: string;
}

interface Layer {
  route?: { path: string | RegExp; methods: Record<string, boolean> };
  regexp: RegExp & { fast_slash?: boolean };
  keys: Array<{ name: string | number }>;
  handle: { stack?: Layer[]; _router?: { stack: Layer[] } };
}

/** `/^\/courses(?:\/([^/]+?))\/?(?=\/|$)/i` with key courseKey → `/courses/:courseKey`. */
function mountPath(layer: Layer): string {
  if (layer.regexp.fast_slash) return '';
  let keyIndex = 0;
  const path = layer.regexp.source
    .replace(/^\^/, '')
    .replace(/\\\/\?\(\?=\\\/\|\$\)$/, '')
    .replace(/\(\?:\\\/\(\[\^\\?\/\]\+\?\)\)/g, () => `/:${String(layer.keys[keyIndex++]?.name)}`)
    .replace(/\\\//g, '/')
    .replace(/\\\./g, '.');
  if (/[()[\]^$?*+\\]/.test(path)) throw new Error(`a mount path this reader cannot spell out: ${layer.regexp.source}`);
  return path;
}

function walk(stack: Layer[], prefix: string, out: MountedRoute[]): void {
  for (const layer of stack) {
    if (layer.route) {
      const paths = typeof layer.route.path === 'string' ? [layer.route.path] : [];
      // app.all() lists every verb Node knows (or `_all`): GET and POST are what browsers and platforms send.
      const verbs = Object.keys(layer.route.methods);
      const methods = verbs.includes('_all') || verbs.length > 8 ? ['get', 'post'] : verbs;
      for (const p of paths) for (const method of methods) out.push({ method: method.toUpperCase(), path: prefix + p });
      continue;
    }
    const inner = layer.handle.stack ?? layer.handle._router?.stack;
    if (inner) walk(inner, prefix + mountPath(layer), out);
  }
}

export function mountedRoutes(app: express.Express): MountedRoute[] {
  const out: MountedRoute[] = [];
  walk((app as unknown as { _router: { stack: Layer[] } })._router.stack, '', out);
  const seen = new Set<string>();
  return out.filter((r) => !seen.has(`${r.method} ${r.path}`) && Boolean(seen.add(`${r.method} ${r.path}`)));
}
