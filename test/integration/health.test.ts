import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PACKAGE_VERSION } from '../../src/service.js';
import { expectError, startServer, type TestServer } from '../helpers/server.js';

describe('GET /api/v1/health', () => {
  let t: TestServer;
  before(async () => {
    t = await startServer();
  });
  after(() => t.close());

  describe('with every shipped model loaded', () => {
    it('answers 200 ok with the report, without credentials', async () => {
      const r = await t.call('GET', '/api/v1/health', { auth: false });
      assert.equal(r.status, 200);
      const d = r.body.data;
      assert.equal(d.status, 'ok');
      assert.equal(d.version, PACKAGE_VERSION);
      assert.equal(d.execution_provider, 'cpu');
      assert.equal(typeof d.uptime_s, 'number');
      const names = d.models.map((m: { name: string; version: string }) => `${m.name}@${m.version}`);
      for (const expected of ['loan-approval@1', 'loan-approval@2', 'iris@1', 'house-price@1']) {
        assert.ok(names.includes(expected), expected);
      }
      assert.ok(d.models.every((m: { state: string }) => m.state === 'ready'));
      assert.equal(r.body.meta.request_id, r.headers.get('x-request-id'));
    });
    it('ignores credentials, even invalid ones', async () => {
      const r = await t.call('GET', '/api/v1/health', { auth: 'not-a-token' });
      assert.equal(r.status, 200);
    });
    it('answers HEAD with the headers and no body', async () => {
      const r = await t.call('HEAD', '/api/v1/health');
      assert.equal(r.status, 200);
      assert.equal(r.text, '');
      assert.ok(r.headers.get('x-request-id'));
    });
  });

  describe('/ready and /live', () => {
    it('/ready answers like /health', async () => {
      const r = await t.call('GET', '/api/v1/health/ready');
      assert.equal(r.status, 200);
      assert.equal(r.body.data.status, 'ok');
    });
    it('/live answers {status: alive}', async () => {
      const r = await t.call('GET', '/api/v1/health/live');
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.data, { status: 'alive' });
    });
  });

  describe('while the models are still loading', () => {
    it('answers 503 SERVICE_UNAVAILABLE starting with Retry-After, and predictions 503 MODEL_NOT_READY', async () => {
      const s = await startServer({ listenBeforeStart: true });
      try {
        const r = await s.call('GET', '/api/v1/health');
        expectError(r, 503, 'SERVICE_UNAVAILABLE');
        assert.equal(r.body.data.status, 'starting');
        assert.ok(Number(r.headers.get('retry-after')) >= 1);
        assert.ok(r.body.data.models.every((m: { state: string }) => m.state === 'loading'));
        const live = await s.call('GET', '/api/v1/health/live');
        assert.equal(live.status, 200);
        const p = await s.call('POST', '/api/v1/predict', {
          body: { model: 'iris', features: { sepal_length: 5, sepal_width: 3, petal_length: 1, petal_width: 0.2 } },
        });
        expectError(p, 503, 'MODEL_NOT_READY');
        assert.ok(p.headers.get('retry-after'));
        await s.service.start();
        assert.equal((await s.call('GET', '/api/v1/health')).status, 200);
      } finally {
        await s.close();
      }
    });
  });

  describe('while draining', () => {
    it('answers 503 draining with Retry-After while /live stays 200', async () => {
      const s = await startServer();
      try {
        s.service.lifecycle.draining = true;
        const r = await s.call('GET', '/api/v1/health');
        expectError(r, 503, 'SERVICE_UNAVAILABLE');
        assert.equal(r.body.data.status, 'draining');
        assert.ok(r.headers.get('retry-after'));
        expectError(await s.call('GET', '/api/v1/health/ready'), 503, 'SERVICE_UNAVAILABLE');
        assert.equal((await s.call('GET', '/api/v1/health/live')).status, 200);
      } finally {
        await s.close();
      }
    });
  });
});
