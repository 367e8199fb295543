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
        res.setHeader('Content-Security-Policy', contentSecurityPolicy(["'self'", ...origins]));
        next();
      })
      .catch(next);
  };
  return [base, csp];
}

/**
 * Cermin's policy with the given framers (origins, or "'self'"): they may also receive its forms
 * (a Deep Linking response posts to the platform).
 */
export function contentSecurityPolicy(framers: string[]): string {
  const others = framers.filter((f) => f !== "'self'").join(' ');
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    `form-action 'self' ${others}`.trim(),
    `frame-ancestors ${framers.length ? framers.join(' ') : "'none'"}`,
  ].join('; ');
}
