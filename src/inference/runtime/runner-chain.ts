/**
 * How a version's ONNX runner is wrapped before it takes traffic (the
 * `wrapRunner` hook of LoadOptions). Each wrapper is a ModelRunner around a
 * ModelRunner (STYLE.md habit 3), listed innermost first:
 *
 *   releaseWhenIdle  the session is released only once no run is in flight
 *   instrumentRunner inference_duration_seconds, inference_batch_size, inference_runs_total: real ONNX runs
 *   DynamicBatcher   the bounded queue (inference_queue_*): requests that arrive
 *                    together run together, so the instrumentation below it sees
 *                    whole batches, which is what inference_batch_size shows
 */
import type { ServiceMetrics } from '../../metrics/service-metrics.js';
import { releaseWhenIdle } from './idle-release.js';
import { instrumentRunner } from './instrumented-runner.js';
import type { ModelVersion } from '../serving/model-version.js';
import { DynamicBatcher } from './batcher.js';
import type { ModelRunner } from './model-runner.js';

export type RunnerWrapper = (runner: ModelRunner, version: ModelVersion) => ModelRunner;

/** One wrapper applying `wrappers` innermost first: compose(a, b)(r, v) = b(a(r, v), v). */
export function composeWrappers(...wrappers: RunnerWrapper[]): RunnerWrapper {
  return (runner, version) => wrappers.reduce((inner, wrap) => wrap(inner, version), runner);
}

export interface QueueLimits {
  /** INFERENCE_QUEUE_SIZE: requests that may wait per version. */
  maxQueue: number;
  /** INFERENCE_TIMEOUT_MS: one request's deadline, queueing plus inference. */
  timeoutMs: number;
}

/** The service's chain: idle release, metrics, dynamic batching. */
export function servingChain(metrics: ServiceMetrics, limits: QueueLimits): RunnerWrapper {
  return composeWrappers(
    (runner) => releaseWhenIdle(runner),
    (runner, v) => instrumentRunner(runner, metrics.runObserver(v.name, v.version)),
    (runner, v) =>
      new DynamicBatcher(runner, {
        // Getters: a PATCH of the model's batching applies to the next batch.
        get maxBatchSize() {
          return v.maxBatchSize;
        },
        get maxDelayMs() {
          return v.maxDelayMs;
        },
        maxQueue: limits.maxQueue,
        timeoutMs: limits.timeoutMs,
        observer: metrics.queueObserver(v.name, v.version),
        // Off the event loop a timer can fire mid-run: 504 at the deadline (API.md §15).
        watchDeadlines: v.placement !== 'main',
      }),
  );
}
