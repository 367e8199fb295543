/**
 * The one HTTP client for every request whose address came from outside Cermin's configuration:
 * dynamic registration (the platform's OpenID configuration and registration endpoint), the
 * platform's keys, token, NRPS and AGS endpoints, and an admin's AI provider. A fetch with:
 * - addresses checked where they are connected to (undici's `lookup` hook, so a name that resolves
 *   to a private address, or re-resolves to one later, is refused): public unicast only, unless the
 *   operator allowed the host or range (address-policy.ts);
 * - no redirect to another origin (same-origin redirects of GET and HEAD are followed, three at
 *   most, each checked again); with `redirect: 'manual'` the caller sees the redirect itself;
 * - a time cap on the whole exchange and a size cap on the answer's body;
 * - refusals as an OutboundError with a plain reason, never the answer's body. Network failures and
 *   timeouts stay what fetch throws (callers already tell "not sent" from "may have been sent").
 */
import dns from 'node:dns';
import type { LookupFunction } from 'node:net';
import { Agent, fetch as undiciFetch, type RequestInit as UndiciRequestInit } from 'undici';
import { allowList, bareHost, type AllowList } from './address-policy';

export type OutboundRefusal = 'blocked' | 'redirect' | 'tooLarge' | 'badUrl';

export class OutboundError extends Error {
  /** Kept in the `code` style of Node's network errors, so callers that read `cause.code` see it. */
  readonly code: string;

  constructor(
    readonly kind: OutboundRefusal,
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'OutboundError';
    this.code = `OUTBOUND_${kind.toUpperCase()}`;
  }
}

export interface OutboundPolicy {
  /** Hosts, host:port pairs and CIDR ranges that may be private or loopback (the operator's list). */
  allow: readonly string[];
  /** Largest answer body read, in bytes. */
  maxBytes: number;
  /** Upper bound of one whole exchange when the caller sets none. */
  timeoutMs: number;
}

export type GuardedFetch = (
  input: string | URL,
  init?: RequestInit & { timeoutMs?: number; maxBytes?: number },
) => Promise<Response>;

const MAX_REDIRECTS = 3;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** Statuses a Response may not be built with a body for. */
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

function effectivePort(url: URL): string {
  return url.port || (url.protocol === 'https:' ? '443' : '80');
}

/** Resolves as Node would, then refuses the whole answer if any address is not allowed. */
function guardedLookup(allowed: AllowList): LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) {
        callback(err, '', 0);
        return;
      }
      const list = addresses as dns.LookupAddress[];
      const refused = list.find((a) => !allowed.allowsAddress(a.address));
      if (refused || list.length === 0) {
        callback(
          new OutboundError(
            'blocked',
            `${hostname} resolves to an address Cermin may not reach (private, loopback or reserved); the operator can allow it with OUTBOUND_ALLOW`,
          ),
          '',
          0,
        );
        return;
      }
      if (options.all) (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
      else callback(null, list[0].address, list[0].family);
    });
  };
}

/** A body stream that errors once more than `max` bytes have passed. */
function capped(body: ReadableStream<Uint8Array>, max: number): ReadableStream<Uint8Array> {
  let seen = 0;
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (seen > max) controller.error(new OutboundError('tooLarge', `the answer is larger than ${max} bytes`));
        else controller.enqueue(chunk);
      },
    }),
  );
}

export function createGuardedFetch(policy: OutboundPolicy): GuardedFetch {
  const allowed = allowList(policy.allow);
  // Two connection pools: one that checks every resolved address, one for hosts the operator named.
  const checked = new Agent({ connect: { lookup: guardedLookup(allowed) } });
  const trusted = new Agent();

  /** The pool for this URL, or why it may not be fetched at all. */
  function poolFor(url: URL): Agent {
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new OutboundError('badUrl', `only http and https addresses can be fetched, not ${url.protocol}`);
    if (url.username || url.password)
      throw new OutboundError('badUrl', 'an address with a user name or password in it is not fetched');
    if (allowed.allowsHost(url.hostname, effectivePort(url))) return trusted;
    // An IP literal is connected to without a lookup: check it here.
    const host = bareHost(url.hostname);
    if (/^[\d.]+$|:/.test(host) && !allowed.allowsAddress(host)) {
      throw new OutboundError(
        'blocked',
        `${host} is an address Cermin may not reach (private, loopback or reserved); the operator can allow it with OUTBOUND_ALLOW`,
      );
    }
    return checked;
  }

  return async (input, init = {}) => {
    const { timeoutMs, maxBytes, ...rest } = init;
    const limit = maxBytes ?? policy.maxBytes;
    const timeout = AbortSignal.timeout(timeoutMs ?? policy.timeoutMs);
    const signal = rest.signal ? AbortSignal.any([rest.signal, timeout]) : timeout;
    const manual = rest.redirect === 'manual';
    let url: URL;
    try {
      url = new URL(String(input));
    } catch {
      throw new OutboundError('badUrl', 'not an absolute address');
    }
    let method = (rest.method ?? 'GET').toUpperCase();
    for (let hops = 0; ; hops++) {
      const res = await undiciFetch(url, {
        ...(rest as UndiciRequestInit),
        method,
        redirect: 'manual',
        signal,
        dispatcher: poolFor(url),
      });
      const location = res.headers.get('location');
      if (!manual && REDIRECT_STATUSES.has(res.status) && location) {
        await res.body?.cancel();
        let next: URL;
        try {
          next = new URL(location, url);
        } catch {
          throw new OutboundError('redirect', 'the answer redirects to an address that cannot be read');
        }
        if (next.origin !== url.origin)
          throw new OutboundError(
            'redirect',
            `the answer redirects to another site (${next.origin}); redirects are not followed across sites`,
          );
        if ((method !== 'GET' && method !== 'HEAD') || hops >= MAX_REDIRECTS)
          throw new OutboundError('redirect', 'the answer redirects, and this request is not followed there');
        url = next;
        method = method === 'HEAD' ? 'HEAD' : 'GET';
        continue;
      }
      const declared = Number(res.headers.get('content-length') ?? NaN);
      if (Number.isFinite(declared) && declared > limit) {
        await res.body?.cancel();
        throw new OutboundError('tooLarge', `the answer is larger than ${limit} bytes`);
      }
      const body =
        res.body && !NULL_BODY_STATUSES.has(res.status) ? capped(res.body as ReadableStream<Uint8Array>, limit) : null;
      return new Response(body, {
        status: res.status,
        statusText: res.statusText,
        headers: res.headers as unknown as Headers,
      });
    }
  };
}
