/**
 * The Open Inference Protocol's REST routes, `/v2` on the same port
 * (API.md §13): thin translations onto the DataPlane, behind the same guard
 * (scopes, per-caller rate limits) as /api/v1, answering the protocol's JSON
 * and `{"error": "..."}` (one error handler for the whole router).
 */
import { Router, type Request, type Response } from 'express';
import { modelNotFound, notFound } from '../../errors.js';
import type { DataPlane } from '../../inference/prediction/dataplane.js';
import { MODEL_NAME, MODEL_VERSION } from '../../inference/serving/repository.js';
import type { Logger } from '../../logger.js';
import { context } from '../envelope.js';
import type { Guard } from '../guard.js';
import { route } from '../route.js';
import { inferBody, type InferBody } from './infer-body.js';
import { decodeInfer, encodeInfer } from './infer-codec.js';
import { oipErrorHandler, sendOip } from './oip-response.js';

export interface OipRouterOptions {
  /** The batch body limit: 32 × BODY_LIMIT_BYTES. */
  bodyLimitBytes: number;
  logger: Logger;
}

/** The model name and version of the path; a name or version that cannot be one is a 404. */
function target(req: Request): { name: string; version: string | undefined } {
  const name = req.params.name as string;
  const version = req.params.version as string | undefined;
  if (!MODEL_NAME.test(name)) throw modelNotFound(name);
  if (version !== undefined && !MODEL_VERSION.test(version)) throw modelNotFound(name, version);
  return { name, version };
}

export function oipRouter(plane: DataPlane, guard: Guard, options: OipRouterOptions): Router {
  const router = Router();
  const read = guard('models:read');
  const predict = guard('predict');
  const body = inferBody(options.bodyLimitBytes);

  route(router, '/health/live', { GET: [(_req, res) => sendOip(res, { live: plane.live() })] });
  route(router, '/health/ready', {
    GET: [(_req, res) => {
      const ready = plane.ready();
      sendOip(res, { ready }, ready ? 200 : 503);
    }],
  });
  route(router, '/', { GET: [(_req, res) => sendOip(res, plane.serverMetadata())] });

  const metadata = (req: Request, res: Response) => {
    const { name, version } = target(req);
    sendOip(res, plane.modelMetadata(name, version));
  };
  const config = (req: Request, res: Response) => {
    const { name, version } = target(req);
    sendOip(res, plane.modelConfig(name, version));
  };
  const ready = (req: Request, res: Response) => {
    const { name, version } = target(req);
    const isReady = plane.modelReady(name, version);
    sendOip(res, { name, ready: isReady }, isReady ? 200 : 503);
  };
  const infer = async (req: Request, res: Response) => {
    const { name, version } = target(req);
    const { request, plan } = decodeInfer(req.body as InferBody);
    const result = await plane.infer(name, version, request);
    const ctx = context(res);
    ctx.model = result.model_name;
    ctx.modelVersion = result.model_version;
    const answer = encodeInfer(result, plan);
    if (answer.headerLength === undefined) {
      res.setHeader('Content-Type', 'application/json; charset=utf-8');
    } else {
      res.setHeader('Content-Type', 'application/octet-stream');
      res.setHeader('Inference-Header-Content-Length', String(answer.headerLength));
    }
    res.setHeader('Content-Length', answer.body.length);
    res.status(200).end(answer.body);
  };
  for (const base of ['/models/:name', '/models/:name/versions/:version']) {
    route(router, base, { GET: [read, metadata] });
    route(router, `${base}/ready`, { GET: [read, ready] });
    route(router, `${base}/config`, { GET: [read, config] });
    route(router, `${base}/infer`, { POST: [predict, body, infer] });
  }
  router.use(function noOipRoute(req: Request) {
    throw notFound(req.method, req.baseUrl + req.path);
  });
  router.use(oipErrorHandler(options.logger));
  return router;
}
