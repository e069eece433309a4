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
 * outputs. OIP inferences are neither recorded nor cached. Any model is
 * served on its own tensors, every datatype (API.md §14).
 */
import { randomUUID } from 'node:crypto';
import { modelNotFound } from '../../errors.js';
import type { Lifecycle } from '../../lifecycle.js';
import { configView } from '../serving/derive/serving-config.js';
import { AS_SENT, type TensorData, type TensorInfo, type TensorValue } from '../runtime/model-runner.js';
import { concatRows, sliceRows } from '../runtime/tensor-rows.js';
import type { ModelVersion } from '../serving/model-version.js';
import type { ModelRegistry } from '../serving/registry.js';
import { answerBound, checkAnswerSize, checkOutputNames, sizedOutput, type SizedOutput } from './answer-size.js';
import { checkInputs, type InputTensor } from './tensors-in.js';

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
  data: TensorData;
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
      // The served configuration's tensors: a removed ZipMap's output as the FP32 [N, C] it serves (API.md §14).
      inputs: (v.serving?.inputs ?? v.inputs).map(copyInfo),
      outputs: (v.serving?.outputs ?? v.outputs).map(copyInfo),
    };
  }

  /** GET /v2/models/{name}[/versions/{version}]/config: the configuration in force (API.md §14), with name and ready versions. */
  modelConfig(name: string, version?: string): Record<string, unknown> {
    const v = this.options.registry.resolve(name, version);
    return { name: v.name, versions: this.readyVersions(name), ...configView(v.serving!) };
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
   * One inference: 404/503 for the model, 400/413 for tensors that do not
   * fit (tensors-in.ts), 400 for an `outputs` list that names an output
   * twice (or more than the model has), 413 for an answer over the send limit
   * (checked from the output shapes before the run when they are fixed, and
   * from the tensors after it, before any encoding), 503/504 from the
   * batcher. Every tensor output of the graph is answered, any datatype, or
   * those named in `outputs`, in that order.
   */
  async infer(name: string, version: string | undefined, request: InferRequest): Promise<InferResult> {
    const v = this.options.registry.resolve(name, version);
    const { feeds, rows } = checkInputs(request.inputs, {
      inputs: v.requestInputs, batchable: v.batchable, maxRows: this.options.maxBatchSize, finiteOnly: v.namedFeatures,
    });
    const served = v.outputs;
    const names = served.map((o) => o.name);
    const wanted = request.outputs ?? names;
    checkOutputNames(wanted, names);
    const at = wanted.map((out) => names.indexOf(out));
    const id = request.id ?? randomUUID();
    const expected = at.map((k) => expectedSize(served[k]!, rows));
    if (expected.every((o) => o !== undefined)) this.checkSize(expected as SizedOutput[], request, id);
    const tensors = await this.run(v, feeds, rows);
    const outputs = at.map((k) => {
      const t = tensors[k]!;
      return { name: served[k]!.name, datatype: t.datatype, shape: [...t.dims], data: t.data };
    });
    this.checkSize(outputs.map(sizedOutput), request, id);
    return { model_name: v.name, model_version: v.version, id, outputs };
  }

  /** Refuses an answer whose size bound exceeds the send limit. */
  private checkSize(outputs: readonly SizedOutput[], request: InferRequest, id: string): void {
    const asJson = request.asJson ?? (() => false);
    const bound = answerBound(outputs, asJson, id.length);
    checkAnswerSize(bound, this.options.maxAnswerBytes, outputs.some((o) => asJson(o.name)));
  }

  /**
   * Runs the feeds through the version's runner chain: a batchable request
   * in chunks of the model's batch limit, its outputs joined back by rows;
   * any other request in one run, as sent.
   */
  private async run(v: ModelVersion, feeds: TensorValue[], rows: number): Promise<TensorValue[]> {
    const runner = v.runner!;
    const chunk = v.maxBatchSize;
    if (rows === AS_SENT || rows <= chunk) return runner.run(feeds, rows);
    const parts: TensorValue[][] = [];
    for (let start = 0; start < rows; start += chunk) {
      const n = Math.min(chunk, rows - start);
      parts.push(await runner.run(feeds.map((f) => sliceRows(f, start, n)), n));
    }
    return parts[0]!.map((_, k) => concatRows(parts.map((p) => p[k]!)));
  }

  private readyVersions(name: string): string[] {
    const entry = this.options.registry.get(name);
    return entry ? entry.versionList().filter((ver) => entry.versions.get(ver)!.state === 'ready') : [];
  }
}

/**
 * An output's size before the run, when every dimension but a batchable
 * request's rows is fixed and its elements have a fixed width; undefined
 * otherwise (the check after the run still holds).
 */
function expectedSize(info: TensorInfo, rows: number): SizedOutput | undefined {
  if (info.datatype === 'BYTES') return undefined;
  const dims = rows === AS_SENT ? info.shape : info.shape.slice(1);
  if (dims.some((d) => typeof d !== 'number' || d < 0)) return undefined;
  const elements = dims.reduce((n, d) => n * d, rows === AS_SENT ? 1 : rows);
  return { name: info.name, datatype: info.datatype, elements, rank: info.shape.length };
}

const copyInfo = (t: TensorInfo): TensorInfo => ({ name: t.name, datatype: t.datatype, shape: [...t.shape] });
