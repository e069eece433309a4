/**
 * /api/v1 on models without model.json (API.md §14 "Named features,
 * derived"): a skl2onnx ZipMap classifier, per-column inputs of six
 * datatypes, an unnamed [N, 3] matrix, and a torch.onnx.export MLP, which
 * is a tensor model: 422 UNSUPPORTED_MODEL on every /api/v1 predict route.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { lightgbmProbability, ZIPMAP_CLASSIFIER_ROWS, zipmapClassifierExpected } from '../fixtures/converter-models.js';
import { mixedScore, writeFeatureModels, type MixedRow } from '../fixtures/feature-models.js';
import { writeTensorModel } from '../fixtures/tensor-models.js';
import { waitForJob } from '../helpers/jobs.js';
import { expectError, startServer, type TestServer } from '../helpers/server.js';

let t: TestServer;
const repo = mkdtempSync(join(tmpdir(), 'derived-features-'));
before(async () => {
  writeTensorModel(repo, 'zipmap-classifier');
  writeTensorModel(repo, 'torch-mlp');
  writeTensorModel(repo, 'onnxmltools-trees');
  writeFeatureModels(repo);
  t = await startServer({ env: { MODEL_REPOSITORY: repo } });
});
after(async () => {
  await t.close();
  rmSync(repo, { recursive: true, force: true });
});

const predict = (model: string, features: unknown, options?: unknown) =>
  t.call('POST', '/api/v1/predict', { body: { model, features, ...(options ? { options } : {}) } });
const batch = (model: string, instances: unknown[], options?: unknown, headers?: Record<string, string>) =>
  t.call('POST', '/api/v1/predict/batch', { body: { model, instances, ...(options ? { options } : {}) }, headers });
const raw = (text: string) => t.call('POST', '/api/v1/predict', { raw: text, headers: { 'content-type': 'application/json' } });
const fields = (r: { body: any }) => r.body.error.details.map((d: { field: string }) => d.field);

describe('/api/v1 on a skl2onnx classifier ending in ZipMap (zipmap-classifier)', () => {
  const want = zipmapClassifierExpected();
  it('answers the probabilities its weights give (within 1e-6) and the label of the highest', async () => {
    for (const [i, row] of ZIPMAP_CLASSIFIER_ROWS.entries()) {
      const r = await predict('zipmap-classifier', row);
      assert.equal(r.status, 200, r.text);
      const d = r.body.data;
      ['bird', 'cat', 'dog'].forEach((label, k) => assert.ok(Math.abs(d.probabilities[label] - want.probabilities[i]![k]!) < 1e-6, `${i} ${label}`));
      assert.equal(d.prediction, want.labels[i]);
      assert.equal(d.probability, d.probabilities[d.prediction]);
    }
  });
  it('answers the same rows in one batch', async () => {
    const r = await batch('zipmap-classifier', ZIPMAP_CLASSIFIER_ROWS);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.data.predictions.map((p: { prediction: string }) => p.prediction), want.labels);
  });
  it('refuses an unknown category at its pointer, and a threshold (three labels)', async () => {
    const r = await predict('zipmap-classifier', { ...ZIPMAP_CLASSIFIER_ROWS[0], size: 'XL' });
    expectError(r, 422, 'VALIDATION_ERROR');
    assert.deepEqual(fields(r), ['/features/size']);
    assert.equal(r.body.error.details[0].received, 'XL');
    const th = await predict('zipmap-classifier', ZIPMAP_CLASSIFIER_ROWS[0], { threshold: 0.5 });
    expectError(th, 422, 'VALIDATION_ERROR');
    assert.deepEqual(fields(th), ['/options/threshold']);
  });
});

describe('/api/v1 on an onnxmltools LightGBM classifier (one [N, 3] input, int64 labels, ZipMap)', () => {
  it('takes an array of 3 values and answers labels "0" / "1" with p("1") from the trees', async () => {
    const rows = [[0, 0, 0], [1, 3, 0.5], [1, 1, 2]];
    const r = await batch('onnxmltools-trees', rows);
    assert.equal(r.status, 200, r.text);
    r.body.data.predictions.forEach((p: { prediction: string; probabilities: Record<string, number> }, i: number) => {
      const want = lightgbmProbability(rows[i]!);
      assert.ok(Math.abs(p.probabilities['1']! - want) < 1e-6, `row ${i}: ${p.probabilities['1']} vs ${want}`);
      assert.equal(p.prediction, Math.fround(want) >= 0.5 ? '1' : '0');
    });
  });
});

describe('/api/v1 on a torch.onnx.export MLP (a tensor model)', () => {
  const says = (r: { body: any }) => assert.match(r.body.error.message, /\/v2\/models\/torch-mlp\/infer/);
  it('answers 422 UNSUPPORTED_MODEL naming /v2/models/{name}/infer on /predict and the per-model route', async () => {
    for (const r of [
      await predict('torch-mlp', [1, 2, 3, 4]),
      await predict('torch-mlp', { input: 1 }),
      await t.call('POST', '/api/v1/models/torch-mlp/predict', { body: { features: [1, 2, 3, 4] } }),
    ]) {
      expectError(r, 422, 'UNSUPPORTED_MODEL');
      says(r);
    }
  });
  it('answers it on /predict/batch, synchronous and asynchronous, before any job is made', async () => {
    const jobsBefore = t.logs.filter((l) => l.msg === 'job started').length;
    for (const r of [
      await batch('torch-mlp', [[1, 2, 3, 4]]),
      await batch('torch-mlp', [[1, 2, 3, 4]], { async: true }),
      await batch('torch-mlp', [[1, 2, 3, 4]], undefined, { prefer: 'respond-async' }),
    ]) {
      expectError(r, 422, 'UNSUPPORTED_MODEL');
      says(r);
      assert.equal(r.headers.get('location'), null);
    }
    assert.equal(t.logs.filter((l) => l.msg === 'job started').length, jobsBefore);
  });
});

describe('/api/v1 on an unnamed [N, 3] matrix (unnamed-matrix: y = x · [1, 10, 100])', () => {
  it('takes features as an array of 3 values', async () => {
    const r = await predict('unnamed-matrix', [1, 2, 3]);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.data.prediction, 321);
  });
  it('takes batch instances as arrays', async () => {
    const r = await batch('unnamed-matrix', [[1, 2, 3], [0.5, 0, 0], [0, 0, -1]]);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.data.predictions, [{ prediction: 321 }, { prediction: 0.5 }, { prediction: -100 }]);
  });
  it('refuses a wrong-length array, an object and a string element, each at its pointer', async () => {
    const short = await predict('unnamed-matrix', [1, 2]);
    expectError(short, 422, 'VALIDATION_ERROR');
    assert.deepEqual(fields(short), ['/features']);
    const long = await predict('unnamed-matrix', [1, 2, 3, 4]);
    assert.deepEqual(fields(long), ['/features']);
    assert.deepEqual(fields(await predict('unnamed-matrix', { a: 1 })), ['/features']);
    const element = await predict('unnamed-matrix', [1, 'two', 3]);
    assert.deepEqual(fields(element), ['/features/1']);
    assert.equal(element.body.error.details[0].received, 'two');
    assert.deepEqual(fields(await batch('unnamed-matrix', [[1, 2, 3], [1]])), ['/instances/1']);
  });
  it('names the columns "0" … "2" in an explanation (baselines 0)', async () => {
    const r = await predict('unnamed-matrix', [1, 2, 3], { explain: true, top_k: 3 });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.data.explanation.top_features, [
      { feature: '2', importance: 300 }, { feature: '1', importance: 20 }, { feature: '0', importance: 1 },
    ]);
    expectError(await predict('unnamed-matrix', [1, 2, 3], { explain: true, top_k: 4 }), 422, 'VALIDATION_ERROR');
  });
  it('records the array as sent and caches it', async () => {
    const a = await predict('unnamed-matrix', [7, 8, 9.5]);
    const b = await predict('unnamed-matrix', [7, 8, 9.5]);
    assert.equal(a.body.meta.cache, 'miss');
    assert.equal(b.body.meta.cache, 'hit');
    const record = await t.call('GET', `/api/v1/predictions/${b.body.data.id}`);
    assert.deepEqual(record.body.data.features, [7, 8, 9.5]);
  });
});

describe('/api/v1 on per-column inputs of six datatypes (mixed-columns)', () => {
  const row: MixedRow = { flag: true, count: 3, half: 1.5, wide: 0.25, small: -4, name: 'bob' };
  it('feeds BOOL, INT64, FP16, FP64, INT32 and BYTES columns and answers the FP64 score as a number', async () => {
    const r = await predict('mixed-columns', row);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.data.prediction, mixedScore(row));
    assert.equal(r.body.data.prediction, 21313.25);
  });
  it('leaves a string open when its encoder maps unknown values to a default (CategoryMapper)', async () => {
    const r = await predict('mixed-columns', { ...row, name: 'zed' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.data.prediction, mixedScore({ ...row, name: 'zed' }));
  });
  it('takes 35.0 and -0 for integer columns (API.md §11)', async () => {
    const r = await raw('{"model":"mixed-columns","features":{"flag":false,"count":35.0,"half":0,"wide":0,"small":-0,"name":""}}');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.data.prediction, 3500);
  });
  it('refuses a number for a boolean, a fraction for an integer, beyond-range and non-finite numbers, each at its pointer', async () => {
    const r = await predict('mixed-columns', { ...row, flag: 1, count: 2.5, small: 2 ** 31, half: 70000 });
    expectError(r, 422, 'VALIDATION_ERROR');
    assert.deepEqual(fields(r).sort(), ['/features/count', '/features/flag', '/features/small']);
    // The FP16 range is checked once the schema passes: 70000 would reach the model as Infinity.
    const half = await predict('mixed-columns', { ...row, half: 70000 });
    assert.deepEqual(fields(half), ['/features/half']);
    assert.equal(half.body.error.details[0].received, 70000);
    const infinite = await raw('{"model":"mixed-columns","features":{"flag":true,"count":1,"half":1,"wide":1e400,"small":1,"name":"a"}}');
    expectError(infinite, 422, 'VALIDATION_ERROR');
    assert.deepEqual(fields(infinite), ['/features/wide']);
  });
  it('takes strings of at most 1024 code points', async () => {
    assert.equal((await predict('mixed-columns', { ...row, name: '😀'.repeat(1024) })).status, 200);
    const r = await predict('mixed-columns', { ...row, name: 'x'.repeat(1025) });
    expectError(r, 422, 'VALIDATION_ERROR');
    assert.deepEqual(fields(r), ['/features/name']);
  });
  it("explains with the derived baselines (false, 0, the encoder's first category), string and boolean columns included", async () => {
    const r = await predict('mixed-columns', row, { explain: true, top_k: 6 });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.data.explanation.top_features, [
      // name's baseline is the CategoryMapper's first category, 'ann' (code 1): bob (2) moves the score by 10000.
      { feature: 'name', importance: 10000 }, { feature: 'flag', importance: 1000 }, { feature: 'count', importance: 300 },
      { feature: 'half', importance: 15 }, { feature: 'small', importance: 2 }, { feature: 'wide', importance: 0.25 },
    ]);
  });
  it('caches booleans and strings exactly, and runs an async job through the same path', async () => {
    const a = await predict('mixed-columns', { ...row, name: 'true', flag: false });
    const b = await predict('mixed-columns', { ...row, name: 'true', flag: false });
    const c = await predict('mixed-columns', { ...row, name: 'true', flag: true });
    assert.deepEqual([a.body.meta.cache, b.body.meta.cache, c.body.meta.cache], ['miss', 'hit', 'miss']);
    const rows = [row, { ...row, name: 'ann', flag: false }, { ...row, count: 0, small: 7 }];
    const job = await batch('mixed-columns', rows, { async: true, explain: true });
    assert.equal(job.status, 202, job.text);
    const done = await waitForJob(t, job.body.data.job_id);
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    assert.deepEqual(done.result.predictions.map((p: { prediction: number }) => p.prediction), rows.map(mixedScore));
    assert.deepEqual(done.result, (await batch('mixed-columns', rows, { explain: true })).body.data);
  });
});
