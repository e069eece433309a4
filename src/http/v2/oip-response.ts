/**
 * How the /v2 routes answer (API.md §13): the protocol's bare JSON, and its
 * error shape `{"error": "<message>"}` written by one error handler for the
 * /v2 router. Statuses and headers (Retry-After, WWW-Authenticate, the
 * rate-limit headers) are those of the AppError, as on /api/v1.
 */
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../../logger.js';
import { errorToAnswer } from '../error-handler.js';

/** Answers a protocol JSON body. */
export function sendOip(res: Response, body: unknown, status = 200): void {
  const text = JSON.stringify(body);
  res.status(status);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(res.req.method === 'HEAD' ? undefined : text);
}

/** The /v2 router's error handler: anything unexpected is a masked 500 logged with the request id. */
export function oipErrorHandler(logger: Logger) {
  return function oipErrorHandler(err: unknown, req: Request, res: Response, _next: NextFunction): void {
    const appError = errorToAnswer(err, req, res, logger);
    if (!appError) return;
    if (appError.headers) for (const [name, value] of Object.entries(appError.headers)) res.setHeader(name, value);
    sendOip(res, { error: appError.message }, appError.status);
  };
}
