/**
 * The one interface for running a model (STYLE.md habit 3): the ONNX runner
 * implements it, and dynamic batching or a worker-thread runner can wrap it
 * without touching routes or the predict service.
 *
 * A run takes positional feeds (one per graph input, in the order of
 * `inputs`) of any datatype and answers every tensor output of the graph (in
 * the order of `outputs`), API.md §14 "Datatypes".
 */
import type { ExecutionProvider } from '../../config.js';

/** A tensor as the API describes it (KServe-style datatype, -1 for a dynamic dimension). */
export interface TensorInfo {
  name: string;
  datatype: string;
  shape: number[];
}

/** The element arrays ONNX Runtime gives numeric tensors (BOOL: Uint8Array of 0/1; FP16: Uint16Array of raw halves). */
export type NumericArray =
  | Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array
  | Int32Array | Uint32Array | BigInt64Array | BigUint64Array;

/**
 * A tensor's elements, row-major. BYTES are `string[]`: onnxruntime-node
 * feeds and fetches ONNX STRING tensors only as JS strings (UTF-8 both ways),
 * so bytes that are not UTF-8 could not reach the model anyway; the doors
 * decode and encode UTF-8 at the edge (tensors-in.ts, tensors-out.ts).
 */
export type TensorData = NumericArray | string[];

/** One tensor fed to or fetched from a run. */
export interface TensorValue {
  /** KServe / Triton datatype: BOOL, UINT8 … UINT64, INT8 … INT64, FP16, FP32, FP64, BYTES. */
  datatype: string;
  dims: readonly number[];
  data: TensorData;
}

/**
 * `rows` of a run that is run exactly as sent: a model that is not batchable
 * (API.md §14 "Shapes and batching"), or batching turned off. Such a run is
 * neither padded nor joined with others, and its outputs are returned as the
 * model gives them.
 */
export const AS_SENT = 0;

export interface ModelRunner {
  readonly executionProvider: ExecutionProvider;
  /** The graph's inputs, in feed order. */
  readonly inputs: readonly TensorInfo[];
  /** The graph's tensor outputs, in the order a run answers them. */
  readonly outputs: readonly TensorInfo[];
  /**
   * Runs one feed per input. `rows` > 0: a batchable run, every feed has
   * `rows` on its first dimension, and so has every output; AS_SENT: run the
   * feeds exactly as they are.
   */
  run(feeds: readonly TensorValue[], rows: number): Promise<TensorValue[]>;
  /** Releases native resources; the runner must not be used afterwards. */
  dispose(): Promise<void>;
}
