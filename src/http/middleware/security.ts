/**
 * Response headers for a JSON API reached from browsers (API.md §7, §11):
 * helmet's v8 defaults on every response, and CORS for an allowlist of exact
 * origins with the cors package. An allowed origin gets
 * `Access-Control-Allow-Origin: <origin>`; preflights answer 204 with the
 * allowed methods and exactly the allowed request headers; the request id,
 * Retry-After and rate-limit headers are exposed to scripts. Any other
 * origin, and `null` (sandboxed frames, file: pages), gets no
 * `Access-Control-*` header at all; every response says `Vary: Origin` so
 * that caches never hand one origin's answer to another.
 */
import cors from 'cors';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';

export const CORS_ALLOWED_HEADERS = 'Authorization, Content-Type, X-Request-ID, X-API-Key, Prefer';
export const CORS_ALLOWED_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE';
export const CORS_EXPOSED_HEADERS = [
  'X-Request-ID', 'Retry-After', 'Location', 'WWW-Authenticate',
  'RateLimit-Policy', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset',
  'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset',
].join(', ');
/** Browsers cache a preflight this long (Chromium caps it at 2 h). */
const PREFLIGHT_MAX_AGE_S = 600;

/** helmet v8 defaults: CSP, HSTS, nosniff, frame and referrer policies…; X-Powered-By removed. */
export function securityHeaders(): RequestHandler {
  return helmet();
}

/**
 * CORS for `origins` (exact `scheme://host[:port]` strings, checked by
 * loadConfig). `*` (refused in production) allows every origin except `null`.
 */
export function corsPolicy(origins: readonly string[]): RequestHandler {
  const allowAny = origins.includes('*');
  const allowed = new Set(origins);
  const handle = cors({
    // cors calls next() without setting any header when this answers false.
    origin: (origin, callback) => callback(null, origin !== undefined && origin !== 'null' && (allowAny || allowed.has(origin))),
    methods: CORS_ALLOWED_METHODS,
    allowedHeaders: CORS_ALLOWED_HEADERS,
    exposedHeaders: CORS_EXPOSED_HEADERS,
    credentials: false,
    maxAge: PREFLIGHT_MAX_AGE_S,
    preflightContinue: false,
    optionsSuccessStatus: 204,
  });
  return function corsPolicy(req: Request, res: Response, next: NextFunction): void {
    res.vary('Origin');
    handle(req, res, next);
  };
}
