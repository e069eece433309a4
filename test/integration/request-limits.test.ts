/**
 * Request limits (issue 3 "limits", API.md §4, §11): body size per route
 * (BODY_LIMIT_BYTES, 32× for batch) and instance count (MAX_BATCH_SIZE) —
 * so that no request can crash or stall the process. Nesting depth is no
 * limit of its own: test/integration/deep-json.test.ts.
 */
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { expectError, SAMPLES, startServer, type TestServer } from '../helpers/server.js';

const JSON_HEADERS = { 'content-type': 'application/json' };

describe('request limits (BODY_LIMIT_BYTES=2048, MAX_BATCH_SIZE=5)', () => {
  let t: TestServer;
  before(async () => {
    t = await startServer({ env: { BODY_LIMIT_BYTES: '2048', MAX_BATCH_SIZE: '5' } });
  });
  after(() => t.close());
  const post = (path: string, raw: string | Uint8Array, headers: Record<string, string> = JSON_HEADERS) => t.call('POST', path, { raw, headers });
  const stillServes = async () => {
    const r = await t.call('POST', '/api/v1/predict', { body: { model: 'iris', features: SAMPLES.iris } });
    assert.equal(r.status, 200);
  };

  describe('POST /api/v1/predict with a body over BODY_LIMIT_BYTES', () => {
    it('answers 413 PAYLOAD_TOO_LARGE', async () => {
      expectError(await post('/api/v1/predict', JSON.stringify({ model: 'iris', features: SAMPLES.iris, pad: 'x'.repeat(3000) })), 413, 'PAYLOAD_TOO_LARGE');
    });
    it('answers 413 when the body only exceeds the limit once inflated (gzip)', async () => {
      const big = gzipSync(JSON.stringify({ model: 'iris', features: SAMPLES.iris, pad: ' '.repeat(100_000) }));
      assert.ok(big.length < 2048);
      expectError(await post('/api/v1/predict', big, { ...JSON_HEADERS, 'content-encoding': 'gzip' }), 413, 'PAYLOAD_TOO_LARGE');
    });
  });
  describe('POST /api/v1/predict/batch', () => {
    it('takes a body of up to 32 × BODY_LIMIT_BYTES', async () => {
      const body = JSON.stringify({ model: 'iris', instances: [SAMPLES.iris], pad: 'x'.repeat(10_000) });
      expectError(await post('/api/v1/predict/batch', body), 422, 'VALIDATION_ERROR');
      expectError(await post('/api/v1/predict/batch', JSON.stringify({ pad: 'x'.repeat(70_000) })), 413, 'PAYLOAD_TOO_LARGE');
    });
    it('answers 413 BATCH_TOO_LARGE over MAX_BATCH_SIZE instances', async () => {
      expectError(await post('/api/v1/predict/batch', JSON.stringify({ model: 'iris', instances: Array(6).fill(SAMPLES.iris) })), 413, 'BATCH_TOO_LARGE');
    });
  });
});
