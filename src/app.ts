/**
 * createApp(deps): the middleware order, the routers, the 404 and the error
 * handler last. No environment, no port: main.ts listens, tests build the
 * same app with their own deps.
 */
import express, { Router, type Express, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Config } from './config.js';
import type { Dependency } from './dependencies.js';
import { AppError, notFound } from './errors.js';
import type { ProviderSelector } from './inference/runtime/execution-providers.js';
import type { DataPlane } from './inference/prediction/dataplane.js';
import type { PredictService } from './inference/prediction/predict-service.js';
import type { ModelManager } from './inference/serving/model-manager.js';
import type { ModelRegistry } from './inference/serving/registry.js';
import type { Lifecycle } from './lifecycle.js';
import type { Logger } from './logger.js';
import type { ServiceMetrics } from './metrics/service-metrics.js';
import { errorHandler } from './http/error-handler.js';
import { openGuard, type Guard } from './http/guard.js';
import { httpMetrics } from './http/middleware/http-metrics.js';
import { requestId } from './http/middleware/request-id.js';
import { requestLog } from './http/middleware/request-log.js';
import { series } from './http/middleware/series.js';
import { corsPolicy, securityHeaders } from './http/middleware/security.js';
import { docsRouter } from './http/routes/docs.js';
import { healthRouter } from './http/routes/health.js';
import { jobsRouter } from './http/routes/jobs.js';
import { metricsRouter } from './http/routes/metrics.js';
import { modelAdminRoutes } from './http/routes/model-admin.js';
import type { JobService } from './jobs/job-service.js';
import { modelsRouter } from './http/routes/models.js';
import { predictRoutes } from './http/routes/predict.js';
import { recordsRouter } from './http/routes/records.js';
import { oipRouter } from './http/v2/oip-router.js';
import { oipErrorHandler } from './http/v2/oip-response.js';
import type { Store } from './store/store.js';

export interface AppDeps {
  config: Config;
  logger: Logger;
  registry: ModelRegistry;
  providers: ProviderSelector;
  predictService: PredictService;
  lifecycle: Lifecycle;
  metrics: ServiceMetrics;
  models: ModelManager;
  /** The package version, reported by health. */
  version: string;
  /** Prediction records and jobs. */
  store: Store;
  /** Async batch jobs. */
  jobs: JobService;
  /** Authentication and scopes; every route is open without one. */
  guard?: Guard;
  /** Shared systems reported by health (API.md §12); none for one embedded process. */
  dependencies?: readonly Dependency[];
  /** The rate limit that runs before routing: per caller with valid credentials, else per IP (http/middleware/rate-limit.ts). */
  rateLimit?: RequestHandler;
  /** The Open Inference Protocol's data plane: /v2 is served when given (API.md §13). */
  dataPlane?: DataPlane;
}

/** A path that is not valid percent-encoding is a 400 (API.md §11). */
function checkPathEncoding(req: Request, _res: Response, next: NextFunction): void {
  if (req.path.includes('%')) {
    try {
      decodeURIComponent(req.path);
    } catch {
      throw new AppError('BAD_REQUEST', 'The request path is not valid percent-encoding');
    }
  }
  next();
}

/** Where the REST API lives (API.md §2). */
const API_BASE = '/api/v1';

export function createApp(deps: AppDeps): Express {
  const { config, logger } = deps;
  const guard = deps.guard ?? openGuard;
  const app = express();
  app.disable('x-powered-by');
  // No ETag hashing of API responses: they are computed per request.
  app.set('etag', false);
  app.set('trust proxy', config.trustProxy);

  // The app-wide middlewares run as one router layer (http/middleware/series.ts).
  // Security before anything can answer, so that every response (400 for a
  // bad path, 404, preflights) carries helmet's headers and CORS's.
  app.use(series([
    requestId(),
    httpMetrics(deps.metrics),
    requestLog(logger),
    securityHeaders(),
    corsPolicy(config.corsOrigins),
    ...(deps.rateLimit ? [deps.rateLimit] : []),
    checkPathEncoding,
  ]));
  // A 429 or a bad path under /v2 answers in the protocol's shape, {"error": "..."} (API.md §13).
  if (deps.dataPlane) app.use('/v2', oipErrorHandler(logger));

  // The predict routes first, on the app's own router with their full paths
  // (no prefix to trim, no nested router to enter), and /metrics after
  // /api/v1: every layer a prediction walks past costs it a few microseconds
  // (docs/performance.md). Their paths are disjoint, so the order changes
  // nothing else.
  predictRoutes(app, API_BASE, deps.predictService, guard, { bodyLimitBytes: config.bodyLimitBytes, jobs: deps.jobs });
  const api = Router();
  // After the predict routes: /predict/batch must match before /predict/{id}.
  api.use(recordsRouter(deps.store, guard));
  api.use(jobsRouter(deps.jobs, guard));
  api.use(healthRouter(deps));
  const admin = modelAdminRoutes(deps.models, deps.registry, guard, {
    uploadLimitBytes: config.modelUploadLimitBytes,
    bodyLimitBytes: config.bodyLimitBytes,
  });
  api.use(modelsRouter(deps.registry, guard, admin));
  app.use(API_BASE, api);
  if (deps.dataPlane) {
    // The batch body limit, JSON or binary (API.md §13).
    app.use('/v2', oipRouter(deps.dataPlane, guard, { bodyLimitBytes: config.bodyLimitBytes * 32, logger }));
  }
  app.use(docsRouter({ registry: deps.registry, version: deps.version }));

  // Public like health: the rate limiters must skip /metrics (API.md §7).
  app.use(metricsRouter(deps.metrics));

  app.use(function noRoute(req: Request) {
    throw notFound(req.method, req.path);
  });
  app.use(errorHandler(logger));
  return app;
}
