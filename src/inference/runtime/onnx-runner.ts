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
import type { ProviderSelector } from './execution-providers.js';
import type { ModelRunner, NumericArray, RunOutput, TensorInfo } from './model-runner.js';

/** ORT element types as KServe / Triton datatypes. */
const DATATYPES: Record<string, string> = {
  float32: 'FP32', float64: 'FP64', float16: 'FP16', int8: 'INT8', int16: 'INT16', int32: 'INT32',
  int64: 'INT64', uint8: 'UINT8', uint16: 'UINT16', uint32: 'UINT32', uint64: 'UINT64',
  bool: 'BOOL', string: 'BYTES',
};

/** Datatypes whose outputs are run and answered beside the configured one (FP16 and BOOL are not). */
export const NUMERIC_DATATYPES: ReadonlySet<string> = new Set([
  'FP32', 'FP64', 'INT8', 'INT16', 'INT32', 'INT64', 'UINT8', 'UINT16', 'UINT32', 'UINT64',
]);

function tensorInfo(meta: InferenceSession.ValueMetadata): TensorInfo {
  if (!meta.isTensor) return { name: meta.name, datatype: 'NON_TENSOR', shape: [] };
  return {
    name: meta.name,
    datatype: DATATYPES[meta.type] ?? meta.type.toUpperCase(),
    shape: meta.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1)),
  };
}

/**
 * Every run is padded to a multiple of ROW_ALIGNMENT rows. ONNX Runtime's CPU
 * kernels (MLAS GEMM, vectorised element-wise ops) take other code paths for
 * one or two rows than for larger blocks, and those paths round differently
 * in the last float32 bit: measured here, 719 of 80,000 loan-approval
 * outputs differed between a row run alone and the same row inside a batch.
 * Aligned runs give bit-identical rows whatever the batch, so a batch, a
 * dynamic batch and a single prediction agree exactly (API.md §4), for a few
 * microseconds of padding on small models.
 */
export const ROW_ALIGNMENT = 8;

/** `rows` rounded up to a multiple of ROW_ALIGNMENT. */
export const alignRows = (rows: number): number => Math.ceil(rows / ROW_ALIGNMENT) * ROW_ALIGNMENT;

export interface OnnxRunnerOptions {
  /** The ONNX file's path or bytes. */
  model: string | Uint8Array;
  inputName: string;
  outputName: string;
  /** Columns of the input tensor (the number of features). */
  width: number;
  intraOpThreads: number;
  providers: ProviderSelector;
}

export class OnnxRunner implements ModelRunner {
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  /** Every output a run fetches: the configured one first, then the graph's other numeric tensors. */
  private readonly fetches: string[];

  private constructor(
    private readonly session: InferenceSession,
    readonly executionProvider: ExecutionProvider,
    private readonly options: OnnxRunnerOptions,
  ) {
    this.inputs = session.inputMetadata.map(tensorInfo);
    this.outputs = session.outputMetadata.map(tensorInfo);
    const extras = this.outputs.filter((o) => o.name !== options.outputName && NUMERIC_DATATYPES.has(o.datatype));
    this.fetches = [options.outputName, ...extras.map((o) => o.name)];
  }

  /** Creates the session (it is not warmed here: the registry warms it with real rows). */
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
        logSeverityLevel: 3,
      };
      return typeof options.model === 'string'
        ? InferenceSession.create(options.model, sessionOptions)
        : InferenceSession.create(options.model, sessionOptions);
    });
    return new OnnxRunner(session, provider, options);
  }

  async run(input: Float32Array, rows: number): Promise<RunOutput> {
    const width = this.options.width;
    const padded = alignRows(rows);
    let feed = input;
    if (padded !== rows) {
      feed = new Float32Array(padded * width);
      feed.set(input.subarray(0, rows * width));
      // Padding rows repeat the first row: valid values, discarded below.
      for (let r = rows; r < padded; r++) feed.copyWithin(r * width, 0, width);
    }
    const feeds = { [this.options.inputName]: new Tensor('float32', feed, [padded, width]) };
    const results = await this.session.run(feeds, this.fetches);
    const output = results[this.options.outputName]!;
    const data = output.data;
    if (!(data instanceof Float32Array)) {
      throw new Error(`Output '${this.options.outputName}' is ${output.type}, expected float32`);
    }
    // Padding rows are cut from every output: row i answers input row i.
    const cut = <T extends NumericArray>(values: T, dims: readonly number[]) =>
      padded === rows ? { data: values, dims } : {
        data: values.subarray(0, rows * (values.length / padded)) as T,
        dims: [rows, ...dims.slice(1)],
      };
    const main = cut(data, output.dims);
    if (this.fetches.length === 1) return main;
    const extras = this.fetches.slice(1).map((name) => {
      const t = results[name]!;
      return { name, ...cut(t.data as NumericArray, t.dims) };
    });
    return { ...main, extras };
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
