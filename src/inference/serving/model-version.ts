/**
 * One version of one model: its configuration, its state, and once ready,
 * its runner and the validators compiled for it. Loading follows API.md §14
 * and §15: in a child process, the graph and model.json become the serving
 * configuration (derive-config.ts, a ZipMap removed on a copy) and ONNX
 * Runtime loads what it says; one warm-up run settles it (batchable,
 * regression candidates); the timings and operators decide where it serves;
 * and only then does it count as `ready`.
 */
import { existsSync } from 'node:fs';
import type { ValidateFunction } from 'ajv';
import type { ExecutionProvider } from '../../config.js';
import { StartupError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { ajv } from '../../validation/ajv.js';
import type { ProviderSelector } from '../runtime/execution-providers.js';
import { DEFAULT_MAX_BATCH_SIZE, DEFAULT_MAX_DELAY_MS, type ClassifierSpec, type ModelConfig } from './model-config.js';
import { MalformedOnnx, repositoryExternalDataProblem, uploadExternalDataProblem } from './external-data.js';
import { OnnxRunner } from '../runtime/onnx-runner.js';
import { AS_SENT, type ModelRunner, type TensorInfo } from '../runtime/model-runner.js';
import { WorkerRunner } from '../runtime/worker-runner.js';
import { MODEL_JSON_MISSING } from './repository.js';
import { warmUpTensors, type WarmUpFill } from './tensor-warm-up.js';
import { settleByWarmUp } from './derive/settle-by-warm-up.js';
import { withSettings, type ServingConfig } from './derive/serving-config.js';
import { ConfigRefused, DeadlineExceeded, ProcessRunner } from '../runtime/process-runner.js';
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

/** The message of a thrown value, for a log field. */
const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** A reason safe to show in the API (no paths, no library messages); details go to the log. */
class LoadFailure extends Error {}

const NOT_ONNX = 'model.onnx could not be loaded by ONNX Runtime (not a valid ONNX model)';

/** Output shapes of the warm-up run, by output name. */
type WarmUpShapes = Map<string, readonly number[]>;

/** Elements per row of an output: from the warm-up run, else from its declared shape (0 when unknown). */
function rowWidth(shape: readonly number[] | undefined): number {
  if (!shape) return 0;
  const width = shape.slice(1).reduce((a, b) => a * b, 1);
  return width > 0 ? width : 0;
}

/**
 * The schema a `features` value must satisfy on /api/v1, or undefined for a
 * tensor model: one whose inputs fit no layout, or whose outputs fit no task
 * (API.md §14: served through /v2 only), as the warm-up settled it.
 */
export function featuresOf(serving: ServingConfig): Record<string, unknown> | undefined {
  return serving.task === 'tensor' ? undefined : serving.featureSchema;
}

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
   * (withSettings). Undefined until the version is ready.
   */
  serving: ServingConfig | undefined;
  /** Compiled once at load from `serving.featureSchema` (settled); undefined for a tensor model (task 'tensor'). */
  validateFeatures: ValidateFunction | undefined;
  /** Size and modification time of model.onnx as loaded (hot reload compares it with the disk). */
  stamp: string | undefined;
  /** @deprecated use serving (classification.probabilities / prediction, by name). Elements per row of that output. */
  outputWidth = 0;
  /** @deprecated use serving (classification.probabilities / prediction, by name). Its position among the runner's outputs. */
  outputIndex = -1;
  /** Where the runner runs once ready: the main thread, a worker thread or a child process. */
  placement: Placement | undefined;

  constructor(
    readonly name: string,
    readonly version: string,
    /** @deprecated use serving. model.json as read (undefined without one; under API.md §14 any member may be missing). */
    public config: ModelConfig | undefined,
    readonly modelPath: string,
  ) {}

  /** @deprecated use serving.features. */
  get featureNames(): readonly string[] {
    return this.serving?.features.map((f) => f.name) ?? [];
  }

  /** @deprecated use serving.featureSchema (and serving.task). */
  get featureSchema(): Record<string, unknown> | undefined {
    return this.serving && featuresOf(this.serving);
  }

  /** @deprecated use serving.classification. Labels, threshold and confidence cut-offs. */
  get classifier(): ClassifierSpec | undefined {
    return this.serving?.classification;
  }

  get executionProvider(): ExecutionProvider | undefined {
    return this.runner?.executionProvider;
  }

  /** The served graph's inputs (a rewritten graph's, API.md §14). */
  get inputs(): readonly TensorInfo[] {
    return this.runner?.inputs ?? [];
  }

  /** The served graph's tensor outputs (a removed ZipMap's under its own name). */
  get outputs(): readonly TensorInfo[] {
    return this.runner?.outputs ?? [];
  }

  get batching(): { max_batch_size: number; max_delay_ms: number } | undefined {
    return this.serving?.batching;
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
   * (runner AS_SENT). The settled configuration decides (API.md §14); a
   * PATCH of batching replaces it, and applies at once.
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
   * graph's, with a matrix's width fixed to its number of features when the
   * graph leaves it open.
   */
  get requestInputs(): readonly TensorInfo[] {
    const serving = this.serving;
    if (!serving || serving.layout !== 'matrix') return this.inputs;
    this.matrixInputs ??= serving.inputs.map((i) => ({ name: i.name, datatype: i.datatype, shape: [i.shape[0]!, serving.features.length] }));
    return this.matrixInputs;
  }

  private matrixInputs: TensorInfo[] | undefined;

  /**
   * Loads, derives, warms and places the version, from `bytes` when given (an
   * upload) or else from modelPath; never throws except for a fatal StartupError.
   */
  async load(options: LoadOptions, configError?: string, bytes?: Uint8Array): Promise<this> {
    const log = options.logger.child({ model: this.name, version: this.version });
    let runner: ModelRunner | undefined;
    const warmUpTimeoutMs = options.warmUpTimeoutMs ?? DEFAULT_WARMUP_TIMEOUT_MS;
    const tooSlow = () => new LoadFailure(`its warm-up exceeded MODEL_WARMUP_TIMEOUT_MS (${warmUpTimeoutMs} ms)`);
    try {
      // No model.json is a model too (API.md §14); one that is there must be valid.
      if (configError !== undefined && configError !== MODEL_JSON_MISSING) throw new LoadFailure(configError);
      if (!bytes && !existsSync(this.modelPath)) throw new LoadFailure('model.onnx is missing');
      await this.checkExternalData(log, bytes);
      const source = bytes ?? this.modelPath;
      // First in a child process, whatever the model: neither decoding the graph nor anything ORT does there can hold the event loop (API.md §15).
      const readyBy = performance.now() + warmUpTimeoutMs;
      const probeOptions = { model: source, intraOpThreads: options.intraOpThreads, providers: options.providers };
      const probe = await ProcessRunner.load(probeOptions, { readyBy, scanOps: true, derive: { json: this.config } }).catch((err: unknown) => {
        if (err instanceof StartupError) throw err;
        if (err instanceof DeadlineExceeded) throw tooSlow();
        if (err instanceof ConfigRefused) throw new LoadFailure(err.message);
        log.error({ err }, 'ONNX Runtime could not load model.onnx');
        throw new LoadFailure(NOT_ONNX);
      });
      runner = probe;
      const derived = probe.derived!;
      // ONNX Runtime serves the rewritten graph (a ZipMap removed); the file on disk is unchanged (API.md §14).
      const runnerOptions = { ...probeOptions, model: derived.rewritten ?? source };
      const { serving, shapes, fill, runMs } = await beforeDeadline(this.warmUpProbe(probe, derived.config, log), readyBy, () => probe.kill())
        .catch((err: unknown) => {
          throw err instanceof DeadlineExceeded ? tooSlow() : err;
        });
      const validateFeatures = featuresOf(serving) ? ajv.compile(featuresOf(serving)!) : undefined;
      const { placement, why } = placeRunner(serving.runner, { ops: probe.ops, loadMs: probe.loadMs, runMs });
      if (placement === 'process') {
        // A little after the requests' own deadline, so that they get their 504 first, never the kill's error.
        if (options.inferenceTimeoutMs !== undefined) probe.maxRunMs = options.inferenceTimeoutMs + STUCK_RUN_GRACE_MS;
      } else {
        runner = undefined;
        // Released in the background: the new runner needs nothing from it.
        void probe.dispose().catch((err: unknown) => log.warn({ err }, 'releasing the warm-up process failed'));
        runner = await (placement === 'worker' ? WorkerRunner : OnnxRunner).load(runnerOptions);
        // Its first run is the slow one: taken here, not by a request (a warm-up that failed in the probe is not retried: logged once).
        if (shapes) await runner.run(warmUpTensors(serving, undefined, fill), AS_SENT);
      }
      // Unloaded while it was loading (shutdown, delete): do not come back to life.
      if ((this.state as ModelState) === 'unloaded') {
        await runner.dispose();
        return this;
      }
      this.placement = placement;
      this.serving = serving;
      this.validateFeatures = validateFeatures;
      this.setLegacyOutput(serving, runner.outputs, shapes);
      this.runner = options.wrapRunner ? options.wrapRunner(runner, this) : runner;
      this.state = 'ready';
      log.info({
        execution_provider: runner.executionProvider, runner: placement, placed_because: why,
        task: serving.task, batchable: serving.batchable, rewrites: serving.rewrites.length,
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
   * The warm-up in the child process: the run of API.md §14 settles the
   * configuration; then, timed (the first run is slow), the same feeds again
   * and, for a model that answers rows, the largest batch a request can
   * cause (max_batch_size rows; a default batch when batching is off, since
   * a request still runs as one). `runMs` is the slower: placement reads it.
   */
  private async warmUpProbe(probe: ProcessRunner, derived: ServingConfig, log: Logger): Promise<{ serving: ServingConfig; shapes?: WarmUpShapes; fill: WarmUpFill; runMs: number }> {
    const { shapes, fill } = await this.warmUpRun(probe, derived, log);
    const settled = settleByWarmUp(derived, shapes);
    if ('reason' in settled) throw new LoadFailure(settled.reason);
    const serving = settled.config;
    if (!shapes) return { serving, fill, runMs: 0 };
    const again = await probe.timedRun(warmUpTensors(serving, undefined, fill), AS_SENT);
    if (!serving.answersRows) return { serving, shapes, fill, runMs: again.ms };
    const rows = serving.batching.max_batch_size || DEFAULT_MAX_BATCH_SIZE;
    const full = await probe.timedRun(warmUpTensors(serving, rows, fill), rows);
    return { serving, shapes, fill, runMs: Math.max(again.ms, full.ms) };
  }

  /**
   * The warm-up run of API.md §14 on `serving`'s inputs (zero-filled, '' for
   * BYTES, the first dynamic dimension 2, as sent): the output shapes it
   * answers, by name. When it fails and the inputs are named features, the
   * same run on every feature's baseline decides instead: converters'
   * categorical encoders refuse '' (OneHotEncoder zeros=0), and without a
   * run that answers rows such a model would never batch. When both fail,
   * the version is still ready (logged once at warn; undefined shapes)
   * unless model.json says `"warmup": "required"`.
   */
  private async warmUpRun(runner: ModelRunner, serving: ServingConfig, log: Logger): Promise<{ shapes?: WarmUpShapes; fill: WarmUpFill }> {
    const fills: WarmUpFill[] = serving.features.length > 0 ? ['zeros', 'baselines'] : ['zeros'];
    let failure: unknown;
    for (const fill of fills) {
      try {
        const outputs = await runner.run(warmUpTensors(serving, undefined, fill), AS_SENT);
        // Nothing is wrong with such a model (its encoders refuse unknown categories by design): info, not warn.
        if (failure !== undefined) log.info({ refused: errorMessage(failure) }, 'warm-up run on zeros refused; the run on the features\' baselines answered');
        return { shapes: new Map(runner.outputs.map((o, i) => [o.name, outputs[i]!.dims] as const)), fill };
      } catch (err) {
        if (err instanceof DeadlineExceeded) throw err;
        failure ??= err;
      }
    }
    if (serving.warmup === 'required') throw failure;
    log.warn({ err: failure }, 'warm-up run failed; the model serves, each request alone');
    return { fill: 'zeros' };
  }

  /** The deprecated outputIndex / outputWidth, from the settled configuration (until /api/v1 reads serving). */
  private setLegacyOutput(serving: ServingConfig, outputs: readonly TensorInfo[], shapes: WarmUpShapes | undefined): void {
    const name = serving.classification?.probabilities ?? serving.prediction;
    this.outputIndex = name === undefined ? -1 : outputs.findIndex((o) => o.name === name);
    if (name !== undefined) this.outputWidth = rowWidth(shapes?.get(name) ?? outputs[this.outputIndex]?.shape);
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

  /** Serving settings changed (PATCH): same labels and features, new threshold, confidence or batching. */
  applySettings(config: ModelConfig): void {
    this.config = config;
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
