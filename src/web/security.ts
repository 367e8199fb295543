/**
 * Cermin's own security headers (ltijs turns off helmet's frameguard and CSP): Moodle frames
 * Cermin, so `frame-ancestors` lists exactly the registered platforms' origins.
 */
import type express from 'express';
import helmet from 'helmet';

export function securityHeaders(frameAncestors: () => Promise<string[]>): express.RequestHandler[] {
  const base = helmet({
    contentSecurityPolicy: false, // set per request below: it depends on the registered platforms
    frameguard: false, // X-Frame-Options cannot list several origins; CSP frame-ancestors does
    crossOriginEmbedderPolicy: false,
    crossOriginResourcePolicy: { policy: 'same-origin' },
    referrerPolicy: { policy: 'same-origin' },
  });
  const csp: express.RequestHandler = (_req, res, next) => {
    frameAncestors()
      .then((origins) => {
        const platforms = origins.join(' ');
        res.setHeader('Content-Security-Policy', [
          "default-src 'self'",
          "script-src 'self'",
          "style-src 'self'",
          "img-src 'self' data:",
          "object-src 'none'",
          "base-uri 'none'",
          `form-action 'self' ${platforms}`.trim(),
          `frame-ancestors 'self' ${platforms}`.trim(),
        ].join('; '));
        next();
      })
      .catch(next);
  };
  return [base, csp];
}
