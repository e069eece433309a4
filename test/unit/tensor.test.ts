import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ClassifierSpec } from '../../src/inference/serving/model-config.js';
import { classify, confidenceOf, outputWidth, packRows } from '../../src/inference/prediction/tensor.js';

const binary: ClassifierSpec = {
  labels: ['denied', 'approved'], positiveIndex: 1, threshold: 0.5, confidence: { high: 0.8, medium: 0.6 },
};
const iris: ClassifierSpec = {
  labels: ['setosa', 'versicolor', 'virginica'], positiveIndex: undefined, threshold: 0.5,
  confidence: { high: 0.8, medium: 0.6 },
};

describe('packRows', () => {
  it('packs rows row-major in the given feature order, ignoring key order', () => {
    const out = packRows([{ b: 2, a: 1 }, { a: 3, b: 4 }], ['a', 'b']);
    assert.deepEqual([...out], [1, 2, 3, 4]);
    assert.ok(out instanceof Float32Array);
  });
  it('rounds to float32 like the ONNX input tensor', () => {
    assert.equal(packRows([{ x: 0.1 }], ['x'])[0], Math.fround(0.1));
  });
});

describe('outputWidth', () => {
  it('reads [rows, k] as k columns and [rows] as one', () => {
    assert.equal(outputWidth({ data: new Float32Array(6), dims: [2, 3] }, 2), 3);
    assert.equal(outputWidth({ data: new Float32Array(2), dims: [2] }, 2), 1);
  });
  it('refuses an output that does not hold the rows', () => {
    assert.throws(() => outputWidth({ data: new Float32Array(3), dims: [3] }, 2), /does not hold 2 rows/);
  });
});

describe('classify', () => {
  const two = (p: number) => ({ data: new Float32Array([1 - p, p]), dims: [1, 2] });
  it('predicts the positive label iff its probability >= threshold', () => {
    assert.equal(classify(two(0.5), 0, 2, binary).prediction, 'approved');
    assert.equal(classify(two(0.49), 0, 2, binary).prediction, 'denied');
    assert.equal(classify(two(0.7), 0, 2, binary, 0.75).prediction, 'denied');
  });
  it('gives the probability of the predicted label', () => {
    const c = classify(two(0.25), 0, 2, binary);
    assert.equal(c.prediction, 'denied');
    assert.equal(c.probability, c.probabilities.denied);
    assert.equal(c.confidence, 'medium');
  });
  it('reads a single-column output as p(positive label)', () => {
    const c = classify({ data: new Float32Array([0.9]), dims: [1, 1] }, 0, 1, binary);
    assert.equal(c.prediction, 'approved');
    assert.ok(Math.abs(c.probabilities.denied! - 0.1) < 1e-6);
  });
  it('takes the arg-max of a multi-class row', () => {
    const out = { data: new Float32Array([0.1, 0.2, 0.7, 0.6, 0.3, 0.1]), dims: [2, 3] };
    assert.equal(classify(out, 0, 3, iris).prediction, 'virginica');
    assert.equal(classify(out, 1, 3, iris).prediction, 'setosa');
    assert.equal(classify(out, 1, 3, iris).confidence, 'medium');
  });
});

describe('confidenceOf', () => {
  it('is high at or above the high cut-off, medium at or above medium, else low', () => {
    const cut = { high: 0.8, medium: 0.6 };
    assert.equal(confidenceOf(0.8, cut), 'high');
    assert.equal(confidenceOf(0.79, cut), 'medium');
    assert.equal(confidenceOf(0.6, cut), 'medium');
    assert.equal(confidenceOf(0.59, cut), 'low');
  });
});
