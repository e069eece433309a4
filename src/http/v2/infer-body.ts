/**
 * Reads an OIP infer body (API.md §13): `application/json`,
 * `application/octet-stream` or no Content-Type (Triton's client sends
 * none), anything else a 415; Content-Encoding gzip, deflate or none (415
 * otherwise); at most the batch limit (32 × BODY_LIMIT_BYTES), inflated.
 * With `Inference-Header-Content-Length` the body is Triton's binary tensor
 * format: that many bytes of JSON header, then the binary tensor data;
 * without it the whole body is the JSON request.
 */
import { parse as parseContentType } from 'content-type';
import express, { type NextFunction, type Request, type Response } from 'express';
import { AppError } from '../../errors.js';
import { checkContentEncoding } from '../middleware/content-encoding.js';
import { readBody } from '../middleware/read-body.js';

/** The body of an infer request, split. */
export interface InferBody {
  /** The parsed JSON request (or binary format's header). */
  header: unknown;
  /** The bytes after the header (empty for a JSON request). */
  binary: Buffer;
}

const MEDIA_TYPES = new Set(['application/json', 'application/octet-stream']);
export const HEADER_LENGTH = 'inference-header-content-length';

const badJson = (message: string) => new AppError('INVALID_JSON', message);

function checkMediaType(req: Request): void {
  const header = req.headers['content-type'];
  if (header === undefined) return;
  let type: string;
  try {
    type = parseContentType(header).type.toLowerCase();
  } catch {
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Content-Type is malformed; use application/json or application/octet-stream');
  }
  if (!MEDIA_TYPES.has(type)) {
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', `Content-Type ${type} is not supported; use application/json or application/octet-stream`);
  }
}

/** Splits and parses the raw body. */
export function splitInferBody(raw: Buffer, headerLength: string | undefined): InferBody {
  let jsonEnd = raw.length;
  if (headerLength !== undefined) {
    const n = /^\d{1,15}$/.test(headerLength.trim()) ? Number(headerLength) : NaN;
    if (!Number.isSafeInteger(n) || n > raw.length) {
      throw new AppError('BAD_REQUEST', `Inference-Header-Content-Length must be an integer between 0 and the body's ${raw.length} bytes`);
    }
    jsonEnd = n;
  }
  const json = raw.subarray(0, jsonEnd);
  const text = json.toString('utf8');
  if (text.trim() === '') throw badJson('The request has no JSON; send an inference request');
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch {
    throw badJson('The request is not valid JSON');
  }
  return { header, binary: raw.subarray(jsonEnd) };
}

/** The body reader of the infer route; sets req.body to an InferBody. */
export function inferBody(limitBytes: number) {
  const inflate = express.raw({ type: () => true, limit: limitBytes, inflate: true });
  return function inferBody(req: Request, res: Response, next: NextFunction): void {
    checkMediaType(req);
    // As on /api/v1 (API.md §15): gzip, deflate or none; body-parser alone would inflate br too.
    checkContentEncoding(req.headers['content-encoding']);
    const done = (err: unknown, raw: Buffer | undefined) => {
      if (err) return next(err);
      try {
        const headerLength = req.headers[HEADER_LENGTH];
        req.body = splitInferBody(raw ?? Buffer.alloc(0), Array.isArray(headerLength) ? headerLength[0] : headerLength);
      } catch (parseErr) {
        return next(parseErr);
      }
      next();
    };
    const encoding = req.headers['content-encoding'];
    if (encoding === undefined || encoding === '' || encoding.trim().toLowerCase() === 'identity') {
      readBody(req, limitBytes, done);
    } else {
      inflate(req, res, (err?: unknown) => done(err, Buffer.isBuffer(req.body) ? req.body : undefined));
    }
  };
}
