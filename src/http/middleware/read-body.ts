/**
 * Reads an uncompressed request body into one Buffer under a byte limit: the
 * common case of json-body.ts, without body-parser's generic machinery (which
 * cost about 9 µs of a prediction's time, docs/performance.md). Failures are
 * the errors raw-body raises for the same cases, with the same `type`,
 * `status` and `limit`, so the one error handler maps them the same way:
 * `entity.too.large` (413), `request.size.invalid` and `request.aborted` (400).
 */
import type { IncomingMessage } from 'node:http';

export interface BodyError extends Error {
  type: string;
  status: number;
  limit?: number;
}

function bodyError(message: string, type: string, status: number, limit?: number): BodyError {
  return Object.assign(new Error(message), { type, status, ...(limit === undefined ? {} : { limit }) });
}

const tooLarge = (limit: number) => bodyError('request entity too large', 'entity.too.large', 413, limit);

/** Calls `done` once, with the body or a BodyError; on error the request is left paused, as raw-body does. */
export function readBody(req: IncomingMessage, limit: number, done: (err: BodyError | Error | null, body?: Buffer) => void): void {
  const header = req.headers['content-length'];
  const length = header === undefined ? undefined : Number(header);
  if (length !== undefined && length > limit) {
    process.nextTick(done, tooLarge(limit));
    return;
  }
  const chunks: Buffer[] = [];
  let received = 0;
  let complete = false;

  const finish = (err: BodyError | Error | null, body?: Buffer) => {
    if (complete) return;
    complete = true;
    req.off('aborted', onAborted).off('close', onClose).off('data', onData).off('end', onEnd).off('error', onError);
    if (err) {
      req.unpipe();
      req.pause();
    }
    done(err, body);
  };
  const onData = (chunk: Buffer) => {
    received += chunk.length;
    if (received > limit) finish(tooLarge(limit));
    else chunks.push(chunk);
  };
  const onEnd = () => {
    if (length !== undefined && received !== length) {
      finish(bodyError('request size did not match content length', 'request.size.invalid', 400));
    } else {
      finish(null, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received));
    }
  };
  const onAborted = () => finish(bodyError('request aborted', 'request.aborted', 400));
  // 'close' before 'end': the client went away mid-body.
  const onClose = () => finish(bodyError('request aborted', 'request.aborted', 400));
  const onError = (err: Error) => finish(err);

  req.on('aborted', onAborted).on('close', onClose).on('data', onData).on('end', onEnd).on('error', onError);
}
