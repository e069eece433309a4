/**
 * One version of one model: its config, its state, and once ready, its
 * runner and the validators compiled for it. Loading follows the contract:
 * create the session, check the graph against the config, warm it with one
 * run, and only then count as `ready`.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { ValidateFunction } from 'ajv';
import type { ExecutionProvider } from '../../config.js';
import { StartupError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { ajv } from '../../validation/ajv.js';
import type { ProviderSelector } from '../runtime/execution-providers.js';
import {
  batchingOf, classifierSpec, DEFAULT_MAX_BATCH_SIZE, DEFAULT_MAX_DELAY_MS, featureSchema,
  type ClassifierSpec, type ModelConfig,
} from './model-config.js';
import { MalformedOnnx, repositoryExternalDataProblem, uploadExternalDataProblem } from './external-data.js';
import { OnnxRunner } from '../runtime/onnx-runner.js';
import { AS_SENT, type ModelRunner, type TensorInfo } from '../runtime/model-runner.js';
import { outputWidth } from '../prediction/tensor.js';
import { WorkerRunner } from '../runtime/worker-runner.js';
import { MODEL_JSON_MISSING } from './repository.js';
import { warmUpTensors } from './tensor-warm-up.js';
import { configFromOnnx } from './derive/derive-config.js';
import { settleByWarmUp } from './derive/settle-by-warm-up.js';
import { withSettings, type ServingConfig } from './derive/serving-config.js';
import { DeadlineExceeded, ProcessRunner } from '../runtime/process-runner.js';
import { placeRunner, type Placement } from '../runtime/runner-placement.js';
import { beforeDeadline } from '../runtime/deadline.js';

export type ModelState = 'loading' | 'ready' | 'failed' | 'unloaded';

export interface LoadOptions {
  providers: ProviderSelector;
  intraOpThreads: number;
  logger: Logger;
  /** Wraps the ONNX runner (dynamic batching, worker threads). */
  wrapRunner?: (runner: ModelRunner, version: ModelVersion) => ModelRunner;
  /** MODEL_WARMUP_TIMEOUT_MS: longest the first load and warm-up may take [30000]. */
  warmUpTimeoutMs?: number;
  /** INFERENCE_TIMEOUT_MS: a run in a child process past it is stopped (nobody waits for it any more). */
  inferenceTimeoutMs?: number;
}

export const DEFAULT_WARMUP_TIMEOUT_MS = 30_000;
/** How long after INFERENCE_TIMEOUT_MS a run in a child process is stopped. */
const STUCK_RUN_GRACE_MS = 100;

/** A reason safe to show in the API (no paths, no library messages); details go to the log. */
class LoadFailure extends Error {}

const NOT_ONNX = 'model.onnx could not be loaded by ONNX Runtime (not a valid ONNX model)';

export class ModelVersion {
  state: ModelState = 'loading';
  /** Why the version failed, in words safe to show to callers. */
  reason: string | undefined;
  runner: ModelRunner | undefined;
  /**
   * The configuration this version is served with (API.md §14, STYLE.md
   * habit 12): derived from the ONNX graph as ONNX Runtime loads it (a
   * removed ZipMap listed in `rewrites`), with model.json's members over it,
   * for every version, with or without model.json. Set during load(); once
   * `state` is 'ready' it is settled by the warm-up run (`batchable`,
   * regression candidates resolved, probabilities width checked). A PATCH
   * or a changed model.json replaces it with new serving settings
   * (withSettings). Undefined before load() and when the version failed
   * before its graph was read.
   */
  serving: ServingConfig | undefined;
  /** @deprecated use serving.features */
  readonly featureNames: readonly string[];
  /** @deprecated use serving.featureSchema */
  readonly featureSchema: Record<string, unknown> | undefined;
  /** @deprecated use serving.classification. Labels, threshold and confidence cut-offs; replaced by applySettings (PATCH). */
  classifier: ClassifierSpec | undefined;
  /** Size and modification time of model.onnx as loaded (hot reload compares it with the disk). */
  stamp: string | undefined;
  /** @deprecated use serving (classification.probabilities / prediction, by name). Columns of the output tensor per row, known after warm-up. */
  outputWidth = 0;
  /** @deprecated use serving (classification.probabilities / prediction, by name). Position of the configured output among the runner's outputs. */
  outputIndex = -1;
  /** Compiled once from `serving.featureSchema` at load; undefined for a tensor model. */
  validateFeatures: ValidateFunction | undefined;
  /** Where the runner runs once ready: the main thread, a worker thread or a child process. */
  placement: Placement | undefined;

  constructor(
    readonly name: string,
    readonly version: string,
    /** @deprecated use serving. model.json as read (undefined without one). */
    public config: ModelConfig | undefined,
    readonly modelPath: string,
  ) {
    this.featureNames = config ? config.features.map((f) => f.name) : [];
    this.featureSchema = config ? featureSchema(config) : undefined;
    this.classifier = config ? classifierSpec(config) : undefined;
  }

  get executionProvider(): ExecutionProvider | undefined {
    return this.runner?.executionProvider;
  }

  get inputs(): readonly TensorInfo[] {
    return this.runner?.inputs ?? [];
  }

  get outputs(): readonly TensorInfo[] {
    return this.runner?.outputs ?? [];
  }

  get batching(): { max_batch_size: number; max_delay_ms: number } | undefined {
    return this.serving?.batching ?? (this.config ? batchingOf(this.config) : undefined);
  }

  /** Most rows in one run (model.json's `batching.max_batch_size`; 0: batching off). */
  get maxBatchSize(): number {
    return this.batching?.max_batch_size ?? DEFAULT_MAX_BATCH_SIZE;
  }

  get maxDelayMs(): number {
    return this.batching?.max_delay_ms ?? DEFAULT_MAX_DELAY_MS;
  }

  /**
   * Whether requests run through the dynamic batcher, in 8-row-aligned runs
   * of at most maxBatchSize rows; otherwise each runs alone, exactly as sent
   * (runner AS_SENT). Read per request: a PATCH of batching applies at once.
   */
  get batchable(): boolean {
    return this.serving?.batchable ?? false;
  }

  /**
   * Whether the inputs are named features (API.md §14 "Values": a features
   * list in model.json, or per-column inputs): such a model refuses non-finite numbers.
   */
  get namedFeatures(): boolean {
    return this.serving !== undefined && this.serving.layout !== 'tensor' && this.serving.namedFeatures;
  }

  /**
   * The input tensors an inference request must give, in feed order: the
   * config's `[N, F]` FP32 input for a model with named features, else the
   * graph's own inputs.
   */
  get requestInputs(): readonly TensorInfo[] {
    if (!this.config) return this.inputs;
    this.configInputs ??= [{ name: this.config.input, datatype: 'FP32', shape: [-1, this.featureNames.length] }];
    return this.configInputs;
  }

  private configInputs: TensorInfo[] | undefined;

  /**
   * Loads, checks and warms the version, from `bytes` when given (an upload)
   * or else from modelPath; never throws except for a fatal StartupError.
   */
  async load(options: LoadOptions, configError?: string, bytes?: Uint8Array): Promise<this> {
    const log = options.logger.child({ model: this.name, version: this.version });
    let runner: ModelRunner | undefined;
    const warmUpTimeoutMs = options.warmUpTimeoutMs ?? DEFAULT_WARMUP_TIMEOUT_MS;
    const tooSlow = () => new LoadFailure(`its warm-up exceeded MODEL_WARMUP_TIMEOUT_MS (${warmUpTimeoutMs} ms)`);
    try {
      // derived config: replaced when derive-config lands (a model without model.json serves its own tensors through /v2).
      const tensorModel = !this.config && configError === MODEL_JSON_MISSING;
      if (!this.config && !tensorModel) throw new LoadFailure(configError ?? 'model.json is invalid');
      if (!bytes && !existsSync(this.modelPath)) throw new LoadFailure('model.onnx is missing');
      await this.checkExternalData(log, bytes);
      const derived = configFromOnnx(bytes ?? (await readFile(this.modelPath)), this.config);
      if ('reason' in derived) throw new LoadFailure(derived.reason);
      let serving = derived.config;
      this.validateFeatures = serving.featureSchema ? ajv.compile(serving.featureSchema) : undefined;
      // ONNX Runtime gets the rewritten graph (a ZipMap removed); the file on disk is unchanged (API.md §14).
      const model = serving.rewrites.length > 0 ? derived.bytes : bytes ?? this.modelPath;
      const runnerOptions = { model, intraOpThreads: options.intraOpThreads, providers: options.providers };
      // First in a child process, whatever the model: nothing it does there can hold the event loop (API.md §15).
      const readyBy = performance.now() + warmUpTimeoutMs;
      const probe = await ProcessRunner.load(runnerOptions, { readyBy, scanOps: true }).catch((err: unknown) => {
        if (err instanceof StartupError) throw err;
        if (err instanceof DeadlineExceeded) throw tooSlow();
        log.error({ err }, 'ONNX Runtime could not load model.onnx');
        throw new LoadFailure(NOT_ONNX);
      });
      runner = probe;
      if (!tensorModel) this.checkGraph(probe);
      const warm = async (r: ModelRunner, settle: boolean): Promise<number> => {
        const { shapes, ms } = await this.warmUpRun(r, serving, log);
        if (settle) {
          const settled = settleByWarmUp(serving, shapes);
          if ('reason' in settled) throw new LoadFailure(settled.reason);
          serving = settled.config;
        }
        return tensorModel ? ms : this.warmUp(r);
      };
      const runMs = await beforeDeadline(warm(probe, true), readyBy, () => probe.kill()).catch((err: unknown) => {
        throw err instanceof DeadlineExceeded ? tooSlow() : err;
      });
      const { placement, why } = placeRunner(this.config?.runner, { ops: probe.ops, loadMs: probe.loadMs, runMs });
      if (placement === 'process') {
        // A little after the requests' own deadline, so that they get their 504 first, never the kill's error.
        if (options.inferenceTimeoutMs !== undefined) probe.maxRunMs = options.inferenceTimeoutMs + STUCK_RUN_GRACE_MS;
      } else {
        runner = undefined;
        // Released in the background: the new runner needs nothing from it.
        void probe.dispose().catch((err: unknown) => log.warn({ err }, 'releasing the warm-up process failed'));
        runner = await (placement === 'worker' ? WorkerRunner : OnnxRunner).load(runnerOptions);
        await warm(runner, false);
      }
      // Unloaded while it was loading (shutdown, delete): do not come back to life.
      if ((this.state as ModelState) === 'unloaded') {
        await runner.dispose();
        return this;
      }
      this.placement = placement;
      this.serving = serving;
      this.runner = options.wrapRunner ? options.wrapRunner(runner, this) : runner;
      this.state = 'ready';
      log.info({
        execution_provider: runner.executionProvider, runner: placement, placed_because: why,
        probe_load_ms: Math.round(probe.loadMs * 10) / 10, probe_run_ms: Math.round(runMs * 10) / 10,
      }, 'model version ready');
    } catch (err) {
      if (err instanceof StartupError) throw err;
      await runner?.dispose().catch(() => undefined);
      this.state = 'failed';
      this.reason = err instanceof LoadFailure ? err.message : 'warm-up run failed';
      log.error({ err, reason: this.reason }, 'model version failed to load');
    }
    return this;
  }

  /**
   * Refuses, before ONNX Runtime reads anything, a file whose tensors would
   * read other files (external-data.ts): any, for an upload; outside the
   * version folder, for a repository model.
   */
  private async checkExternalData(log: Logger, bytes: Uint8Array | undefined): Promise<void> {
    try {
      const problem = bytes ? uploadExternalDataProblem(bytes) : await repositoryExternalDataProblem(this.modelPath);
      if (!problem) return;
      log.error(problem.log, 'external data refused');
      throw new LoadFailure(problem.reason);
    } catch (err) {
      if (err instanceof LoadFailure) throw err;
      const malformed = err instanceof MalformedOnnx;
      log.error({ err }, malformed ? 'model.onnx is not an ONNX model' : 'model.onnx could not be read');
      throw new LoadFailure(malformed ? NOT_ONNX : 'model.onnx could not be read');
    }
  }

  /** Does the graph take the config's input and give its output, in the right shapes? */
  private checkGraph(runner: ModelRunner): void {
    const config = this.config!;
    const input = runner.inputs.find((i) => i.name === config.input);
    if (!input) {
      throw new LoadFailure(`the graph has no input '${config.input}' (it has: ${runner.inputs.map((i) => i.name).join(', ')})`);
    }
    if (runner.inputs.length !== 1) throw new LoadFailure('the graph must have exactly one input');
    if (input.datatype !== 'FP32') throw new LoadFailure(`input '${input.name}' is ${input.datatype}, expected FP32`);
    const width = input.shape[1];
    if (input.shape.length !== 2 || (width !== -1 && width !== this.featureNames.length)) {
      throw new LoadFailure(
        `input '${input.name}' has shape [${input.shape.join(', ')}], expected [-1, ${this.featureNames.length}] for ${this.featureNames.length} features`,
      );
    }
    const outputName = config.task === 'classification' ? config.outputs.probabilities : config.outputs.prediction;
    const output = runner.outputs.find((o) => o.name === outputName);
    if (!output) {
      throw new LoadFailure(`the graph has no output '${outputName}' (it has: ${runner.outputs.map((o) => o.name).join(', ')})`);
    }
    if (output.datatype !== 'FP32') throw new LoadFailure(`output '${output.name}' is ${output.datatype}, expected FP32`);
    this.outputIndex = runner.outputs.indexOf(output);
  }

  /**
   * One run on a row of baselines: the first run is slow, and it proves the
   * output's shape. A padded run, so every output must answer its rows: a
   * model with named features is batchable (its input is `[N, F]`). In the
   * child process, then one more row and one full batch (max_batch_size
   * rows, the largest run a request can cause), timed: resolves with the
   * slower of the two (ms), 0 elsewhere.
   */
  private async warmUp(runner: ModelRunner): Promise<number> {
    const row = new Float32Array(this.config!.features.map(warmUpValue));
    const feed = (data: Float32Array, rows: number) => [{ datatype: 'FP32', dims: [rows, row.length], data }];
    const outputs = await runner.run(feed(row, 1), 1);
    const width = outputWidth(outputs[this.outputIndex]!, 1);
    const labels = this.classifier?.labels.length;
    const fits = labels === undefined ? width === 1 : width === labels || (width === 1 && labels === 2);
    if (!fits) {
      throw new LoadFailure(
        labels === undefined
          ? `output has ${width} columns per row, expected 1`
          : `output has ${width} columns per row, expected ${labels} (one per label)`,
      );
    }
    this.outputWidth = width;
    if (!(runner instanceof ProcessRunner)) return 0;
    const one = await runner.timedRun(feed(row, 1), 1);
    // Batching off (0): a request still runs as one, so the timed run is a full default batch.
    const rows = this.batching!.max_batch_size || DEFAULT_MAX_BATCH_SIZE;
    const batch = new Float32Array(rows * row.length);
    for (let r = 0; r < rows; r++) batch.set(row, r * row.length);
    const full = await runner.timedRun(feed(batch, rows), rows);
    return Math.max(one.ms, full.ms);
  }

  /**
   * The warm-up run of API.md §14 on `serving`'s inputs (zero-filled, the
   * first dynamic dimension 2, as sent): the output shapes it answers, by
   * name, for settleByWarmUp, and how long it took in a child process (ms,
   * 0 elsewhere). A failed run leaves the version ready (logged once at
   * warn, `shapes` undefined) unless model.json says `"warmup": "required"`.
   */
  private async warmUpRun(runner: ModelRunner, serving: ServingConfig, log: Logger): Promise<{ shapes?: Map<string, readonly number[]>; ms: number }> {
    try {
      const feeds = warmUpTensors(serving);
      const { outputs, ms } = runner instanceof ProcessRunner
        ? await runner.timedRun(feeds, AS_SENT)
        : { outputs: await runner.run(feeds, AS_SENT), ms: 0 };
      return { shapes: new Map(runner.outputs.map((o, i) => [o.name, outputs[i]!.dims] as const)), ms };
    } catch (err) {
      if (err instanceof DeadlineExceeded || serving.warmup === 'required') throw err;
      log.warn({ err }, 'warm-up run failed; the model serves, each request alone');
      return { ms: 0 };
    }
  }

  /** Serving settings changed (PATCH): same labels and features, new threshold, confidence or batching. */
  applySettings(config: ModelConfig): void {
    this.config = config;
    this.classifier = classifierSpec(config);
    if (this.serving) this.serving = withSettings(this.serving, config);
  }

  /**
   * Takes the version out of service. A request that already resolved it
   * keeps its runner, which is released once its runs are done.
   */
  async unload(): Promise<void> {
    this.state = 'unloaded';
    await this.runner?.dispose();
  }
}

/** A valid value for a feature: its baseline, else the middle of its range (warm-up, explanations). */
export function warmUpValue(f: { baseline?: number; minimum?: number; maximum?: number; exclusiveMinimum?: number }): number {
  if (f.baseline !== undefined) return f.baseline;
  const lo = f.minimum ?? f.exclusiveMinimum;
  if (lo !== undefined && f.maximum !== undefined) return (lo + f.maximum) / 2;
  return lo !== undefined ? lo + 1 : 1;
}
