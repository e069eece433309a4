/**
 * The place authentication plugs in: each protected route asks `guard(scope)`
 * for a middleware. Until an authenticator is configured (the security
 * layer), the guard lets every request through.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';

export type Scope = 'predict' | 'models:read' | 'models:write' | 'admin';
export type Guard = (scope: Scope) => RequestHandler;

export const openGuard: Guard = () =>
  function open(_req: Request, _res: Response, next: NextFunction) {
    next();
  };
