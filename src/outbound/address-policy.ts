/**
 * Which addresses Cermin may connect to when a URL came from outside (an OpenID configuration, a
 * registration response, an id_token's service claims, an admin's form): public unicast addresses,
 * and private or loopback ones only where the operator allowed them. Pure: no I/O.
 *
 * An allow entry is one of:
 * - a host name or IP literal, optionally with a port (`moodle.internal`, `127.0.0.1:3000`): a URL
 *   naming exactly that host (and port) may be reached whatever it resolves to;
 * - a CIDR range (`10.20.0.0/16`): any resolved address inside it may be reached.
 */
import ipaddr from 'ipaddr.js';

export interface AllowList {
  /** The URL's host (and port) is one the operator named. */
  allowsHost(hostname: string, port: string): boolean;
  /** A resolved (or literal) address may be connected to. */
  allowsAddress(address: string): boolean;
}

/** Public unicast: not loopback, private, link-local (cloud metadata lives there), CGNAT, multicast, reserved, … */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  const ip = ipaddr.process(address);
  // IPv4-compatible IPv6 (::a.b.c.d, deprecated) counts as unicast to ipaddr.js, but names an IPv4 address.
  if (
    ip.kind() === 'ipv6' &&
    ip
      .toByteArray()
      .slice(0, 12)
      .every((b) => b === 0)
  )
    return false;
  return ip.range() === 'unicast';
}

/** `[::1]` → `::1`: URL hosts write IPv6 literals in brackets. */
export function bareHost(hostname: string): string {
  return hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
}

export class AllowEntryError extends Error {}

/** `https://ai.example/v1` → `ai.example:443`: an allow entry for exactly that URL's host and port. */
export function hostWithPort(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
}

/** Reads the operator's entries; throws AllowEntryError naming the first it cannot read. */
export function allowList(entries: readonly string[]): AllowList {
  const hosts = new Set<string>();
  const ranges: Array<[ipaddr.IPv4 | ipaddr.IPv6, number]> = [];
  for (const raw of entries.map((e) => e.trim()).filter(Boolean)) {
    if (raw.includes('/')) {
      try {
        ranges.push(ipaddr.parseCIDR(raw));
      } catch {
        throw new AllowEntryError(`not a CIDR range: ${raw}`);
      }
      continue;
    }
    // host, host:port, IPv6 literal, [IPv6]:port
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(raw);
    const plain = /^([^:]+)(?::(\d+))?$/.exec(raw);
    const [host, port] = bracketed
      ? [bracketed[1], bracketed[2]]
      : ipaddr.IPv6.isValid(raw)
        ? [raw, undefined]
        : plain
          ? [plain[1], plain[2]]
          : [undefined, undefined];
    if (!host || !/^[A-Za-z0-9.:-]+$/.test(host))
      throw new AllowEntryError(`not a host, host:port or CIDR range: ${raw}`);
    hosts.add(port ? `${host.toLowerCase()}:${port}` : host.toLowerCase());
  }
  return {
    allowsHost(hostname, port) {
      const host = bareHost(hostname);
      return hosts.has(host) || (port !== '' && hosts.has(`${host}:${port}`));
    },
    allowsAddress(address) {
      if (isPublicAddress(address)) return true;
      if (!ipaddr.isValid(address)) return false;
      const ip = ipaddr.process(address);
      return ranges.some(([base, bits]) => ip.kind() === base.kind() && ip.match(base, bits));
    },
  };
}
