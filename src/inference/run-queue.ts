/**
 * One run at a time per model version, in arrival order. onnxruntime-node
 * runs a session synchronously on the main thread anyway, so this costs no
 * throughput; it makes the wait visible (inference_queue_depth,
 * inference_queue_duration_seconds). A dynamic batcher replaces it, reporting
 * to the same QueueObserver (see runner-chain.ts).
 */
import type { QueueObserver } from '../metrics/service-metrics.js';
import { passThrough } from './pass-through.js';
import type { ModelRunner, RunOutput } from './runtime.js';

/** Wraps `inner` in a FIFO queue reporting to `observer`. */
export function serialQueue(inner: ModelRunner, observer: QueueObserver): ModelRunner {
  let tail: Promise<unknown> = Promise.resolve();
  let waiting = 0;
  return {
    ...passThrough(inner),
    run(input, rows): Promise<RunOutput> {
      const enqueued = process.hrtime.bigint();
      observer.depth(++waiting);
      const result = tail.then(() => {
        observer.depth(--waiting);
        observer.waited(Number(process.hrtime.bigint() - enqueued) / 1e9);
        return inner.run(input, rows);
      });
      tail = result.catch(() => undefined);
      return result;
    },
    async dispose() {
      await tail;
      await inner.dispose();
    },
  };
}
