/**
 * Registers one path's methods and answers every other method with 405 and an
 * `Allow` header (routing comes before authentication: API.md §11).
 */
import type { NextFunction, Request, RequestHandler, Response, Router } from 'express';
import { methodNotAllowed } from '../errors.js';
import type { RequestContext } from './envelope.js';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type Handlers = Partial<Record<Method, RequestHandler[]>>;

/** An app or a Router: anything routes can be registered on. */
export type RouteTarget = Pick<Router, 'route'>;

export function route(router: RouteTarget, path: string, handlers: Handlers): void {
  const r = router.route(path);
  // The route template, for the request log and metrics labels.
  r.all(function routeName(req: Request, res: Response, next: NextFunction) {
    (res.locals as RequestContext).route = req.baseUrl + path;
    next();
  });
  const allow: string[] = [];
  for (const [method, chain] of Object.entries(handlers) as Array<[Method, RequestHandler[]]>) {
    r[method.toLowerCase() as Lowercase<Method>](...chain);
    allow.push(method);
    if (method === 'GET') allow.push('HEAD');
  }
  allow.push('OPTIONS');
  r.all(function notAllowed(req: Request, res: Response, _next: NextFunction) {
    if (req.method === 'OPTIONS') {
      res.setHeader('Allow', allow.join(', '));
      res.status(204).end();
      return;
    }
    throw methodNotAllowed(req.method, allow);
  });
}
