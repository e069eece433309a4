/**
 * Model management routes (API.md §3, scope `models:write`): PUT a version
 * (an application/octet-stream ONNX body), PATCH serving settings, DELETE a
 * version or a model. Thin: they check the path and the body's framing and
 * hand off to the ModelManager. Registered by models.ts on the same paths as
 * the read routes, so that 405/Allow lists every method.
 */
import { parse as parseContentType } from 'content-type';
import express, { type NextFunction, type Request, type Response } from 'express';
import { AppError, modelNotFound } from '../../errors.js';
import type { ModelManager } from '../../inference/serving/model-manager.js';
import type { ModelRegistry } from '../../inference/serving/registry.js';
import { MODEL_NAME, MODEL_VERSION } from '../../inference/serving/repository.js';
import { sendSuccess } from '../envelope.js';
import type { Guard } from '../guard.js';
import { jsonBody } from '../middleware/json-body.js';
import type { Handlers } from '../route.js';
import { modelDetail } from './model-view.js';

export interface ModelAdminOptions {
  uploadLimitBytes: number;
  bodyLimitBytes: number;
}

/** The handlers models.ts adds to `/models/:name` and `/models/:name/versions/:version`. */
export interface ModelAdminRoutes {
  model: Handlers;
  version: Handlers;
}

/** Path parameters that cannot name a model or version are a 404 like unknown ones (API.md §11). */
function pathOf(req: Request): { name: string; version: string | undefined } {
  const name = req.params.name as string;
  const version = req.params.version as string | undefined;
  if (!MODEL_NAME.test(name)) throw modelNotFound(name);
  if (version !== undefined && !MODEL_VERSION.test(version)) throw modelNotFound(name, version);
  return { name, version };
}

/** Reads an application/octet-stream body of at most `limitBytes` into a Buffer (415 for any other type). */
function octetBody(limitBytes: number) {
  const readRaw = express.raw({ type: () => true, limit: limitBytes, inflate: true });
  return function octetBody(req: Request, res: Response, next: NextFunction): void {
    const header = req.headers['content-type'];
    let type: string | undefined;
    try {
      type = header === undefined ? undefined : parseContentType(header).type.toLowerCase();
    } catch {
      type = undefined;
    }
    if (type !== 'application/octet-stream') {
      throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'A model upload needs Content-Type: application/octet-stream (the ONNX file as it is)');
    }
    readRaw(req, res, next);
  };
}

const noContent = (res: Response) => res.status(204).end();

export function modelAdminRoutes(
  manager: ModelManager,
  registry: ModelRegistry,
  guard: Guard,
  options: ModelAdminOptions,
): ModelAdminRoutes {
  const write = guard('models:write');
  return {
    model: {
      PATCH: [write, jsonBody(options.bodyLimitBytes), async (req: Request, res: Response) => {
        const { name } = pathOf(req);
        if (!registry.get(name)) throw modelNotFound(name);
        const entry = await manager.patchModel(name, req.body);
        sendSuccess(res, modelDetail(entry, entry.representative()));
      }],
      DELETE: [write, async (req: Request, res: Response) => {
        await manager.deleteModel(pathOf(req).name);
        noContent(res);
      }],
    },
    version: {
      PUT: [write, (req: Request, _res: Response, next: NextFunction) => {
        // A name or version that cannot be one is a 404 before the upload is read; a new name creates the model (API.md §14).
        pathOf(req);
        next();
      }, octetBody(options.uploadLimitBytes), async (req: Request, res: Response) => {
        const { name, version } = pathOf(req);
        const bytes = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const result = await manager.putVersion(name, version!, bytes);
        const entry = registry.get(name)!;
        // Created: a new version, of this model or of a new one.
        const location = `/api/v1/models/${encodeURIComponent(name)}/versions/${version}`;
        if (result.created) res.setHeader('Location', location);
        sendSuccess(res, modelDetail(entry, result.version), result.created ? 201 : 200);
      }],
      DELETE: [write, async (req: Request, res: Response) => {
        const { name, version } = pathOf(req);
        await manager.deleteVersion(name, version!);
        noContent(res);
      }],
    },
  };
}
