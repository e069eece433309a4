/**
 * Rate limits over real HTTP (API.md §7, §11): separate per-caller budgets
 * for predict, batch and the rest; a per-IP default budget before
 * authentication, spent only by requests without valid credentials (a request
 * passes one limiter); health never limited; 429 in the envelope with
 * Retry-After and both header families; X-Forwarded-For ignored unless
 * TRUST_PROXY trusts it; the store is pluggable.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { MemoryStore } from 'express-rate-limit';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { createService } from '../../src/service.js';
import { call, expectError, MODELS_DIR, SAMPLES, startServer, TEST_JWT_SECRET, testToken, type Reply, type TestServer } from '../helpers/server.js';

const PREDICT = { model: 'iris', features: SAMPLES.iris };
const BATCH = { model: 'iris', instances: [SAMPLES.iris, SAMPLES.iris] };

function expect429(r: Reply, limit: number): void {
  expectError(r, 429, 'RATE_LIMIT_EXCEEDED');
  const retryAfter = Number(r.headers.get('retry-after'));
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
  assert.equal(r.headers.get('x-ratelimit-limit'), String(limit));
  assert.equal(r.headers.get('x-ratelimit-remaining'), '0');
  assert.equal(r.headers.get('ratelimit-limit'), String(limit));
  assert.equal(r.headers.get('ratelimit-remaining'), '0');
}

describe('per-caller budgets (RATE_LIMIT_PREDICT_PER_MIN=3, RATE_LIMIT_BATCH_PER_MIN=2, RATE_LIMIT_DEFAULT_PER_MIN=4)', () => {
  let t: TestServer;
  before(async () => {
    t = await startServer({ env: { RATE_LIMIT_PREDICT_PER_MIN: '3', RATE_LIMIT_BATCH_PER_MIN: '2', RATE_LIMIT_DEFAULT_PER_MIN: '4' } });
  });
  after(() => t.close());
  const alice = testToken('admin', 'alice');
  const predict = (auth = alice, body: unknown = PREDICT) => t.call('POST', '/api/v1/predict', { auth, body });

  it('counts down X-RateLimit-Remaining and RateLimit-Remaining, with X-RateLimit-Reset in epoch seconds', async () => {
    for (const remaining of [2, 1, 0]) {
      const r = await predict();
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('x-ratelimit-limit'), '3');
      assert.equal(r.headers.get('x-ratelimit-remaining'), String(remaining));
      assert.equal(r.headers.get('ratelimit-limit'), '3');
      assert.equal(r.headers.get('ratelimit-remaining'), String(remaining));
      assert.equal(r.headers.get('ratelimit-policy'), '3;w=60');
      const reset = Number(r.headers.get('x-ratelimit-reset'));
      const now = Date.now() / 1000;
      assert.ok(reset > now && reset <= now + 61, `X-RateLimit-Reset ${reset} is an epoch second within the window`);
      const delta = Number(r.headers.get('ratelimit-reset'));
      assert.ok(delta >= 1 && delta <= 60, `RateLimit-Reset ${delta} is seconds from now`);
    }
  });
  it('answers the 4th predict with 429 RATE_LIMIT_EXCEEDED, Retry-After and both header families', async () => {
    expect429(await predict(), 3);
  });
  it('answers 429 before reading the body (not 422)', async () => {
    expect429(await predict(alice, { model: 'iris', features: { sepal_length: 'long' } }), 3);
  });
  it('shares the predict budget with /models/{name}/predict', async () => {
    expect429(await t.call('POST', '/api/v1/models/iris/predict', { auth: alice, body: { features: SAMPLES.iris } }), 3);
  });
  it('keeps the batch and default budgets separate', async () => {
    assert.equal((await t.call('POST', '/api/v1/predict/batch', { auth: alice, body: BATCH })).status, 200);
    assert.equal((await t.call('GET', '/api/v1/models', { auth: alice })).status, 200);
  });
  it('gives another caller (another token subject) a budget of its own', async () => {
    assert.equal((await predict(testToken('admin', 'bob'))).status, 200);
  });
  it('limits batch at 2 per minute', async () => {
    const bob = testToken('admin', 'bob');
    for (let i = 0; i < 2; i++) assert.equal((await t.call('POST', '/api/v1/predict/batch', { auth: bob, body: BATCH })).status, 200);
    expect429(await t.call('POST', '/api/v1/predict/batch', { auth: bob, body: BATCH }), 2);
  });
  it('limits the rest per caller at the default budget, not per IP', async () => {
    const carol = testToken('admin', 'carol');
    for (let i = 0; i < 4; i++) assert.equal((await t.call('GET', '/api/v1/models', { auth: carol })).status, 200);
    expect429(await t.call('GET', '/api/v1/models/iris', { auth: carol }), 4);
    // Same IP, other caller: authorized requests are not charged to the IP.
    assert.equal((await t.call('GET', '/api/v1/models', { auth: testToken('admin', 'dave') })).status, 200);
  });
  it('counts a token subject, not the token: a fresh token for the same sub has no new budget', async () => {
    expect429(await predict(testToken('predict', 'alice', { jti: 'another' })), 3);
  });
  it('logs no express-rate-limit misconfiguration warning', () => {
    assert.ok(!JSON.stringify(t.logs).includes('ERR_ERL'));
  });
});

describe('the default budget per client IP before authentication (RATE_LIMIT_DEFAULT_PER_MIN=3, RATE_LIMIT_PREDICT_PER_MIN=5)', () => {
  let t: TestServer;
  before(async () => {
    t = await startServer({ env: { RATE_LIMIT_DEFAULT_PER_MIN: '3', RATE_LIMIT_PREDICT_PER_MIN: '5' } });
  });
  after(() => t.close());

  describe('when callers with valid credentials call first', () => {
    it('charges them to their own budget only, leaving the address budget whole', async () => {
      for (const sub of ['valid-1', 'valid-2', 'valid-3', 'valid-4']) {
        const r = await t.call('GET', '/api/v1/models', { auth: testToken('models:read', sub) });
        assert.equal(r.status, 200);
        assert.equal(r.headers.get('x-ratelimit-remaining'), '2', 'each caller has spent one of its own 3');
      }
      // A wrong scope is still a valid credential: its caller's budget, not the address's.
      expectError(await t.call('GET', '/api/v1/models', { auth: testToken('predict', 'valid-5') }), 403, 'FORBIDDEN');
      const r = await t.call('GET', '/api/v1/models', { auth: false });
      expectError(r, 401, 'UNAUTHORIZED');
      assert.equal(r.headers.get('x-ratelimit-remaining'), '2', 'the first unauthenticated request spends the first of the address budget');
    });
  });
  it('limits unauthenticated requests and unknown paths alike, then answers 429 instead of 401', async () => {
    expectError(await t.call('GET', '/api/v1/nope', { auth: false }), 404, 'NOT_FOUND');
    expectError(await t.call('POST', '/api/v1/predict', { auth: 'forged.token.here', body: PREDICT }), 401, 'UNAUTHORIZED');
    expect429(await t.call('GET', '/api/v1/nope', { auth: false }), 3);
    expect429(await t.call('POST', '/api/v1/predict', { auth: 'forged.token.here', body: PREDICT }), 3);
    expect429(await t.call('GET', '/api/v1/models', { auth: false }), 3);
  });
  describe('attack: rate-limit bypass with a spoofed X-Forwarded-For (TRUST_PROXY unset)', () => {
    it('buys no new budget', async () => {
      for (const xff of ['203.0.113.1', '203.0.113.2', '198.51.100.7, 10.0.0.1', '::1']) {
        const r = await t.call('GET', '/api/v1/models', { auth: false, headers: { 'x-forwarded-for': xff, forwarded: `for=${xff.split(',')[0]}` } });
        expect429(r, 3);
      }
    });
  });
  it('never limits health, even for an address over its budget', async () => {
    for (let i = 0; i < 10; i++) {
      for (const path of ['/api/v1/health', '/api/v1/health/live', '/api/v1/health/ready']) {
        const r = await t.call('GET', path, { auth: false });
        assert.equal(r.status, 200, path);
        assert.equal(r.headers.get('x-ratelimit-limit'), null);
      }
    }
  });
  describe('when the address budget is spent', () => {
    it('still serves a caller with valid credentials, held to its own budget (predict: 5)', async () => {
      const erin = testToken('predict', 'erin');
      for (const remaining of [4, 3, 2, 1, 0]) {
        const r = await t.call('POST', '/api/v1/predict', { auth: erin, body: PREDICT });
        assert.equal(r.status, 200);
        assert.equal(r.headers.get('x-ratelimit-limit'), '5');
        assert.equal(r.headers.get('x-ratelimit-remaining'), String(remaining));
      }
      expect429(await t.call('POST', '/api/v1/predict', { auth: erin, body: PREDICT }), 5);
    });
    it('serves a valid caller on an unknown path with its 404, not the address 429', async () => {
      expectError(await t.call('GET', '/api/v1/nope', { auth: testToken('admin', 'frank') }), 404, 'NOT_FOUND');
    });
    it('still answers 429 to refused credentials (a token with a broken signature)', async () => {
      const token = testToken('admin', 'frank');
      const broken = token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
      expect429(await t.call('GET', '/api/v1/models', { auth: broken }), 3);
    });
  });
});

describe('with TRUST_PROXY=loopback (the proxy is trusted)', () => {
  let t: TestServer;
  before(async () => {
    t = await startServer({ env: { RATE_LIMIT_DEFAULT_PER_MIN: '2', TRUST_PROXY: 'loopback' } });
  });
  after(() => t.close());
  it('counts per X-Forwarded-For client, as the proxy reports it', async () => {
    const from = (ip: string) => t.call('GET', '/api/v1/nope', { auth: false, headers: { 'x-forwarded-for': ip } });
    await from('203.0.113.1');
    await from('203.0.113.1');
    expect429(await from('203.0.113.1'), 2);
    expectError(await from('203.0.113.2'), 404, 'NOT_FOUND');
  });
});

describe('a rate-limit store plugged in through ServiceOptions.rateLimitStore', () => {
  it('is used for every limiter, each with its own store', async () => {
    const made: string[] = [];
    const increments: string[] = [];
    class CountingStore extends MemoryStore {
      override async increment(key: string) {
        increments.push(key);
        return super.increment(key);
      }
    }
    const config = loadConfig({ MODEL_REPOSITORY: MODELS_DIR, AUTH_JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: 'silent' });
    const service = createService(config, createLogger('silent', new Writable({ write: (_c, _e, done) => done() })), {
      rateLimitStore: (name) => {
        made.push(name);
        return new CountingStore();
      },
    });
    await service.start();
    const server = createServer(service.app).listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const r = await call(base, 'POST', '/api/v1/predict', { headers: { authorization: `Bearer ${testToken('predict', 'zoe')}` }, body: PREDICT });
      assert.equal(r.status, 200);
      assert.deepEqual(made.sort(), ['batch', 'default', 'ip', 'predict']);
      assert.deepEqual(increments, ['sub:zoe'], 'a request with valid credentials passes one limiter: its caller\'s');
      const anonymous = await call(base, 'POST', '/api/v1/predict', { body: PREDICT });
      assert.equal(anonymous.status, 401);
      assert.equal(increments.length, 2);
      assert.match(increments[1]!, /^ip:/);
    } finally {
      server.closeAllConnections();
      server.close();
      await service.close();
    }
  });
});
