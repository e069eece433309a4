/**
 * Rate limits on a real Redis (REDIS_URL, API.md §12), over real HTTP: two
 * services in this process share one Redis and therefore one budget per
 * caller and per address; when Redis stops, stalls or refuses the password,
 * requests are served (fail open) with sane headers, each counted in
 * rate_limit_store_errors_total, logged once per outage, and the limits
 * come back by themselves when Redis does.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config.js';
import { StartupError } from '../../src/errors.js';
import { createLogger } from '../../src/logger.js';
import { createService } from '../../src/service.js';
import { sample } from '../helpers/metrics.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { expectError, MODELS_DIR, SAMPLES, startServer, TEST_JWT_SECRET, testToken, type TestServer } from '../helpers/server.js';

const PREDICT = { model: 'iris', features: SAMPLES.iris };
const LIMITS = { RATE_LIMIT_PREDICT_PER_MIN: '4', RATE_LIMIT_DEFAULT_PER_MIN: '3' };

async function storeErrors(t: TestServer): Promise<number> {
  const r = await fetch(`${t.url}/metrics`);
  return sample(await r.text(), 'rate_limit_store_errors_total') ?? NaN;
}

async function redisState(t: TestServer): Promise<string> {
  return (await t.call('GET', '/api/v1/health', { auth: false })).body.data.dependencies.redis;
}

/** Polls health until data.dependencies.redis is `state`; fails after 10 s (API.md §12). */
async function waitForRedis(t: TestServer, state: string): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < 10_000) {
    if ((await redisState(t)) === state) return Date.now() - started;
    await sleep(100);
  }
  assert.fail(`health did not say redis: ${state} within 10 s`);
}

const logsSaying = (t: TestServer, text: string) => t.logs.filter((l) => String(l.msg).includes(text));

describe('rate limits with REDIS_URL (two services, one Redis)', () => {
  let redis: TestRedis;
  let a: TestServer;
  let b: TestServer;
  before(async () => {
    redis = await startRedis();
    a = await startServer({ env: { ...LIMITS, REDIS_URL: redis.url } });
    b = await startServer({ env: { ...LIMITS, REDIS_URL: redis.url } });
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await redis?.close();
  });

  it('reports redis: ok in health', async () => {
    assert.equal(await redisState(a), 'ok');
    assert.equal((await a.call('GET', '/api/v1/health', { auth: false })).body.data.status, 'ok');
  });
  it('spends one caller budget across both services', async () => {
    const token = testToken('predict', 'shared-caller');
    const remaining: string[] = [];
    for (const t of [a, b, a, b]) {
      const r = await t.call('POST', '/api/v1/predict', { auth: token, body: PREDICT });
      assert.equal(r.status, 200);
      remaining.push(r.headers.get('x-ratelimit-remaining')!);
    }
    assert.deepEqual(remaining, ['3', '2', '1', '0']);
    expectError(await a.call('POST', '/api/v1/predict', { auth: token, body: PREDICT }), 429, 'RATE_LIMIT_EXCEEDED');
    expectError(await b.call('POST', '/api/v1/predict', { auth: token, body: PREDICT }), 429, 'RATE_LIMIT_EXCEEDED');
  });
  it('spends one address budget across both services', async () => {
    expectError(await a.call('GET', '/api/v1/models', { auth: false }), 401, 'UNAUTHORIZED');
    expectError(await b.call('GET', '/api/v1/models', { auth: false }), 401, 'UNAUTHORIZED');
    expectError(await a.call('GET', '/api/v1/nope', { auth: false }), 404, 'NOT_FOUND');
    expectError(await b.call('GET', '/api/v1/models', { auth: false }), 429, 'RATE_LIMIT_EXCEEDED');
  });
  it('counts no store error while Redis answers, and logs no express-rate-limit warning', async () => {
    assert.equal(await storeErrors(a), 0);
    assert.equal(await storeErrors(b), 0);
    assert.ok(!JSON.stringify([...a.logs, ...b.logs]).includes('ERR_ERL'));
    assert.deepEqual([...a.logs, ...b.logs].filter((l) => Number(l.level) >= 40), []);
  });

  describe('when Redis stops', () => {
    it('serves every request (fail open) with sane headers, counting each in rate_limit_store_errors_total', async () => {
      await redis.stop();
      const token = testToken('predict', 'during-outage');
      for (let i = 0; i < 8; i++) {
        const r = await a.call('POST', '/api/v1/predict', { auth: token, body: PREDICT });
        assert.equal(r.status, 200, r.text);
        assert.equal(r.headers.get('x-ratelimit-limit'), '4');
        assert.equal(r.headers.get('x-ratelimit-remaining'), '3');
        const reset = Number(r.headers.get('ratelimit-reset'));
        assert.ok(reset >= 1 && reset <= 60, `RateLimit-Reset ${reset}`);
      }
      // Unauthenticated requests from the spent address fail open too: 401, not 429.
      expectError(await a.call('GET', '/api/v1/models', { auth: false }), 401, 'UNAUTHORIZED');
      assert.equal(await storeErrors(a), 9);
    });
    it('says redis: unavailable and status degraded in health within 10 s, still 200', async () => {
      await waitForRedis(a, 'unavailable');
      await waitForRedis(b, 'unavailable');
      const r = await b.call('GET', '/api/v1/health', { auth: false });
      assert.equal(r.status, 200);
      assert.equal(r.body.data.status, 'degraded');
    });
    it('logs the outage once, not once per request, and never the URL', () => {
      assert.equal(logsSaying(a, 'Redis unavailable').length, 1);
      assert.ok(!JSON.stringify(a.logs).includes(redis.url));
    });
  });

  describe('when Redis comes back', () => {
    it('says redis: ok within 10 s without a restart, and logs how many requests went unlimited', async () => {
      await redis.start();
      await waitForRedis(a, 'ok');
      await waitForRedis(b, 'ok');
      const back = logsSaying(a, 'Redis answers again');
      assert.equal(back.length, 1);
      assert.equal(back[0]!.requests_not_limited, 9);
    });
    it('shares the budget again (a restarted Redis starts empty) and counts no more errors', async () => {
      const token = testToken('predict', 'after-outage');
      const remaining: string[] = [];
      for (const t of [b, a, b, a]) remaining.push((await t.call('POST', '/api/v1/predict', { auth: token, body: PREDICT })).headers.get('x-ratelimit-remaining')!);
      assert.deepEqual(remaining, ['3', '2', '1', '0']);
      expectError(await b.call('POST', '/api/v1/predict', { auth: token, body: PREDICT }), 429, 'RATE_LIMIT_EXCEEDED');
      assert.equal(await storeErrors(a), 9);
    });
  });

  describe('when Redis stalls (SIGSTOP: the socket stays open, nothing answers)', () => {
    it('serves the request after at most about a second, then without waiting while it is known to be down', async () => {
      const pid = redis.pid()!;
      process.kill(pid, 'SIGSTOP');
      try {
        const token = testToken('predict', 'stalled');
        const before = await storeErrors(b);
        let started = Date.now();
        const first = await b.call('POST', '/api/v1/predict', { auth: token, body: PREDICT });
        const firstMs = Date.now() - started;
        assert.equal(first.status, 200);
        // Loose bound: the 1 s Redis timeout plus a contended CPU.
        assert.ok(firstMs < 5000, `answered after ${firstMs} ms`);
        started = Date.now();
        assert.equal((await b.call('POST', '/api/v1/predict', { auth: token, body: PREDICT })).status, 200);
        assert.equal(await storeErrors(b), before + 2);
        assert.equal(await redisState(b), 'unavailable');
      } finally {
        process.kill(pid, 'SIGCONT');
      }
      await waitForRedis(b, 'ok');
    });
  });
});

describe('with REDIS_URL pointing at a Redis that is not running at start', () => {
  let redis: TestRedis;
  let t: TestServer;
  before(async () => {
    redis = await startRedis();
    await redis.stop();
    t = await startServer({ env: { ...LIMITS, REDIS_URL: redis.url } });
  });
  after(async () => {
    await t?.close();
    await redis?.close();
  });
  it('starts and serves, health saying redis: unavailable', async () => {
    assert.equal(await redisState(t), 'unavailable');
    assert.equal((await t.call('POST', '/api/v1/predict', { body: PREDICT })).status, 200);
    assert.equal(await storeErrors(t), 1);
  });
  it('connects by itself once Redis starts, and limits again', async () => {
    await redis.start();
    await waitForRedis(t, 'ok');
    const token = testToken('predict', 'late');
    for (let i = 0; i < 4; i++) assert.equal((await t.call('POST', '/api/v1/predict', { auth: token, body: PREDICT })).status, 200);
    expectError(await t.call('POST', '/api/v1/predict', { auth: token, body: PREDICT }), 429, 'RATE_LIMIT_EXCEEDED');
  });
});

describe('with a REDIS_URL whose password Redis refuses', () => {
  const PASSWORD = 'wrong-password-3f9c1a';
  let redis: TestRedis;
  let t: TestServer;
  before(async () => {
    redis = await startRedis({ requirePass: 'the-right-one' });
    t = await startServer({ env: { ...LIMITS, REDIS_URL: `redis://:${PASSWORD}@127.0.0.1:${redis.port}` } });
  });
  after(async () => {
    await t?.close();
    await redis?.close();
  });
  it('fails open, says redis: unavailable, and never logs the password', async () => {
    assert.equal((await t.call('POST', '/api/v1/predict', { body: PREDICT })).status, 200);
    assert.equal(await redisState(t), 'unavailable');
    const body = JSON.stringify((await t.call('GET', '/api/v1/health', { auth: false })).body);
    assert.ok(!body.includes(PASSWORD));
    assert.ok(!JSON.stringify(t.logs).includes(PASSWORD), 'the password is not in the logs');
    assert.equal(logsSaying(t, 'Redis unavailable').length, 1);
  });
});

describe('with a REDIS_URL of the right scheme that node-redis cannot use (a database that is not a number)', () => {
  it('stops the start with a StartupError naming REDIS_URL, without the password', () => {
    const config = loadConfig({ MODEL_REPOSITORY: MODELS_DIR, AUTH_JWT_SECRET: TEST_JWT_SECRET, REDIS_URL: 'redis://user:s3cret-pw-91@127.0.0.1:6379/not-a-db' });
    const silent = createLogger('silent', new Writable({ write: (_c, _e, done) => done() }));
    assert.throws(() => createService(config, silent), (err: unknown) => {
      assert.ok(err instanceof StartupError);
      assert.match(err.message, /^REDIS_URL /);
      assert.ok(!err.message.includes('s3cret-pw-91'));
      return true;
    });
  });
});
