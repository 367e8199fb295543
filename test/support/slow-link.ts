/**
 * A slow network link between a browser and a server, as a TCP proxy on 127.0.0.1: every byte
 * each way waits its turn on a link of the given bandwidth, then half the round trip; a new
 * connection first waits one round trip (the TCP handshake). Unlike DevTools' throttling, which
 * Chromium applies to subresources but not always to the navigation request itself, this slows
 * everything that crosses it, the document included: what a phone on a weak signal lives with.
 * (TCP slow start and packet loss are not modelled: real links are slower still.)
 */
import net from 'node:net';

export interface LinkProfile {
  /** Round-trip time, milliseconds. */
  rttMs: number;
  /** Bandwidth each way, kilobits per second. */
  kbitPerSec: number;
}

export interface SlowLink {
  port: number;
  /** Bytes that crossed from the server to the browser, and back. */
  bytesDown(): number;
  bytesUp(): number;
  close(): Promise<void>;
}

/** One way of the link (down or up), shared by every connection: they take turns on its bandwidth. */
interface Way {
  freeAt: number;
}

/** One direction of one connection: bytes wait for the link, cross it at its rate, then half the round trip. */
class Direction {
  private lastArrival = 0;
  private ended = false;

  constructor(
    private readonly to: net.Socket,
    private readonly way: Way,
    private readonly profile: LinkProfile,
    private readonly opensAt: number,
  ) {}

  send(chunk: Buffer): void {
    const now = Date.now();
    const bytesPerMs = this.profile.kbitPerSec / 8;
    this.way.freeAt = Math.max(now, this.opensAt, this.way.freeAt) + chunk.length / bytesPerMs;
    this.lastArrival = this.way.freeAt + this.profile.rttMs / 2;
    // Timers due later fire later, and equal ones in order: the bytes arrive in the order sent.
    setTimeout(() => {
      if (!this.to.destroyed) this.to.write(chunk);
    }, this.lastArrival - now);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    setTimeout(() => this.to.end(), Math.max(0, this.lastArrival - Date.now()));
  }
}

export async function startSlowLink(target: { host: string; port: number }, profile: LinkProfile): Promise<SlowLink> {
  const sockets = new Set<net.Socket>();
  const downWay: Way = { freeAt: 0 };
  const upWay: Way = { freeAt: 0 };
  let down = 0;
  let up = 0;
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    sockets.add(client).add(upstream);
    // The handshake's round trip passes before the first byte of the request can leave.
    const opensAt = Date.now() + profile.rttMs;
    const toServer = new Direction(upstream, upWay, profile, opensAt);
    const toBrowser = new Direction(client, downWay, profile, opensAt);
    client.on('data', (c: Buffer) => {
      up += c.length;
      toServer.send(c);
    });
    upstream.on('data', (c: Buffer) => {
      down += c.length;
      toBrowser.send(c);
    });
    // A side that closes closes the other once the bytes still on the link have arrived.
    client.on('close', () => {
      sockets.delete(client);
      toServer.end();
    });
    upstream.on('close', () => {
      sockets.delete(upstream);
      toBrowser.end();
    });
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop);
    upstream.on('error', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    bytesDown: () => down,
    bytesUp: () => up,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
