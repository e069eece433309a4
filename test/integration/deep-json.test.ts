/**
 * Deep nesting is not invalid JSON (API.md §11, issue 9 point 1): a body that
 * parses is judged like any other, however deep it nests within the byte
 * limit — a 422 VALIDATION_ERROR at the right JSON Pointer with `received`
 * truncated to 3 levels — and nothing recurses without bound over it
 * (validation details, logs, records, the cache key, jobs).
 */
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { expectError, SAMPLES, startServer, type TestServer } from '../helpers/server.js';

const LIMIT = 1024 * 1024;
const JSON_HEADERS = { 'content-type': 'application/json' };

/** `depth` nested arrays: `[[[…]]]`. */
const arrays = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
/** `depth` nested objects: `{"a":{"a":…{}}}`. */
const objects = (depth: number) => `${'{"a":'.repeat(depth)}{}${'}'.repeat(depth)}`;
/** What `received` shows of a value nested deeper than 3 levels. */
const TRUNCATED_ARRAYS = [[['[…]']]];
const TRUNCATED_OBJECTS = { a: { a: { a: '{…}' } } };

let t: TestServer;
before(async () => {
  t = await startServer({ env: { BODY_LIMIT_BYTES: String(LIMIT), CALLBACK_ALLOWED_HOSTS: '127.0.0.1' } });
});
after(() => t.close());

const post = (path: string, raw: string | Uint8Array, headers: Record<string, string> = JSON_HEADERS) =>
  t.call('POST', path, { raw, headers });

async function stillServes(): Promise<void> {
  const r = await t.call('POST', '/api/v1/predict', { body: { model: 'iris', features: SAMPLES.iris } });
  assert.equal(r.status, 200);
}

describe('POST /api/v1/predict', () => {
  describe('with a body of 500,000 nested arrays (just under the byte limit)', () => {
    it('answers 422 VALIDATION_ERROR at "" with received truncated to 3 levels', async () => {
      const body = arrays(500_000);
      assert.ok(body.length < LIMIT);
      const r = await post('/api/v1/predict', body);
      expectError(r, 422, 'VALIDATION_ERROR');
      assert.deepEqual(r.body.error.details, [{ field: '', message: 'must be object', received: TRUNCATED_ARRAYS }]);
      await stillServes();
    });
  });

  describe('with a feature whose value is 170,000 nested objects', () => {
    it('answers 422 at /features/age with received truncated', async () => {
      const body = `{"model":"loan-approval","features":{"age":${objects(170_000)},"income":55000,"credit_score":720,"employment_years":8,"loan_amount":25000}}`;
      assert.ok(body.length < LIMIT && body.length > LIMIT * 0.9);
      const r = await post('/api/v1/predict', body);
      expectError(r, 422, 'VALIDATION_ERROR');
      assert.deepEqual(r.body.error.details, [{ field: '/features/age', message: 'must be integer', received: TRUNCATED_OBJECTS }]);
    });
  });

  describe('with an unknown member holding 20,000 nested objects', () => {
    it('answers 422 at /a with received truncated', async () => {
      const body = `{"model":"iris","features":${JSON.stringify(SAMPLES.iris)},"a":${objects(20_000)}}`;
      const r = await post('/api/v1/predict', body);
      expectError(r, 422, 'VALIDATION_ERROR');
      assert.deepEqual(r.body.error.details, [{ field: '/a', message: 'is not an allowed property', received: TRUNCATED_OBJECTS }]);
    });
  });

  describe('with deep options (gzipped to a few kilobytes)', () => {
    it('answers 422 at /options/explain', async () => {
      const body = `{"model":"iris","features":${JSON.stringify(SAMPLES.iris)},"options":{"explain":${arrays(400_000)}}}`;
      const r = await post('/api/v1/predict', gzipSync(body), { ...JSON_HEADERS, 'content-encoding': 'gzip' });
      expectError(r, 422, 'VALIDATION_ERROR');
      assert.deepEqual(r.body.error.details, [{ field: '/options/explain', message: 'must be boolean', received: TRUNCATED_ARRAYS }]);
      await stillServes();
    });
  });
});

describe('POST /api/v1/models/{name}/predict with deep features', () => {
  it('answers 422 at /features', async () => {
    const r = await post('/api/v1/models/iris/predict', `{"features":${arrays(300_000)}}`);
    expectError(r, 422, 'VALIDATION_ERROR');
    assert.deepEqual(r.body.error.details, [{ field: '/features', message: 'must be object', received: TRUNCATED_ARRAYS }]);
  });
});

describe('POST /api/v1/predict/batch', () => {
  describe('with instances of 15,000,000 nested arrays (near 32 × the byte limit)', () => {
    it('answers 422 at /instances', async () => {
      const body = `{"model":"iris","instances":${arrays(15_000_000)}}`;
      assert.ok(body.length < 32 * LIMIT && body.length > 28 * LIMIT);
      const r = await post('/api/v1/predict/batch', body);
      expectError(r, 422, 'VALIDATION_ERROR');
      assert.equal(r.body.error.details[0].field, '/instances/0');
      await stillServes();
    });
  });

  describe('with one deep instance among valid ones', () => {
    it('answers 422 at /instances/1 and predicts nothing', async () => {
      const body = `{"model":"iris","instances":[${JSON.stringify(SAMPLES.iris)},${objects(100_000)}]}`;
      const r = await post('/api/v1/predict/batch', body);
      expectError(r, 422, 'VALIDATION_ERROR');
      assert.deepEqual(r.body.error.details.map((d: { field: string }) => d.field).sort(), [
        '/instances/1/a', '/instances/1/petal_length', '/instances/1/petal_width', '/instances/1/sepal_length', '/instances/1/sepal_width',
      ]);
      const a = r.body.error.details.find((d: { field: string }) => d.field === '/instances/1/a');
      assert.deepEqual(a.received, TRUNCATED_OBJECTS);
    });
  });

  describe('as an async job with a deep callback_url', () => {
    it('answers 422 at /options/callback_url before any job exists', async () => {
      const body = `{"model":"iris","instances":[${JSON.stringify(SAMPLES.iris)}],"options":{"async":true,"callback_url":${objects(50_000)}}}`;
      const r = await post('/api/v1/predict/batch', body);
      expectError(r, 422, 'VALIDATION_ERROR');
      assert.equal(r.body.error.details[0].field, '/options/callback_url');
    });
  });
});

describe('PATCH /api/v1/models/{name} with a deep batching value', () => {
  it('answers 422 at /batching and changes nothing', async () => {
    const before = (await t.call('GET', '/api/v1/models/iris')).body.data.batching;
    const r = await t.call('PATCH', '/api/v1/models/iris', { raw: `{"batching":${arrays(200_000)}}`, headers: JSON_HEADERS });
    expectError(r, 422, 'VALIDATION_ERROR');
    assert.equal(r.body.error.details[0].field, '/batching');
    assert.deepEqual((await t.call('GET', '/api/v1/models/iris')).body.data.batching, before);
  });
});

describe('the request log of a deep body', () => {
  it('has one line for the 422 with its request id', async () => {
    const r = await post('/api/v1/predict', arrays(100_000), { ...JSON_HEADERS, 'x-request-id': 'deep-json-log-1' });
    expectError(r, 422, 'VALIDATION_ERROR');
    const lines = t.logs.filter((l) => l.request_id === 'deep-json-log-1');
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.status, 422);
  });
});
