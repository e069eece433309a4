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
import { authGuard } from './auth/authenticator.js';
import { createAuth } from './auth/setup.js';
import { rateLimits, type LimiterName } from './http/middleware/rate-limit.js';
import type { Config } from './config.js';
import { ProviderSelector } from './inference/execution-providers.js';
import { PredictService } from './inference/predict-service.js';
import { RepositoryWatcher } from './inference/hot-reload.js';
import { ModelManager } from './inference/model-manager.js';
import { ModelRegistry } from './inference/registry.js';
import { Lifecycle } from './lifecycle.js';
import type { Logger } from './logger.js';
import { ServiceMetrics } from './metrics/service-metrics.js';
import { servingChain } from './inference/runner-chain.js';

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
  /** The development token to print once at start; set only when no auth is configured outside production. */
  devToken?: string;
  /** Loads and warms every model, then marks the service started. Throws a StartupError when it must stop. */
  start(): Promise<void>;
  /** Stops hot reload and releases every model session. */
  close(): Promise<void>;
}

export interface ServiceOptions {
  /** A rate-limit store per limiter (e.g. Redis, shared by replicas); in memory when absent. */
  rateLimitStore?: (name: LimiterName) => Store;
}

/** Builds the service; reads the model repository's layout (synchronously) but loads nothing yet. */
export function createService(config: Config, logger: Logger, options: ServiceOptions = {}): Service {
  const lifecycle = new Lifecycle();
  const providers = new ProviderSelector(config.executionProviders, logger);
  const metrics = new ServiceMetrics();
  const registry = new ModelRegistry(config.modelRepository, {
    providers,
    intraOpThreads: config.intraOpThreads,
    logger,
    wrapRunner: servingChain(metrics, { maxQueue: config.inferenceQueueSize, timeoutMs: config.inferenceTimeoutMs }),
  });
  metrics.watchModels(registry);
  registry.onChange(({ model, kind, versions }) => {
    if (kind === 'removed') for (const v of versions) metrics.forgetVersion(model, v);
  });
  const models = new ModelManager(registry, logger);
  const watcher = new RepositoryWatcher(registry, logger, config.modelPollIntervalMs);
  registry.discover();
  const predictService = new PredictService(registry, {
    defaultModel: config.defaultModel,
    maxBatchSize: config.maxBatchSize,
  });
  const auth = createAuth(config, logger);
  const limits = rateLimits({ limits: config.rateLimits, logger, trustProxy: config.trustProxy, store: options.rateLimitStore });
  const guard = authGuard(auth.credentials, limits.perCaller);
  const app = createApp({
    config, logger, registry, providers, predictService, lifecycle, metrics, models, version: PACKAGE_VERSION,
    guard, rateLimit: limits.preAuth,
  });
  return {
    config, logger, app, registry, lifecycle, providers, predictService, metrics, models, watcher,
    devToken: auth.devToken,
    async start() {
      await watcher.baseline();
      await registry.loadAll();
      lifecycle.started = true;
      watcher.start();
    },
    async close() {
      await watcher.stop();
      await registry.close();
    },
  };
}
