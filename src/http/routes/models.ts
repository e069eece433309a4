/** GET /models, /models/{name}, /models/{name}/versions/{version} (API.md §3). */
import { Router, type Request, type Response } from 'express';
import { modelNotFound } from '../../errors.js';
import type { ModelVersion } from '../../inference/serving/model-version.js';
import type { ModelEntry, ModelRegistry } from '../../inference/serving/registry.js';
import { MODEL_NAME, MODEL_VERSION } from '../../inference/serving/repository.js';
import { sendSuccess } from '../envelope.js';
import { route } from '../route.js';
import type { Guard } from '../guard.js';
import type { ModelAdminRoutes } from './model-admin.js';

const link = (name: string) => `/api/v1/models/${encodeURIComponent(name)}`;

/** The list entry of a model. */
export function modelSummary(entry: ModelEntry) {
  const serving = entry.serving();
  const shown = entry.representative();
  return {
    name: entry.name,
    version: serving?.version ?? shown?.version ?? null,
    versions: entry.versionList(),
    state: entry.state(),
    task: entry.config?.task ?? null,
    description: entry.config?.description ?? '',
    links: { self: link(entry.name) },
  };
}

/** The detail of a model at one of its versions. */
export function modelDetail(entry: ModelEntry, v: ModelVersion | undefined) {
  const config = entry.config;
  const detail: Record<string, unknown> = {
    ...modelSummary(entry),
    version: v?.version ?? null,
    state: v?.state ?? entry.state(),
  };
  const reason = v?.reason ?? entry.configError ?? (v ? undefined : 'the model has no version directories');
  if (detail.state === 'failed' && reason) detail.reason = reason;
  detail.inputs = v?.inputs ?? [];
  detail.outputs = v?.outputs ?? [];
  detail.features = v?.featureSchema ?? null;
  if (v?.classifier) {
    detail.labels = v.classifier.labels;
    if (v.classifier.positiveIndex !== undefined) {
      detail.positive_label = v.classifier.labels[v.classifier.positiveIndex];
      detail.threshold = v.classifier.threshold;
    }
    detail.confidence = v.classifier.confidence;
  }
  detail.execution_provider = v?.executionProvider ?? null;
  detail.batching = v?.batching ?? null;
  if (config?.default_version !== undefined || entry.defaultVersion !== undefined) {
    detail.default_version = entry.defaultVersion ?? null;
  }
  detail.links = {
    self: v ? `${link(entry.name)}/versions/${v.version}` : link(entry.name),
    model: link(entry.name),
    predict: `${link(entry.name)}/predict`,
  };
  return detail;
}

/** The read routes, plus the management routes when `admin` is given. */
export function modelsRouter(registry: ModelRegistry, guard: Guard, admin?: ModelAdminRoutes): Router {
  /** The model named in the path; a name that cannot be one is a 404 like any unknown name. */
  function entryOf(req: Request): ModelEntry {
    const name = req.params.name as string;
    const entry = MODEL_NAME.test(name) ? registry.get(name) : undefined;
    if (!entry) throw modelNotFound(name);
    return entry;
  }

  const router = Router();
  const read = guard('models:read');
  route(router, '/models', {
    GET: [read, (_req, res) => sendSuccess(res, { models: registry.list().map(modelSummary) })],
  });
  route(router, '/models/:name', {
    GET: [read, (req: Request, res: Response) => {
      const entry = entryOf(req);
      sendSuccess(res, modelDetail(entry, entry.representative()));
    }],
    ...admin?.model,
  });
  route(router, '/models/:name/versions/:version', {
    GET: [read, (req: Request, res: Response) => {
      const entry = entryOf(req);
      const version = req.params.version as string;
      const v = MODEL_VERSION.test(version) ? entry.versions.get(version) : undefined;
      if (!v || v.state === 'unloaded') throw modelNotFound(entry.name, version);
      sendSuccess(res, modelDetail(entry, v));
    }],
    ...admin?.version,
  });
  return router;
}
