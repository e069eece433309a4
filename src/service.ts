/**
 * Wires the service together from a config: registry, predict service, app.
 * main.ts and the tests build the service the same way; only main.ts listens
 * on the configured port and handles signals.
 */
import './ort-env.js';
import { readFileSync } from 'node:fs';
import type { Express } from 'express';
import type { Store } from 'express-rate-limit';
import { createApp } from './app.js';
import { authGuard, validCaller, type Credentials } from './auth/authenticator.js';
import { createAuth } from './auth/setup.js';
import { rateLimits, type LimiterName, type RateLimiter } from './http/middleware/rate-limit.js';
import type { Config } from './config.js';
import type { Dependency } from './dependencies.js';
import type { Guard } from './http/guard.js';
import { ProviderSelector } from './inference/runtime/execution-providers.js';
import { DataPlane } from './inference/prediction/dataplane.js';
import { PredictionCache } from './inference/prediction/prediction-cache.js';
import { PredictService, type RowResult } from './inference/prediction/predict-service.js';
import { RepositoryWatcher } from './inference/serving/hot-reload.js';
import { ModelManager } from './inference/serving/model-manager.js';
import { ModelRegistry } from './inference/serving/registry.js';
import { JobService, type JobTuning } from './jobs/job-service.js';
import { Lifecycle } from './lifecycle.js';
import type { Logger } from './logger.js';
import { ServiceMetrics } from './metrics/service-metrics.js';
import { redisStores } from './rate-limit/fail-open-store.js';
import { RedisLink } from './rate-limit/redis-link.js';
import { servingChain } from './inference/runtime/runner-chain.js';
import { startRetention } from './store/retention.js';
import { openStore } from './store/open-store.js';
import type { Store as DataStore } from './store/store.js';

/** The package version, reported by health. */
export const PACKAGE_VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export interface Service {
  config: Config;
  logger: Logger;
  app: Express;
  registry: ModelRegistry;
  lifecycle: Lifecycle;
  providers: ProviderSelector;
  predictService: PredictService;
  metrics: ServiceMetrics;
  models: ModelManager;
  /** Hot reload of the model repository (polls every MODEL_POLL_INTERVAL_MS once started). */
  watcher: RepositoryWatcher;
  /** Prediction records and jobs (SQLite under DATA_DIR, or PostgreSQL on DATABASE_URL). */
  store: DataStore;
  /** The prediction cache (its hits and misses are counted in the metrics). */
  cache: PredictionCache<RowResult>;
  /** Async batch jobs; close() stops them (a running job goes back to the queue). */
  jobs: JobService;
  /** The Open Inference Protocol's data plane, shared by /v2 and gRPC (API.md §13). */
  dataPlane: DataPlane;
  /** The configured credentials and per-caller budgets, for doors without Express (gRPC). */
  credentials: Credentials;
  spendBudget: RateLimiter['spend'];
  /** The development token to print once at start; set only when no auth is configured outside production. */
  devToken?: string;
  /** Loads and warms every model, then marks the service started. Throws a StartupError when it must stop. */
  start(): Promise<void>;
  /** Stops hot reload and the job worker, releases every model session and closes the store. */
  close(): Promise<void>;
}

export interface ServiceOptions {
  /** A rate-limit store per limiter (e.g. Redis, shared by replicas); in memory when absent. */
  rateLimitStore?: (name: LimiterName) => Store;
  /** Authentication in place of the configured one (tests of per-caller data). */
  guard?: Guard;
  /** Job chunk size and webhook timings (tests shorten the backoff). */
  jobs?: Partial<JobTuning>;
}

/** Builds the service; reads the model repository's layout and opens the store (synchronously) but loads nothing yet. */
export function createService(config: Config, logger: Logger, options: ServiceOptions = {}): Service {
  const lifecycle = new Lifecycle();
  const providers = new ProviderSelector(config.executionProviders, logger);
  const metrics = new ServiceMetrics();
  // REDIS_URL: one rate budget across replicas (API.md §12); a store given by the embedder wins.
  // First, so that a URL node-redis refuses stops the start before anything is opened.
  const redis = config.redisUrl !== undefined && !options.rateLimitStore
    ? new RedisLink(config.redisUrl, logger, { onFailOpen: () => metrics.rateLimitStoreErrors.inc() })
    : undefined;
  const registry = new ModelRegistry(config.modelRepository, {
    providers,
    intraOpThreads: config.intraOpThreads,
    logger,
    wrapRunner: servingChain(metrics, { maxQueue: config.inferenceQueueSize, timeoutMs: config.inferenceTimeoutMs }),
    warmUpTimeoutMs: config.modelWarmUpTimeoutMs,
    inferenceTimeoutMs: config.inferenceTimeoutMs,
  });
  metrics.watchModels(registry);
  registry.onChange(({ model, kind, versions }) => {
    if (kind === 'removed') for (const v of versions) metrics.forgetVersion(model, v);
  });
  const models = new ModelManager(registry, logger);
  const watcher = new RepositoryWatcher(registry, logger, config.modelPollIntervalMs);
  registry.discover();
  const store = openStore(config, logger);
  const cache = new PredictionCache<RowResult>(
    { size: config.cacheSize, ttlS: config.cacheTtlS },
    { hit: () => metrics.cacheHits.inc(), miss: () => metrics.cacheMisses.inc() },
  );
  // Any change to a model (upload, replacement, PATCH, delete, hot reload) empties its entries (API.md §11).
  registry.onChange(({ model }) => cache.clearModel(model));
  const predictService = new PredictService(registry, {
    defaultModel: config.defaultModel,
    maxBatchSize: config.maxBatchSize,
    records: store,
    cache,
  });
  const jobs = new JobService({
    store, registry, predictService, logger, tuning: options.jobs, leaseMs: config.jobLeaseMs,
    quota: { perOwner: config.jobsMaxPerCaller, queued: config.jobsMaxQueued },
    accepting: () => !lifecycle.draining,
    webhookSecret: config.webhookSecret, callbackAllowedHosts: config.callbackAllowedHosts,
  });
  const auth = createAuth(config, logger);
  const dependencies: Dependency[] = [...(store.dependency ? [store.dependency] : []), ...(redis ? [redis] : [])];
  const guard = options.guard ?? authGuard(auth.credentials);
  const rateLimit = rateLimits({
    limits: config.rateLimits, logger, trustProxy: config.trustProxy, store: options.rateLimitStore ?? (redis ? redisStores(redis) : undefined),
    // A guard put in by a test knows callers the credentials do not: every request then counts per address.
    identify: options.guard ? undefined : (req, res) => validCaller(req, res, auth.credentials),
  });
  const dataPlane = new DataPlane({
    registry, lifecycle, version: PACKAGE_VERSION, maxBatchSize: config.maxBatchSize,
    // The send limit of both doors: gRPC's max message (main.ts), and the same bound on a /v2 answer.
    maxAnswerBytes: config.bodyLimitBytes * 32,
  });
  const app = createApp({
    config, logger, registry, providers, predictService, lifecycle, metrics, models, version: PACKAGE_VERSION,
    guard, rateLimit, store, jobs, dependencies, dataPlane,
  });
  let stopRetention = () => {};
  return {
    config, logger, app, registry, lifecycle, providers, predictService, metrics, models, watcher, store, cache, jobs,
    dataPlane, credentials: auth.credentials, spendBudget: rateLimit.spend,
    devToken: auth.devToken,
    async start() {
      // The shared database is tried once (bounded by its connect timeout) while the models load; down, it is retried in the background.
      const storeReady = store.ready();
      // In parallel with loading the models; an unreachable Redis does not stop the start.
      const redisStarted = redis?.start();
      await watcher.baseline();
      await registry.loadAll();
      await storeReady;
      stopRetention = startRetention(store, config.recordRetentionDays, logger);
      await jobs.start();
      await redisStarted;
      lifecycle.started = true;
      watcher.start();
    },
    async close() {
      stopRetention();
      await watcher.stop();
      // Before the sessions go: a job still running is put back in the queue at its next chunk.
      await jobs.stop(0);
      await registry.close();
      await store.close();
      await redis?.close();
    },
  };
}
