/**
 * Which models run through the dynamic batcher (API.md §14 "Shapes and
 * batching"): a model is batchable when every input has a dynamic first
 * dimension and a warm-up run of several rows answers that many rows on every
 * output. Converters sometimes declare an output `[1]` that is really `[N]`:
 * the run decides, not the declaration.
 */
import type { TensorInfo, TensorValue } from './model-runner.js';

/** The rows of the warm-up run that proves a model batchable (more than one, so that `[1]` is told from `[N]`). */
export const WARM_UP_ROWS = 2;

/** Whether the model is batchable, given its inputs and the outputs of a warm-up run of `rows` rows. */
export function isBatchable(
  inputs: readonly TensorInfo[],
  warmupOutputs: readonly TensorValue[],
  rows = WARM_UP_ROWS,
): boolean {
  return inputs.length > 0
    && inputs.every((i) => i.shape.length > 0 && i.shape[0] === -1)
    && warmupOutputs.every((o) => o.dims.length > 0 && o.dims[0] === rows);
}
