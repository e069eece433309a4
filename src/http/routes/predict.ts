/** POST /predict, /predict/batch and /models/{name}/predict (API.md §4): thin adapters over PredictService. */
import type { Request, Response } from 'express';
import { callerOf } from '../../auth/caller.js';
import { modelNotFound } from '../../errors.js';
import type { PredictService } from '../../inference/prediction/predict-service.js';
import type { JobService } from '../../jobs/job-service.js';
import { jobLink } from '../../jobs/job-view.js';
import type { ModelVersion } from '../../inference/serving/model-version.js';
import { MODEL_NAME } from '../../inference/serving/repository.js';
import { batchDataJsonInSlices } from '../batch-json.js';
import { context, sendSuccess, sendSuccessJson } from '../envelope.js';
import type { Guard } from '../guard.js';
import { jsonBody } from '../middleware/json-body.js';
import { route, type RouteTarget } from '../route.js';

export interface PredictRouteOptions {
  bodyLimitBytes: number;
  /** Async batches (API.md §6); without it every batch is synchronous. */
  jobs?: JobService;
}

/** The success envelope, from `dataJson` (data already written as JSON) when given. */
function answer(res: Response, version: ModelVersion, data: unknown, dataJson?: string): void {
  const ctx = context(res);
  ctx.model = version.name;
  ctx.modelVersion = version.version;
  if (dataJson === undefined) sendSuccess(res, data);
  else sendSuccessJson(res, dataJson);
}

/**
 * Registers the predict routes on `router` under `base` ('/api/v1'): on the
 * app's own router, the hottest routes are reached without entering a
 * nested router (app.ts).
 */
export function predictRoutes(router: RouteTarget, base: string, service: PredictService, guard: Guard, options: PredictRouteOptions): void {
  const predict = guard('predict');
  const body = jsonBody(options.bodyLimitBytes);
  // A batch may carry thousands of rows: 32 times the ordinary limit (API.md §11).
  const batchBody = jsonBody(options.bodyLimitBytes * 32);

  // Registered before any /predict/{id} route, so that GET /predict/batch is a 405.
  route(router, `${base}/predict/batch`, {
    POST: [predict, batchBody, async (req: Request, res: Response) => {
      const jobs = options.jobs;
      if (jobs?.isAsync(req.body, req.headers.prefer)) {
        const job = await jobs.submit(req.body, callerOf(res).id);
        const ctx = context(res);
        ctx.model = job.model;
        ctx.modelVersion = job.modelVersion;
        res.setHeader('Location', jobLink(job.id));
        if (req.headers.prefer !== undefined) res.setHeader('Preference-Applied', 'respond-async');
        sendSuccess(res, { job_id: job.id, status: 'queued', links: { self: jobLink(job.id) } }, 202);
        return;
      }
      const { version, data } = await service.predictBatch(req.body, jobs?.syncChecks(req.body));
      answer(res, version, data, await batchDataJsonInSlices(data, version.serving?.classification?.labels));
    }],
  });
  route(router, `${base}/predict`, {
    POST: [predict, body, async (req: Request, res: Response) => {
      const { version, data, cache } = await service.predict(req.body, { owner: callerOf(res).id });
      context(res).cache = cache;
      answer(res, version, data);
    }],
  });
  route(router, `${base}/models/:name/predict`, {
    POST: [predict, body, async (req: Request, res: Response) => {
      const name = req.params.name as string;
      if (!MODEL_NAME.test(name)) throw modelNotFound(name);
      const { version, data, cache } = await service.predict(req.body, { pathModel: name, owner: callerOf(res).id });
      context(res).cache = cache;
      answer(res, version, data);
    }],
  });
}
