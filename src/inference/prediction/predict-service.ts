/**
 * The protocol-neutral data plane for predictions: validates a predict or
 * batch body against the request schema and the model's feature schema,
 * packs the rows into one tensor, runs it in as few runs as the model's batch
 * limit allows, and shapes the results. Never sees req or res.
 */
import { float32Decimal } from './float32-decimal.js';
import { newId } from '../../ids.js';
import { AppError, modelNotFound, validationError, type ErrorDetail } from '../../errors.js';
import type { RecordStore } from '../../store/store.js';
import { schemaValidator } from '../../validation/ajv.js';
import { DetailCollector } from '../../validation/details.js';
import { explainRows, type Explanation } from './explain.js';
import type { ModelVersion } from '../serving/model-version.js';
import { DEFAULT_TOP_K, PredictionCache } from './prediction-cache.js';
import type { ModelRegistry } from '../serving/registry.js';
import { AS_SENT } from '../runtime/model-runner.js';
import { classify, packRows, type Classification, type Features, type FloatOutput } from './tensor.js';

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
export type RowResult = (Classification | { prediction: number }) & { explanation?: Explanation };

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
    const version = this.target(b, pathModel, details, valid);
    if (version && isObject(b.features)) {
      if (!version.validateFeatures!(b.features)) details.addAjv(version.validateFeatures!.errors, '/features');
    }
    if (version) this.checkOptions(version, b.options, details);
    if (!details.empty || !version) throw validationError(details.details, details.total);

    const features = b.features!;
    const cache = this.options.cache;
    const key = cache?.key(version, features, b.options);
    let row = key === undefined ? undefined : cache!.get(key);
    const hit = row !== undefined;
    if (!row) {
      [row] = await this.run(version, [features], b.options);
      if (key !== undefined) cache!.set(key, row!);
    }
    const data = { id: newId('pred'), model: version.name, model_version: version.version, ...row! };
    // Every prediction, cached or not, is recorded before it is answered (API.md §11).
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
   * 413 for too many instances, else one 422 listing every problem, `extra`
   * (checks made by the caller) included.
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
    const version = this.target(b, undefined, details, valid);
    if (version && Array.isArray(b.instances)) {
      const validateFeatures = version.validateFeatures!;
      for (let i = 0; i < b.instances.length; i++) {
        const row = b.instances[i];
        if (isObject(row) && !validateFeatures(row)) details.addAjv(validateFeatures.errors, `/instances/${i}`);
      }
    }
    if (version) this.checkOptions(version, b.options, details);
    if (!details.empty || !version) throw validationError(details.details, details.total);
    return { version, instances: b.instances!, options: b.options };
  }

  /**
   * The model version a body asks for. Resolution errors (404, 503) are
   * thrown only when the body is otherwise valid, so that a 422 lists every
   * problem first.
   */
  private target(
    b: Partial<PredictBody | BatchBody>,
    pathModel: string | undefined,
    details: DetailCollector,
    bodyValid: boolean,
  ): ModelVersion | undefined {
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
    // derived config: replaced when derive-config lands (API.md §14: a tensor model is a 422 UNSUPPORTED_MODEL naming /v2).
    if (!resolved.config) {
      details.add({ field: '/model', message: `is a tensor model without named features; use POST /v2/models/${name}/infer`, received: name });
      return undefined;
    }
    return resolved;
  }

  /** Option rules that depend on the model. */
  private checkOptions(version: ModelVersion, options: PredictOptions | undefined, details: DetailCollector): void {
    if (!isObject(options)) return;
    if (options.threshold !== undefined && version.classifier?.positiveIndex === undefined) {
      details.add({
        field: '/options/threshold',
        message: 'applies only to binary classifiers',
        received: options.threshold,
      });
    }
    if (typeof options.top_k === 'number' && options.top_k > version.featureNames.length) {
      details.add({
        field: '/options/top_k',
        message: `must be <= ${version.featureNames.length} (the model's number of features)`,
        received: options.top_k,
      });
    }
  }

  /**
   * Runs rows through the model in chunks of its batch limit, packed once
   * into the FP32 [N, F] feed (one run as sent when batching is off).
   */
  async run(version: ModelVersion, rows: readonly Features[], options?: PredictOptions): Promise<RowResult[]> {
    const runner = version.runner!;
    const width = version.featureNames.length;
    const input = packRows(rows, version.featureNames);
    const batchable = version.batchable;
    const chunk = batchable ? version.maxBatchSize : rows.length;
    const results = new Array<RowResult>(rows.length);
    for (let start = 0; start < rows.length; start += chunk) {
      const n = Math.min(chunk, rows.length - start);
      const feed = { datatype: 'FP32', dims: [n, width], data: n === rows.length ? input : input.subarray(start * width, (start + n) * width) };
      const outputs = await runner.run([feed], batchable ? n : AS_SENT);
      const output = outputs[version.outputIndex] as FloatOutput;
      for (let i = 0; i < n; i++) {
        results[start + i] = version.classifier
          ? classify(output, i, version.outputWidth, version.classifier, options?.threshold)
          : { prediction: float32Decimal(output.data[i * version.outputWidth]!) };
      }
    }
    if (options?.explain === true) {
      const explanations = await explainRows(version, rows, results, options.top_k ?? DEFAULT_TOP_K);
      for (let i = 0; i < results.length; i++) results[i]!.explanation = explanations[i];
    }
    return results;
  }
}

/** The `data` of a batch answer (the synchronous answer and an async job's `result`). */
export function batchData(version: ModelVersion, rows: RowResult[]): BatchData {
  return { model: version.name, model_version: version.version, count: rows.length, predictions: rows };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
