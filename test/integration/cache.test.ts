import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { shippedOnnx, tempRepository } from '../helpers/repository.js';
import { SAMPLES, startServer, type TestServer } from '../helpers/server.js';

let t: TestServer;
before(async () => {
  t = await startServer();
});
after(() => t.close());

const loan = (features: Record<string, number> = {}, extra: Record<string, unknown> = {}, server = t) =>
  server.call('POST', '/api/v1/predict', { body: { model: 'loan-approval', features: { ...SAMPLES['loan-approval'], ...features }, ...extra } });

/** Features no other test sends, so that the first request is a miss. */
let fresh = 20_000;
const unique = () => ({ income: fresh++ });

describe('the prediction cache', () => {
  describe('with an identical request', () => {
    it('answers the second from the cache: meta.cache hit, the same answer, a new id and its own record', async () => {
      const f = unique();
      const hitsBefore = t.service.cache.hits;
      const a = await loan(f, { options: { threshold: 0.4 } });
      const b = await loan(f, { options: { threshold: 0.4 } });
      assert.equal(a.body.meta.cache, 'miss');
      assert.equal(b.body.meta.cache, 'hit');
      const { id: idA, ...restA } = a.body.data;
      const { id: idB, ...restB } = b.body.data;
      assert.notEqual(idA, idB);
      assert.deepEqual(restB, restA);
      assert.equal(t.service.cache.hits, hitsBefore + 1);
      for (const id of [idA, idB]) assert.equal((await t.call('GET', `/api/v1/predictions/${id}`)).status, 200);
    });
    it('treats the features in any order, 35.0 and 35, -0 and 0 as identical', async () => {
      const f = unique();
      await loan({ ...f, employment_years: 0 });
      const r = await t.call('POST', '/api/v1/predict', {
        raw: `{"features":{"loan_amount":25000,"employment_years":-0,"credit_score":720.0,"income":${f.income},"age":35},"model":"loan-approval"}`,
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(r.body.meta.cache, 'hit');
    });
  });

  describe('with a request that differs', () => {
    it('misses for other features, another threshold, an explanation or another top_k', async () => {
      const f = unique();
      await loan(f);
      for (const extra of [{ options: { threshold: 0.3 } }, { options: { explain: true } }, { options: { explain: true, top_k: 2 } }]) {
        assert.equal((await loan(f, extra)).body.meta.cache, 'miss', JSON.stringify(extra));
      }
      assert.equal((await loan({ ...f, age: 36 })).body.meta.cache, 'miss');
      assert.equal((await loan(f, { options: { explain: true, top_k: 3 } })).body.meta.cache, 'hit', 'top_k 3 is the default');
    });
    it('never answers one version from another version’s entry', async () => {
      const f = unique();
      const v2 = await loan(f);
      const v1 = await loan(f, { version: '1' });
      assert.equal(v1.body.meta.cache, 'miss');
      assert.equal(v1.body.data.model_version, '1');
      assert.notEqual(v1.body.data.probability, v2.body.data.probability);
    });
  });

  describe('when a model changes', () => {
    it('drops that model’s entries on a PATCH and keeps the others', async () => {
      const f = unique();
      await loan(f);
      await t.call('POST', '/api/v1/predict', { body: { model: 'iris', features: SAMPLES.iris } });
      const patch = await t.call('PATCH', '/api/v1/models/loan-approval', { body: { threshold: 0.5 } });
      assert.equal(patch.status, 200, patch.text);
      assert.equal((await loan(f)).body.meta.cache, 'miss');
      const iris = await t.call('POST', '/api/v1/predict', { body: { model: 'iris', features: SAMPLES.iris } });
      assert.equal(iris.body.meta.cache, 'hit');
    });
    it('never answers from a version that a PUT replaced under the same number', async () => {
      const repo = tempRepository().copy('loan-approval');
      const s = await startServer({ env: { MODEL_REPOSITORY: repo.dir } });
      try {
        const before = await loan({}, {}, s);
        assert.equal((await loan({}, {}, s)).body.meta.cache, 'hit');
        const put = await s.call('PUT', '/api/v1/models/loan-approval/versions/2', {
          raw: shippedOnnx('loan-approval', '1'), headers: { 'content-type': 'application/octet-stream' },
        });
        assert.equal(put.status, 200, put.text);
        const after = await loan({}, {}, s);
        assert.equal(after.body.meta.cache, 'miss');
        assert.equal(after.body.data.model_version, '2');
        assert.notEqual(after.body.data.probability, before.body.data.probability);
      } finally {
        await s.close();
        repo.remove();
      }
    });
  });

  describe('its counters', () => {
    it('are the prediction_cache_hits_total and _misses_total metrics', async () => {
      const metric = async (name: string) => {
        const text = (await t.call('GET', '/metrics', { auth: false })).text;
        return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
      };
      const [hits, misses] = [await metric('prediction_cache_hits_total'), await metric('prediction_cache_misses_total')];
      const f = unique();
      await loan(f);
      await loan(f);
      assert.equal(await metric('prediction_cache_hits_total'), hits + 1);
      assert.equal(await metric('prediction_cache_misses_total'), misses + 1);
      assert.equal(t.service.cache.hits, hits + 1);
    });
  });

  describe('on a batch', () => {
    it('is not used: no meta.cache', async () => {
      const r = await t.call('POST', '/api/v1/predict/batch', { body: { model: 'iris', instances: [SAMPLES.iris] } });
      assert.equal(r.status, 200);
      assert.equal(r.body.meta.cache, undefined);
    });
  });
});

describe('CACHE_SIZE and CACHE_TTL_S', () => {
  it('turn the cache off with 0: every answer is a miss', async () => {
    for (const env of [{ CACHE_SIZE: '0' }, { CACHE_TTL_S: '0' }] as Array<Record<string, string>>) {
      const s = await startServer({ env });
      try {
        await loan({}, {}, s);
        const r = await loan({}, {}, s);
        assert.equal(r.body.meta.cache, 'miss', JSON.stringify(env));
        assert.equal(s.service.cache.hits, 0);
        assert.equal(s.service.cache.misses, 2);
      } finally {
        await s.close();
      }
    }
  });
  it('evict the least recently used entry beyond CACHE_SIZE', async () => {
    const s = await startServer({ env: { CACHE_SIZE: '2' } });
    try {
      await loan({ age: 30 }, {}, s);
      await loan({ age: 31 }, {}, s);
      await loan({ age: 30 }, {}, s); // 30 is now the most recently used
      await loan({ age: 32 }, {}, s); // evicts 31
      assert.equal((await loan({ age: 30 }, {}, s)).body.meta.cache, 'hit');
      assert.equal((await loan({ age: 31 }, {}, s)).body.meta.cache, 'miss');
    } finally {
      await s.close();
    }
  });
  it('expire entries after CACHE_TTL_S seconds', async () => {
    const s = await startServer({ env: { CACHE_TTL_S: '1' } });
    try {
      await loan({}, {}, s);
      assert.equal((await loan({}, {}, s)).body.meta.cache, 'hit');
      await sleep(1100);
      assert.equal((await loan({}, {}, s)).body.meta.cache, 'miss');
    } finally {
      await s.close();
    }
  });
});
