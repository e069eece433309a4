/**
 * The OpenAPI 3.1 document of every route (API.md §8), built from the same
 * schema files the validator compiles plus each ready model's feature schema,
 * so the document cannot drift from what the service accepts.
 */
import type { ModelRegistry } from '../../inference/serving/registry.js';
import { warmUpValue } from '../../inference/serving/model-version.js';
import type { ServingFeature } from '../../inference/serving/derive/serving-config.js';
import type { Scope } from '../guard.js';
import { envelope, requestSchemas, responseSchemas } from './components.js';

type Obj = Record<string, unknown>;

/** An example value of a feature: its baseline when its schema takes it, else a number inside its range. */
function exampleValue(f: ServingFeature): number | string | boolean {
  const s = f.schema as { minimum?: number; maximum?: number; exclusiveMinimum?: number; exclusiveMaximum?: number };
  const b = f.baseline;
  if (typeof b !== 'number') return b;
  const fits = (s.minimum === undefined || b >= s.minimum) && (s.maximum === undefined || b <= s.maximum) &&
    (s.exclusiveMinimum === undefined || b > s.exclusiveMinimum) && (s.exclusiveMaximum === undefined || b < s.exclusiveMaximum);
  const v = fits ? b : warmUpValue({ ...s, maximum: s.maximum ?? s.exclusiveMaximum });
  return f.type === 'integer' ? Math.round(v) : v;
}
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const errorRef = (name: string) => ({ $ref: `#/components/responses/${name}` });

const ERRORS: Record<string, [status: string, description: string, headers?: string[]]> = {
  BadRequest: ['400', 'INVALID_JSON or BAD_REQUEST'],
  Unauthorized: ['401', 'UNAUTHORIZED: credentials missing, malformed, expired or not trusted', ['WWW-Authenticate']],
  Forbidden: ['403', 'FORBIDDEN: the credentials lack the needed scope', ['WWW-Authenticate']],
  NotFound: ['404', 'NOT_FOUND, MODEL_NOT_FOUND, PREDICTION_NOT_FOUND or JOB_NOT_FOUND (also for another caller’s record or job)'],
  Conflict: ['409', 'CONFLICT: the job has already finished'],
  PayloadTooLarge: ['413', 'PAYLOAD_TOO_LARGE or BATCH_TOO_LARGE'],
  UnsupportedMediaType: ['415', 'UNSUPPORTED_MEDIA_TYPE: not application/json in UTF-8'],
  ValidationError: ['422', 'VALIDATION_ERROR: one detail per problem (at most 100), JSON Pointers into the body'],
  RateLimited: ['429', 'RATE_LIMIT_EXCEEDED', ['Retry-After']],
  Unavailable: ['503', 'SERVICE_UNAVAILABLE, MODEL_NOT_READY or SERVICE_OVERLOADED', ['Retry-After']],
  Timeout: ['504', 'INFERENCE_TIMEOUT'],
};

interface Operation {
  summary: string;
  tag: string;
  /** The scope needed; undefined for a public route. */
  scope?: Scope;
  description?: string;
  parameters?: string[];
  body?: { schema: object; examples?: Obj; contentType?: string };
  /** status → [description, data schema (enveloped) | raw content, extra headers] */
  responses: Record<string, [string, object?, string[]?]>;
  errors?: string[];
}

const PARAMETERS = {
  name: { name: 'name', in: 'path', required: true, schema: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,63}$' } },
  version: { name: 'version', in: 'path', required: true, schema: { type: 'string', pattern: '^[1-9][0-9]{0,8}$' } },
  predictionId: { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^pred_[A-Za-z0-9_-]{16,}$' } },
  jobId: { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^job_[A-Za-z0-9_-]{16,}$' } },
  prefer: {
    name: 'Prefer', in: 'header', required: false, schema: { type: 'string' },
    description: '`respond-async` runs the batch as a job (202), like options.async',
  },
} as const;

const HEADERS = {
  'X-Request-ID': { description: 'The request id (echoed, or generated as req_…)', schema: { type: 'string' } },
  Location: { description: 'Where the created resource lives', schema: { type: 'string' } },
  'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer' } },
  'WWW-Authenticate': { description: 'The Bearer challenge', schema: { type: 'string' } },
  'Preference-Applied': { description: '`respond-async` when the Prefer header was honoured', schema: { type: 'string' } },
} as const;

const headers = (names: readonly string[] = []) =>
  Object.fromEntries(['X-Request-ID', ...names].map((n) => [n, { $ref: `#/components/headers/${n}` }]));

const BODY_ERRORS = ['BadRequest', 'PayloadTooLarge', 'UnsupportedMediaType', 'ValidationError'];
const PREDICT_ERRORS = [...BODY_ERRORS, 'NotFound', 'Unavailable', 'Timeout'];

/** Every route of the service: path → method → operation. */
function operations(examples: Examples): Record<string, Record<string, Operation>> {
  const health = (summary: string): Operation => ({
    summary, tag: 'health', responses: { 200: ['Serving', ref('Health')], 503: ['Not serving (error envelope with the report in data)', ref('Error'), ['Retry-After']] },
  });
  const predictions = { 200: ['The prediction', ref('Prediction')] } as Operation['responses'];
  const record: Operation = {
    summary: 'A past single prediction (its owner or admin)', tag: 'predictions', scope: 'predict', parameters: ['predictionId'],
    // 503: the shared database is down (API.md §12).
    responses: { 200: ['The record', ref('PredictionRecord')] }, errors: ['NotFound', 'Unavailable'],
  };
  return {
    '/api/v1/health': { get: health('Readiness (also HEAD)'), head: { ...health('Readiness, without a body'), responses: { 200: ['Serving'], 503: ['Not serving', undefined, ['Retry-After']] } } },
    '/api/v1/health/ready': { get: health('Readiness') },
    '/api/v1/health/live': { get: { summary: 'Liveness', tag: 'health', responses: { 200: ['The event loop answers', { type: 'object', properties: { status: { const: 'alive' } } }] } } },
    '/api/v1/models': { get: { summary: 'List the models', tag: 'models', scope: 'models:read', responses: { 200: ['The models', { type: 'object', properties: { models: { type: 'array', items: ref('ModelSummary') } } }] } } },
    '/api/v1/models/{name}': {
      get: { summary: 'A model at its serving version', tag: 'models', scope: 'models:read', parameters: ['name'], responses: { 200: ['The model', ref('ModelDetail')] }, errors: ['NotFound'] },
      patch: { summary: 'Change serving settings', tag: 'models', scope: 'models:write', parameters: ['name'], body: { schema: ref('ModelPatchRequest') }, responses: { 200: ['The model', ref('ModelDetail')] }, errors: [...BODY_ERRORS, 'NotFound'] },
      delete: { summary: 'Unload every version', tag: 'models', scope: 'models:write', parameters: ['name'], responses: { 204: ['Unloaded'] }, errors: ['NotFound'] },
    },
    '/api/v1/models/{name}/versions/{version}': {
      get: { summary: 'A model at one version', tag: 'models', scope: 'models:read', parameters: ['name', 'version'], responses: { 200: ['The model', ref('ModelDetail')] }, errors: ['NotFound'] },
      put: {
        summary: 'Upload (or replace) a version’s ONNX file', tag: 'models', scope: 'models:write', parameters: ['name', 'version'],
        body: { schema: { type: 'string', format: 'binary' }, contentType: 'application/octet-stream' },
        responses: { 200: ['Replaced', ref('ModelDetail')], 201: ['Created', ref('ModelDetail'), ['Location']] }, errors: ['PayloadTooLarge', 'UnsupportedMediaType', 'ValidationError', 'NotFound'],
      },
      delete: { summary: 'Unload one version', tag: 'models', scope: 'models:write', parameters: ['name', 'version'], responses: { 204: ['Unloaded'] }, errors: ['NotFound'] },
    },
    '/api/v1/predict': {
      post: { summary: 'Predict one instance', tag: 'predict', scope: 'predict', body: { schema: ref('PredictRequest'), examples: examples.predict }, responses: predictions, errors: PREDICT_ERRORS },
    },
    '/api/v1/predict/batch': {
      post: {
        summary: 'Predict many instances (or submit them as a job)', tag: 'predict', scope: 'predict', parameters: ['prefer'],
        description: 'All or nothing. With options.async or `Prefer: respond-async` the batch is checked like a synchronous one, then answered 202 with Location: /api/v1/jobs/{id}; a job over the caller\'s quota (JOBS_MAX_PER_CALLER queued or running) is a 429, one over the queue\'s (JOBS_MAX_QUEUED waiting) a 503 SERVICE_OVERLOADED, both with Retry-After and nothing stored.',
        body: { schema: ref('BatchRequest'), examples: examples.batch },
        responses: { 200: ['The predictions, in the order of instances', ref('BatchResult')], 202: ['Accepted as a job', ref('JobAccepted'), ['Location', 'Preference-Applied']] },
        errors: PREDICT_ERRORS,
      },
    },
    '/api/v1/models/{name}/predict': {
      post: { summary: 'Predict one instance with the model in the path', tag: 'predict', scope: 'predict', parameters: ['name'], body: { schema: ref('ModelPredictRequest'), examples: examples.modelPredict }, responses: predictions, errors: PREDICT_ERRORS },
    },
    '/api/v1/predictions/{id}': { get: record },
    '/api/v1/predict/{id}': { get: { ...record, summary: 'A past single prediction (alias of /predictions/{id})' } },
    '/api/v1/jobs/{id}': {
      get: { summary: 'An async batch job (its owner or admin)', tag: 'jobs', scope: 'predict', parameters: ['jobId'], responses: { 200: ['The job', ref('Job')] }, errors: ['NotFound', 'Unavailable'] },
      delete: { summary: 'Cancel a job that has not finished', tag: 'jobs', scope: 'predict', parameters: ['jobId'], responses: { 202: ['Cancelled', ref('Job')] }, errors: ['NotFound', 'Conflict', 'Unavailable'] },
    },
    '/api/v1/openapi.json': { get: { summary: 'This document (bare, no envelope)', tag: 'meta', responses: { 200: ['OpenAPI 3.1', { raw: 'application/json' }] } } },
    '/docs': { get: { summary: 'Interactive documentation (Swagger UI, local assets)', tag: 'meta', responses: { 200: ['HTML', { raw: 'text/html' }] } } },
    '/metrics': { get: { summary: 'Prometheus metrics (public; keep it on a private network)', tag: 'meta', responses: { 200: ['Prometheus text', { raw: 'text/plain' }] } } },
  };
}

function toOperation(op: Operation, id: string): Obj {
  const out: Obj = { operationId: id, summary: op.summary, tags: [op.tag] };
  if (op.description) out.description = op.description;
  out.security = op.scope ? [{ bearerAuth: [op.scope] }, { apiKey: [op.scope] }] : [];
  if (op.parameters) out.parameters = op.parameters.map((p) => ({ $ref: `#/components/parameters/${p}` }));
  if (op.body) {
    const media: Obj = { schema: op.body.schema };
    if (op.body.examples) media.examples = op.body.examples;
    out.requestBody = { required: true, content: { [op.body.contentType ?? 'application/json']: media } };
  }
  const responses: Obj = {};
  for (const [status, [description, data, extra]] of Object.entries(op.responses)) {
    const r: Obj = { description, headers: headers(extra) };
    if (data && 'raw' in data) r.content = { [(data as { raw: string }).raw]: {} };
    else if (data) r.content = { 'application/json': { schema: Number(status) >= 400 ? data : envelope(data) } };
    responses[status] = r;
  }
  const errors = [...(op.scope ? ['Unauthorized', 'Forbidden', 'RateLimited'] : []), ...(op.errors ?? [])];
  for (const name of errors) responses[ERRORS[name]![0]] = errorRef(name);
  if (op.scope || op.body) responses['500'] = errorRef('Internal');
  out.responses = responses;
  return out;
}

interface Examples { predict: Obj; batch: Obj; modelPredict: Obj }

/** Builds the document from the registry's current models. */
export function buildDocument(registry: ModelRegistry, version: string, bodySchemas = requestSchemas()): Obj {
  const schemas: Obj = { ...structuredClone(bodySchemas), ...responseSchemas };
  const featureRefs: object[] = [];
  const examples: Examples = { predict: {}, batch: {}, modelPredict: {} };
  for (const entry of registry.list()) {
    const serving = entry.serving()?.serving;
    if (!serving?.featureSchema) continue;
    const name = `Features.${entry.name}`;
    schemas[name] = { title: `${entry.name} features`, ...serving.featureSchema };
    featureRefs.push(ref(name));
    const values = serving.features.map(exampleValue);
    // A matrix without feature names takes an array of F values (API.md §14).
    const features = serving.namedFeatures ? Object.fromEntries(serving.features.map((f, j) => [f.name, values[j]])) : values;
    examples.predict[entry.name] = { summary: entry.name, value: { model: entry.name, features } };
    examples.batch[entry.name] = { summary: entry.name, value: { model: entry.name, instances: [features, features] } };
    examples.modelPredict[entry.name] = { summary: entry.name, value: { features } };
  }
  // The generic `features` object of the request files, narrowed to the models that serve now.
  if (featureRefs.length > 0) {
    for (const name of ['PredictRequest', 'ModelPredictRequest']) {
      const props = (schemas[name] as { properties?: Obj } | undefined)?.properties;
      if (props?.features) props.features = { ...(props.features as Obj), oneOf: featureRefs };
    }
    const instances = (schemas.BatchRequest as { properties?: { instances?: Obj } } | undefined)?.properties?.instances;
    if (instances) instances.items = { ...(instances.items as Obj), oneOf: featureRefs };
  }

  const paths: Obj = {};
  for (const [path, methods] of Object.entries(operations(examples))) {
    const item: Obj = {};
    for (const [method, op] of Object.entries(methods)) {
      item[method] = toOperation(op, `${method}${path.replace(/[{}]/g, '').replace(/[/._-]+(\w)/g, (_m, c: string) => c.toUpperCase())}`);
    }
    paths[path] = item;
  }

  const responses: Obj = {
    Internal: { description: 'INTERNAL_ERROR (masked; quote the request id)', headers: headers(), content: { 'application/json': { schema: ref('Error') } } },
  };
  for (const [name, [, description, extra]] of Object.entries(ERRORS)) {
    responses[name] = { description, headers: headers(extra), content: { 'application/json': { schema: ref('Error') } } };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'onnx-serving',
      version,
      description: 'A REST service for local ONNX models. Every JSON answer is an envelope: {status, data | error, meta}. Authenticate with `Authorization: Bearer <JWT>` or `X-API-Key`.',
    },
    servers: [{ url: '/' }],
    tags: ['predict', 'predictions', 'jobs', 'models', 'health', 'meta'].map((name) => ({ name })),
    paths,
    components: {
      schemas,
      responses,
      parameters: PARAMETERS,
      headers: HEADERS,
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A JWT whose scope claim holds predict, models:read, models:write or admin' },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'A server-to-server key from API_KEYS_FILE' },
      },
    },
  };
}
