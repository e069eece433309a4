/**
 * Rate limits with express-rate-limit (API.md §7, §11), one-minute windows:
 *
 * - `preAuth`, on every path but health and metrics (unknown paths
 *   included), before authentication, keyed by client IP: the default
 *   budget (RATE_LIMIT_DEFAULT_PER_MIN) for requests that do not end up
 *   authenticated and authorized (401, 403, 404, 405, bad paths). It stops
 *   credential guessing and scanning. A request that passes the guard is
 *   handed back to this budget when it finishes: it is counted per caller.
 * - `perCaller`, run by the guard once the caller is known, keyed by the
 *   caller id (`sub:…` / `key:…`, else the IP): separate budgets for predict,
 *   batch and the rest (RATE_LIMIT_PREDICT/BATCH/DEFAULT_PER_MIN).
 *
 * The client IP is Express's req.ip, which honours `trust proxy`
 * (TRUST_PROXY): with it off, X-Forwarded-For is ignored, so a spoofed one
 * buys no new budget. IPv6 clients are grouped by /56 (ipKeyGenerator).
 * A 429 goes through the error envelope with Retry-After, the IETF draft-6
 * `RateLimit-*` headers and `X-RateLimit-Limit/-Remaining/-Reset` (epoch
 * seconds). Each limiter has its own store behind express-rate-limit's
 * Store interface: in memory by default, pluggable (e.g. Redis) for several
 * replicas.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, MemoryStore, rateLimit, type Options, type RateLimitInfo, type Store } from 'express-rate-limit';
import type { Caller } from '../../auth/caller.js';
import type { Config } from '../../config.js';
import { AppError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { context } from '../envelope.js';

export type Budget = 'predict' | 'batch' | 'default';
export type LimiterName = 'ip' | Budget;

export interface RateLimitOptions {
  limits: Config['rateLimits'];
  logger: Logger;
  /** Express `trust proxy` (TRUST_PROXY), only to warn when it trusts every hop. */
  trustProxy?: Config['trustProxy'];
  /** Makes the store of one limiter; each call must return a new store. In memory when absent. */
  store?: (name: LimiterName) => Store;
}

export interface RateLimits {
  /** App-level, before authentication: per client IP. */
  preAuth: RequestHandler;
  /** Run by the guard after authentication: per caller, by the route's budget. */
  perCaller: RequestHandler;
  /**
   * Spends one request of `caller`'s `budget` for a door without Express
   * (gRPC, API.md §13): the same counters as perCaller; a 429 AppError when spent.
   */
  spend(budget: Budget, caller: string): Promise<AppError | undefined>;
}

const WINDOW_MS = 60_000;
/** Health (load balancers) and metrics (scrapers) are never limited (API.md §2, §7). */
const UNLIMITED = /^\/(?:api\/v1\/health(?:\/live|\/ready)?|v2\/health\/(?:live|ready)|metrics)\/?$/i;

/** Which budget a route spends: its template ends in /predict/batch, /predict (or OIP's /infer), or anything else. */
export function budgetOf(route: string | undefined): Budget {
  if (route?.endsWith('/predict/batch')) return 'batch';
  if (route?.endsWith('/predict') || route?.endsWith('/infer')) return 'predict';
  return 'default';
}

const clientIp = (req: Request): string => `ip:${ipKeyGenerator(req.ip ?? 'unknown')}`;
const callerOf = (res: Response): Caller | undefined => (res.locals as { caller?: Caller }).caller;

/** Passes the 429 to the error handler, so it gets the envelope like any error. */
function exceeded(what: string) {
  return function rateLimitExceeded(req: Request, _res: Response, next: NextFunction, options: Options): void {
    const info = (req as unknown as Record<string, RateLimitInfo>)[options.requestPropertyName];
    next(limitError(what, info?.limit, info?.resetTime));
  };
}

/** The 429 of a spent budget, with Retry-After. */
function limitError(what: string, limit: number | undefined, resetTime: Date | undefined): AppError {
  const resetMs = resetTime ? resetTime.getTime() - Date.now() : WINDOW_MS;
  const retryAfter = String(Math.max(1, Math.ceil(resetMs / 1000)));
  return new AppError('RATE_LIMIT_EXCEEDED', `Rate limit exceeded: ${limit ?? ''} ${what} per minute; retry in ${retryAfter} s`, {
    headers: { 'Retry-After': retryAfter },
  });
}

const budgetWords = (budget: Budget) => (budget === 'default' ? 'requests' : `${budget} requests`);

/** Builds the limiters; call once per app (each owns its store). */
export function rateLimits({ limits, logger, trustProxy, store }: RateLimitOptions): RateLimits {
  if (trustProxy === true) {
    logger.warn('TRUST_PROXY=true believes any X-Forwarded-For, so clients can pick the IP their rate limit is counted on; set the number of proxy hops or their addresses instead');
  }
  const log = {
    error: (err: unknown, message?: string) => logger.error({ err }, message ?? 'rate limiter error'),
    warn: (err: unknown, message?: string) => logger.warn({ err }, message ?? 'rate limiter warning'),
  };
  const common = {
    windowMs: WINDOW_MS,
    standardHeaders: 'draft-6',
    legacyHeaders: true,
    logger: log,
  } as const;

  const preAuth = rateLimit({
    ...common,
    limit: limits.defaultPerMin,
    requestPropertyName: 'ipRateLimit',
    skip: (req) => UNLIMITED.test(req.path),
    keyGenerator: (req) => clientIp(req),
    // Authorized requests are counted per caller instead (see above).
    skipSuccessfulRequests: true,
    requestWasSuccessful: (_req, res) => callerOf(res) !== undefined && res.statusCode !== 403,
    handler: exceeded('requests from this address'),
    ...(store ? { store: store('ip') } : {}),
  });

  // The stores are kept, so that spend() counts on the same ones.
  const stores: Record<Budget, Store> = {
    predict: store ? store('predict') : new MemoryStore(),
    batch: store ? store('batch') : new MemoryStore(),
    default: store ? store('default') : new MemoryStore(),
  };
  const perBudget = (budget: Budget, limit: number) =>
    rateLimit({
      ...common,
      limit,
      requestPropertyName: 'rateLimit',
      keyGenerator: (req, res) => {
        const caller = callerOf(res);
        return caller && caller.id !== 'anonymous' ? caller.id : clientIp(req);
      },
      handler: exceeded(budgetWords(budget)),
      store: stores[budget],
    });
  const budgets: Record<Budget, RequestHandler> = {
    predict: perBudget('predict', limits.predictPerMin),
    batch: perBudget('batch', limits.batchPerMin),
    default: perBudget('default', limits.defaultPerMin),
  };

  const limitOf: Record<Budget, number> = { predict: limits.predictPerMin, batch: limits.batchPerMin, default: limits.defaultPerMin };
  return {
    preAuth,
    perCaller: function perCallerRateLimit(req: Request, res: Response, next: NextFunction) {
      return budgets[budgetOf(context(res).route)](req, res, next);
    },
    async spend(budget, caller) {
      const { totalHits, resetTime } = await stores[budget].increment(caller);
      return totalHits > limitOf[budget] ? limitError(budgetWords(budget), limitOf[budget], resetTime) : undefined;
    },
  };
}
