import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import { configFromOnnx } from '../../src/inference/serving/derive/derive-config.js';
import { withSettings } from '../../src/inference/serving/derive/serving-config.js';
import { settleByWarmUp } from '../../src/inference/serving/derive/settle-by-warm-up.js';
import { warmUpTensors } from '../../src/inference/serving/tensor-warm-up.js';
import type { ModelConfig } from '../../src/inference/serving/model-config.js';

const MODELS = new URL('../../models/', import.meta.url);
const json = JSON.parse(readFileSync(new URL('loan-approval/model.json', MODELS), 'utf8')) as ModelConfig;
const loaded = configFromOnnx(readFileSync(new URL('loan-approval/2/model.onnx', MODELS)), json);
if ('reason' in loaded) throw new Error(loaded.reason);
const answered = new Map([['probabilities', [2, 2]]]);
const settled = settleByWarmUp(loaded.config, answered);
if ('reason' in settled) throw new Error(settled.reason);

describe('withSettings (PATCH, a changed model.json)', () => {
  it('applies threshold and confidence to a binary classifier and keeps what the graph decided', () => {
    const next = withSettings(settled.config, { threshold: 0.7, confidence: { high: 0.9, medium: 0.7 } });
    assert.equal(next.classification!.threshold, 0.7);
    assert.deepEqual(next.classification!.confidence, { high: 0.9, medium: 0.7 });
    assert.deepEqual(next.classification!.labels, settled.config.classification!.labels);
    assert.deepEqual(next.featureSchema, settled.config.featureSchema);
  });

  it('turns batching off with max_batch_size 0, and back on, from what the warm-up answered', () => {
    assert.equal(settled.config.batchable, true);
    const off = withSettings(settled.config, { batching: { max_batch_size: 0 } });
    assert.equal(off.batchable, false);
    assert.equal(off.batching.max_batch_size, 0);
    const on = withSettings(off, { batching: { max_batch_size: 8 } });
    assert.equal(on.batchable, true);
    assert.deepEqual(on.batching, { max_batch_size: 8, max_delay_ms: 1 });
  });

  it('never makes batchable a model whose warm-up did not answer its rows', () => {
    const unsettled = settleByWarmUp(loaded.config, undefined);
    if ('reason' in unsettled) throw new Error(unsettled.reason);
    assert.equal(withSettings(unsettled.config, { batching: { max_batch_size: 8 } }).batchable, false);
  });

  it('drops settings that are no longer there (a member removed from model.json)', () => {
    const pinned = withSettings(settled.config, { threshold: 0.9, default_version: '1' });
    const plain = withSettings(pinned, {});
    assert.equal(plain.classification!.threshold, 0.5);
    assert.equal(plain.default_version, undefined);
  });
});

describe('warmUpTensors', () => {
  it('zero-fills 2 rows on the first dynamic dimension, or `rows` for a timed batch', () => {
    const [feed] = warmUpTensors(settled.config);
    assert.deepEqual(feed!.dims, [2, 5]);
    assert.deepEqual(Array.from(feed!.data as Float32Array), new Array(10).fill(0));
    assert.deepEqual(warmUpTensors(settled.config, 16)[0]!.dims, [16, 5]);
  });
});
