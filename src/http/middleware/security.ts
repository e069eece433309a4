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

type HeaderOp = [name: string, value: string | undefined];

/**
 * What helmet's middleware does to a response, recorded once: with its
 * defaults every header is a constant (no nonces, nothing read from the
 * request). Undefined when helmet does anything else, or not synchronously.
 */
function recordHelmet(middleware: RequestHandler): HeaderOp[] | undefined {
  const ops: HeaderOp[] = [];
  let done = false;
  let unexpected = false;
  const res = new Proxy({}, {
    get(_target, prop) {
      if (prop === 'setHeader') return (name: string, value: unknown) => void ops.push([name, String(value)]);
      if (prop === 'removeHeader') return (name: string) => void ops.push([name, undefined]);
      unexpected = true;
      return undefined;
    },
  });
  const req = new Proxy({}, { get: () => void (unexpected = true) });
  middleware(req as Request, res as Response, (err?: unknown) => {
    done = err === undefined;
  });
  return done && !unexpected ? ops : undefined;
}

/**
 * helmet v8 defaults: CSP, HSTS, nosniff, frame and referrer policies…;
 * X-Powered-By removed. helmet is run once at start against a recording
 * response and the same headers are then set directly on every response:
 * the same bytes as helmet's own middleware chain, without walking its
 * dozen sub-middleware per request (docs/performance.md). Should a helmet
 * version ever read the request, helmet itself runs per request.
 */
export function securityHeaders(): RequestHandler {
  const middleware = helmet();
  const ops = recordHelmet(middleware);
  if (!ops) return middleware;
  return function securityHeaders(_req: Request, res: Response, next: NextFunction): void {
    for (const [name, value] of ops) {
      if (value === undefined) res.removeHeader(name);
      else res.setHeader(name, value);
    }
    next();
  };
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
