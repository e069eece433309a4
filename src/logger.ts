/** The service's pino logger. Credentials never reach a log line (API.md §11, §15 "Logs"). */
import { pino, type Logger } from 'pino';
import { redactUrl } from './http/middleware/redact-url.js';

/** Paths redacted wherever they appear in a log object. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'headers.authorization',
  'headers["x-api-key"]',
];

/** Creates the logger; tests pass a destination stream to read what was logged. */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'onnx-serving' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      // The one redaction of URLs: every line that carries one under `url` (the request line, the
      // "unexpected error" line, any added later) gets credential-like query values replaced.
      serializers: { url: (url: unknown) => (typeof url === 'string' ? redactUrl(url) : url) },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination as pino.DestinationStream | undefined,
  );
}

export type { Logger };
