/**
 * Releasing a session only when nothing uses it: a version that is replaced
 * or deleted keeps answering the requests that already resolved it (API.md §3,
 * "requests in flight on the old version finish on it"). onnxruntime-node
 * runs a session synchronously inside a setImmediate callback, so releasing it
 * while a run is scheduled would fail that run.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { passThrough } from './pass-through.js';
import type { ModelRunner } from './model-runner.js';

/** Wraps `inner` so that dispose() waits until no run is in flight for a whole event-loop turn. */
export function releaseWhenIdle(inner: ModelRunner): ModelRunner {
  let inFlight = 0;
  let onIdle: (() => void) | undefined;
  let released = false;
  let disposing: Promise<void> | undefined;

  async function releaseAfterRuns(): Promise<void> {
    for (;;) {
      if (inFlight > 0) await new Promise<void>((resolve) => (onIdle = resolve));
      // A request that runs in chunks calls run() again in the microtasks that
      // follow its previous chunk: wait one macrotask turn before deciding.
      await nextTurn();
      if (inFlight === 0) break;
    }
    released = true;
    await inner.dispose();
  }

  return {
    ...passThrough(inner),
    async run(feeds, rows) {
      if (released) throw new Error('run() on a released model version');
      inFlight++;
      try {
        return await inner.run(feeds, rows);
      } finally {
        inFlight--;
        if (inFlight === 0 && onIdle) {
          const resolve = onIdle;
          onIdle = undefined;
          resolve();
        }
      }
    },
    dispose() {
      disposing ??= releaseAfterRuns();
      return disposing;
    },
  };
}
