import type express from 'express';

/** Express 4 does not catch rejected promises: pass them to the error handler. */
export function handle(
  fn: (req: express.Request, res: express.Response, next: express.NextFunction) => Promise<unknown>,
): express.RequestHandler {
  return (req, res, next) => {
    fn(req, res, next).catch(next);
  };
}
