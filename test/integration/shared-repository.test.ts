/**
 * One model repository shared by two replicas (API.md §12): every change made
 * through replica A (PUT a new version, PATCH threshold / batching /
 * default_version, DELETE a version or the whole model) reaches replica B by
 * hot reload, and B empties its cache entries for that model when it notices.
 * Both services run in this process on one scratch copy of models/; B's hot
 * reload is polled by hand, twice (a change is acted on once it looked the
 * same on two polls), which is what MODEL_POLL_INTERVAL_MS does on a timer.
 */
import assert from 'node:assert/strict';
import { readdirSync, statSync, utimesSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { ModelChange } from '../../src/inference/serving/model-changes.js';
import { sample } from '../helpers/metrics.js';
import { copyModels, shippedModel, type ScratchRepository } from '../helpers/repository.js';
import { SAMPLES, startServer, type TestServer } from '../helpers/server.js';

const LOAN = SAMPLES['loan-approval'];

describe('a model repository shared by two replicas', () => {
  let repo: ScratchRepository;
  let a: TestServer;
  let b: TestServer;
  const changesOnB: ModelChange[] = [];
  before(async () => {
    repo = copyModels();
    const env = { MODEL_REPOSITORY: repo.dir, MODEL_POLL_INTERVAL_MS: '0' };
    a = await startServer({ env });
    b = await startServer({ env });
    b.service.registry.onChange((c) => changesOnB.push(c));
  });
  after(async () => {
    await a?.close();
    await b?.close();
    repo?.remove();
  });

  const noticeOnB = async () => {
    await b.service.watcher.poll();
    await b.service.watcher.poll();
  };
  const misses = async () => sample(await (await fetch(`${b.url}/metrics`)).text(), 'prediction_cache_misses_total') ?? NaN;
  /** Predicts `features` on B twice: the first fills B's cache, the second is a hit. */
  const primeCache = async (model: string, features: unknown) => {
    for (let i = 0; i < 2; i++) assert.equal((await b.call('POST', '/api/v1/predict', { body: { model, features } })).status, 200);
  };
  /** Whether B answers `features` from its cache (no new miss). */
  const cachedOnB = async (model: string, features: unknown) => {
    const before = await misses();
    const r = await b.call('POST', '/api/v1/predict', { body: { model, features } });
    assert.equal(r.status, 200);
    return (await misses()) === before;
  };

  describe('when a new version is uploaded through A (PUT)', () => {
    it('serves it on B after B notices, and B empties its iris cache entries', async () => {
      await primeCache('iris', SAMPLES.iris);
      assert.equal(await cachedOnB('iris', SAMPLES.iris), true);
      const put = await a.call('PUT', '/api/v1/models/iris/versions/4', { raw: shippedModel('iris', '1'), headers: { 'content-type': 'application/octet-stream' } });
      assert.equal(put.status, 201, put.text);
      await noticeOnB();
      assert.equal((await b.call('GET', '/api/v1/models/iris/versions/4')).body.data.state, 'ready');
      assert.equal(await cachedOnB('iris', SAMPLES.iris), false, 'the entry cached before the upload is gone');
      const r = await b.call('POST', '/api/v1/predict', { body: { model: 'iris', features: SAMPLES.iris } });
      assert.equal(r.body.data.model_version, '4', 'the latest ready version serves by default');
    });
  });

  describe('when A replaces that version (PUT again) with a file of the same size, on a volume whose clock is coarse', () => {
    it('reloads it on B (the rename gives the file a new identity even when size and mtime look the same)', async () => {
      const file = repo.path('iris', '4', 'model.onnx');
      // A network volume with a one- or two-second mtime granularity: B knows the file by a whole-second mtime.
      const COARSE = 1_700_000_000;
      utimesSync(file, COARSE, COARSE);
      await noticeOnB();
      const old = statSync(file);
      const before = changesOnB.length;
      const put = await a.call('PUT', '/api/v1/models/iris/versions/4', { raw: shippedModel('iris', '1'), headers: { 'content-type': 'application/octet-stream' } });
      assert.equal(put.status, 200, put.text);
      utimesSync(file, COARSE, COARSE);
      assert.equal(statSync(file).size, old.size);
      assert.equal(statSync(file).mtimeMs, old.mtimeMs);
      await noticeOnB();
      assert.deepEqual(changesOnB.slice(before), [{ model: 'iris', kind: 'replaced', versions: ['4'] }]);
    });
  });

  describe('when A PATCHes threshold, batching and default_version', () => {
    it('applies each on B, emptying B\'s cache entries for the model each time', async () => {
      await primeCache('loan-approval', LOAN);
      let r = await a.call('PATCH', '/api/v1/models/loan-approval', { body: { threshold: 0.77 } });
      assert.equal(r.status, 200, r.text);
      await noticeOnB();
      assert.equal((await b.call('GET', '/api/v1/models/loan-approval')).body.data.threshold, 0.77);
      assert.equal(await cachedOnB('loan-approval', LOAN), false);

      r = await a.call('PATCH', '/api/v1/models/loan-approval', { body: { batching: { max_batch_size: 16, max_delay_ms: 3 } } });
      assert.equal(r.status, 200, r.text);
      await noticeOnB();
      assert.deepEqual((await b.call('GET', '/api/v1/models/loan-approval')).body.data.batching, { max_batch_size: 16, max_delay_ms: 3 });
      assert.equal(await cachedOnB('loan-approval', LOAN), false);

      r = await a.call('PATCH', '/api/v1/models/loan-approval', { body: { default_version: '1' } });
      assert.equal(r.status, 200, r.text);
      await noticeOnB();
      const predicted = await b.call('POST', '/api/v1/predict', { body: { model: 'loan-approval', features: LOAN } });
      assert.equal(predicted.body.data.model_version, '1');
      assert.equal(await cachedOnB('loan-approval', LOAN), true, 'the answer just computed is cached again');
    });
  });

  describe('when A deletes a version', () => {
    it('takes it out of service on B', async () => {
      const r = await a.call('DELETE', '/api/v1/models/iris/versions/4');
      assert.equal(r.status, 204, r.text);
      await noticeOnB();
      assert.equal((await b.call('GET', '/api/v1/models/iris/versions/4')).status, 404);
      assert.equal((await b.call('POST', '/api/v1/predict', { body: { model: 'iris', features: SAMPLES.iris } })).body.data.model_version, '1');
    });
  });

  describe('when A deletes a whole model', () => {
    it('is gone from B\'s list, and B empties its cache entries', async () => {
      await primeCache('house-price', SAMPLES['house-price']);
      const before = changesOnB.length;
      const cached = b.service.cache.size;
      const r = await a.call('DELETE', '/api/v1/models/house-price');
      assert.equal(r.status, 204, r.text);
      await noticeOnB();
      const list = (await b.call('GET', '/api/v1/models')).body.data.models.map((m: { name: string }) => m.name);
      assert.ok(!list.includes('house-price'), list.join());
      assert.equal((await b.call('POST', '/api/v1/predict', { body: { model: 'house-price', features: SAMPLES['house-price'] } })).status, 404);
      assert.deepEqual(changesOnB.slice(before), [{ model: 'house-price', kind: 'removed', versions: ['1'] }]);
      assert.equal(b.service.cache.size, cached - 1, 'the one house-price entry is gone');
    });
    it('leaves no temporary entry in the repository', () => {
      assert.deepEqual(readdirSync(repo.dir).filter((n) => n.startsWith('.')), []);
      assert.deepEqual(readdirSync(repo.path('iris')).filter((n) => n.startsWith('.')), []);
    });
  });
});
