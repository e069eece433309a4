/**
 * One JSON log line per completed request (API.md §11): request id, method,
 * route, status, duration, and the model that answered. Headers are not
 * logged at all, so no credential can reach the log.
 *
 * Written with one `logger.info` call when the response closes, rather than
 * through pino-http: pino-http builds two child loggers per request (one
 * serialising the whole request) that this line never uses, which cost
 * about a tenth of the service's CPU time per prediction (docs/performance.md).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../logger.js';
import type { RequestContext } from '../envelope.js';

type Req = IncomingMessage & { originalUrl?: string };
type Res = ServerResponse & { locals?: RequestContext };

/** The log line of one finished (or aborted) request. */
function line(req: Req, res: Res) {
  const ctx = res.locals;
  const elapsedNs = ctx?.startedAt === undefined ? undefined : Number(process.hrtime.bigint() - ctx.startedAt);
  return {
    request_id: ctx?.requestId,
    method: req.method,
    route: ctx?.route ?? null,
    // Redacted by the logger's `url` serializer (logger.ts), as on every line.
    url: req.originalUrl ?? req.url ?? '',
    status: res.statusCode,
    duration_ms: elapsedNs === undefined ? undefined : Math.round(elapsedNs / 1e4) / 100,
    model: ctx?.model,
    model_version: ctx?.modelVersion,
  };
}

export function requestLog(logger: Logger) {
  return function requestLog(req: IncomingMessage, res: ServerResponse, next: () => void): void {
    // 'close' follows 'finish' on every response, and comes alone when the client went away first.
    res.once('close', () => {
      // A 5xx is an error; a client that went away before its answer was written, a warning.
      const finished = res.writableFinished;
      const level = !finished ? 'warn' : res.statusCode >= 500 ? 'error' : 'info';
      if (!logger.isLevelEnabled(level)) return;
      const message = !finished ? 'request aborted' : level === 'error' ? 'request failed' : 'request completed';
      logger[level](line(req as Req, res as Res), message);
    });
    next();
  };
}
