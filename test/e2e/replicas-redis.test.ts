/**
 * Two replicas as an operator runs them (API.md §12): two `npm start`
 * processes sharing one real Redis (REDIS_URL) and one model repository (a
 * scratch copy of models/), each with its own embedded store. One rate budget
 * per caller and per address across both; a model change made through one is
 * served by the other within 2 × MODEL_POLL_INTERVAL_MS plus load time, with
 * its cache emptied; Redis stopped and restarted: both fail open (counted,
 * logged once), both recover by themselves.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { sample } from '../helpers/metrics.js';
import { freePort, ROOT, startProcess, waitForStatus, type ServiceProcess } from '../helpers/process.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { copyModels, shippedModel, type ScratchRepository } from '../helpers/repository.js';
import { call, MODELS_DIR, SAMPLES, TEST_JWT_SECRET, testToken, type CallInit } from '../helpers/server.js';

const POLL_MS = 300;
const PREDICT = { model: 'iris', features: SAMPLES.iris };

interface Replica {
  name: string;
  url: string;
  proc: ServiceProcess;
  data: string;
  call(method: string, path: string, init?: CallInit): ReturnType<typeof call>;
  metric(name: string): Promise<number>;
  redisState(): Promise<string>;
}

let calls = 0;

async function startReplica(name: string, env: Record<string, string>): Promise<Replica> {
  const port = await freePort();
  const data = mkdtempSync(join(tmpdir(), `onnx-serving-${name}-`));
  // Built once in before(): --ignore-scripts skips the prestart build, npm start still runs the start script.
  const proc = startProcess('npm', ['start', '--silent', '--ignore-scripts'], { ...env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: data });
  const url = `http://127.0.0.1:${port}`;
  await waitForStatus(`${url}/api/v1/health/ready`, 200, proc);
  return {
    name, url, proc, data,
    call: (method, path, init = {}) => {
      const headers = { ...init.headers };
      // By default a new admin subject per call: the low budgets of this test are for the tests that name a caller.
      if (init.auth !== false) headers.authorization = `Bearer ${init.auth ?? testToken('admin', `operator-${++calls}`)}`;
      return call(url, method, path, { ...init, headers });
    },
    metric: async (metric) => sample(await (await fetch(`${url}/metrics`)).text(), metric) ?? NaN,
    redisState: async () => ((await (await fetch(`${url}/api/v1/health`)).json()) as { data: { dependencies: { redis: string } } }).data.dependencies.redis,
  };
}

async function stopReplica(r: Replica | undefined): Promise<void> {
  if (!r) return;
  if (r.proc.child.exitCode === null && r.proc.child.signalCode === null) r.proc.child.kill('SIGTERM');
  await r.proc.exited;
  rmSync(r.data, { recursive: true, force: true });
}

/** Polls `check` until it holds; returns the milliseconds it took, fails after `timeoutMs`. */
async function within(timeoutMs: number, what: string, check: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await check()) return Date.now() - started;
    await sleep(50);
  }
  assert.fail(`${what} did not happen within ${timeoutMs} ms`);
}

describe('two replicas (npm start) sharing one Redis and one model repository', () => {
  let redis: TestRedis;
  let repo: ScratchRepository;
  let a: Replica;
  let b: Replica;
  before(async () => {
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'ignore' });
    redis = await startRedis();
    repo = copyModels();
    const env = {
      REDIS_URL: redis.url, MODEL_REPOSITORY: repo.dir, MODEL_POLL_INTERVAL_MS: String(POLL_MS),
      AUTH_JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: 'info',
      RATE_LIMIT_PREDICT_PER_MIN: '4', RATE_LIMIT_DEFAULT_PER_MIN: '3', RATE_LIMIT_BATCH_PER_MIN: '1000',
    };
    a = await startReplica('a', env);
    b = await startReplica('b', env);
  });
  after(async () => {
    await stopReplica(a);
    await stopReplica(b);
    await redis?.close();
    repo?.remove();
  });

  it('says redis: ok in both healths', async () => {
    assert.equal(await a.redisState(), 'ok');
    assert.equal(await b.redisState(), 'ok');
  });

  describe('rate limits', () => {
    it('give a caller one budget across the replicas', async () => {
      const token = testToken('predict', 'one-budget');
      const remaining: Array<string | null> = [];
      for (const r of [a, b, a, b]) {
        const reply = await r.call('POST', '/api/v1/predict', { auth: token, body: PREDICT });
        assert.equal(reply.status, 200);
        remaining.push(reply.headers.get('x-ratelimit-remaining'));
      }
      assert.deepEqual(remaining, ['3', '2', '1', '0']);
      assert.equal((await a.call('POST', '/api/v1/predict', { auth: token, body: PREDICT })).status, 429);
      assert.equal((await b.call('POST', '/api/v1/predict', { auth: token, body: PREDICT })).status, 429);
    });
    it('give an address one pre-authentication budget across the replicas', async () => {
      assert.equal((await a.call('GET', '/api/v1/models', { auth: false })).status, 401);
      assert.equal((await b.call('GET', '/api/v1/models', { auth: false })).status, 401);
      assert.equal((await a.call('GET', '/api/v1/models', { auth: false })).status, 401);
      const spent = await b.call('GET', '/api/v1/models', { auth: false });
      assert.equal(spent.status, 429);
      assert.ok(Number(spent.headers.get('retry-after')) >= 1);
      // A caller with valid credentials from that address is still served, on its own budget.
      assert.equal((await b.call('GET', '/api/v1/models', { auth: testToken('models:read', 'behind-the-nat') })).status, 200);
    });
  });

  describe('model changes made through replica A', () => {
    // Each change is a new caller's predict budget: the operator token runs the management calls.
    const predictOnB = (body: unknown, sub: string) => b.call('POST', '/api/v1/predict', { auth: testToken('predict', sub), body });

    it('serve a version PUT through A on B within 2 × MODEL_POLL_INTERVAL_MS plus load time, with B\'s cache emptied', async (t) => {
      assert.equal((await predictOnB(PREDICT, 'cache-1')).status, 200);
      const misses = await b.metric('prediction_cache_misses_total');
      assert.equal((await predictOnB(PREDICT, 'cache-2')).body.data.model_version, '1');
      assert.equal(await b.metric('prediction_cache_misses_total'), misses, 'the second identical predict on B is a cache hit');
      const put = await a.call('PUT', '/api/v1/models/iris/versions/4', { raw: shippedModel('iris', '1'), headers: { 'content-type': 'application/octet-stream' } });
      assert.equal(put.status, 201, put.text);
      const ms = await within(10_000, 'iris v4 served on B', async () => {
        const r = await b.call('GET', '/api/v1/models/iris/versions/4');
        return r.status === 200 && r.body.data.state === 'ready';
      });
      t.diagnostic(`PUT through A served on B after ${ms} ms (MODEL_POLL_INTERVAL_MS=${POLL_MS})`);
      const r = await predictOnB(PREDICT, 'cache-3');
      assert.equal(r.body.data.model_version, '4');
      assert.equal(await b.metric('prediction_cache_misses_total'), misses + 1, 'B\'s old iris entry is gone: a miss');
    });
    it('apply a PATCH through A on B', async (t) => {
      const patch = await a.call('PATCH', '/api/v1/models/loan-approval', { body: { threshold: 0.61, default_version: '1' } });
      assert.equal(patch.status, 200, patch.text);
      const ms = await within(10_000, 'the PATCH seen on B', async () => {
        const r = await b.call('GET', '/api/v1/models/loan-approval');
        return r.body.data.threshold === 0.61;
      });
      t.diagnostic(`PATCH through A applied on B after ${ms} ms`);
      const r = await predictOnB({ model: 'loan-approval', features: SAMPLES['loan-approval'] }, 'patched');
      assert.equal(r.body.data.model_version, '1');
    });
    it('take a version and a model DELETEd through A out of service on B', async (t) => {
      assert.equal((await a.call('DELETE', '/api/v1/models/iris/versions/4')).status, 204);
      assert.equal((await a.call('DELETE', '/api/v1/models/house-price')).status, 204);
      const ms = await within(10_000, 'the DELETEs seen on B', async () => {
        const version = await b.call('GET', '/api/v1/models/iris/versions/4');
        const model = await b.call('GET', '/api/v1/models/house-price');
        return version.status === 404 && model.status === 404;
      });
      t.diagnostic(`DELETEs through A seen on B after ${ms} ms`);
      assert.equal((await predictOnB(PREDICT, 'after-delete')).body.data.model_version, '1');
      const list = (await b.call('GET', '/api/v1/models')).body.data.models.map((m: { name: string }) => m.name);
      const shipped = readdirSync(MODELS_DIR, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
      assert.deepEqual(list.sort(), shipped.filter((name) => name !== 'house-price').sort());
    });
  });

  describe('when Redis is stopped and started again', () => {
    it('both replicas serve without limits meanwhile, count each request, log the outage once, and recover by themselves', async (t) => {
      await redis.stop();
      const stoppedAt = Date.now();
      const token = testToken('predict', 'outage');
      for (let i = 0; i < 6; i++) {
        for (const r of [a, b]) {
          const reply = await r.call('POST', '/api/v1/predict', { auth: token, body: PREDICT });
          assert.equal(reply.status, 200, `${r.name}: ${reply.text}`);
          assert.equal(reply.headers.get('x-ratelimit-remaining'), '3');
        }
      }
      const errors = [await a.metric('rate_limit_store_errors_total'), await b.metric('rate_limit_store_errors_total')];
      assert.deepEqual(errors, [6, 6]);
      await within(10_000, 'both healths say redis: unavailable', async () => (await a.redisState()) === 'unavailable' && (await b.redisState()) === 'unavailable');
      const downAt = Date.now();
      await redis.start();
      const up = await within(10_000, 'both healths say redis: ok', async () => (await a.redisState()) === 'ok' && (await b.redisState()) === 'ok');
      for (const r of [a, b]) {
        assert.equal(r.proc.output().split('\n').filter((l) => l.includes('Redis unavailable')).length, 1, `${r.name} logs the outage once`);
        assert.match(r.proc.output(), /"requests_not_limited":6,.*Redis answers again|Redis answers again.*"requests_not_limited":6/);
      }
      // Limited again, one budget again (a restarted Redis is empty).
      const again = testToken('predict', 'after-outage');
      const remaining: Array<string | null> = [];
      for (const r of [b, a, b, a]) remaining.push((await r.call('POST', '/api/v1/predict', { auth: again, body: PREDICT })).headers.get('x-ratelimit-remaining'));
      assert.deepEqual(remaining, ['3', '2', '1', '0']);
      assert.equal((await a.call('POST', '/api/v1/predict', { auth: again, body: PREDICT })).status, 429);
      assert.deepEqual([await a.metric('rate_limit_store_errors_total'), await b.metric('rate_limit_store_errors_total')], [6, 6]);
      t.diagnostic(`Redis outage: rate_limit_store_errors_total a=${errors[0]} b=${errors[1]}; health said unavailable ${downAt - stoppedAt} ms after Redis stopped; ok ${up} ms after Redis restarted`);
    });
  });
});
