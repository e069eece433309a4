/**
 * The warm-up feeds as tensors (API.md §14 "Readiness of a derived model"):
 * the shapes settle-by-warm-up.ts chooses (the first dynamic dimension 2,
 * every other 1), zero-filled, empty strings for BYTES; or, when that run
 * fails and the inputs are named features, each feature's baseline (a
 * OneHotEncoder with zeros=0 refuses '': every skl2onnx categorical pipeline).
 */
import { ARRAY_OF } from '../runtime/datatypes.js';
import { setHalf } from '../runtime/half.js';
import type { TensorValue } from '../runtime/model-runner.js';
import { elementCount } from '../runtime/tensor-rows.js';
import type { ServingConfig } from './derive/serving-config.js';
import { warmUpFeeds } from './derive/settle-by-warm-up.js';

/** What the warm-up inputs hold: zeros ('' for BYTES), or every named feature's baseline. */
export type WarmUpFill = 'zeros' | 'baselines';

/**
 * One feed per input of the configuration, in feed order, filled as `fill`
 * says; with `rows`, that many rows on the first dimension (a timed full
 * batch of a model that answers rows).
 */
export function warmUpTensors(config: ServingConfig, rows?: number, fill: WarmUpFill = 'zeros'): TensorValue[] {
  return warmUpFeeds(config).map(({ name, datatype, shape: warm }) => {
    const shape = rows === undefined ? warm : [rows, ...warm.slice(1)];
    const count = elementCount(shape);
    const data = datatype === 'BYTES'
      ? new Array<string>(count).fill('')
      : new (ARRAY_OF[datatype] as new (n: number) => Float32Array)(count);
    if (fill === 'baselines') fillBaselines(config, name, data, count / Math.max(1, shape[0] ?? 1));
    return { datatype, dims: shape, data };
  });
}

/** Writes each feature carried by input `name` into its column of every row (`width` elements a row). */
function fillBaselines(config: ServingConfig, name: string, data: string[] | Float32Array, width: number): void {
  for (const f of config.features) {
    if (f.input !== name) continue;
    const value = typeof f.baseline === 'boolean' ? Number(f.baseline) : f.baseline;
    for (let at = f.column; at < data.length; at += width) {
      if (Array.isArray(data)) data[at] = String(value);
      else if (data instanceof BigInt64Array || data instanceof BigUint64Array) (data as BigInt64Array)[at] = BigInt(Math.trunc(Number(value)));
      else if (f.datatype === 'FP16') setHalf(data as unknown as Uint16Array, at, Number(value));
      else data[at] = Number(value);
    }
  }
}
