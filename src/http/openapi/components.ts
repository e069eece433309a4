/**
 * The OpenAPI components: the request schemas are the very files of schemas/
 * that the validator compiles (converted: `$id`/`$schema` dropped, file
 * `$ref`s pointed at components), each ready model's feature schema is the one
 * its validator was compiled from, and the response shapes of API.md are
 * written here.
 */
import { readdirSync } from 'node:fs';
import { readSchema, SCHEMAS_DIR } from '../../validation/ajv.js';

/** Schema files that describe configuration, not API bodies. */
const NOT_API = /(config|api-keys)\.schema\.json$/;

/** `predict-request.schema.json` → `PredictRequest`. */
export const componentName = (file: string): string =>
  file.replace(/\.schema\.json$/, '').split(/[-_.]/).map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A copy with file references rewritten to components and draft-07 identifiers dropped. */
function convert(value: Json): Json {
  if (Array.isArray(value)) return value.map(convert);
  if (value === null || typeof value !== 'object') return value;
  const out: { [key: string]: Json } = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === '$id' || key === '$schema') continue;
    if (key === '$ref' && typeof v === 'string' && !v.startsWith('#')) {
      const [file, pointer = ''] = v.split('#');
      out.$ref = `#/components/schemas/${componentName(file!)}${pointer}`;
    } else {
      out[key] = convert(v);
    }
  }
  return out;
}

/** Every API body schema of schemas/, as components. */
export function requestSchemas(): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const file of readdirSync(SCHEMAS_DIR).sort()) {
    if (!file.endsWith('.schema.json') || NOT_API.test(file)) continue;
    out[componentName(file)] = convert(readSchema(file) as Json);
  }
  return out;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const str = { type: 'string' };
const num = { type: 'number' };
const nullable = (schema: object) => ({ oneOf: [schema, { type: 'null' }] });

/** The response shapes of API.md (not validated at run time: the code builds them). */
export const responseSchemas = {
  Meta: {
    type: 'object',
    required: ['request_id', 'timestamp', 'response_time_ms'],
    properties: {
      request_id: str, timestamp: { type: 'string', format: 'date-time' }, response_time_ms: num,
      model: str, model_version: str, cache: { enum: ['hit', 'miss'] },
    },
  },
  ErrorDetail: {
    type: 'object', required: ['field', 'message'],
    properties: { field: { type: 'string', description: 'JSON Pointer into the request body' }, message: str, received: {} },
  },
  Error: {
    type: 'object', required: ['status', 'error', 'meta'],
    properties: {
      status: { const: 'error' },
      error: {
        type: 'object', required: ['code', 'message'],
        properties: { code: str, message: str, details: { type: 'array', items: ref('ErrorDetail') } },
      },
      meta: ref('Meta'),
    },
  },
  Explanation: {
    type: 'object', required: ['method', 'top_features'],
    properties: {
      method: { type: 'string', description: 'occlusion: each feature replaced by its baseline; importance = change of the predicted label’s probability (regression: of the prediction)' },
      top_features: {
        type: 'array',
        items: { type: 'object', required: ['feature', 'importance'], properties: { feature: str, importance: { type: 'number', minimum: 0 } } },
      },
    },
  },
  RowResult: {
    type: 'object', required: ['prediction'], description: 'One batch row; the model is said once, in the batch data',
    properties: {
      prediction: { type: ['string', 'number'], description: 'a label (classification) or a number (regression)' },
      probability: num, probabilities: { type: 'object', additionalProperties: num },
      confidence: { enum: ['high', 'medium', 'low'] }, explanation: ref('Explanation'),
    },
  },
  Prediction: {
    allOf: [ref('RowResult'), {
      type: 'object', required: ['id', 'model', 'model_version'],
      properties: { id: { type: 'string', pattern: '^pred_' }, model: str, model_version: str },
    }],
  },
  PredictionRecord: {
    allOf: [ref('Prediction'), {
      type: 'object', required: ['created_at', 'features', 'options'],
      properties: { created_at: { type: 'string', format: 'date-time' }, features: { type: 'object' }, options: { type: 'object' } },
    }],
  },
  BatchResult: {
    type: 'object', required: ['model', 'model_version', 'count', 'predictions'],
    properties: { model: str, model_version: str, count: { type: 'integer' }, predictions: { type: 'array', items: ref('RowResult') } },
  },
  JobAccepted: {
    type: 'object', required: ['job_id', 'status', 'links'],
    properties: { job_id: str, status: { const: 'queued' }, links: { type: 'object', properties: { self: str } } },
  },
  Job: {
    type: 'object', required: ['id', 'status', 'progress', 'created_at', 'finished_at', 'result'],
    properties: {
      id: { type: 'string', pattern: '^job_' },
      status: { enum: ['queued', 'running', 'succeeded', 'failed', 'cancelled'] },
      model: str, model_version: str,
      progress: { type: 'object', required: ['done', 'total'], properties: { done: { type: 'integer' }, total: { type: 'integer' } } },
      created_at: { type: 'string', format: 'date-time' },
      finished_at: nullable({ type: 'string', format: 'date-time' }),
      result: nullable(ref('BatchResult')),
      error: nullable({ type: 'object', properties: { code: str, message: str } }),
      webhook: {
        type: 'object', description: 'present when the job has a callback_url',
        properties: {
          url: str, state: { enum: ['pending', 'delivered', 'failed'] }, attempts: { type: 'integer' },
          last_status: nullable({ type: 'integer' }),
        },
      },
      links: { type: 'object', properties: { self: str } },
    },
  },
  Health: {
    type: 'object', required: ['status', 'version', 'uptime_s', 'execution_provider', 'models'],
    properties: {
      status: { enum: ['ok', 'degraded', 'starting', 'draining'] }, version: str, uptime_s: num,
      execution_provider: { enum: ['cpu', 'cuda'] },
      models: {
        type: 'array',
        items: { type: 'object', properties: { name: str, version: str, state: { enum: ['ready', 'loading', 'failed', 'unloaded'] } } },
      },
    },
  },
  ModelSummary: {
    type: 'object', required: ['name', 'version', 'versions', 'state', 'task', 'links'],
    properties: {
      name: str, version: nullable(str), versions: { type: 'array', items: str },
      state: { enum: ['ready', 'loading', 'failed', 'unloaded'] }, task: nullable({ enum: ['classification', 'regression'] }),
      description: str, links: { type: 'object', properties: { self: str } },
    },
  },
  ModelDetail: {
    allOf: [ref('ModelSummary'), {
      type: 'object',
      properties: {
        inputs: { type: 'array', items: ref('TensorInfo') }, outputs: { type: 'array', items: ref('TensorInfo') },
        features: { type: ['object', 'null'], description: 'the JSON Schema a features object must satisfy' },
        reason: str, labels: { type: 'array', items: str }, positive_label: str, threshold: num,
        confidence: { type: 'object', properties: { high: num, medium: num } },
        execution_provider: nullable({ enum: ['cpu', 'cuda'] }),
        batching: nullable({ type: 'object', properties: { max_batch_size: { type: 'integer' }, max_delay_ms: num } }),
      },
    }],
  },
  TensorInfo: {
    type: 'object', properties: { name: str, datatype: str, shape: { type: 'array', items: { type: 'integer' } } },
  },
} as const;

/** The success envelope around `data`. */
export const envelope = (data: object) => ({
  type: 'object',
  required: ['status', 'data', 'meta'],
  properties: { status: { const: 'success' }, data, meta: ref('Meta') },
});
