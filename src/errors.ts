/**
 * One error base class, one catalog, one mapping (see ../shared/API.md §1).
 * Every expected failure is an AppError with a code from ERROR_CODES; the one
 * error handler (http/error-handler.ts) turns anything else into a masked 500.
 */

/** The catalog: every error code the API can answer with, and its HTTP status. */
export const ERROR_CODES = {
  INVALID_JSON: 400,
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  MODEL_NOT_FOUND: 404,
  PREDICTION_NOT_FOUND: 404,
  JOB_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  BATCH_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  VALIDATION_ERROR: 422,
  UNSUPPORTED_MODEL: 422,
  RATE_LIMIT_EXCEEDED: 429,
  INTERNAL_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
  MODEL_NOT_READY: 503,
  SERVICE_OVERLOADED: 503,
  INFERENCE_TIMEOUT: 504,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** One problem with a request body: a JSON Pointer into the body and what is wrong there. */
export interface ErrorDetail {
  field: string;
  message: string;
  received?: unknown;
}

export interface AppErrorOptions {
  details?: ErrorDetail[];
  headers?: Record<string, string>;
  cause?: unknown;
}

/** An expected failure with a stable code; its message is safe to show to callers. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details?: ErrorDetail[];
  readonly headers?: Record<string, string>;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = ERROR_CODES[code];
    this.details = options.details;
    this.headers = options.headers;
  }
}

/** Seconds a client should wait before retrying a 503. */
const RETRY_AFTER_S = '1';

export const notFound = (method: string, path: string): AppError =>
  new AppError('NOT_FOUND', `No route for ${method} ${path}`);

export const methodNotAllowed = (method: string, allow: readonly string[]): AppError =>
  new AppError('METHOD_NOT_ALLOWED', `Method ${method} is not allowed here`, {
    headers: { Allow: allow.join(', ') },
  });

export const modelNotFound = (name: string, version?: string): AppError =>
  new AppError(
    'MODEL_NOT_FOUND',
    version === undefined ? `Model '${name}' not found` : `Model '${name}' has no version '${version}'`,
  );

export const modelNotReady = (name: string, version: string, state: string): AppError =>
  new AppError('MODEL_NOT_READY', `Model '${name}' version '${version}' is not ready (${state})`, {
    headers: { 'Retry-After': RETRY_AFTER_S },
  });

export const serviceUnavailable = (message: string): AppError =>
  new AppError('SERVICE_UNAVAILABLE', message, { headers: { 'Retry-After': RETRY_AFTER_S } });

/**
 * The shared database cannot be reached (API.md §12): a 503 with
 * Retry-After, never a 500. The job worker also tells it from a job's own
 * failure: a job it interrupts is not failed but left to its lease.
 */
export class DatabaseUnavailable extends AppError {
  constructor(options: { cause?: unknown } = {}) {
    super('SERVICE_UNAVAILABLE', 'The database is unavailable; retry shortly', { headers: { 'Retry-After': RETRY_AFTER_S }, cause: options.cause });
    this.name = 'DatabaseUnavailable';
  }
}

export const validationError = (details: ErrorDetail[], total = details.length): AppError =>
  new AppError('VALIDATION_ERROR', total === 1 ? '1 invalid field' : `${total} invalid fields`, {
    details,
  });

/** A 422 about one field, for checks that JSON Schema cannot express. */
export const invalidField = (field: string, message: string, received?: unknown): AppError =>
  validationError([received === undefined ? { field, message } : { field, message, received }]);

/** Raised while starting: a configuration problem that must stop the process. */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}
