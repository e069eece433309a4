/** Times every ONNX run of a version and counts its rows (inference_* metrics of API.md §11). */
import type { RunObserver } from '../../metrics/service-metrics.js';
import { passThrough } from './pass-through.js';
import type { ModelRunner } from './model-runner.js';

/** Wraps `inner` so that each run is reported to `observer`, failed runs included. */
export function instrumentRunner(inner: ModelRunner, observer: RunObserver): ModelRunner {
  return {
    ...passThrough(inner),
    async run(input, rows) {
      const started = process.hrtime.bigint();
      try {
        return await inner.run(input, rows);
      } finally {
        observer.ran(rows, Number(process.hrtime.bigint() - started) / 1e9);
      }
    },
    dispose: () => inner.dispose(),
  };
}
