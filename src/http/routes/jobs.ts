/** GET and DELETE /jobs/{id} (API.md §6): an async batch job, for its owner or admin only. */
import { Router, type Request, type Response } from 'express';
import { callerOf } from '../../auth/caller.js';
import type { JobService } from '../../jobs/job-service.js';
import { jobView } from '../../jobs/job-view.js';
import { sendSuccess } from '../envelope.js';
import type { Guard } from '../guard.js';
import { route } from '../route.js';

export function jobsRouter(jobs: JobService, guard: Guard): Router {
  const router = Router();
  const predict = guard('predict');
  route(router, '/jobs/:id', {
    GET: [predict, async (req: Request, res: Response) => {
      sendSuccess(res, jobView(await jobs.get(req.params.id as string, callerOf(res))));
    }],
    // 202: the job is cancelled, and a chunk that was running may still end.
    DELETE: [predict, async (req: Request, res: Response) => {
      sendSuccess(res, jobView(await jobs.cancel(req.params.id as string, callerOf(res))), 202);
    }],
  });
  return router;
}
