/**
 * How a version's ONNX runner is wrapped before it takes traffic (the
 * `wrapRunner` hook of LoadOptions). Each wrapper is a ModelRunner around a
 * ModelRunner (STYLE.md habit 3), listed innermost first:
 *
 *   releaseWhenIdle  the session is released only once no run is in flight
 *   instrumentRunner inference_duration_seconds, inference_batch_size, inference_runs_total: real ONNX runs
 *   serialQueue      inference_queue_*: requests wait their turn, one run at a time
 *
 * A dynamic batcher takes serialQueue's place (outermost): it owns the queue,
 * reports to the same QueueObserver, and the instrumentation below it then
 * sees whole batches, which is what inference_batch_size is meant to show.
 */
import type { ServiceMetrics } from '../metrics/service-metrics.js';
import { releaseWhenIdle } from './idle-release.js';
import { instrumentRunner } from './instrumented-runner.js';
import type { ModelVersion } from './model-version.js';
import { serialQueue } from './run-queue.js';
import type { ModelRunner } from './runtime.js';

export type RunnerWrapper = (runner: ModelRunner, version: ModelVersion) => ModelRunner;

/** One wrapper applying `wrappers` innermost first: compose(a, b)(r, v) = b(a(r, v), v). */
export function composeWrappers(...wrappers: RunnerWrapper[]): RunnerWrapper {
  return (runner, version) => wrappers.reduce((inner, wrap) => wrap(inner, version), runner);
}

/** The service's chain: idle release, metrics, queue. */
export function servingChain(metrics: ServiceMetrics): RunnerWrapper {
  return composeWrappers(
    (runner) => releaseWhenIdle(runner),
    (runner, v) => instrumentRunner(runner, metrics.runObserver(v.name, v.version)),
    (runner, v) => serialQueue(runner, metrics.queueObserver(v.name, v.version)),
  );
}
