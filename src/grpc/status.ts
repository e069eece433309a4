/**
 * The gRPC status of an AppError (API.md §13): the same conditions as the
 * REST statuses, in the protocol's codes.
 */
import { status } from '@grpc/grpc-js';
import type { ErrorCode } from '../errors.js';

const STATUS_OF: Partial<Record<ErrorCode, status>> = {
  INVALID_JSON: status.INVALID_ARGUMENT,
  BAD_REQUEST: status.INVALID_ARGUMENT,
  VALIDATION_ERROR: status.INVALID_ARGUMENT,
  // A tensor model on an /api/v1 predict route (API.md §14); the OIP itself never raises it.
  UNSUPPORTED_MODEL: status.FAILED_PRECONDITION,
  BATCH_TOO_LARGE: status.INVALID_ARGUMENT,
  // A message over the size limit, as grpc-js itself answers one (an answer over the send limit: answer-size.ts).
  PAYLOAD_TOO_LARGE: status.RESOURCE_EXHAUSTED,
  UNSUPPORTED_MEDIA_TYPE: status.INVALID_ARGUMENT,
  METHOD_NOT_ALLOWED: status.UNIMPLEMENTED,
  CONFLICT: status.FAILED_PRECONDITION,
  UNAUTHORIZED: status.UNAUTHENTICATED,
  FORBIDDEN: status.PERMISSION_DENIED,
  NOT_FOUND: status.NOT_FOUND,
  MODEL_NOT_FOUND: status.NOT_FOUND,
  PREDICTION_NOT_FOUND: status.NOT_FOUND,
  JOB_NOT_FOUND: status.NOT_FOUND,
  MODEL_NOT_READY: status.UNAVAILABLE,
  SERVICE_UNAVAILABLE: status.UNAVAILABLE,
  SERVICE_OVERLOADED: status.UNAVAILABLE,
  RATE_LIMIT_EXCEEDED: status.RESOURCE_EXHAUSTED,
  INFERENCE_TIMEOUT: status.DEADLINE_EXCEEDED,
};

/** The gRPC status for an error code; INTERNAL for anything unmapped. */
export const grpcStatusOf = (code: ErrorCode): status => STATUS_OF[code] ?? status.INTERNAL;
