/**
 * How the /v2 routes answer (API.md §13): the protocol's bare JSON, and its
 * error shape `{"error": "<message>"}` written by one error handler for the
 * /v2 router. Statuses and headers (Retry-After, WWW-Authenticate, the
 * rate-limit headers) are those of the AppError, as on /api/v1.
 */
import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { context } from '../envelope.js';
import { toAppError } from '../error-handler.js';

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
    let appError = toAppError(err);
    if (!appError) {
      logger.error({ err, request_id: context(res).requestId, method: req.method, url: req.originalUrl }, 'unexpected error');
      appError = new AppError('INTERNAL_ERROR', 'An unexpected error occurred; quote the request id when reporting it');
    }
    // A client that went away (mid-body, say) has no one to read an answer:
    // none is written, and the request log says "request aborted".
    if (res.headersSent || req.socket.destroyed) {
      res.destroy();
      return;
    }
    if (appError.headers) for (const [name, value] of Object.entries(appError.headers)) res.setHeader(name, value);
    sendOip(res, { error: appError.message }, appError.status);
  };
}
