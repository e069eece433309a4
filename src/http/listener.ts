/**
 * The HTTP listener's timeouts, for life behind a load balancer (API.md §11).
 * Node keeps an idle keep-alive connection 5 s by default; balancers keep
 * theirs 60 s and reuse one the service may just have closed, which the
 * client sees as an intermittent 502. The service therefore keeps idle
 * connections longer than the balancer (HTTP_KEEP_ALIVE_TIMEOUT_MS, 65 s),
 * and waits for a request's headers longer still, so that a request that
 * arrives on a connection about to time out is not cut off mid-headers.
 */
import { createServer, type RequestListener, type Server } from 'node:http';

/** What the listener needs from the configuration. */
export interface ListenerTimeouts {
  httpKeepAliveTimeoutMs: number;
}

/** Node's default whole-request timeout (5 min); raised if ever below the header timeout. */
const REQUEST_TIMEOUT_MS = 300_000;

/** A node:http server for `app` with the service's keep-alive and header timeouts. */
export function createHttpServer(app: RequestListener, { httpKeepAliveTimeoutMs }: ListenerTimeouts): Server {
  const headersTimeout = httpKeepAliveTimeoutMs + 1_000;
  const server = createServer({ requestTimeout: Math.max(REQUEST_TIMEOUT_MS, headersTimeout), headersTimeout }, app);
  server.keepAliveTimeout = httpKeepAliveTimeoutMs;
  return server;
}
