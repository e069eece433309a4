/**
 * The warm-up feeds as tensors (API.md §14 "Readiness of a derived model"):
 * the shapes settle-by-warm-up.ts chooses (the first dynamic dimension 2,
 * every other 1), zero-filled, empty strings for BYTES.
 */
import { ARRAY_OF } from '../runtime/datatypes.js';
import type { TensorValue } from '../runtime/model-runner.js';
import { elementCount } from '../runtime/tensor-rows.js';
import type { ServingConfig } from './derive/serving-config.js';
import { warmUpFeeds } from './derive/settle-by-warm-up.js';

/**
 * One zero-filled feed per input of the configuration, in feed order; with
 * `rows`, that many rows on the first dimension (a timed full batch of a
 * model that answers rows).
 */
export function warmUpTensors(config: ServingConfig, rows?: number): TensorValue[] {
  return warmUpFeeds(config).map(({ datatype, shape: warm }) => {
    const shape = rows === undefined ? warm : [rows, ...warm.slice(1)];
    const count = elementCount(shape);
    const data = datatype === 'BYTES'
      ? new Array<string>(count).fill('')
      : new (ARRAY_OF[datatype] as new (n: number) => Float32Array)(count);
    return { datatype, dims: shape, data };
  });
}
