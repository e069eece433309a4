/**
 * The one log line of a gRPC call, carrying the status its client received
 * (API.md §15 "Logs", issue 16 point 5b). The handler's view is not enough:
 * grpc-js itself ends a call while its answer is on the way (a message over
 * the send limit, a failed serialisation or write, a passed deadline) by
 * calling its own sendStatus, which no interceptor sees, so a handler that
 * had answered logged OK for a call its client saw fail. This interceptor,
 * first in the chain, wraps that sendStatus of the base call, and writes
 * the line when grpc-js reports the call over (onCancel comes once at the
 * end of every call): a call that ended without any status sent, the client
 * having gone away, is CANCELLED.
 *
 * It also settles the request id from the `x-request-id` metadata before
 * the handler runs (reused when valid, else a fresh one), so that the line
 * of a call refused before the handler (an oversized message) has one too.
 */
import { randomUUID } from 'node:crypto';
import { ServerInterceptingCall, status, type ServerInterceptingCallInterface, type ServerInterceptor } from '@grpc/grpc-js';

type SendStatus = ServerInterceptingCallInterface['sendStatus'];
import type { Logger } from '../logger.js';

/** An incoming request id that may be reused as is (API.md §1). */
export const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The request id of a call: the client's when it is valid, else a fresh one. */
export function requestIdOf(sent: unknown): string {
  return typeof sent === 'string' && REQUEST_ID.test(sent) ? sent : `req_${randomUUID()}`;
}

/** An interceptor that logs each call once, with the status sent; must be the first of the server's interceptors. */
export function callLog(logger: Logger): ServerInterceptor {
  return function callLog(method, call) {
    const started = process.hrtime.bigint();
    const name = method.path.slice(method.path.lastIndexOf('/') + 1);
    let requestId: string | undefined;
    let sent: status | undefined;
    let ended = false;
    // The base call's own statuses (see above) go through this property, not through the interceptors.
    const sendStatus = call.sendStatus.bind(call);
    call.sendStatus = ((s) => {
      if (!ended && sent === undefined) sent = s.code;
      sendStatus(s);
    }) satisfies SendStatus;
    const end = () => {
      if (ended) return;
      ended = true;
      logger.info({
        request_id: requestId, grpc_method: name, grpc_code: status[sent ?? status.CANCELLED],
        duration_ms: Math.round(Number(process.hrtime.bigint() - started) / 1e4) / 100,
      }, 'grpc call');
    };
    return new ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(md, nextMd) {
            requestId = requestIdOf(md.get('x-request-id')[0]);
            md.set('x-request-id', requestId);
            nextMd(md);
          },
          onCancel: end,
        });
      },
    });
  };
}
