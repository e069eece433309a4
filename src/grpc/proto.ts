/**
 * The gRPC definition of the Open Inference Protocol, loaded once from
 * proto/grpc_predict_v2.proto (two levels up from src/grpc or dist/grpc).
 * Field names stay as the .proto spells them; int64 shapes become numbers
 * (a tensor dimension is far below 2^53).
 */
import { fileURLToPath } from 'node:url';
import { loadPackageDefinition, type GrpcObject, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

export const PROTO_FILE = fileURLToPath(new URL('../../proto/grpc_predict_v2.proto', import.meta.url));

/** Loader options shared by the server and the tests' client. */
export const LOADER_OPTIONS = { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true } as const;

/** The `inference.GRPCInferenceService` client constructor (its `.service` is the definition). */
export function inferenceService(): ServiceClientConstructor {
  const pkg = loadPackageDefinition(loadSync(PROTO_FILE, LOADER_OPTIONS));
  return (pkg.inference as GrpcObject).GRPCInferenceService as ServiceClientConstructor;
}
