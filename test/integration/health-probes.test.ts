import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { expectError, startServer, type TestServer } from '../helpers/server.js';

let t: TestServer;
before(async () => {
  t = await startServer();
});
after(() => t.close());

describe('GET /api/v1/health/live', () => {
  it('answers 200 {"status": "alive"} without credentials', async () => {
    const r = await t.call('GET', '/api/v1/health/live', { auth: false });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.data, { status: 'alive' });
    assert.equal(r.body.meta.request_id, r.headers.get('x-request-id'));
  });

  it('ignores credentials, even bad ones', async () => {
    const r = await t.call('GET', '/api/v1/health/live', { auth: 'not-a-token' });
    assert.equal(r.status, 200);
  });
});

describe('GET /api/v1/health/ready', () => {
  it('answers like /api/v1/health: 200 ok with every model ready', async () => {
    const ready = await t.call('GET', '/api/v1/health/ready', { auth: false });
    const health = await t.call('GET', '/api/v1/health', { auth: false });
    assert.equal(ready.status, 200);
    assert.equal(ready.body.data.status, 'ok');
    const strip = (d: Record<string, unknown>) => ({ ...d, uptime_s: 0 });
    assert.deepEqual(strip(ready.body.data), strip(health.body.data));
    assert.ok(ready.body.data.models.every((m: { state: string }) => m.state === 'ready'));
  });

  it('answers HEAD with the status and no body', async () => {
    const r = await t.call('HEAD', '/api/v1/health/ready', { auth: false });
    assert.equal(r.status, 200);
    assert.equal(r.text, '');
  });
});

describe('while draining', () => {
  it('readiness answers 503 draining with Retry-After and liveness stays 200', async () => {
    const server = await startServer();
    try {
      server.service.lifecycle.draining = true;
      for (const path of ['/api/v1/health', '/api/v1/health/ready']) {
        const r = await server.call('GET', path, { auth: false });
        expectError(r, 503, 'SERVICE_UNAVAILABLE');
        assert.equal(r.body.data.status, 'draining');
        assert.ok(Number(r.headers.get('retry-after')) >= 1);
      }
      const live = await server.call('GET', '/api/v1/health/live', { auth: false });
      assert.equal(live.status, 200);
    } finally {
      await server.close();
    }
  });
});

describe('while starting', () => {
  it('readiness answers 503 starting and liveness 200', async () => {
    const server = await startServer({ listenBeforeStart: true });
    try {
      const r = await server.call('GET', '/api/v1/health/ready', { auth: false });
      expectError(r, 503, 'SERVICE_UNAVAILABLE');
      assert.equal(r.body.data.status, 'starting');
      assert.ok(r.headers.get('retry-after'));
      assert.equal((await server.call('GET', '/api/v1/health/live', { auth: false })).status, 200);
      await server.service.start();
      assert.equal((await server.call('GET', '/api/v1/health/ready', { auth: false })).status, 200);
    } finally {
      await server.close();
    }
  });
});
