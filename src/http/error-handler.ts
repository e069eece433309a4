/**
 * toAppError(unknown) and the one error handler, last in the chain. Anything
 * that is not an AppError becomes a masked 500: its message and stack go to
 * the log with the request id, never to the caller.
 */
import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import { context, sendError } from './envelope.js';

/** Errors thrown by body-parser / raw-body carry a `type`; these are the caller's fault. */
interface HttpLibraryError {
  type?: string;
  status?: number;
  limit?: number;
}

/** Maps anything thrown to an AppError; `undefined` means unexpected (a 500). */
export function toAppError(err: unknown): AppError | undefined {
  if (err instanceof AppError) return err;
  const e = (err ?? {}) as HttpLibraryError;
  switch (e.type) {
    case 'entity.too.large':
      return new AppError('PAYLOAD_TOO_LARGE', `The request body exceeds the limit of ${e.limit} bytes`);
    case 'encoding.unsupported':
      return new AppError('UNSUPPORTED_MEDIA_TYPE', 'This Content-Encoding is not supported; use gzip, deflate or none');
    case 'charset.unsupported':
      return new AppError('UNSUPPORTED_MEDIA_TYPE', 'This charset is not supported; use utf-8');
    case 'request.aborted':
    case 'request.size.invalid':
      return new AppError('BAD_REQUEST', 'The request body was incomplete');
    default:
  }
  // A 4xx from the HTTP libraries (bad gzip data, an undecodable path parameter).
  if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
    return new AppError('BAD_REQUEST', 'The request could not be read');
  }
  return undefined;
}

/**
 * The AppError to answer `err` with (anything unexpected is logged with the
 * request id and masked as a 500), or undefined when no answer can be
 * written: one has started, or the client went away (mid-body, say), in
 * which case the response is destroyed and the request log says "request
 * aborted". Both error handlers (/api/v1's envelope, /v2's shape) start here.
 */
export function errorToAnswer(err: unknown, req: Request, res: Response, logger: Logger): AppError | undefined {
  let appError = toAppError(err);
  if (!appError) {
    logger.error({ err, request_id: context(res).requestId, method: req.method, url: req.originalUrl }, 'unexpected error');
    appError = new AppError('INTERNAL_ERROR', 'An unexpected error occurred; quote the request id when reporting it');
  }
  if (res.headersSent || req.socket.destroyed) {
    res.destroy();
    return undefined;
  }
  return appError;
}

export function errorHandler(logger: Logger) {
  return function errorHandler(err: unknown, req: Request, res: Response, _next: NextFunction): void {
    const appError = errorToAnswer(err, req, res, logger);
    if (appError) sendError(res, appError);
  };
}
