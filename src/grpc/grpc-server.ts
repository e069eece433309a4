/**
 * The Open Inference Protocol over gRPC (API.md §13): the six calls of
 * `inference.GRPCInferenceService` on GRPC_PORT, thin translations onto the
 * same DataPlane as /v2. Credentials travel as metadata (`authorization:
 * Bearer <jwt>` or `x-api-key`) and are checked by the same authenticator as
 * HTTP; the per-caller budgets are the HTTP ones (ModelInfer spends the
 * predict budget). Messages may be as large as a batch body.
 */
import {
  Metadata, Server, ServerCredentials, setLogger, status,
  type sendUnaryData, type ServerUnaryCall, type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { identify, type Credentials } from '../auth/authenticator.js';
import { hasScope } from '../auth/caller.js';
import { insufficientScope } from '../auth/challenges.js';
import { AppError, modelNotFound } from '../errors.js';
import type { Scope } from '../http/guard.js';
import { addressKey, type Budget, type LimiterName } from '../http/middleware/rate-limit.js';
import type { DataPlane } from '../inference/prediction/dataplane.js';
import { MODEL_NAME, MODEL_VERSION } from '../inference/serving/repository.js';
import type { Logger } from '../logger.js';
import { callLog, requestIdOf } from './call-log.js';
import { decodeModelInfer, encodeModelInfer, type ModelInferRequest } from './infer-message.js';
import { inferenceService, SERVER_LOADER_OPTIONS } from './proto.js';
import { grpcStatusOf } from './status.js';

export interface GrpcDeps {
  dataPlane: DataPlane;
  credentials: Credentials;
  /** Spends one request of a budget (a caller's, or 'ip' for an address); a 429 AppError when spent. */
  spendBudget(budget: LimiterName, key: string): Promise<AppError | undefined>;
  logger: Logger;
  /** Largest message in either direction: 32 × BODY_LIMIT_BYTES. */
  maxMessageBytes: number;
}

export interface GrpcListener {
  /** The port bound (useful when 0 was asked). */
  port: number;
  /** Stops taking calls; resolves once the calls in flight have finished. */
  drain(): Promise<void>;
  /** Cuts whatever is still open. */
  forceClose(): void;
}

/** The first value of a metadata key, as a string. */
function first(md: Metadata, key: string): string | undefined {
  const v = md.get(key)[0];
  return v === undefined ? undefined : String(v);
}

/** The (name, version) a call names; a name or version that cannot be one is NOT_FOUND. */
function target(name: string, version: string): { name: string; version: string | undefined } {
  if (!MODEL_NAME.test(name)) throw modelNotFound(name);
  if (version !== '' && !MODEL_VERSION.test(version)) throw modelNotFound(name, version);
  return { name, version: version === '' ? undefined : version };
}

/** The IP of a grpc-js peer (`ipv4:1.2.3.4:5678`, `ipv6:[::1]:5678`). */
function peerAddress(peer: string): string {
  const m = /^ipv[46]:\[?([^\]]+?)\]?:\d+$/.exec(peer);
  return m ? m[1]! : peer;
}

type Handler = (request: any, md: Metadata) => Promise<unknown> | unknown;

export function createGrpcService(deps: GrpcDeps): UntypedServiceImplementation {
  const { dataPlane, credentials, logger } = deps;

  /**
   * Authenticates, authorizes and spends the caller's budget; throws a
   * 401/403/429 AppError. As over HTTP, a call without valid credentials
   * spends its address's budget (429 instead of 401 once it is spent).
   */
  async function admit(md: Metadata, scope: Scope, budget: Budget, peer: string): Promise<void> {
    const headers = { authorization: first(md, 'authorization'), 'x-api-key': first(md, 'x-api-key') };
    let caller;
    try {
      caller = identify({ headers }, credentials);
    } catch (err) {
      const spent = await deps.spendBudget('ip', addressKey(peerAddress(peer)));
      throw spent ?? err;
    }
    const spent = await deps.spendBudget(budget, caller.id === 'anonymous' ? addressKey(peerAddress(peer)) : caller.id);
    if (spent) throw spent;
    if (!hasScope(caller, scope)) throw insufficientScope(scope);
  }

  /**
   * One unary call: request id in and out, errors mapped to gRPC statuses.
   * Its log line is written by callLog (call-log.ts), which knows the status
   * the client received, also when the call failed after the handler answered.
   */
  function unary(method: string, handler: Handler, auth?: { scope: Scope; budget: Budget }) {
    return async (call: ServerUnaryCall<any, unknown>, callback: sendUnaryData<unknown>) => {
      // callLog has settled the id already; this is for a service mounted without it.
      const requestId = requestIdOf(first(call.metadata, 'x-request-id'));
      const md = new Metadata();
      md.set('x-request-id', requestId);
      call.sendMetadata(md);
      try {
        if (auth) await admit(call.metadata, auth.scope, auth.budget, call.getPeer());
        callback(null, await handler(call.request, call.metadata));
      } catch (err) {
        const appError = err instanceof AppError ? err : undefined;
        if (!appError) logger.error({ err, request_id: requestId, grpc_method: method }, 'unexpected error');
        const code = appError ? grpcStatusOf(appError.code) : status.INTERNAL;
        const message = appError?.message ?? 'An unexpected error occurred; quote the request id when reporting it';
        const trailer = new Metadata();
        trailer.set('x-request-id', requestId);
        callback({ code, details: message, metadata: trailer });
      }
    };
  }

  const read = { scope: 'models:read', budget: 'default' } as const;
  return {
    ServerLive: unary('ServerLive', () => ({ live: dataPlane.live() })),
    ServerReady: unary('ServerReady', () => ({ ready: dataPlane.ready() })),
    ServerMetadata: unary('ServerMetadata', () => dataPlane.serverMetadata()),
    ModelReady: unary('ModelReady', (req: { name: string; version: string }) => {
      const { name, version } = target(req.name, req.version);
      return { ready: dataPlane.modelReady(name, version) };
    }, read),
    ModelMetadata: unary('ModelMetadata', (req: { name: string; version: string }) => {
      const { name, version } = target(req.name, req.version);
      return dataPlane.modelMetadata(name, version);
    }, read),
    ModelInfer: unary('ModelInfer', async (req: ModelInferRequest) => {
      const { name, version } = target(req.model_name, req.model_version);
      return encodeModelInfer(await dataPlane.infer(name, version, decodeModelInfer(req)));
    }, { scope: 'predict', budget: 'predict' }),
  };
}

/** Starts the gRPC server on host:port (port 0: any free port). */
export async function listenGrpc(deps: GrpcDeps, host: string, port: number): Promise<GrpcListener> {
  // grpc-js logs to stderr by default; its lines go to the service's log instead.
  const note = (...args: unknown[]) => deps.logger.warn({ grpc_js: args.map(String).join(' ') }, 'grpc-js');
  setLogger({ error: note, info: note, debug: () => undefined });
  const server = new Server({
    'grpc.max_receive_message_length': deps.maxMessageBytes,
    'grpc.max_send_message_length': deps.maxMessageBytes,
    // First: it must wrap the base call to see the statuses grpc-js sends on its own.
    interceptors: [callLog(deps.logger)],
  });
  server.addService(inferenceService(SERVER_LOADER_OPTIONS).service, createGrpcService(deps));
  const bound = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host.includes(':') ? `[${host}]` : host}:${port}`, ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)));
  });
  return {
    port: bound,
    drain: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
    forceClose: () => server.forceShutdown(),
  };
}
