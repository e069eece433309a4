import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { SAMPLES, startServer, testToken, type TestServer } from '../helpers/server.js';

let t: TestServer;
before(async () => {
  t = await startServer({ env: { LOG_LEVEL: 'info' } });
});
after(() => t.close());

/** The log lines about one request, written when the response finishes. */
async function linesFor(server: TestServer, requestId: string) {
  await sleep(20);
  return server.logs.filter((l) => l.request_id === requestId || (l.req as { id?: string })?.id === requestId);
}

describe('the request log', () => {
  describe('at LOG_LEVEL=info', () => {
    it('writes one line per request with id, method, route, status, duration, model and version', async () => {
      const r = await t.call('POST', '/api/v1/models/loan-approval/predict', {
        body: { features: SAMPLES['loan-approval'] },
        headers: { 'x-request-id': 'log-test-predict-1' },
      });
      assert.equal(r.status, 200);
      const lines = await linesFor(t, 'log-test-predict-1');
      assert.equal(lines.length, 1, JSON.stringify(lines));
      const line = lines[0]!;
      assert.equal(line.level, 30);
      assert.equal(line.method, 'POST');
      assert.equal(line.route, '/api/v1/models/:name/predict');
      assert.equal(line.status, 200);
      assert.equal(typeof line.duration_ms, 'number');
      assert.equal(line.model, 'loan-approval');
      assert.equal(line.model_version, '2');
    });

    it('logs an error answer once too, with its status', async () => {
      await t.call('GET', '/api/v1/nowhere', { headers: { 'x-request-id': 'log-test-404' } });
      const lines = await linesFor(t, 'log-test-404');
      assert.equal(lines.length, 1);
      assert.equal(lines[0]!.status, 404);
      assert.equal(lines[0]!.route, null);
    });
  });

  describe('with credentials in the request', () => {
    it('never writes the Authorization or X-API-Key values', async () => {
      const token = testToken('admin', 'log-secret-subject');
      const apiKey = 'sk_live_log_test_0123456789abcdef';
      await t.call('GET', '/api/v1/models', {
        auth: token,
        headers: { 'x-api-key': apiKey, 'x-request-id': 'log-test-secrets' },
      });
      await t.call('POST', '/api/v1/predict', {
        auth: token,
        headers: { 'x-api-key': apiKey },
        body: { model: 'iris', features: SAMPLES.iris },
      });
      assert.equal((await linesFor(t, 'log-test-secrets')).length, 1);
      const all = JSON.stringify(t.logs);
      assert.ok(!all.includes(token), 'the bearer token reached the log');
      assert.ok(!all.includes(token.split('.')[2]!), 'the token signature reached the log');
      assert.ok(!all.includes(apiKey), 'the API key reached the log');
      assert.doesNotMatch(all, /"authorization"|"x-api-key"/i);
    });
  });

  describe('at LOG_LEVEL=warn', () => {
    it('writes no line for a successful request', async () => {
      const quiet = await startServer({ env: { LOG_LEVEL: 'warn' } });
      try {
        const r = await quiet.call('GET', '/api/v1/health', { headers: { 'x-request-id': 'log-test-quiet' } });
        assert.equal(r.status, 200);
        assert.equal((await linesFor(quiet, 'log-test-quiet')).length, 0);
        assert.ok(quiet.logs.every((l) => (l.level as number) >= 40), 'only warn and above');
      } finally {
        await quiet.close();
      }
    });
  });
});
