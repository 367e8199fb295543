/**
 * Server-sent events on one response: named events with JSON data, a comment every few seconds
 * so proxies and phones on weak connections do not drop a quiet stream, and no compression or
 * proxy buffering in the way (`no-transform` makes the compression middleware step aside, which
 * would otherwise hold events back until its buffer fills).
 */
import type express from 'express';

export interface EventStream {
  send(event: string, data: unknown): void;
  end(): void;
  /** True once the client went away (writes are then dropped). */
  readonly closed: boolean;
}

/** Whether the client asked for an event stream rather than a page (a plain form post never does). */
export function wantsEventStream(req: express.Request): boolean {
  return req.accepts(['html', 'text/event-stream']) === 'text/event-stream';
}

export function openEventStream(res: express.Response, heartbeatMs = 10_000): EventStream {
  res.status(200);
  res.set({
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store, no-transform',
    'X-Accel-Buffering': 'no',
  });
  res.flushHeaders();
  let closed = false;
  const heartbeat = setInterval(() => write(': ping\n\n'), heartbeatMs);
  heartbeat.unref();
  const stop = () => {
    closed = true;
    clearInterval(heartbeat);
  };
  res.on('close', stop);
  function write(text: string): void {
    if (closed || res.writableEnded) return;
    res.write(text);
  }
  return {
    get closed() {
      return closed;
    },
    send(event, data) {
      // JSON has no raw line breaks, so one `data:` line carries it whole.
      write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    end() {
      stop();
      if (!res.writableEnded) res.end();
    },
  };
}
