/**
 * One JSON log line per completed request (API.md §11), through pino-http:
 * request id, method, route, status, duration, and the model that answered.
 * Headers are not logged at all, so no credential can reach the log.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pinoHttp } from 'pino-http';
import type { Logger } from '../../logger.js';
import type { RequestContext } from '../envelope.js';
import { redactUrl } from './redact-url.js';

type Res = ServerResponse & { locals?: RequestContext & { route?: string } };

function line(req: IncomingMessage, res: Res, base: Record<string, unknown>) {
  const ctx = res.locals;
  return {
    request_id: ctx?.requestId,
    method: req.method,
    route: ctx?.route ?? null,
    url: redactUrl((req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? ''),
    status: res.statusCode,
    duration_ms: base.responseTime,
    model: ctx?.model,
    model_version: ctx?.modelVersion,
  };
}

export function requestLog(logger: Logger) {
  const log = pinoHttp<IncomingMessage, Res>({
    logger,
    genReqId: (_req, res) => res.locals?.requestId ?? '',
    quietReqLogger: true,
    quietResLogger: true,
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : 'info'),
    customSuccessMessage: () => 'request completed',
    customErrorMessage: () => 'request failed',
    customSuccessObject: (req, res, base) => line(req, res, base as Record<string, unknown>),
    customErrorObject: (req, res, _err, base) => line(req, res, base as Record<string, unknown>),
  });
  return function requestLog(req: IncomingMessage, res: ServerResponse, next: () => void): void {
    log(req, res);
    next();
  };
}
