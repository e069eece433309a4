/**
 * Reads a JSON request body under a byte limit (API.md §11): only
 * application/json in UTF-8 (415 otherwise, and for a body without a
 * Content-Type), gzip/deflate inflated with the limit applied to the inflated
 * bytes, a leading BOM ignored, an empty body a 400 INVALID_JSON. An
 * uncompressed body is read by read-body.ts; a compressed one by body-parser
 * (express.raw), which inflates it. Parsing is JSON.parse, whose duplicate
 * keys resolve last-wins and whose `__proto__` key is an ordinary own
 * property.
 */
import { parse as parseContentType, type ContentType } from 'content-type';
import express, { type NextFunction, type Request, type Response } from 'express';
import { AppError } from '../../errors.js';
import { checkContentEncoding } from './content-encoding.js';
import { readBody } from './read-body.js';

const CHARSETS = new Set(['utf-8', 'utf8']);

const unsupported = (message: string) => new AppError('UNSUPPORTED_MEDIA_TYPE', message);
const invalidJson = (message: string) => new AppError('INVALID_JSON', message);

/** Why a Content-Type value is refused, or '' when it is fine. */
function contentTypeProblem(header: string): string {
  let parsed: ContentType;
  try {
    parsed = parseContentType(header);
  } catch {
    return 'Content-Type is malformed; use application/json';
  }
  if (parsed.type.toLowerCase() !== 'application/json') return `Content-Type ${parsed.type} is not supported; use application/json`;
  const charset = parsed.parameters.charset?.toLowerCase();
  if (charset !== undefined && !CHARSETS.has(charset)) return `charset ${charset} is not supported; use utf-8`;
  return '';
}

/**
 * Verdicts on the Content-Type values seen, so the few that clients send
 * are parsed once, not per request; bounded, since a client can send any.
 */
const verdicts = new Map<string, string>();
const MAX_VERDICTS = 256;

function contentTypeVerdict(header: string): string {
  let problem = verdicts.get(header);
  if (problem === undefined) {
    problem = contentTypeProblem(header);
    if (verdicts.size >= MAX_VERDICTS) verdicts.clear();
    verdicts.set(header, problem);
  }
  return problem;
}

/** Checks the media type, charset and encoding headers; throws a 415 AppError when they do not fit. */
function checkHeaders(req: Request, hasBody: boolean): void {
  const header = req.headers['content-type'];
  if (header === undefined) {
    if (hasBody) throw unsupported('A request body needs Content-Type: application/json');
    return;
  }
  const problem = contentTypeVerdict(header);
  if (problem !== '') throw unsupported(problem);
  checkContentEncoding(req.headers['content-encoding']);
}

/** Parses the raw bytes into req.body. */
function parse(req: Request, buffer: Buffer | undefined): void {
  let text = buffer && buffer.length > 0 ? buffer.toString('utf8') : '';
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '') throw invalidJson('The request body is empty; send a JSON object');
  try {
    req.body = JSON.parse(text);
  } catch {
    throw invalidJson('The request body is not valid JSON');
  }
}

/** A body reader for one route, with that route's byte limit. */
export function jsonBody(limitBytes: number) {
  const readRaw = express.raw({ type: () => true, limit: limitBytes, inflate: true });
  return function jsonBody(req: Request, res: Response, next: NextFunction): void {
    const length = req.headers['content-length'];
    const hasBody = req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
    checkHeaders(req, hasBody);
    if (!hasBody) throw invalidJson('The request has no body; send a JSON object');
    const parsed = (err: unknown, body: Buffer | undefined) => {
      if (err) return next(err);
      try {
        parse(req, body);
      } catch (parseErr) {
        return next(parseErr);
      }
      next();
    };
    const encoding = req.headers['content-encoding'];
    if (encoding === undefined || encoding === '' || encoding.trim().toLowerCase() === 'identity') {
      readBody(req, limitBytes, parsed);
    } else {
      readRaw(req, res, (err?: unknown) => parsed(err, req.body as Buffer | undefined));
    }
  };
}
