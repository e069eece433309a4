/**
 * GET /metrics: the Prometheus exposition (API.md §8). Outside /api/v1,
 * public and never rate limited, like health; keep it on a private network.
 */
import { Router, type Request, type Response } from 'express';
import type { ServiceMetrics } from '../../metrics/service-metrics.js';
import { route } from '../route.js';

export function metricsRouter(metrics: ServiceMetrics): Router {
  const router = Router();
  route(router, '/metrics', {
    GET: [async function scrape(_req: Request, res: Response) {
      const { contentType, text } = await metrics.exposition();
      res.setHeader('Content-Type', contentType);
      res.setHeader('Cache-Control', 'no-store');
      res.status(200).send(text);
    }],
  });
  return router;
}
