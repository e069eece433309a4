/**
 * The authenticator behind `guard(scope)` (src/http/guard.ts): finds the
 * caller's credential, verifies it, sets `res.locals.caller`, and refuses a
 * caller without the route's scope. It runs after routing (so an unknown path
 * is a 404 and a wrong method a 405 whatever the credentials) and before the
 * body is read (so 401/403 come before 413/415/422): API.md §11.
 *
 * Credentials: `Authorization: Bearer <jwt>` (scheme case-insensitive), else
 * `X-API-Key: <key>`. Tokens are read from the Authorization header only: a
 * token in the query string or body is ignored.
 *
 * The rate limiter asks first (`validCaller`), before routing, whether the
 * credentials are valid (API.md §11: only unauthenticated requests spend the
 * per-address budget); the outcome is kept on the response, so a credential
 * is verified once per request.
 */
import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../errors.js';
import type { Guard, Scope } from '../http/guard.js';
import { hasScope, type Caller } from './caller.js';
import { insufficientScope, invalidCredentials, missingCredentials } from './challenges.js';
import type { JwtVerifier } from './jwt-verifier.js';

export interface Credentials {
  jwt?: JwtVerifier;
  apiKeys?: { verify(key: string): Caller };
}

/** The token of an `Authorization: Bearer …` header; undefined for no header or another scheme. */
function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^\s*bearer(?:\s+(.*))?$/i.exec(header);
  if (!match) return undefined;
  return (match[1] ?? '').trim();
}

/** Identifies the caller of a request; throws a 401 AppError. */
export function identify(req: Pick<Request, 'headers'>, credentials: Credentials): Caller {
  const token = bearerToken(req.headers.authorization);
  if (token !== undefined) {
    if (token === '' || !credentials.jwt) throw invalidCredentials('The bearer token is not valid');
    return credentials.jwt.verify(token);
  }
  const key = req.headers['x-api-key'];
  if (typeof key === 'string' && key !== '') {
    if (!credentials.apiKeys) throw invalidCredentials('The API key is not valid');
    return credentials.apiKeys.verify(key);
  }
  throw missingCredentials();
}

type Outcome = { caller: Caller } | { refused: unknown };
const OUTCOME = Symbol('credential outcome');
type WithOutcome = { [OUTCOME]?: Outcome };

/** identify(), once per request: the outcome (caller or refusal) is kept on the response. */
export function identifyOnce(req: Request, res: Response, credentials: Credentials): Caller {
  const locals = res.locals as WithOutcome;
  let outcome = locals[OUTCOME];
  if (!outcome) {
    try {
      outcome = { caller: identify(req, credentials) };
    } catch (err) {
      outcome = { refused: err };
    }
    locals[OUTCOME] = outcome;
  }
  if ('refused' in outcome) throw outcome.refused;
  return outcome.caller;
}

/** The caller when the request's credentials are valid; undefined for none or refused ones. */
export function validCaller(req: Request, res: Response, credentials: Credentials): Caller | undefined {
  try {
    return identifyOnce(req, res, credentials);
  } catch (err) {
    if (err instanceof AppError) return undefined;
    throw err;
  }
}

/** A Guard that authenticates and authorizes (rate limits ran before it, in the app). */
export function authGuard(credentials: Credentials): Guard {
  return (scope: Scope) =>
    function authenticate(req: Request, res: Response, next: NextFunction): void {
      const caller = identifyOnce(req, res, credentials);
      (res.locals as { caller?: Caller }).caller = caller;
      if (!hasScope(caller, scope)) throw insufficientScope(scope);
      next();
    };
}
