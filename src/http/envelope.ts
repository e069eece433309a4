/**
 * The only code that shapes response JSON: the success and error envelopes
 * of ../shared/API.md §1. Every body carries meta.request_id, meta.timestamp
 * and meta.response_time_ms.
 */
import type { Response } from 'express';
import type { AppError } from '../errors.js';

/** Per-response facts gathered on the way (res.locals is typed through this). */
export interface RequestContext {
  requestId: string;
  /** process.hrtime.bigint() when the request arrived. */
  startedAt: bigint;
  /** Set once a model answered, for meta and for the request log. */
  model?: string;
  modelVersion?: string;
  cache?: 'hit' | 'miss';
  /** The matched route template (e.g. /api/v1/models/:name), for logs and metrics. */
  route?: string;
}

export const context = (res: Response): RequestContext => res.locals as RequestContext;

function meta(res: Response): Record<string, unknown> {
  const ctx = context(res);
  const elapsedNs = Number(process.hrtime.bigint() - ctx.startedAt);
  const m: Record<string, unknown> = {
    request_id: ctx.requestId,
    timestamp: new Date().toISOString(),
    response_time_ms: Math.round(elapsedNs / 1e4) / 100,
  };
  if (ctx.model !== undefined) {
    m.model = ctx.model;
    m.model_version = ctx.modelVersion;
  }
  if (ctx.cache !== undefined) m.cache = ctx.cache;
  return m;
}

function sendJson(res: Response, status: number, body: unknown): void {
  sendText(res, status, JSON.stringify(body));
}

function sendText(res: Response, status: number, text: string): void {
  res.status(status);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(res.req.method === 'HEAD' ? undefined : text);
}

/** Answers with the success envelope. */
export function sendSuccess(res: Response, data: unknown, status = 200): void {
  sendJson(res, status, { status: 'success', data, meta: meta(res) });
}

/**
 * Answers with the success envelope around `dataJson`, the JSON text of
 * `data` already written (http/batch-json.ts): the same bytes as
 * sendSuccess(res, JSON.parse(dataJson)).
 */
export function sendSuccessJson(res: Response, dataJson: string, status = 200): void {
  sendText(res, status, `{"status":"success","data":${dataJson},"meta":${JSON.stringify(meta(res))}}`);
}

/** Answers a bare JSON document without the envelope (the OpenAPI document, API.md §11). */
export function sendDocument(res: Response, document: unknown): void {
  sendJson(res, 200, document);
}

/** Answers with the error envelope; `data` is added for health's 503 report. */
export function sendError(res: Response, err: AppError, data?: unknown): void {
  if (err.headers) for (const [name, value] of Object.entries(err.headers)) res.setHeader(name, value);
  const error: Record<string, unknown> = { code: err.code, message: err.message };
  if (err.details) error.details = err.details;
  const body: Record<string, unknown> = { status: 'error', error };
  if (data !== undefined) body.data = data;
  body.meta = meta(res);
  sendJson(res, err.status, body);
}
