/**
 * The express app every Cermin page is served from, with what every request gets: the request
 * log and metrics, compression, draining on shutdown, health and metrics endpoints; and at the
 * end the 404 and the one error handler. What is mounted between is the composition root's.
 */
import path from 'node:path';
import compression from 'compression';
import express from 'express';
import type { Logger } from 'pino';
import { projectRoot } from '../core/paths';
import { errorHandler, notFoundHandler } from './errors';
import { opsRouter, requestLog, type Draining, type Metrics } from './ops';

export interface WebAppOptions {
  log: Logger;
  metrics: Metrics;
  /** Which proxies may name the client's address (X-Forwarded-For) for rate limits. */
  trustProxy: string;
  draining: Draining;
}

export function webApp(opts: WebAppOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // Only the local host by default: trusting a whole private network would let any client there pick its address.
  app.set('trust proxy', opts.trustProxy);
  app.use(requestLog(opts.log, opts.metrics));
  // Participants are on 3G phones: every page and asset goes compressed.
  app.use(compression());
  app.use(opsRouter(opts.metrics, opts.draining));
  return app;
}

/** Stylesheets, scripts and images under /static, cached a day. */
export function staticAssets(): express.RequestHandler {
  return express.static(path.join(projectRoot, 'views', 'static'), { maxAge: '1d', index: false });
}

/** The end of every chain: a translated 404, and the one handler for thrown errors. */
export function finishWebApp(app: express.Express, log: Logger): void {
  app.use(notFoundHandler);
  app.use(errorHandler(log));
}
