/**
 * GET /predictions/{id} and its alias GET /predict/{id} (API.md §5): a past
 * single prediction, for the caller that made it or for `admin`. Anyone else,
 * like an id that does not exist or cannot be one, gets 404
 * PREDICTION_NOT_FOUND: existence is not leaked.
 */
import { Router, type Request, type Response } from 'express';
import { callerOf, hasScope, type Caller } from '../../auth/caller.js';
import { AppError } from '../../errors.js';
import type { PredictionRecord, RecordStore } from '../../store/store.js';
import { sendSuccess } from '../envelope.js';
import type { Guard } from '../guard.js';
import { route } from '../route.js';

/** Generated prediction ids (API.md §11). */
export const PREDICTION_ID = /^pred_[A-Za-z0-9_-]{16,128}$/;

/** Whether `caller` may read something owned by `owner`: its owner, or admin. */
export const mayRead = (caller: Caller, owner: string): boolean =>
  caller.id === owner || hasScope(caller, 'admin');

const notFound = (id: string) => new AppError('PREDICTION_NOT_FOUND', `No prediction '${id.slice(0, 140)}'`);

/** The API representation of a record: the answer as it was given, with what was asked. */
export function recordView(r: PredictionRecord) {
  return {
    id: r.id,
    model: r.model,
    model_version: r.modelVersion,
    created_at: new Date(r.createdAt).toISOString(),
    features: r.features,
    options: r.options,
    ...r.result,
  };
}

export function recordsRouter(records: RecordStore, guard: Guard): Router {
  async function getRecord(req: Request, res: Response): Promise<void> {
    const id = req.params.id as string;
    const record = PREDICTION_ID.test(id) ? await records.getPrediction(id) : undefined;
    if (!record || !mayRead(callerOf(res), record.owner)) throw notFound(id);
    sendSuccess(res, recordView(record));
  }

  const router = Router();
  const predict = guard('predict');
  route(router, '/predictions/:id', { GET: [predict, getRecord] });
  // The alias; /predict/batch is registered before it (routes/predict.ts), so GET on it stays a 405.
  route(router, '/predict/:id', { GET: [predict, getRecord] });
  return router;
}
