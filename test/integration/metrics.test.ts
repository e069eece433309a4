import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sample } from '../helpers/metrics.js';
import { expectError, SAMPLES, startServer, type TestServer } from '../helpers/server.js';

let t: TestServer;
before(async () => {
  t = await startServer();
});
after(() => t.close());

const scrape = async () => {
  const r = await t.call('GET', '/metrics', { auth: false });
  assert.equal(r.status, 200);
  return r.text;
};

const CONTRACT_NAMES = [
  'http_requests_total', 'http_request_duration_seconds', 'inference_duration_seconds',
  'inference_queue_duration_seconds', 'inference_batch_size', 'inference_runs_total',
  'inference_queue_depth', 'model_state', 'prediction_cache_hits_total', 'prediction_cache_misses_total',
  'rate_limit_store_errors_total',
];

describe('GET /metrics', () => {
  describe('without credentials', () => {
    it('answers 200 in the Prometheus text format with a request id', async () => {
      const r = await t.call('GET', '/metrics', { auth: false });
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type')!, /^text\/plain; version=0\.0\.4; charset=utf-8$/);
      assert.ok(r.headers.get('x-request-id'));
      assert.equal(r.headers.get('cache-control'), 'no-store');
    });

    it('declares every metric the contract names, and the process metrics', async () => {
      const text = await scrape();
      for (const name of CONTRACT_NAMES) assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), name);
      assert.match(text, /^process_cpu_user_seconds_total /m);
      assert.match(text, /^nodejs_heap_size_used_bytes /m);
      assert.equal(sample(text, 'prediction_cache_hits_total'), 0);
      assert.equal(sample(text, 'prediction_cache_misses_total'), 0);
    });

    it('reports each model version state, 1 for the current state and 0 for the others', async () => {
      const text = await scrape();
      for (const [model, version] of [['loan-approval', '1'], ['loan-approval', '2'], ['iris', '1'], ['house-price', '1']]) {
        assert.equal(sample(text, 'model_state', { model: model!, version: version!, state: 'ready' }), 1);
        assert.equal(sample(text, 'model_state', { model: model!, version: version!, state: 'failed' }), 0);
        assert.equal(sample(text, 'inference_queue_depth', { model: model!, version: version! }), 0);
      }
    });
  });

  describe('after predictions', () => {
    it('counts the requests by method, route template and status code', async () => {
      const before = await scrape();
      const labels = { method: 'POST', route: '/api/v1/models/:name/predict', status_code: '200' };
      const was = sample(before, 'http_requests_total', labels) ?? 0;
      for (let i = 0; i < 3; i++) {
        const r = await t.call('POST', '/api/v1/models/iris/predict', { body: { features: SAMPLES.iris } });
        assert.equal(r.status, 200);
      }
      const text = await scrape();
      assert.equal(sample(text, 'http_requests_total', labels), was + 3);
      assert.ok(sample(text, 'http_request_duration_seconds_count', labels)! >= 3);
      assert.ok(sample(text, 'http_request_duration_seconds_bucket', { ...labels, le: '+Inf' })! >= 3);
    });

    it('times inference and counts runs and rows per model version', async () => {
      const v = { model: 'house-price', version: '1' };
      const before = await scrape();
      const runs = sample(before, 'inference_runs_total', v) ?? 0;
      const rows = sample(before, 'inference_batch_size_sum', v) ?? 0;
      const instances = [SAMPLES['house-price'], SAMPLES['house-price'], SAMPLES['house-price']];
      const r = await t.call('POST', '/api/v1/predict/batch', { body: { model: 'house-price', instances } });
      assert.equal(r.status, 200);
      const text = await scrape();
      assert.equal(sample(text, 'inference_runs_total', v), runs + 1);
      assert.equal(sample(text, 'inference_batch_size_sum', v), rows + 3);
      assert.equal(sample(text, 'inference_duration_seconds_count', v), runs + 1);
      assert.ok(sample(text, 'inference_duration_seconds_sum', v)! > 0);
      assert.equal(sample(text, 'inference_queue_duration_seconds_count', v), runs + 1);
    });
  });

  describe('for a path that matches no route', () => {
    it('labels it "unmatched", never with the raw URL', async () => {
      const r = await t.call('GET', '/no/such/path-7f3a', { auth: false });
      expectError(r, 404, 'NOT_FOUND');
      const text = await scrape();
      assert.ok(sample(text, 'http_requests_total', { method: 'GET', route: 'unmatched', status_code: '404' })! >= 1);
      assert.doesNotMatch(text, /path-7f3a/);
    });

    it('labels an unknown model with the route template', async () => {
      const r = await t.call('GET', '/api/v1/models/no-such-model-9c1');
      expectError(r, 404, 'MODEL_NOT_FOUND');
      const text = await scrape();
      assert.ok(sample(text, 'http_requests_total', { method: 'GET', route: '/api/v1/models/:name', status_code: '404' })! >= 1);
      assert.doesNotMatch(text, /no-such-model-9c1/);
    });
  });

  describe('with another method', () => {
    it('answers 405 with Allow', async () => {
      const r = await t.call('POST', '/metrics', { auth: false });
      expectError(r, 405, 'METHOD_NOT_ALLOWED');
      assert.equal(r.headers.get('allow'), 'GET, HEAD, OPTIONS');
    });
  });

  describe('with two services in one process', () => {
    it('keeps their metrics apart', async () => {
      const other = await startServer();
      try {
        await other.call('GET', '/api/v1/health/live');
        await other.call('GET', '/api/v1/health/live');
        const mine = await scrape();
        const theirs = (await other.call('GET', '/metrics')).text;
        const live = { method: 'GET', route: '/api/v1/health/live', status_code: '200' };
        assert.equal(sample(theirs, 'http_requests_total', live), 2);
        assert.equal(sample(mine, 'http_requests_total', live), undefined);
      } finally {
        await other.close();
      }
    });
  });
});
