/**
 * A stand-in for authentication in tests of per-caller data: the caller is
 * read from the `X-Test-Caller` header (`<owner id> <scope> <scope>…`, e.g.
 * `sub:alice predict`), so ownership can be tested whatever authenticator the
 * service has. A request without the header is `sub:test-user` with admin.
 */
import type { NextFunction, Request, Response } from 'express';
import type { Caller } from '../../src/auth/caller.js';
import type { Guard, Scope } from '../../src/http/guard.js';
import { AppError } from '../../src/errors.js';

export const TEST_CALLER_HEADER = 'x-test-caller';

export const headerGuard: Guard = (scope: Scope) =>
  function testGuard(req: Request, res: Response, next: NextFunction) {
    const header = req.headers[TEST_CALLER_HEADER];
    const [id, ...scopes] = typeof header === 'string' ? header.trim().split(/\s+/) : ['sub:test-user', 'admin'];
    const caller: Caller = { id: id!, scopes: new Set(scopes as Scope[]) };
    if (!caller.scopes.has('admin') && !caller.scopes.has(scope)) {
      throw new AppError('FORBIDDEN', `This needs the scope ${scope}`);
    }
    res.locals.caller = caller;
    next();
  };

/** Headers that make a request come from `id` with `scopes`. */
export const as = (id: string, ...scopes: string[]) => ({ [TEST_CALLER_HEADER]: [id, ...scopes].join(' ') });

