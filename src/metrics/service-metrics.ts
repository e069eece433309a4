/**
 * The service's Prometheus metrics (API.md §8, §11 "Operations"), on a
 * registry of its own rather than prom-client's global one, so that several
 * services in one process (the tests) never collide. Names and labels are
 * part of the contract.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ModelState } from '../inference/serving/model-version.js';

/** What a model registry must show for `model_state` (kept structural to avoid an import cycle). */
export interface ModelStateSource {
  allVersions(): ReadonlyArray<{ name: string; version: string; state: ModelState }>;
}

/** What a runner wrapper reports about the ONNX runs of one model version. */
export interface RunObserver {
  /** One run of `rows` rows took `seconds` (failed runs included). */
  ran(rows: number, seconds: number): void;
}

/** What a queueing wrapper (the serial run queue, a dynamic batcher) reports about its queue. */
export interface QueueObserver {
  /** Requests now waiting (not running) for this model version. */
  depth(waiting: number): void;
  /** A request left the queue after waiting `seconds`. */
  waited(seconds: number): void;
}

const STATES: readonly ModelState[] = ['loading', 'ready', 'failed', 'unloaded'];

/** Latency buckets (seconds): a request spans sub-millisecond health checks to multi-second batches. */
const HTTP_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** One ONNX run of these small models takes tens of microseconds to a few hundred milliseconds. */
const INFERENCE_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 16384];

export class ServiceMetrics {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from the request arriving to its response being written, in seconds',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: HTTP_BUCKETS,
    registers: [this.registry],
  });

  readonly inferenceDuration = new Histogram({
    name: 'inference_duration_seconds',
    help: 'Duration of one ONNX Runtime run, in seconds',
    labelNames: ['model', 'version'] as const,
    buckets: INFERENCE_BUCKETS,
    registers: [this.registry],
  });

  readonly queueDuration = new Histogram({
    name: 'inference_queue_duration_seconds',
    help: 'Time a request waited for its model version before its run started, in seconds',
    labelNames: ['model', 'version'] as const,
    buckets: INFERENCE_BUCKETS,
    registers: [this.registry],
  });

  readonly batchSize = new Histogram({
    name: 'inference_batch_size',
    help: 'Rows in one ONNX Runtime run',
    labelNames: ['model', 'version'] as const,
    buckets: BATCH_BUCKETS,
    registers: [this.registry],
  });

  readonly inferenceRuns = new Counter({
    name: 'inference_runs_total',
    help: 'ONNX Runtime runs',
    labelNames: ['model', 'version'] as const,
    registers: [this.registry],
  });

  readonly queueDepth = new Gauge({
    name: 'inference_queue_depth',
    help: 'Requests waiting for their model version (not yet running)',
    labelNames: ['model', 'version'] as const,
    registers: [this.registry],
  });

  /** Where `model_state` reads the model versions from (set by watchModels). */
  private models: ModelStateSource | undefined;

  readonly modelState: Gauge<'model' | 'version' | 'state'> = this.modelStateGauge();

  /** Counted by the prediction cache (registered even while no cache exists, so dashboards can rely on them). */
  readonly cacheHits = new Counter({
    name: 'prediction_cache_hits_total',
    help: 'Predictions answered from the prediction cache',
    registers: [this.registry],
  });

  readonly cacheMisses = new Counter({
    name: 'prediction_cache_misses_total',
    help: 'Predictions looked up in the prediction cache and not found',
    registers: [this.registry],
  });

  readonly rateLimitStoreErrors = new Counter({
    name: 'rate_limit_store_errors_total',
    help: 'Requests served without the shared rate-limit counters because Redis was down, slow or failing (fail open, API.md §12)',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Tells `model_state` where the model versions are. */
  watchModels(source: ModelStateSource): void {
    this.models = source;
  }

  private modelStateGauge(): Gauge<'model' | 'version' | 'state'> {
    const owner = this;
    return new Gauge({
      name: 'model_state',
      help: 'State of each model version: 1 for its current state, 0 for the others',
      labelNames: ['model', 'version', 'state'] as const,
      registers: [this.registry],
      // Read at scrape time from the model registry, which is the truth.
      collect() {
        this.reset();
        for (const v of owner.models?.allVersions() ?? []) {
          for (const state of STATES) this.set({ model: v.name, version: v.version, state }, v.state === state ? 1 : 0);
        }
      },
    });
  }

  /** The run observer of one model version. */
  runObserver(model: string, version: string): RunObserver {
    const labels = { model, version };
    const duration = this.inferenceDuration.labels(labels);
    const size = this.batchSize.labels(labels);
    const runs = this.inferenceRuns.labels(labels);
    return {
      ran(rows, seconds) {
        duration.observe(seconds);
        size.observe(rows);
        runs.inc();
      },
    };
  }

  /** The queue observer of one model version; its depth series starts at 0. */
  queueObserver(model: string, version: string): QueueObserver {
    const labels = { model, version };
    const depth = this.queueDepth.labels(labels);
    const waited = this.queueDuration.labels(labels);
    depth.set(0);
    return {
      depth: (n) => depth.set(n),
      waited: (s) => waited.observe(s),
    };
  }

  /** Drops the per-version series of a version that is gone (bounded cardinality after deletes). */
  forgetVersion(model: string, version: string): void {
    const labels = { model, version };
    for (const metric of [this.inferenceDuration, this.queueDuration, this.batchSize, this.inferenceRuns, this.queueDepth]) {
      metric.remove(labels);
    }
  }

  /** The exposition text and its content type. */
  async exposition(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }
}
