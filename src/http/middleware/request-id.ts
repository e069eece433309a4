/**
 * First middleware: every response carries X-Request-ID and every envelope
 * the same value (API.md §1). A well-formed incoming id is reused, anything
 * else replaced.
 */
import type { NextFunction, Request, Response } from 'express';
import { newId } from '../../ids.js';
import type { RequestContext } from '../envelope.js';

const INCOMING_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestId() {
  return function requestId(req: Request, res: Response, next: NextFunction): void {
    const startedAt = process.hrtime.bigint();
    const incoming = req.headers['x-request-id'];
    const id = typeof incoming === 'string' && INCOMING_ID.test(incoming) ? incoming : newId('req');
    const ctx = res.locals as RequestContext;
    ctx.requestId = id;
    ctx.startedAt = startedAt;
    res.setHeader('X-Request-ID', id);
    next();
  };
}
