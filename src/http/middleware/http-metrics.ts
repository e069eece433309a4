/**
 * Counts and times every response (http_requests_total,
 * http_request_duration_seconds). The route label is the matched route
 * template, never the raw URL, so that the number of series stays bounded.
 */
import type { NextFunction, Request, Response } from 'express';
import type { ServiceMetrics } from '../../metrics/service-metrics.js';
import { context } from '../envelope.js';

/** The route label of a request that matched no route (404s, requests refused before routing). */
export const UNMATCHED_ROUTE = 'unmatched';

export function httpMetrics(metrics: ServiceMetrics) {
  return function httpMetrics(req: Request, res: Response, next: NextFunction): void {
    res.once('finish', () => {
      const ctx = context(res);
      const labels = { method: req.method, route: ctx.route ?? UNMATCHED_ROUTE, status_code: String(res.statusCode) };
      metrics.httpRequests.inc(labels);
      metrics.httpDuration.observe(labels, Number(process.hrtime.bigint() - ctx.startedAt) / 1e9);
    });
    next();
  };
}
