/**
 * CORS allowlist and helmet headers over real HTTP (API.md §7, §11). The
 * browser's own enforcement is checked in test/e2e/cors-browser.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startServer, type Reply, type TestServer } from '../helpers/server.js';

const APP = 'https://app.example.com';
const LOCAL = 'http://localhost:3000';

const corsHeaders = (r: Reply) => [...r.headers.keys()].filter((h) => h.startsWith('access-control-'));
const varyOrigin = (r: Reply) => (r.headers.get('vary') ?? '').split(',').map((v) => v.trim().toLowerCase()).includes('origin');

function expectHelmet(r: Reply, what: string): void {
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff', what);
  assert.match(r.headers.get('content-security-policy') ?? '', /default-src 'self'/, what);
  assert.match(r.headers.get('strict-transport-security') ?? '', /max-age=\d+/, what);
  assert.equal(r.headers.get('x-frame-options'), 'SAMEORIGIN', what);
  assert.equal(r.headers.get('referrer-policy'), 'no-referrer', what);
  assert.equal(r.headers.get('cross-origin-resource-policy'), 'same-origin', what);
  assert.equal(r.headers.get('x-powered-by'), null, what);
}

describe('CORS with CORS_ORIGINS=https://app.example.com,http://localhost:3000', () => {
  let t: TestServer;
  before(async () => {
    t = await startServer({ env: { CORS_ORIGINS: `${APP},${LOCAL}` } });
  });
  after(() => t.close());
  const get = (origin?: string, path = '/api/v1/models') => t.call('GET', path, { headers: origin ? { origin } : {} });
  const preflight = (origin: string, path = '/api/v1/predict') =>
    t.call('OPTIONS', path, {
      auth: false,
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,x-request-id' },
    });

  describe('a request from an allowed origin', () => {
    it('gets Access-Control-Allow-Origin: <origin>, Vary: Origin and the exposed headers', async () => {
      for (const origin of [APP, LOCAL]) {
        const r = await get(origin);
        assert.equal(r.status, 200);
        assert.equal(r.headers.get('access-control-allow-origin'), origin);
        assert.ok(varyOrigin(r));
        const exposed = (r.headers.get('access-control-expose-headers') ?? '').toLowerCase().split(/\s*,\s*/);
        for (const h of ['x-request-id', 'retry-after', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset']) {
          assert.ok(exposed.includes(h), `${h} exposed`);
        }
        assert.equal(r.headers.get('access-control-allow-credentials'), null);
      }
    });
    it('gets the CORS headers on errors too (401, 404), so the page can read them', async () => {
      const denied = await t.call('GET', '/api/v1/models', { auth: false, headers: { origin: APP } });
      assert.equal(denied.status, 401);
      assert.equal(denied.headers.get('access-control-allow-origin'), APP);
      const missing = await get(APP, '/api/v1/nope');
      assert.equal(missing.status, 404);
      assert.equal(missing.headers.get('access-control-allow-origin'), APP);
    });
  });

  describe('a preflight from an allowed origin', () => {
    it('answers 204 with the methods, exactly the allowed headers, and X-Request-ID', async () => {
      const r = await preflight(APP);
      assert.equal(r.status, 204);
      assert.equal(r.text, '');
      assert.equal(r.headers.get('access-control-allow-origin'), APP);
      assert.equal(r.headers.get('access-control-allow-headers'), 'Authorization, Content-Type, X-Request-ID, X-API-Key, Prefer');
      const methods = (r.headers.get('access-control-allow-methods') ?? '').split(/\s*,\s*/);
      for (const m of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) assert.ok(methods.includes(m), m);
      assert.match(r.headers.get('access-control-max-age') ?? '', /^\d+$/);
      assert.match(r.headers.get('x-request-id') ?? '', /^req_[A-Za-z0-9_-]{16,}$/);
      assert.ok(varyOrigin(r));
      expectHelmet(r, 'preflight');
    });
    it('echoes a well-formed incoming X-Request-ID', async () => {
      const r = await t.call('OPTIONS', '/api/v1/predict', {
        auth: false, headers: { origin: APP, 'access-control-request-method': 'POST', 'x-request-id': 'trace-42' },
      });
      assert.equal(r.headers.get('x-request-id'), 'trace-42');
    });
  });

  describe('a request or preflight from any other origin', () => {
    const others = ['https://evil.example.com', 'null', `${APP}/`, 'http://app.example.com', 'https://app.example.com:444', 'https://sub.app.example.com', 'HTTPS://APP.EXAMPLE.COM'];
    it('gets no Access-Control-* header at all, but Vary: Origin', async () => {
      for (const origin of others) {
        const r = await get(origin);
        assert.deepEqual(corsHeaders(r), [], origin);
        assert.ok(varyOrigin(r), origin);
        const p = await preflight(origin);
        assert.deepEqual(corsHeaders(p), [], `preflight ${origin}`);
        assert.ok(varyOrigin(p), `preflight ${origin}`);
      }
    });
  });

  describe('a request without Origin (server to server)', () => {
    it('gets no Access-Control-* header, but Vary: Origin', async () => {
      const r = await get();
      assert.equal(r.status, 200);
      assert.deepEqual(corsHeaders(r), []);
      assert.ok(varyOrigin(r));
    });
  });
});

describe('CORS with CORS_ORIGINS unset', () => {
  let t: TestServer;
  before(async () => {
    t = await startServer();
  });
  after(() => t.close());
  it('allows no origin at all', async () => {
    const r = await t.call('GET', '/api/v1/models', { headers: { origin: 'http://localhost:3000' } });
    assert.deepEqual(corsHeaders(r), []);
  });

  describe('helmet headers', () => {
    it('are on every response: 200, 401, 404, 405, 400, 415, 422, HEAD and OPTIONS', async () => {
      const replies: Array<[string, Reply]> = [
        ['200', await t.call('GET', '/api/v1/models')],
        ['health', await t.call('GET', '/api/v1/health', { auth: false })],
        ['HEAD', await t.call('HEAD', '/api/v1/health', { auth: false })],
        ['401', await t.call('GET', '/api/v1/models', { auth: false })],
        ['404', await t.call('GET', '/nope')],
        ['405', await t.call('PUT', '/api/v1/predict')],
        ['400', await t.call('GET', '/api/v1/models/%E0%A4%A')],
        ['415', await t.call('POST', '/api/v1/predict', { raw: 'x', headers: { 'content-type': 'text/plain' } })],
        ['422', await t.call('POST', '/api/v1/predict', { body: { model: 'iris' } })],
        ['OPTIONS', await t.call('OPTIONS', '/api/v1/predict')],
      ];
      for (const [what, r] of replies) expectHelmet(r, what);
    });
  });
});

describe("CORS with CORS_ORIGINS='*' (development only)", () => {
  let t: TestServer;
  before(async () => {
    t = await startServer({ env: { CORS_ORIGINS: '*' } });
  });
  after(() => t.close());
  it('reflects any origin but null, never with credentials', async () => {
    const r = await t.call('GET', '/api/v1/models', { headers: { origin: 'http://127.0.0.1:5555' } });
    assert.equal(r.headers.get('access-control-allow-origin'), 'http://127.0.0.1:5555');
    assert.equal(r.headers.get('access-control-allow-credentials'), null);
    const n = await t.call('GET', '/api/v1/models', { headers: { origin: 'null' } });
    assert.deepEqual(corsHeaders(n), []);
  });
});
