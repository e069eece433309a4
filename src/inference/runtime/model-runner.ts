/**
 * The one interface for running a model (STYLE.md habit 3): the ONNX runner
 * implements it, and dynamic batching or a worker-thread runner can wrap it
 * without touching routes or the predict service.
 */
import type { ExecutionProvider } from '../../config.js';

/** A tensor as the API describes it (KServe-style datatype, -1 for a dynamic dimension). */
export interface TensorInfo {
  name: string;
  datatype: string;
  shape: number[];
}

/** The element arrays ONNX Runtime gives numeric tensors. */
export type NumericArray =
  | Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array
  | Int32Array | Uint32Array | BigInt64Array | BigUint64Array;

/** Another numeric output of the graph, run beside the configured one (the OIP answers every output). */
export interface ExtraOutput {
  name: string;
  data: NumericArray;
  dims: readonly number[];
}

/** The output tensor a run returns, flattened row-major. */
export interface RunOutput {
  data: Float32Array;
  dims: readonly number[];
  /** The graph's other numeric outputs, row i for input row i, when it has any. */
  extras?: readonly ExtraOutput[];
}

export interface ModelRunner {
  readonly executionProvider: ExecutionProvider;
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  /** Runs `rows` rows packed row-major in `input`; resolves with the configured output tensor. */
  run(input: Float32Array, rows: number): Promise<RunOutput>;
  /** Releases native resources; the runner must not be used afterwards. */
  dispose(): Promise<void>;
}
