/** GET /models, /models/{name}, /models/{name}/versions/{version} (API.md §3). */
import { Router, type Request, type Response } from 'express';
import { modelNotFound } from '../../errors.js';
import type { ModelEntry, ModelRegistry } from '../../inference/serving/registry.js';
import { MODEL_NAME, MODEL_VERSION } from '../../inference/serving/repository.js';
import { sendSuccess } from '../envelope.js';
import { route } from '../route.js';
import type { Guard } from '../guard.js';
import type { ModelAdminRoutes } from './model-admin.js';
import { modelDetail, modelSummary } from './model-view.js';

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
      sendSuccess(res, modelDetail(entry, v, true));
    }],
    ...admin?.version,
  });
  return router;
}
