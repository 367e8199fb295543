/**
 * A platform's published keys (its JWKS URL), fetched through the guarded client and kept for
 * `cacheMs`; a token signed with a kid not in the kept set makes one refetch (key rotation), at
 * most once per `cooldownMs`, so a stream of tokens with made-up kids cannot make Cermin hammer
 * the platform. jose's own createRemoteJWKSet does the same over a plain http.get, which would
 * bypass the address checks and read an answer of any size.
 */
import { createLocalJWKSet, errors as joseErrors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import type { GuardedFetch } from '../outbound/guarded-fetch';

const MAX_JWKS_BYTES = 256 * 1024;

export interface RemoteKeySetOptions {
  fetch: GuardedFetch;
  cacheMs: number;
  cooldownMs?: number;
  timeoutMs?: number;
  now?: () => number;
}

export function remoteKeySet(url: string, opts: RemoteKeySetOptions): JWTVerifyGetKey {
  const now = opts.now ?? Date.now;
  const cooldownMs = opts.cooldownMs ?? 1000;
  let kept: { at: number; keys: JWTVerifyGetKey } | undefined;
  let loading: Promise<JWTVerifyGetKey> | undefined;

  async function load(): Promise<JWTVerifyGetKey> {
    const res = await opts.fetch(url, {
      headers: { accept: 'application/json' },
      timeoutMs: opts.timeoutMs ?? 5000,
      maxBytes: MAX_JWKS_BYTES,
    });
    if (res.status !== 200) throw new joseErrors.JOSEError(`the platform's key set answered HTTP ${res.status}`);
    const body = (await res.json()) as JSONWebKeySet;
    if (!body || !Array.isArray(body.keys))
      throw new joseErrors.JOSEError("the platform's key set is not a JSON Web Key Set");
    const keys = createLocalJWKSet(body);
    kept = { at: now(), keys };
    return keys;
  }

  /** One load at a time, shared by every token waiting for it. */
  function reload(): Promise<JWTVerifyGetKey> {
    loading ??= load().finally(() => {
      loading = undefined;
    });
    return loading;
  }

  return async (header, token) => {
    const fresh = kept && now() - kept.at < opts.cacheMs ? kept.keys : await reload();
    try {
      return await fresh(header, token);
    } catch (err) {
      if (!(err instanceof joseErrors.JWKSNoMatchingKey) || !kept || now() - kept.at < cooldownMs) throw err;
      return (await reload())(header, token);
    }
  };
}
