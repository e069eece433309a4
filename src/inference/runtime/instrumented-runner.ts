/** Times every ONNX run of a version and counts its rows (inference_* metrics of API.md §11). */
import type { RunObserver } from '../../metrics/service-metrics.js';
import { passThrough } from './pass-through.js';
import { AS_SENT, type ModelRunner } from './model-runner.js';

/** Wraps `inner` so that each run is reported to `observer`, failed runs included. */
export function instrumentRunner(inner: ModelRunner, observer: RunObserver): ModelRunner {
  return {
    ...passThrough(inner),
    async run(feeds, rows) {
      const started = process.hrtime.bigint();
      try {
        return await inner.run(feeds, rows);
      } finally {
        // A run as sent is one request, whatever its shape (inference_batch_size).
        observer.ran(rows === AS_SENT ? 1 : rows, Number(process.hrtime.bigint() - started) / 1e9);
      }
    },
    dispose: () => inner.dispose(),
  };
}
