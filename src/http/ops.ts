/** Operations: liveness, readiness (pings the database), Prometheus metrics, request logs. */
import express from 'express';
import mongoose from 'mongoose';
import type { Logger } from 'pino';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  launches: Counter<'outcome'>;
  gradeDeliveries: Counter<'outcome'>;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'cermin_' });
  return {
    registry,
    launches: new Counter({
      name: 'cermin_lti_events_total',
      help: 'LTI logins, launches, refusals and registrations by outcome',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    gradeDeliveries: new Counter({
      name: 'cermin_grade_delivery_attempts_total',
      help: 'Grade delivery attempts by outcome (sent, retry, failed)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'cermin_http_request_duration_seconds',
      help: 'HTTP request duration',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
  };
}

/** Route label without ids, so metrics stay low-cardinality. */
export function routeLabel(path: string): string {
  // Ids in a path (course, activity, participant, entry, item) become placeholders: metrics are
  // readable by anyone who can reach /metrics, and must neither name people nor grow per id.
  return (
    path
      .replace(/\/courses\/[^/]+/, '/courses/:courseKey')
      .replace(/\/activities\/[^/]+/, '/activities/:activityId')
      .replace(/\/(submissions|entries|items|recommend)\/[^/]+/g, '/$1/:id')
      // Any other generated id (long, with digits or capitals): a Deep Linking selection, a delivery, …
      .replace(/\/(?=[A-Za-z0-9_-]*[0-9A-Z])[A-Za-z0-9_-]{12,}(?=\/|$)/g, '/:id')
      .replace(/^\/demo\/.*/, '/demo/*')
      .replace(/^\/static\/.*/, '/static/*')
  );
}

/** The label of every request that matched no route: one series, whatever path was asked for. */
export const UNMATCHED_ROUTE = '(unmatched)';

/**
 * A request's route label: a handler may name it (`res.locals.routeLabel`); a request that reached a
 * route (or a static file) is labelled by its path without ids; anything else, whatever its path, is
 * one label, so that probing unknown paths cannot grow /metrics without bound.
 */
function routeOfRequest(req: express.Request, res: express.Response): string {
  const named = res.locals.routeLabel as unknown;
  if (typeof named === 'string') return named;
  const path = req.baseUrl + req.path;
  return req.route || (path.startsWith('/static/') && res.statusCode < 400) ? routeLabel(path) : UNMATCHED_ROUTE;
}

export function requestLog(log: Logger, metrics: Metrics): express.RequestHandler {
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const route = routeOfRequest(req, res);
      metrics.httpDuration.observe({ method: req.method, route, status: String(res.statusCode) }, seconds);
      // Path only: the query carries the ltik, and bodies carry reflections.
      log.info({ method: req.method, path: route, status: res.statusCode, ms: Math.round(seconds * 1000) }, 'request');
    });
    next();
  };
}

/** Set when the process begins to stop: /readyz answers 503 and every response asks to close its connection. */
export interface Draining {
  stopping: boolean;
}

export function opsRouter(metrics: Metrics, draining: Draining): express.Router {
  const router = express.Router();
  router.use((_req, res, next) => {
    // While draining, ask every client to close its keep-alive connection after this response.
    if (draining.stopping) res.set('Connection', 'close');
    next();
  });
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', (_req, res) => {
    const db = mongoose.connection.db;
    if (draining.stopping || !db || mongoose.connection.readyState !== 1) {
      res.status(503).json({ status: 'unavailable', database: draining.stopping ? 'shutting down' : 'disconnected' });
      return;
    }
    const started = Date.now();
    db.admin()
      .ping()
      .then(() => res.json({ status: 'ready', database: 'ok', pingMs: Date.now() - started }))
      // Not the driver's message: it can name hosts and users, and anyone may ask.
      .catch(() => res.status(503).json({ status: 'unavailable', database: 'unreachable' }));
  });
  router.get('/metrics', (_req, res, next) => {
    metrics.registry
      .metrics()
      .then((text) => res.type(metrics.registry.contentType).send(text))
      .catch(next);
  });
  return router;
}
