/**
 * The request Content-Encodings the service inflates (API.md §11, and §15
 * "Encodings on /v2"): gzip and deflate, the limit applied to the inflated
 * body, or none. body-parser 2 would also inflate br (and answered zstd
 * with a 400), so every body reader checks here first: /api/v1 and /v2
 * give the same 415 for anything else.
 */
import { AppError } from '../../errors.js';

const ENCODINGS = new Set(['gzip', 'deflate', 'identity']);

/** Throws a 415 AppError unless the Content-Encoding header is gzip, deflate, identity or absent. */
export function checkContentEncoding(header: string | undefined): void {
  const encoding = header?.toLowerCase().trim();
  if (encoding === undefined || encoding === '' || ENCODINGS.has(encoding)) return;
  throw new AppError('UNSUPPORTED_MEDIA_TYPE', `Content-Encoding ${encoding.slice(0, 100)} is not supported; use gzip, deflate or none`);
}
