import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { batchDataJson, batchDataJsonInSlices } from '../../src/http/batch-json.js';
import type { BatchData } from '../../src/inference/prediction/predict-service.js';

const f = Math.fround;
function classification(labels: string[], probs: number[][], extra: Record<string, unknown> = {}): BatchData {
  const predictions = probs.map((p) => {
    const best = p.indexOf(Math.max(...p));
    return {
      prediction: labels[best]!, probability: p[best]!,
      probabilities: Object.fromEntries(labels.map((l, i) => [l, p[i]!])),
      confidence: p[best]! >= 0.8 ? 'high' : p[best]! >= 0.6 ? 'medium' : 'low', ...extra,
    };
  });
  return { model: 'm"odel', model_version: '2', count: predictions.length, predictions } as unknown as BatchData;
}

describe('batchDataJson', () => {
  it('writes exactly what JSON.stringify writes for binary and multi-class rows (float32 values, escaped labels, -0)', () => {
    const binary = classification(['denied', 'appro\\ved'], [[f(0.2191990613937378), f(0.7808009386062622)], [1, -0], [f(1e-7), f(1 - 1e-7)]]);
    assert.equal(batchDataJson(binary, ['denied', 'appro\\ved']), JSON.stringify(binary));
    const iris = classification(['setosa', 'versicolor', 'virginica'], [[f(0.9), f(0.07), f(0.03)], [f(0.1), f(0.3), f(0.6)]]);
    assert.equal(batchDataJson(iris, ['setosa', 'versicolor', 'virginica']), JSON.stringify(iris));
  });
  it('writes exactly what JSON.stringify writes for regression rows', () => {
    const data = { model: 'house-price', model_version: '1', count: 2, predictions: [
      { prediction: f(123.456) },
      { prediction: -0 },
    ] } as unknown as BatchData;
    assert.equal(batchDataJson(data, undefined), JSON.stringify(data));
  });
  it('declines (undefined) rows it does not know: explanations, another field, a non-finite number, no rows', () => {
    const labels = ['a', 'b'];
    assert.equal(batchDataJson(classification(labels, [[0.4, 0.6]], { explanation: { method: 'x' } }), labels), undefined);
    assert.equal(batchDataJson(classification(labels, [[0.4, 0.6]], { id: 'pred_1' }), labels), undefined);
    assert.equal(batchDataJson(classification(labels, [[0.4, 0.6]], { model: 'm"odel' }), labels), undefined);
    assert.equal(batchDataJson(classification(labels, [[0.4, Number.NaN]]), labels), undefined);
    assert.equal(batchDataJson({ model: 'a', model_version: '1', count: 0, predictions: [] }, labels), undefined);
  });
});

describe('batchDataJsonInSlices', () => {
  const labels = ['denied', 'approved'];
  const rows = Array.from({ length: 10 }, (_, i) => [f(i / 10), f(1 - i / 10)]);

  it('writes exactly what JSON.stringify writes, across several slices', async () => {
    const data = classification(labels, rows);
    assert.equal(await batchDataJsonInSlices(data, labels, 3), JSON.stringify(data));
    assert.equal(await batchDataJsonInSlices(data, labels, 100), JSON.stringify(data));
  });

  it('lets the event loop run between slices, and not within one', async () => {
    const turnsDuring = async (sliceRows: number) => {
      let turns = 0;
      let stop = false;
      const tick = () => {
        if (stop) return;
        turns++;
        setImmediate(tick);
      };
      setImmediate(tick);
      await batchDataJsonInSlices(classification(labels, rows), labels, sliceRows);
      stop = true;
      return turns;
    };
    assert.equal(await turnsDuring(100), 0);
    // 10 rows in slices of 3: three turns between four slices.
    assert.ok((await turnsDuring(3)) >= 3);
  });

  it('falls back to JSON.stringify for rows it does not write (explanations)', async () => {
    const data = classification(labels, rows, { explanation: { method: 'x' } });
    assert.equal(await batchDataJsonInSlices(data, labels, 3), JSON.stringify(data));
    assert.equal(await batchDataJsonInSlices(data, labels, 100), JSON.stringify(data));
  });
});
