/**
 * onnxruntime-node behind the ModelRunner interface: one InferenceSession per
 * model version, explicit thread settings, the provider chosen by
 * ProviderSelector. `run()` is a synchronous native call on the calling
 * thread (onnxruntime issues #26968, #19611), which is why it stays behind
 * this interface.
 */
import '../ort-env.js';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import type { ExecutionProvider } from '../config.js';
import type { ProviderSelector } from './execution-providers.js';
import type { ModelRunner, RunOutput, TensorInfo } from './runtime.js';

/** ORT element types as KServe / Triton datatypes. */
const DATATYPES: Record<string, string> = {
  float32: 'FP32', float64: 'FP64', float16: 'FP16', int8: 'INT8', int16: 'INT16', int32: 'INT32',
  int64: 'INT64', uint8: 'UINT8', uint16: 'UINT16', uint32: 'UINT32', uint64: 'UINT64',
  bool: 'BOOL', string: 'BYTES',
};

function tensorInfo(meta: InferenceSession.ValueMetadata): TensorInfo {
  if (!meta.isTensor) return { name: meta.name, datatype: 'NON_TENSOR', shape: [] };
  return {
    name: meta.name,
    datatype: DATATYPES[meta.type] ?? meta.type.toUpperCase(),
    shape: meta.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1)),
  };
}

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

  private constructor(
    private readonly session: InferenceSession,
    readonly executionProvider: ExecutionProvider,
    private readonly options: OnnxRunnerOptions,
  ) {
    this.inputs = session.inputMetadata.map(tensorInfo);
    this.outputs = session.outputMetadata.map(tensorInfo);
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
    const feeds = { [this.options.inputName]: new Tensor('float32', input, [rows, this.options.width]) };
    const results = await this.session.run(feeds, [this.options.outputName]);
    const output = results[this.options.outputName]!;
    const data = output.data;
    if (!(data instanceof Float32Array)) {
      throw new Error(`Output '${this.options.outputName}' is ${output.type}, expected float32`);
    }
    return { data, dims: output.dims };
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
