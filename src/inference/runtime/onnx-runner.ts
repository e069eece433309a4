/**
 * onnxruntime-node behind the ModelRunner interface: one InferenceSession per
 * model version, explicit thread settings, the provider chosen by
 * ProviderSelector. `run()` is a synchronous native call on the calling
 * thread (onnxruntime issues #26968, #19611), which is why it stays behind
 * this interface.
 */
import '../../ort-env.js';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import type { ExecutionProvider } from '../../config.js';
import { DATATYPE_OF_ORT, ORT_TYPE_OF } from './datatypes.js';
import type { ProviderSelector } from './execution-providers.js';
import { halvesOf, isFloat16Array } from './half.js';
import { AS_SENT, type ModelRunner, type TensorData, type TensorInfo, type TensorValue } from './model-runner.js';
import { padRows, rowSize } from './tensor-rows.js';

/** What a graph input or output is; 'NON_TENSOR' for sequences and maps (a ZipMap's output). */
function tensorInfo(meta: InferenceSession.ValueMetadata): TensorInfo {
  if (!meta.isTensor) return { name: meta.name, datatype: 'NON_TENSOR', shape: [] };
  return {
    name: meta.name,
    datatype: DATATYPE_OF_ORT[meta.type] ?? meta.type.toUpperCase(),
    shape: meta.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1)),
  };
}

/**
 * Every batchable run is padded to a multiple of ROW_ALIGNMENT rows. ONNX
 * Runtime's CPU kernels (MLAS GEMM, vectorised element-wise ops) take other
 * code paths for one or two rows than for larger blocks, and those paths
 * round differently in the last float32 bit: measured here, 719 of 80,000
 * loan-approval outputs differed between a row run alone and the same row
 * inside a batch. Aligned runs give bit-identical rows whatever the batch, so
 * a batch, a dynamic batch and a single prediction agree exactly (API.md §4),
 * for a few microseconds of padding on small models. A run AS_SENT (a model
 * that is not batchable, API.md §14) is never padded.
 */
export const ROW_ALIGNMENT = 8;

/** `rows` rounded up to a multiple of ROW_ALIGNMENT. */
export const alignRows = (rows: number): number => Math.ceil(rows / ROW_ALIGNMENT) * ROW_ALIGNMENT;

export interface OnnxRunnerOptions {
  /** The ONNX file's path or bytes. */
  model: string | Uint8Array;
  intraOpThreads: number;
  providers: ProviderSelector;
}

/** ORT's output data as a TensorValue's (FP16 may come as Float16Array: its raw halves). */
function dataOf(t: Tensor): TensorData {
  const data = t.data as unknown;
  return isFloat16Array(data) ? halvesOf(data) : (data as TensorData);
}

/**
 * An ORT tensor of a feed. FP16 data stays the Uint16Array of raw halves:
 * ort-env.ts removed the global Float16Array that onnxruntime-common 1.30
 * would wrap it in, unreadable to the native binding (onnxruntime#26791).
 */
function tensorOf(ortType: string, f: TensorValue): Tensor {
  return new Tensor(ortType as 'float32', f.data as Float32Array, f.dims);
}

export class OnnxRunner implements ModelRunner {
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  private readonly inputNames: string[];
  /** Every output a run fetches: the graph's tensor outputs (a sequence or map cannot be fetched by onnxruntime-node). */
  private readonly fetches: string[];
  private readonly ortTypes: string[];

  private constructor(
    private readonly session: InferenceSession,
    readonly executionProvider: ExecutionProvider,
  ) {
    this.inputs = session.inputMetadata.map(tensorInfo);
    this.outputs = session.outputMetadata.map(tensorInfo).filter((o) => o.datatype !== 'NON_TENSOR');
    this.inputNames = this.inputs.map((i) => i.name);
    this.ortTypes = this.inputs.map((i) => ORT_TYPE_OF[i.datatype] ?? 'float32');
    this.fetches = this.outputs.map((o) => o.name);
  }

  /** Creates the session (it is not warmed here: the version warms it). */
  static async load(options: OnnxRunnerOptions): Promise<OnnxRunner> {
    const { value: session, provider } = await options.providers.create((providers) => {
      const sessionOptions: InferenceSession.SessionOptions = {
        executionProviders: providers,
        // ORT's default spreads a session over every core and pins an extra
        // inter-op thread; a server runs many sessions side by side.
        intraOpNumThreads: options.intraOpThreads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
        // Fatal only: a failed run is thrown to the caller and logged by pino with its request id;
        // ORT's own copy went to stderr, unstructured (and for every expected failure, such as the
        // zero warm-up a OneHotEncoder with zeros=0 refuses).
        logSeverityLevel: 4,
      };
      return typeof options.model === 'string'
        ? InferenceSession.create(options.model, sessionOptions)
        : InferenceSession.create(options.model, sessionOptions);
    });
    return new OnnxRunner(session, provider);
  }

  async run(feeds: readonly TensorValue[], rows: number): Promise<TensorValue[]> {
    const padded = rows === AS_SENT ? AS_SENT : alignRows(rows);
    const ortFeeds: Record<string, Tensor> = {};
    for (let i = 0; i < this.inputNames.length; i++) {
      let f = feeds[i]!;
      if (padded !== rows) f = padRows(f, rows, padded);
      ortFeeds[this.inputNames[i]!] = tensorOf(this.ortTypes[i]!, f);
    }
    const results = await this.session.run(ortFeeds, this.fetches);
    const out = new Array<TensorValue>(this.fetches.length);
    for (let k = 0; k < this.fetches.length; k++) {
      const name = this.fetches[k]!;
      const t = results[name]!;
      let data = dataOf(t);
      let dims: readonly number[] = t.dims;
      if (rows !== AS_SENT) {
        // Row i answers input row i: a batchable model answers every output with the run's rows.
        if (dims[0] !== padded) throw new Error(`output '${name}' has shape [${dims.join(', ')}] for a run of ${padded} rows`);
        if (padded !== rows) {
          const size = rowSize(dims);
          data = Array.isArray(data) ? data.slice(0, rows * size) : data.subarray(0, rows * size);
          dims = [rows, ...dims.slice(1)];
        }
      }
      out[k] = { datatype: this.outputs[k]!.datatype, dims, data };
    }
    return out;
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
