/** A promise raced against a point in time (performance.now() clock). */
import { DeadlineExceeded } from './process-runner.js';

/** Resolves as `work` does, unless `by` comes first: then calls `onLate` (to stop the work) and rejects with DeadlineExceeded. */
export async function beforeDeadline<T>(work: Promise<T>, by: number, onLate: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      onLate();
      reject(new DeadlineExceeded('the deadline passed'));
    }, Math.max(0, by - performance.now()));
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
