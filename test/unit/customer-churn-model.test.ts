import '../../src/ort-env.js';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { churnFeeds, COLUMNS, main, type ChurnResult } from '../../scripts/train-customer-churn.js';
import { exposeValues } from '../../scripts/lib/onnx-expose.js';
import { TensorType } from '../../scripts/lib/onnx-writer.js';
import { predictLabel, predictProba } from '../../scripts/lib/skl2onnx-layout.js';

const { onnx } = onnxProto;
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'customer-churn-'));
  dirs.push(d);
  return d;
};

describe('scripts/train-customer-churn.ts', () => {
  let result: ChurnResult;
  let bytes: Buffer;
  before(async () => {
    result = await main(tempDir(), { verify: false, log: false });
    bytes = readFileSync(result.modelPath);
  });
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  describe('the graph it writes', () => {
    it('has one [None, 1] input per column: STRING for plan, contract, region and FLOAT for the numbers', () => {
      const inputs = onnx.ModelProto.decode(bytes).graph!.input!;
      assert.deepEqual(inputs.map((v) => v.name), [...COLUMNS]);
      for (const v of inputs) {
        const t = v.type!.tensorType!;
        const [n, one] = t.shape!.dim!;
        assert.equal(t.elemType, ['plan', 'contract', 'region'].includes(v.name!) ? TensorType.STRING : TensorType.FLOAT, v.name!);
        assert.ok(!n!.dimValue && !n!.dimParam, 'first dimension unknown, as skl2onnx writes None');
        assert.equal(Number(one!.dimValue), 1);
      }
    });

    it("uses skl2onnx's nodes and opsets, ends in ZipMap, and has no model.json beside it", () => {
      const model = onnx.ModelProto.decode(bytes);
      const graph = model.graph!;
      const ops = graph.node!.map((n) => `${n.domain || 'ai.onnx'}:${n.opType}`);
      assert.deepEqual(ops, [
        'ai.onnx.ml:OneHotEncoder', 'ai.onnx.ml:OneHotEncoder', 'ai.onnx.ml:OneHotEncoder', 'ai.onnx:Concat', 'ai.onnx:Reshape',
        'ai.onnx:Concat', 'ai.onnx.ml:Scaler', 'ai.onnx:Concat', 'ai.onnx.ml:LinearClassifier', 'ai.onnx.ml:ZipMap',
      ]);
      assert.deepEqual(model.opsetImport!.map((o) => [o.domain, Number(o.version)]), [['', 19], ['ai.onnx.ml', 1]]);
      const ohe = graph.node![0]!.attribute!;
      assert.deepEqual(ohe.map((a) => a.name), ['cats_strings', 'zeros']);
      assert.equal(Number(ohe[1]!.i), 0);
      assert.deepEqual(graph.output!.map((o) => o.name), ['output_label', 'output_probability']);
      assert.ok(graph.output![1]!.type!.sequenceType!.elemType!.mapType, 'output_probability is a sequence of maps');
      assert.throws(() => readFileSync(join(result.modelPath, '..', '..', 'model.json')), /ENOENT/);
    });
  });

  describe('run by onnxruntime-node on the held-out rows', () => {
    it("answers output_label equal to the training code's labels", async () => {
      const session = await InferenceSession.create(bytes);
      const out = await session.run(churnFeeds(Tensor, result.heldOut.map((c) => c.row)), ['output_label']);
      assert.deepEqual(out.output_label!.dims, [result.heldOut.length]);
      assert.deepEqual(out.output_label!.data, result.heldOut.map((c) => predictLabel(result.pipeline, c.row)));
    });

    it("feeds the ZipMap probabilities equal to the training code's within 1e-5", async () => {
      const copy = exposeValues(bytes, [{ name: 'probabilities', elemType: TensorType.FLOAT, shape: [null, 2] }]);
      const session = await InferenceSession.create(copy);
      const out = await session.run(churnFeeds(Tensor, result.heldOut.map((c) => c.row)), ['probabilities']);
      const got = out.probabilities!.data as Float32Array;
      assert.deepEqual(out.probabilities!.dims, [result.heldOut.length, 2]);
      result.heldOut.forEach((c, i) => {
        const want = predictProba(result.pipeline, c.row);
        for (const k of [0, 1]) assert.ok(Math.abs(got[2 * i + k]! - want[k]!) <= 1e-5, `row ${i} class ${k}: ${got[2 * i + k]} vs ${want[k]}`);
      });
    });

    it('fails on an unknown category (OneHotEncoder zeros=0), which the service turns into a 422', async () => {
      const session = await InferenceSession.create(bytes, { logSeverityLevel: 4 });
      const row = { ...result.heldOut[0]!.row, region: 'atlantis' };
      await assert.rejects(session.run(churnFeeds(Tensor, [row]), ['output_label']), /Unknown Category/i);
    });
  });

  it('writes its held-out figures to metrics.json and README.md', () => {
    const dir = join(result.modelPath, '..', '..');
    const metrics = JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8'));
    const test = metrics.versions['1'].test;
    assert.ok(test.accuracy > metrics.test_reference.majority_class_accuracy, 'beats the majority class');
    assert.ok(test.auc > 0.75 && test.log_loss < 0.56, JSON.stringify(test));
    assert.match(readFileSync(join(dir, 'README.md'), 'utf8'), new RegExp(`\\| model \\(test\\) \\| ${test.accuracy.toFixed(4)} \\|`));
  });

  it('writes byte-identical files when run again with the same seed', async () => {
    const again = await main(tempDir(), { verify: false, log: false });
    const dir = (r: ChurnResult) => join(r.modelPath, '..', '..');
    for (const f of ['1/model.onnx', 'metrics.json', 'README.md']) {
      assert.ok(readFileSync(join(dir(result), f)).equals(readFileSync(join(dir(again), f))), f);
    }
  });
});
