/**
 * The protocol-neutral data plane of the Open Inference Protocol (API.md §13),
 * as MLServer's handlers/dataplane.py: server and model metadata, readiness,
 * and an inference on the model's own tensors. The REST door (http/v2/) and
 * the gRPC door (grpc/) only translate to and from it.
 *
 * An inference takes the same path as /api/v1: the registry's version
 * choice, then the version's runner chain (dynamic batcher with its queue
 * bound and deadline, inference metrics, 8-row-aligned ONNX runs), so OIP
 * and /api/v1 requests for one version share batches and give bit-identical
 * outputs. OIP inferences are neither recorded nor cached.
 */
import { randomUUID } from 'node:crypto';
import { modelNotFound } from '../../errors.js';
import type { Lifecycle } from '../../lifecycle.js';
import { NUMERIC_DATATYPES } from '../runtime/onnx-runner.js';
import type { NumericArray, RunOutput, TensorInfo } from '../runtime/model-runner.js';
import type { ModelVersion } from '../serving/model-version.js';
import type { ModelRegistry } from '../serving/registry.js';
import { answerBound, checkAnswerSize, checkOutputNames, type SizedOutput } from './answer-size.js';
import { checkInput, type InputTensor } from './tensors-in.js';

/** The platform name KServe and Triton use for ONNX Runtime models. */
export const PLATFORM = 'onnxruntime_onnx';
/** Protocol extensions this server speaks. */
export const EXTENSIONS = ['binary_tensor_data'] as const;
const SERVER_NAME = 'onnx-serving';

export interface ServerMetadata {
  name: string;
  version: string;
  extensions: string[];
}

export interface ModelMetadata {
  name: string;
  versions: string[];
  platform: string;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
}

/** An infer request after the door decoded it. */
export interface InferRequest {
  id?: string;
  inputs: readonly InputTensor[];
  /** The outputs asked for, in the order asked; every output when absent. */
  outputs?: readonly string[];
  /** Which outputs the door writes as JSON numbers (the answer's size bound); none when absent (raw bytes). */
  asJson?: (output: string) => boolean;
}

export interface OutputTensor {
  name: string;
  datatype: string;
  shape: number[];
  data: NumericArray;
}

export interface InferResult {
  model_name: string;
  model_version: string;
  id: string;
  outputs: OutputTensor[];
}

export interface DataPlaneOptions {
  registry: ModelRegistry;
  lifecycle: Lifecycle;
  /** The package version (server metadata). */
  version: string;
  /** MAX_BATCH_SIZE: most rows in one request. */
  maxBatchSize: number;
  /** The send limit: no answer larger than this is built (32 × BODY_LIMIT_BYTES, as gRPC's max message). */
  maxAnswerBytes: number;
}

export class DataPlane {
  constructor(private readonly options: DataPlaneOptions) {}

  /** The process answers. */
  live(): boolean {
    return true;
  }

  /** Ready as /api/v1/health is 200: started, not draining, a model ready. */
  ready(): boolean {
    const { lifecycle, registry } = this.options;
    return lifecycle.started && !lifecycle.draining && registry.allVersions().some((v) => v.state === 'ready');
  }

  serverMetadata(): ServerMetadata {
    return { name: SERVER_NAME, version: this.options.version, extensions: [...EXTENSIONS] };
  }

  /** Metadata of the version that serves (name, version?): 404 unknown, 503 not ready. */
  modelMetadata(name: string, version?: string): ModelMetadata {
    const v = this.options.registry.resolve(name, version);
    return {
      name: v.name,
      versions: this.readyVersions(name),
      platform: PLATFORM,
      inputs: v.inputs.map(copyInfo),
      outputs: servedOutputs(v).map(copyInfo),
    };
  }

  /** Whether (name, version?) is ready; 404 for a model or version that does not exist. */
  modelReady(name: string, version?: string): boolean {
    const entry = this.options.registry.get(name);
    if (!entry) throw modelNotFound(name);
    const v = version === undefined ? (entry.serving() ?? entry.representative()) : entry.versions.get(version);
    if (!v || v.state === 'unloaded') throw modelNotFound(name, version);
    return v.state === 'ready';
  }

  /**
   * One inference: 404/503 for the model, 400/413 for tensors that do not fit,
   * 400 for an `outputs` list that names an output twice (or more than the
   * model has), 413 for an answer over the send limit (checked from the
   * output shapes before the run when they are fixed, and from the tensors
   * after it, before any encoding), 503/504 from the batcher.
   */
  async infer(name: string, version: string | undefined, request: InferRequest): Promise<InferResult> {
    const v = this.options.registry.resolve(name, version);
    const spec = { name: v.config!.input, width: v.featureNames.length, maxRows: this.options.maxBatchSize };
    const { values, rows } = checkInput(request.inputs, spec);
    const served = servedOutputs(v);
    const wanted = request.outputs ?? served.map((o) => o.name);
    checkOutputNames(wanted, served.map((o) => o.name));
    const id = request.id ?? randomUUID();
    const infoOf = new Map(served.map((o) => [o.name, o]));
    const expected = wanted.map((out) => expectedSize(infoOf.get(out)!, rows));
    if (expected.every((o) => o !== undefined)) this.checkSize(expected as SizedOutput[], request, id);
    const tensors = await this.run(v, values, rows);
    const outputs = wanted.map((out) => tensors.get(out)!);
    this.checkSize(outputs.map((o) => ({ name: o.name, datatype: o.datatype, elements: o.data.length, rank: o.shape.length })), request, id);
    return { model_name: v.name, model_version: v.version, id, outputs };
  }

  /** Refuses an answer whose size bound exceeds the send limit. */
  private checkSize(outputs: readonly SizedOutput[], request: InferRequest, id: string): void {
    const asJson = request.asJson ?? (() => false);
    const bound = answerBound(outputs, asJson, id.length);
    checkAnswerSize(bound, this.options.maxAnswerBytes, outputs.some((o) => asJson(o.name)));
  }

  /** Runs `rows` rows through the version's runner chain, in chunks of its batch limit; every output by name. */
  private async run(v: ModelVersion, values: Float32Array, rows: number): Promise<Map<string, OutputTensor>> {
    const runner = v.runner!;
    const width = v.featureNames.length;
    const chunk = v.batching!.max_batch_size;
    const parts: RunOutput[] = [];
    for (let start = 0; start < rows; start += chunk) {
      const n = Math.min(chunk, rows - start);
      parts.push(await runner.run(rows <= chunk ? values : values.subarray(start * width, (start + n) * width), n));
    }
    const datatypeOf = new Map(v.outputs.map((o) => [o.name, o.datatype]));
    const tensors = new Map<string, OutputTensor>();
    const add = (name: string, pieces: Array<{ data: NumericArray; dims: readonly number[] }>) => {
      tensors.set(name, { name, datatype: datatypeOf.get(name) ?? 'FP32', shape: [rows, ...pieces[0]!.dims.slice(1)], data: joined(pieces.map((p) => p.data)) });
    };
    add(servedName(v), parts);
    for (const [i, extra] of (parts[0]!.extras ?? []).entries()) add(extra.name, parts.map((p) => p.extras![i]!));
    return tensors;
  }

  private readyVersions(name: string): string[] {
    const entry = this.options.registry.get(name);
    return entry ? entry.versionList().filter((ver) => entry.versions.get(ver)!.state === 'ready') : [];
  }
}

/** The output the model's config names (probabilities or prediction). */
function servedName(v: ModelVersion): string {
  const config = v.config!;
  return (config.task === 'classification' ? config.outputs.probabilities : config.outputs.prediction)!;
}

/**
 * The graph outputs an inference answers, in the graph's order: the
 * configured one and every other numeric tensor (iris's INT64 `label`), which
 * the runner fetches in the same run.
 */
function servedOutputs(v: ModelVersion): readonly TensorInfo[] {
  const name = servedName(v);
  return v.outputs.filter((o) => o.name === name || NUMERIC_DATATYPES.has(o.datatype));
}

/** An output's size for `rows` rows when its other dimensions are fixed; undefined when one is dynamic. */
function expectedSize(info: TensorInfo, rows: number): SizedOutput | undefined {
  const rest = info.shape.slice(1);
  if (rest.some((d) => typeof d !== 'number' || d < 0)) return undefined;
  return { name: info.name, datatype: info.datatype, elements: rows * rest.reduce((n, d) => n * d, 1), rank: info.shape.length };
}

/** One array of the chunks' elements, in order (the chunk itself when there is one). */
function joined(chunks: NumericArray[]): NumericArray {
  if (chunks.length === 1) return chunks[0]!;
  const first = chunks[0]!;
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const out = new (first.constructor as new (n: number) => NumericArray)(total);
  let offset = 0;
  for (const c of chunks) {
    (out as Float32Array).set(c as Float32Array, offset);
    offset += c.length;
  }
  return out;
}

const copyInfo = (t: TensorInfo): TensorInfo => ({ name: t.name, datatype: t.datatype, shape: [...t.shape] });
