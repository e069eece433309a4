/**
 * The protocol-neutral data plane for predictions: validates a predict or
 * batch body against the request schema and the model's feature schema,
 * turns the rows into the model's feeds (feature-feeds.ts), runs them in as
 * few runs as the model's batch limit allows, and shapes the results
 * (output-answers.ts). Never sees req or res.
 */
import { newId } from '../../ids.js';
import { AppError, modelNotFound, validationError, type ErrorDetail } from '../../errors.js';
import type { RecordStore } from '../../store/store.js';
import { schemaValidator } from '../../validation/ajv.js';
import { DetailCollector } from '../../validation/details.js';
import { explainRows, type Explanation } from './explain.js';
import { encodeRows, sliceFeeds } from './feature-feeds.js';
import type { ModelVersion } from '../serving/model-version.js';
import { readOutput, type Regression } from './output-answers.js';
import { classificationOf, planOf, unsupportedModel, type PredictPlan } from './predict-plan.js';
import { DEFAULT_TOP_K, PredictionCache } from './prediction-cache.js';
import type { ModelRegistry } from '../serving/registry.js';
import { AS_SENT } from '../runtime/model-runner.js';
import type { Classification, Features } from './tensor.js';

export interface PredictOptions {
  explain?: boolean;
  threshold?: number;
  top_k?: number;
}

interface PredictBody {
  model?: string;
  version?: string;
  features: Features;
  options?: PredictOptions;
}

/** Batch options add the async job settings (API.md §6). */
export interface BatchOptions extends PredictOptions {
  async?: boolean;
  callback_url?: string;
}

interface BatchBody {
  model?: string;
  version?: string;
  instances: Features[];
  options?: BatchOptions;
}

/** One row's answer: a classification or a regression value, explained when asked. */
export type RowResult = (Classification | Regression) & { explanation?: Explanation };

export interface PredictionData {
  id: string;
  model: string;
  model_version: string;
  [field: string]: unknown;
}

export interface BatchData {
  model: string;
  model_version: string;
  count: number;
  /** Rows in the order of the instances; the model is said once, above (API.md §4). */
  predictions: RowResult[];
}

export interface PredictServiceOptions {
  defaultModel: string | undefined;
  maxBatchSize: number;
  /** Where every single prediction is recorded before it is answered (API.md §11). */
  records?: RecordStore;
  /** The cache of identical single predictions; off when absent. */
  cache?: PredictionCache<RowResult>;
}

/** Who asks and through which route, for POST /predict and /models/{name}/predict. */
export interface PredictCall {
  /** The model named in the path (`/models/{name}/predict`). */
  pathModel?: string;
  /** The caller's owner id (`sub:<sub>`, `key:<id>`), recorded with the prediction. */
  owner?: string;
}

/** A batch that passed every check, pinned to a ready model version. */
export interface CheckedBatch {
  version: ModelVersion;
  instances: Features[];
  options: BatchOptions | undefined;
}


/** A version that /api/v1 can serve, with its plan. */
interface Target {
  version: ModelVersion;
  plan: PredictPlan;
}

export class PredictService {
  private readonly validatePredict = schemaValidator<PredictBody>('predict-request.schema.json');
  private readonly validateModelPredict = schemaValidator<PredictBody>('model-predict-request.schema.json');
  private readonly validateBatch = schemaValidator<BatchBody>('batch-request.schema.json');

  constructor(
    private readonly registry: ModelRegistry,
    private readonly options: PredictServiceOptions,
  ) {}

  /** POST /predict and POST /models/{name}/predict (`pathModel` set). */
  async predict(
    body: unknown,
    { pathModel, owner = 'anonymous' }: PredictCall = {},
  ): Promise<{ version: ModelVersion; data: PredictionData; cache: 'hit' | 'miss' }> {
    if (pathModel !== undefined && !this.registry.get(pathModel)) throw modelNotFound(pathModel);
    const details = new DetailCollector();
    const validate = pathModel === undefined ? this.validatePredict : this.validateModelPredict;
    const valid = validate(body);
    if (!valid) details.addAjv(validate.errors);
    const b = body as Partial<PredictBody>;
    const target = this.target(b, pathModel, details, valid);
    if (target && isRow(b.features)) checkRow(target, b.features, '/features', details);
    if (target) this.checkOptions(target, b.options, details);
    if (!details.empty || !target) throw validationError(details.details, details.total);

    const { version, plan } = target;
    const features = b.features!;
    const cache = this.options.cache;
    const key = cache?.key(version, plan.keys, features, b.options);
    let row = key === undefined ? undefined : cache!.get(key);
    const hit = row !== undefined;
    if (!row) {
      [row] = await this.runPlan(version, plan, [features], b.options);
      if (key !== undefined) cache!.set(key, row!);
    }
    const data = { id: newId('pred'), model: version.name, model_version: version.version, ...row! };
    // Every prediction, cached or not, is recorded before it is answered (API.md §11); its features as sent.
    await this.options.records?.savePrediction({
      id: data.id, owner, createdAt: Date.now(), model: version.name, modelVersion: version.version,
      features, options: b.options ?? {}, result: row!,
    });
    return { version, data, cache: hit ? 'hit' : 'miss' };
  }

  /** POST /predict/batch: all or nothing, results in the order of `instances`. */
  async predictBatch(body: unknown, extra: ErrorDetail[] = []): Promise<{ version: ModelVersion; data: BatchData }> {
    const { version, instances, options } = this.checkBatch(body, extra);
    const rows = await this.run(version, instances, options);
    return { version, data: batchData(version, rows) };
  }

  /**
   * Every check of a batch body (the synchronous and the async path share it):
   * 413 for too many instances, 422 UNSUPPORTED_MODEL for a tensor model,
   * else one 422 listing every problem, `extra` (checks made by the caller)
   * included.
   */
  checkBatch(body: unknown, extra: readonly ErrorDetail[] = []): CheckedBatch {
    const b = body as Partial<BatchBody>;
    // The instance count is checked before the instances (API.md §11).
    if (isObject(b) && Array.isArray(b.instances) && b.instances.length > this.options.maxBatchSize) {
      throw new AppError(
        'BATCH_TOO_LARGE',
        `${b.instances.length} instances exceed the batch limit of ${this.options.maxBatchSize}`,
      );
    }
    const details = new DetailCollector();
    const valid = this.validateBatch(body);
    if (!valid) details.addAjv(this.validateBatch.errors);
    for (const detail of extra) details.add(detail);
    const target = this.target(b, undefined, details, valid);
    if (target && Array.isArray(b.instances)) {
      for (let i = 0; i < b.instances.length; i++) {
        const row = b.instances[i];
        if (isRow(row)) checkRow(target, row, `/instances/${i}`, details);
      }
    }
    if (target) this.checkOptions(target, b.options, details);
    if (!details.empty || !target) throw validationError(details.details, details.total);
    return { version: target.version, instances: b.instances!, options: b.options };
  }

  /**
   * The model version a body asks for, and its plan. Resolution errors (404,
   * 503) are thrown only when the body is otherwise valid, so that a 422
   * lists every problem first; a tensor model is a 422 UNSUPPORTED_MODEL
   * whatever else the body says, since its features cannot be checked.
   */
  private target(
    b: Partial<PredictBody | BatchBody>,
    pathModel: string | undefined,
    details: DetailCollector,
    bodyValid: boolean,
  ): Target | undefined {
    if (!isObject(b)) return undefined;
    const name = pathModel ?? (typeof b.model === 'string' ? b.model : this.options.defaultModel);
    if (name === undefined) {
      if (b.model === undefined) details.add({ field: '/model', message: 'is required (no default model is configured)' });
      return undefined;
    }
    const version = typeof b.version === 'string' ? b.version : undefined;
    let resolved: ModelVersion | undefined;
    if (bodyValid && details.empty) resolved = this.registry.resolve(name, version);
    else {
      try {
        resolved = this.registry.resolve(name, version);
      } catch {
        return undefined;
      }
    }
    return { version: resolved, plan: planFor(resolved) };
  }

  /** Option rules that depend on the model. */
  private checkOptions({ plan }: Target, options: PredictOptions | undefined, details: DetailCollector): void {
    if (!isObject(options)) return;
    if (options.threshold !== undefined && classificationOf(plan)?.positiveIndex === undefined) {
      details.add({
        field: '/options/threshold',
        message: 'applies only to binary classifiers',
        received: options.threshold,
      });
    }
    const count = plan.features.length;
    if (typeof options.top_k === 'number' && options.top_k > count) {
      details.add({
        field: '/options/top_k',
        message: `must be <= ${count} (the model's number of features)`,
        received: options.top_k,
      });
    }
  }

  /**
   * Runs rows through the model in chunks of its batch limit, encoded once
   * into its feeds (one run as sent when batching is off). Async jobs come
   * through here too.
   */
  async run(version: ModelVersion, rows: readonly Features[], options?: PredictOptions): Promise<RowResult[]> {
    return this.runPlan(version, planFor(version), rows, options);
  }

  private async runPlan(version: ModelVersion, plan: PredictPlan, rows: readonly Features[], options?: PredictOptions): Promise<RowResult[]> {
    const runner = version.runner!;
    const feeds = encodeRows(plan, rows);
    const batchable = version.batchable;
    const chunk = batchable ? version.maxBatchSize : rows.length;
    const results = new Array<RowResult>(rows.length);
    const explain = options?.explain === true;
    // What each answer is explained by: its own unrounded score, and the predicted label.
    const scores = explain ? new Float64Array(rows.length) : undefined;
    const labels = explain ? new Int32Array(rows.length) : undefined;
    const labelIndex = explain ? new Map(classificationOf(plan)?.labels.map((l, k) => [l, k])) : undefined;
    for (let start = 0; start < rows.length; start += chunk) {
      const n = Math.min(chunk, rows.length - start);
      const outputs = await runner.run(sliceFeeds(feeds, start, n), batchable ? n : AS_SENT);
      const reader = readOutput(plan, outputs, n);
      for (let i = 0; i < n; i++) {
        const answer = reader.answer(i, options?.threshold);
        results[start + i] = answer;
        if (scores) {
          const label = 'probability' in answer ? labelIndex!.get(answer.prediction)! : 0;
          labels![start + i] = label;
          scores[start + i] = reader.score(i, label);
        }
      }
    }
    if (scores) {
      const run = { runner, batchable, maxBatchSize: version.maxBatchSize };
      const explanations = await explainRows(plan, run, feeds, scores, labels!, options!.top_k ?? DEFAULT_TOP_K);
      for (let i = 0; i < results.length; i++) results[i]!.explanation = explanations[i];
    }
    return results;
  }
}

/** The plan of a resolved version; 422 UNSUPPORTED_MODEL when its inputs are not named features (API.md §14). */
function planFor(version: ModelVersion): PredictPlan {
  const serving = version.serving;
  if (!serving) throw unsupportedModel(version.name);
  return planOf({ name: version.name, inputs: version.inputs, outputs: version.outputs }, serving);
}

/**
 * A row's checks: the feature schema (compiled once per version), then what
 * a schema cannot say — a number a float feature's datatype cannot hold
 * would reach the model as ±Infinity (API.md §14 "Values").
 */
function checkRow({ version, plan }: Target, row: Features, at: string, details: DetailCollector): void {
  const validate = version.validateFeatures!;
  if (!validate(row)) return details.addAjv(validate.errors, at);
  for (const guard of plan.rangeGuards) {
    const key = plan.keys[guard.feature]!;
    const value = (row as Record<string | number, unknown>)[key];
    if (typeof value === 'number' && Math.abs(value) > guard.max) {
      details.add({ field: `${at}/${String(key).replace(/~/g, '~0').replace(/\//g, '~1')}`, message: `must be within the range of ${guard.datatype} (±${guard.max})`, received: value });
    }
  }
}

/** The data of a batch answer (the synchronous answer and an async job's `result`). */
export function batchData(version: ModelVersion, rows: RowResult[]): BatchData {
  return { model: version.name, model_version: version.version, count: rows.length, predictions: rows };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What the feature schema is run on: an object, or the array form of a matrix without names. */
const isRow = (value: unknown): value is Features => typeof value === 'object' && value !== null;
