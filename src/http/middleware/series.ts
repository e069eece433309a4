/**
 * Several middlewares as one layer of the app's router. Express walks its
 * stack layer by layer, matching the path, filling params and trimming the
 * mount prefix for each; the app-wide middlewares match every path, so that
 * walk is pure cost, paid by every request (issue 12: the router's own
 * functions were a tenth of the CPU time of POST /predict,
 * docs/performance.md). Here they run in order with the semantics Express
 * gives them: `next(err)` or a throw skips the rest and goes to the error
 * handlers, and a returned promise that rejects counts as `next(err)`.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';

export function series(handlers: readonly RequestHandler[]): RequestHandler {
  if (handlers.length === 1) return handlers[0]!;
  return function series(req: Request, res: Response, next: NextFunction): void {
    let i = 0;
    const step = (err?: unknown): void => {
      if (err !== undefined && err !== null) return next(err);
      if (i === handlers.length) return next();
      const handler = handlers[i++]!;
      try {
        const result: unknown = handler(req, res, step);
        if (result instanceof Promise) result.catch((reason: unknown) => step(reason ?? new Error('Rejected promise')));
      } catch (thrown) {
        step(thrown ?? new Error('Middleware threw a nullish value'));
      }
    };
    step();
  };
}
