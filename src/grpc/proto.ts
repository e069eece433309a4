/**
 * The gRPC definition of the Open Inference Protocol, loaded once from
 * proto/grpc_predict_v2.proto (two levels up from src/grpc or dist/grpc).
 * Field names stay as the .proto spells them. The server reads int64 fields
 * as decimal strings (`longs: String`), so that int64_contents and
 * uint64_contents stay exact beyond 2^53 (infer-message.ts makes them
 * BigInts and shapes numbers); the tests' client keeps numbers.
 */
import { fileURLToPath } from 'node:url';
import { loadPackageDefinition, type GrpcObject, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

export const PROTO_FILE = fileURLToPath(new URL('../../proto/grpc_predict_v2.proto', import.meta.url));

/** Loader options of the tests' client: int64 fields as numbers. */
export const LOADER_OPTIONS = { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true } as const;

/** Loader options of the server: int64 fields as decimal strings, exact (API.md §14 "Datatypes"). */
export const SERVER_LOADER_OPTIONS = { ...LOADER_OPTIONS, longs: String } as const;

/** The `inference.GRPCInferenceService` client constructor (its `.service` is the definition). */
export function inferenceService(options: typeof LOADER_OPTIONS | typeof SERVER_LOADER_OPTIONS = LOADER_OPTIONS): ServiceClientConstructor {
  const pkg = loadPackageDefinition(loadSync(PROTO_FILE, options));
  return (pkg.inference as GrpcObject).GRPCInferenceService as ServiceClientConstructor;
}
