/**
 * A @grpc/grpc-js client of inference.GRPCInferenceService, built from the
 * same proto/grpc_predict_v2.proto as the server, with promise-returning
 * calls; and an in-process gRPC listener beside a test server.
 */
import { credentials, Metadata, type Client, type ServiceError } from '@grpc/grpc-js';
import { listenGrpc, type GrpcListener } from '../../src/grpc/grpc-server.js';
import { inferenceService } from '../../src/grpc/proto.js';
import type { TestServer } from './server.js';

export type Call = (request: object, metadata?: Record<string, string>) => Promise<any>;

export interface InferenceClient {
  call(method: string, request: object, metadata?: Record<string, string>): Promise<any>;
  close(): void;
}

/** A client of the gRPC server at `address` (host:port). */
export function inferenceClient(address: string, options: Record<string, number> = {}): InferenceClient {
  const Ctor = inferenceService();
  const client = new Ctor(address, credentials.createInsecure(), options) as Client & Record<string, Function>;
  return {
    call(method, request, metadata = {}) {
      const md = new Metadata();
      for (const [k, v] of Object.entries(metadata)) md.set(k, v);
      return new Promise((resolve, reject) => {
        client[method]!.call(client, request, md, (err: ServiceError | null, reply: unknown) => (err ? reject(err) : resolve(reply)));
      });
    },
    close: () => client.close(),
  };
}

/** Starts a gRPC listener on a free loopback port over a test server's service. */
export function grpcBeside(t: TestServer): Promise<GrpcListener> {
  const s = t.service;
  return listenGrpc({
    dataPlane: s.dataPlane, credentials: s.credentials, spendBudget: s.spendBudget, logger: s.logger,
    maxMessageBytes: s.config.bodyLimitBytes * 32,
  }, '127.0.0.1', 0);
}

/** The float32 values of raw little-endian bytes. */
export const floats = (bytes: Uint8Array): Float32Array =>
  new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
