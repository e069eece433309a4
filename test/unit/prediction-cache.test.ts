import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ModelVersion } from '../../src/inference/serving/model-version.js';
import { PredictionCache } from '../../src/inference/prediction/prediction-cache.js';

const version = (name: string, v: string) => ({ name, version: v }) as unknown as ModelVersion;
const KEYS = ['a', 'b'];
const v1 = version('m', '1');

describe('PredictionCache', () => {
  describe('key()', () => {
    const cache = new PredictionCache({ size: 10, ttlS: 10 });
    it('is the same for the same features in any order and for -0 and 0', () => {
      assert.equal(cache.key(v1, KEYS, { a: 1, b: 0 }, undefined), cache.key(v1, KEYS, { b: -0, a: 1 }, {}));
    });
    it('differs by model, version, features, threshold and explanation length', () => {
      const base = cache.key(v1, KEYS, { a: 1, b: 2 }, undefined);
      const others = [
        cache.key(version('n', '1'), KEYS, { a: 1, b: 2 }, undefined),
        cache.key(version('m', '2'), KEYS, { a: 1, b: 2 }, undefined),
        cache.key(v1, KEYS, { a: 1, b: 3 }, undefined),
        cache.key(v1, KEYS, { a: 1, b: 2 }, { threshold: 0.3 }),
        cache.key(v1, KEYS, { a: 1, b: 2 }, { explain: true }),
        cache.key(v1, KEYS, { a: 1, b: 2 }, { explain: true, top_k: 1 }),
      ];
      assert.equal(new Set([base, ...others]).size, others.length + 1);
    });
    it('tells strings, booleans and numbers apart, and strings that contain the separators', () => {
      const keys = [
        cache.key(v1, KEYS, { a: 'x,', b: 'y' }, undefined),
        cache.key(v1, KEYS, { a: 'x', b: ',y' }, undefined),
        cache.key(v1, KEYS, { a: 'true', b: '1' }, undefined),
        cache.key(v1, KEYS, { a: true, b: 1 }, undefined),
        cache.key(v1, KEYS, { a: '"x",', b: '' }, undefined),
        cache.key(v1, KEYS, { a: 'x', b: '' }, undefined),
      ];
      assert.equal(new Set(keys).size, keys.length);
    });
    it('reads an array row by column index (a matrix model without names)', () => {
      assert.equal(cache.key(v1, [0, 1], [1, 'b'], undefined), cache.key(v1, KEYS, { a: 1, b: 'b' }, undefined));
    });
    it('ignores top_k without an explanation, and takes 3 as the default top_k', () => {
      assert.equal(cache.key(v1, KEYS, { a: 1, b: 2 }, { top_k: 1 }), cache.key(v1, KEYS, { a: 1, b: 2 }, undefined));
      assert.equal(cache.key(v1, KEYS, { a: 1, b: 2 }, { explain: true }), cache.key(v1, KEYS, { a: 1, b: 2 }, { explain: true, top_k: 3 }));
    });
  });

  it('counts hits and misses, and a model’s entries can be dropped alone', () => {
    const cache = new PredictionCache({ size: 10, ttlS: 10 });
    const k1 = cache.key(v1, KEYS, { a: 1, b: 2 }, undefined);
    const k2 = cache.key(version('m.x', '1'), KEYS, { a: 1, b: 2 }, undefined);
    assert.equal(cache.get(k1), undefined);
    cache.set(k1, { p: 1 });
    cache.set(k2, { p: 2 });
    assert.deepEqual(cache.get(k1), { p: 1 });
    assert.deepEqual([cache.hits, cache.misses], [1, 1]);
    cache.clearModel('m');
    assert.equal(cache.get(k1), undefined);
    assert.deepEqual(cache.get(k2), { p: 2 }, 'a model whose name starts with another model’s name keeps its entries');
  });

  it('is off with size 0 or ttl 0 and then counts every lookup as a miss', () => {
    for (const settings of [{ size: 0, ttlS: 10 }, { size: 10, ttlS: 0 }]) {
      const cache = new PredictionCache(settings);
      assert.equal(cache.enabled, false);
      cache.set('k', { p: 1 });
      assert.equal(cache.get('k'), undefined);
      assert.equal(cache.misses, 1);
    }
  });
});
