/**
 * Wires the service together from a config: registry, predict service, app.
 * main.ts and the tests build the service the same way; only main.ts listens
 * on the configured port and handles signals.
 */
import './ort-env.js';
import { readFileSync } from 'node:fs';
import type { Express } from 'express';
import { createApp } from './app.js';
import type { Config } from './config.js';
import type { Guard } from './http/guard.js';
import { ProviderSelector } from './inference/execution-providers.js';
import { PredictionCache } from './inference/prediction-cache.js';
import { PredictService, type RowResult } from './inference/predict-service.js';
import { ModelRegistry } from './inference/registry.js';
import { JobService, type JobTuning } from './jobs/job-service.js';
import { Lifecycle } from './lifecycle.js';
import type { Logger } from './logger.js';
import { startRetention } from './store/retention.js';
import { openSqliteStore } from './store/sqlite-store.js';
import type { Store } from './store/store.js';

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
  /** Prediction records and jobs (SQLite under DATA_DIR). */
  store: Store;
  /** The prediction cache; metrics read its hit and miss counters. */
  cache: PredictionCache<RowResult>;
  /** Async batch jobs: the shutdown path calls `jobs.stop(graceMs)`. */
  jobs: JobService;
  /** Loads and warms every model, then marks the service started. Throws a StartupError when it must stop. */
  start(): Promise<void>;
  /** Releases every model session and closes the store. */
  close(): Promise<void>;
}

/** What tests may put in place of the defaults. */
export interface ServiceOptions {
  /** Authentication for the app (tests give their own). */
  guard?: Guard;
  /** Job chunk size and webhook timings (tests shorten the backoff). */
  jobs?: Partial<JobTuning>;
}

/** Builds the service; reads the model repository's layout and opens the store (synchronously) but loads nothing yet. */
export function createService(config: Config, logger: Logger, options: ServiceOptions = {}): Service {
  const lifecycle = new Lifecycle();
  const providers = new ProviderSelector(config.executionProviders, logger);
  const registry = new ModelRegistry(config.modelRepository, {
    providers,
    intraOpThreads: config.intraOpThreads,
    logger,
  });
  registry.discover();
  const store = openSqliteStore(config.dataDir);
  const cache = new PredictionCache<RowResult>({ size: config.cacheSize, ttlS: config.cacheTtlS });
  registry.onChange((model) => cache.clearModel(model));
  const predictService = new PredictService(registry, {
    defaultModel: config.defaultModel,
    maxBatchSize: config.maxBatchSize,
    records: store,
    cache,
  });
  const jobs = new JobService({
    store, registry, predictService, logger, tuning: options.jobs,
    webhookSecret: config.webhookSecret, callbackAllowedHosts: config.callbackAllowedHosts,
  });
  const app = createApp({
    config, logger, registry, providers, predictService, lifecycle, version: PACKAGE_VERSION, store, jobs, guard: options.guard,
  });
  let stopRetention = () => {};
  return {
    config, logger, app, registry, lifecycle, providers, predictService, store, cache, jobs,
    async start() {
      await registry.loadAll();
      stopRetention = startRetention(store, config.recordRetentionDays, logger);
      await jobs.start();
      lifecycle.started = true;
    },
    async close() {
      stopRetention();
      await jobs.stop(0);
      await registry.close();
      store.close();
    },
  };
}
