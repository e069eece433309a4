/**
 * Rate limits with express-rate-limit (API.md §7, §11, §12), one-minute
 * windows. One middleware, before routing and authentication, runs exactly
 * one limiter per request (health and metrics: none):
 *
 * - a request with valid credentials spends its caller's budget, keyed by
 *   the caller id (`sub:…` / `key:…`): separate budgets for predict, batch
 *   and the rest (RATE_LIMIT_PREDICT/BATCH/DEFAULT_PER_MIN), chosen by the
 *   path. It is never refused for its address's budget: many real callers
 *   share one NAT or proxy address.
 * - any other request (no credentials, refused ones, and every request when
 *   the caller cannot be known before routing) spends the default budget of
 *   its client IP (RATE_LIMIT_DEFAULT_PER_MIN), unknown paths included; once
 *   it is spent it gets 429 instead of 401. It stops credential guessing and
 *   scanning.
 *
 * The client IP is Express's req.ip, which honours `trust proxy`
 * (TRUST_PROXY): with it off, X-Forwarded-For is ignored, so a spoofed one
 * buys no new budget. IPv6 clients are grouped by /56 (ipKeyGenerator).
 * A 429 goes through the error envelope with Retry-After, the IETF draft-6
 * `RateLimit-*` headers and `X-RateLimit-Limit/-Remaining/-Reset` (epoch
 * seconds). Each limiter has its own store behind express-rate-limit's
 * Store interface: in memory by default, Redis when REDIS_URL is set
 * (src/rate-limit/), so that several replicas share one budget.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, MemoryStore, rateLimit, type Options, type RateLimitInfo, type Store } from 'express-rate-limit';
import type { Caller } from '../../auth/caller.js';
import type { Config } from '../../config.js';
import { AppError } from '../../errors.js';
import type { Logger } from '../../logger.js';

export type Budget = 'predict' | 'batch' | 'default';
export type LimiterName = 'ip' | Budget;

export interface RateLimitOptions {
  limits: Config['rateLimits'];
  logger: Logger;
  /** Express `trust proxy` (TRUST_PROXY), only to warn when it trusts every hop. */
  trustProxy?: Config['trustProxy'];
  /** Makes the store of one limiter; each call must return a new store. In memory when absent. */
  store?: (name: LimiterName) => Store;
  /** The caller when the request's credentials are valid (verified once per request); absent: every request counts per IP. */
  identify?: (req: Request, res: Response) => Caller | undefined;
}

const WINDOW_MS = 60_000;
/** Health (load balancers) and metrics (scrapers) are never limited (API.md §2, §7). */
const UNLIMITED = /^\/(?:api\/v1\/health(?:\/live|\/ready)?|v2\/health\/(?:live|ready)|metrics)\/?$/i;

/**
 * Which budget a path spends: it ends in /predict/batch, /predict (the
 * global and the per-model route) or the Open Inference Protocol's /infer
 * (the same budget, API.md §13), or anything else. Decided from the path
 * because the limit runs before routing; Express matches routes
 * case-insensitively and with a trailing slash, so this does too.
 */
export function budgetOf(path: string): Budget {
  if (/\/predict\/batch\/?$/i.test(path)) return 'batch';
  if (/\/(?:predict|infer)\/?$/i.test(path)) return 'predict';
  return 'default';
}

/** The address budget's key of a client IP (IPv6 grouped by /56). */
export const addressKey = (ip: string): string => `ip:${ipKeyGenerator(ip)}`;
const clientIp = (req: Request): string => addressKey(req.ip ?? 'unknown');
const CALLER = Symbol('rate-limited caller');
type WithCaller = { [CALLER]?: Caller };

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

/** The app-level limiter, and the same per-caller budgets for doors without Express. */
export type RateLimiter = RequestHandler & {
  /**
   * Spends one request of a budget (gRPC, API.md §13): a caller's (keyed by
   * its id), or the address budget ('ip', keyed by addressKey) for calls
   * without valid credentials; the same counters as HTTP requests; a 429
   * AppError when the budget is spent.
   */
  spend(budget: LimiterName, key: string): Promise<AppError | undefined>;
};

/** Builds the limiters, as one app-level middleware; call once per app (each limiter owns its store). */
export function rateLimits({ limits, logger, trustProxy, store, identify }: RateLimitOptions): RateLimiter {
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

  const addressStore = store ? store('ip') : new MemoryStore();
  const perAddress = rateLimit({
    ...common,
    limit: limits.defaultPerMin,
    requestPropertyName: 'rateLimit',
    keyGenerator: (req) => clientIp(req),
    handler: exceeded('requests from this address'),
    store: addressStore,
  });

  // The stores are kept, so that spend() counts on the same ones.
  const stores: Record<LimiterName, Store> = {
    ip: addressStore,
    predict: store ? store('predict') : new MemoryStore(),
    batch: store ? store('batch') : new MemoryStore(),
    default: store ? store('default') : new MemoryStore(),
  };
  const perBudget = (budget: Budget, limit: number) =>
    rateLimit({
      ...common,
      limit,
      requestPropertyName: 'rateLimit',
      keyGenerator: (_req, res) => (res.locals as WithCaller)[CALLER]!.id,
      handler: exceeded(budgetWords(budget)),
      store: stores[budget],
    });
  const perCaller: Record<Budget, RequestHandler> = {
    predict: perBudget('predict', limits.predictPerMin),
    batch: perBudget('batch', limits.batchPerMin),
    default: perBudget('default', limits.defaultPerMin),
  };

  const limitOf: Record<LimiterName, number> = {
    ip: limits.defaultPerMin, predict: limits.predictPerMin, batch: limits.batchPerMin, default: limits.defaultPerMin,
  };
  return Object.assign(function rateLimitByCaller(req: Request, res: Response, next: NextFunction) {
    if (UNLIMITED.test(req.path)) return next();
    const caller = identify?.(req, res);
    if (!caller) return perAddress(req, res, next);
    (res.locals as WithCaller)[CALLER] = caller;
    return perCaller[budgetOf(req.path)](req, res, next);
  }, {
    async spend(budget: LimiterName, key: string) {
      const { totalHits, resetTime } = await stores[budget].increment(key);
      const words = budget === 'ip' ? 'requests from this address' : budgetWords(budget);
      return totalHits > limitOf[budget] ? limitError(words, limitOf[budget], resetTime) : undefined;
    },
  });
}
