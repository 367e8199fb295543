/**
 * The guarded client every outside-named address goes through, against real servers on loopback:
 * what an attacker who controls a URL Cermin fetches would try (a private or loopback address, a
 * name that resolves to one, a redirect elsewhere, an endless answer, a slow one) is refused
 * before or while connecting, with a plain reason and never the answer's body.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { allowList, isPublicAddress } from '../../../src/outbound/address-policy';
import { createGuardedFetch, OutboundError } from '../../../src/outbound/guarded-fetch';

interface Server {
  port: number;
  hits: string[];
  close(): Promise<void>;
}

async function serve(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<Server> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(req.url ?? '');
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const ok = (_req: http.IncomingMessage, res: http.ServerResponse) => {
  res.setHeader('content-type', 'application/json');
  res.end('{"secret":"internal answer"}');
};

async function refusal(promise: Promise<unknown>): Promise<OutboundError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof OutboundError) return err;
    const cause = (err as { cause?: unknown }).cause;
    if (cause instanceof OutboundError) return cause;
    throw err;
  }
  throw new Error('fetched, but should have been refused');
}

describe('address policy', () => {
  test('only public unicast addresses are public', () => {
    for (const a of ['8.8.8.8', '2001:4860:4860::8888', '::ffff:8.8.8.8']) expect(isPublicAddress(a)).toBe(true);
    for (const a of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      '::ffff:127.0.0.1',
      '::7f00:1',
      '::a00:1',
      'fe80::1',
      'fc00::1',
      '224.0.0.1',
      'not-an-ip',
    ]) {
      expect(isPublicAddress(a)).toBe(false);
    }
  });

  test('entries: names with and without ports, IPv6 literals and ranges; a bad entry is named', () => {
    const list = allowList(['moodle.internal', '127.0.0.1:3000', '10.20.0.0/16', '[::1]:8080']);
    expect(list.allowsHost('MOODLE.internal', '443')).toBe(true);
    expect(list.allowsHost('127.0.0.1', '3000')).toBe(true);
    expect(list.allowsHost('127.0.0.1', '22')).toBe(false);
    expect(list.allowsHost('[::1]', '8080')).toBe(true);
    expect(list.allowsAddress('10.20.5.6')).toBe(true);
    expect(list.allowsAddress('10.21.5.6')).toBe(false);
    expect(() => allowList(['10.0.0.0/99'])).toThrow('10.0.0.0/99');
    expect(() => allowList(['http://x/'])).toThrow('http://x/');
  });
});

describe('guarded fetch', () => {
  let target: Server;
  beforeAll(async () => {
    target = await serve(ok);
  });
  afterAll(async () => {
    await target.close();
  });
  const strict = createGuardedFetch({ allow: [], maxBytes: 1000, timeoutMs: 2000 });

  test('loopback by IP literal, by name, as IPv6 and as cloud metadata: refused before any connection', async () => {
    for (const url of [
      `http://127.0.0.1:${target.port}/x`,
      `http://localhost:${target.port}/x`,
      `http://[::1]:${target.port}/x`,
      'http://169.254.169.254/latest/meta-data/',
      `http://[::ffff:127.0.0.1]:${target.port}/x`,
    ]) {
      const err = await refusal(strict(url));
      expect(err.kind).toBe('blocked');
      expect(err.reason).not.toContain('internal answer');
    }
    expect(target.hits).toEqual([]);
  });

  test('a host:port the operator allowed is reached; another port of the same host is not', async () => {
    const allowed = createGuardedFetch({ allow: [`127.0.0.1:${target.port}`], maxBytes: 1000, timeoutMs: 2000 });
    const res = await allowed(`http://127.0.0.1:${target.port}/allowed`);
    expect(await res.json()).toEqual({ secret: 'internal answer' });
    expect((await refusal(allowed(`http://127.0.0.1:${target.port + 1}/x`))).kind).toBe('blocked');
  });

  test('a range the operator allowed covers names that resolve into it', async () => {
    const ranged = createGuardedFetch({ allow: ['127.0.0.0/8'], maxBytes: 1000, timeoutMs: 2000 });
    expect((await ranged(`http://localhost:${target.port}/by-name`)).status).toBe(200);
  });

  test('a redirect to another origin is refused; one within the origin is followed; manual shows it', async () => {
    const other = await serve(ok);
    const redirecting = await serve((req, res) => {
      if (req.url === '/same') {
        res.writeHead(302, { location: '/final' });
        res.end();
        return;
      }
      if (req.url === '/final') {
        ok(req, res);
        return;
      }
      res.writeHead(302, { location: `http://127.0.0.1:${other.port}/internal` });
      res.end('redirect body');
    });
    const fetcher = createGuardedFetch({
      allow: [`127.0.0.1:${redirecting.port}`, `127.0.0.1:${other.port}`],
      maxBytes: 1000,
      timeoutMs: 2000,
    });
    const err = await refusal(fetcher(`http://127.0.0.1:${redirecting.port}/elsewhere`));
    expect(err.kind).toBe('redirect');
    expect(other.hits).toEqual([]);
    expect((await fetcher(`http://127.0.0.1:${redirecting.port}/same`)).status).toBe(200);
    // POST is never followed, even within the origin (it would be resent as a GET or with its body).
    expect(
      (await refusal(fetcher(`http://127.0.0.1:${redirecting.port}/same`, { method: 'POST', body: 'x' }))).kind,
    ).toBe('redirect');
    expect((await fetcher(`http://127.0.0.1:${redirecting.port}/elsewhere`, { redirect: 'manual' })).status).toBe(302);
    await Promise.all([other.close(), redirecting.close()]);
  });

  test('an answer larger than the cap, declared or streamed, is cut off', async () => {
    const big = await serve((req, res) => {
      if (req.url === '/declared') {
        res.writeHead(200, { 'content-length': '5000' });
        res.end('x'.repeat(5000));
        return;
      }
      res.writeHead(200); // chunked, no length
      for (let i = 0; i < 10; i++) res.write('y'.repeat(500));
      res.end();
    });
    const fetcher = createGuardedFetch({ allow: [`127.0.0.1:${big.port}`], maxBytes: 1000, timeoutMs: 2000 });
    expect((await refusal(fetcher(`http://127.0.0.1:${big.port}/declared`))).kind).toBe('tooLarge');
    const streamed = await fetcher(`http://127.0.0.1:${big.port}/streamed`);
    expect((await refusal(streamed.text())).kind).toBe('tooLarge');
    await big.close();
  });

  test('a server that never answers is given up on at the time cap', async () => {
    const silent = await serve(() => undefined);
    const fetcher = createGuardedFetch({ allow: [`127.0.0.1:${silent.port}`], maxBytes: 1000, timeoutMs: 300 });
    const started = Date.now();
    await expect(fetcher(`http://127.0.0.1:${silent.port}/`)).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(Date.now() - started).toBeLessThan(2000);
    await silent.close();
  });

  test('other schemes and addresses with credentials are refused', async () => {
    expect((await refusal(strict('file:///etc/passwd'))).kind).toBe('badUrl');
    expect((await refusal(strict('http://user:pw@example.com/'))).kind).toBe('badUrl');
    expect((await refusal(strict('not a url'))).kind).toBe('badUrl');
  });
});
