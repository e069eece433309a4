/**
 * The warm-up feeds of a model served on its own tensors (API.md §14
 * "Readiness of a derived model"): zero-filled inputs (empty strings for
 * BYTES), the first dynamic dimension WARM_UP_ROWS and every other dynamic
 * dimension 1.
 */
import { ARRAY_OF } from '../runtime/datatypes.js';
import type { TensorInfo, TensorValue } from '../runtime/model-runner.js';
import { WARM_UP_ROWS } from '../runtime/batchable.js';
import { elementCount } from '../runtime/tensor-rows.js';

/** One zero-filled feed per input. */
export function warmUpFeeds(inputs: readonly TensorInfo[]): TensorValue[] {
  return inputs.map((input) => {
    const dims = input.shape.map((d, k) => (d >= 0 ? d : k === 0 ? WARM_UP_ROWS : 1));
    const count = elementCount(dims);
    const data = input.datatype === 'BYTES'
      ? new Array<string>(count).fill('')
      : new (ARRAY_OF[input.datatype] as new (n: number) => Float32Array)(count);
    return { datatype: input.datatype, dims, data };
  });
}
