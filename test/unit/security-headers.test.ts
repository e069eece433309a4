import assert from 'node:assert/strict';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { describe, it } from 'node:test';
import type { Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';
import { securityHeaders } from '../../src/http/middleware/security.js';

/** The headers a middleware leaves on a fresh response (which starts with X-Powered-By set, as Express would). */
function headersAfter(middleware: RequestHandler): Record<string, unknown> {
  const req = new IncomingMessage(new Socket());
  const res = new ServerResponse(req);
  res.setHeader('X-Powered-By', 'Express');
  let nexted = false;
  middleware(req as Request, res as unknown as Response, () => (nexted = true));
  assert.ok(nexted, 'the middleware calls next()');
  return res.getHeaders();
}

describe('securityHeaders()', () => {
  it("sets exactly helmet's default headers, and removes X-Powered-By like helmet", () => {
    const ours = headersAfter(securityHeaders());
    assert.deepEqual(ours, headersAfter(helmet()));
    assert.equal(ours['x-powered-by'], undefined);
    assert.ok(String(ours['content-security-policy']).includes("default-src 'self'"));
    assert.equal(ours['strict-transport-security'], 'max-age=31536000; includeSubDomains');
  });
  it('is not helmet itself run per request (helmet is recorded once at start)', () => {
    assert.equal(securityHeaders().name, 'securityHeaders');
  });
});
