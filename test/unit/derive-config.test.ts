import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import '../../src/ort-env.js';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { configFromOnnx } from '../../src/inference/serving/derive/derive-config.js';
import { configView, type ModelJson, type ServingConfig } from '../../src/inference/serving/derive/serving-config.js';
import { settleByWarmUp, warmUpFeeds } from '../../src/inference/serving/derive/settle-by-warm-up.js';
import {
  columnRegression, imputedColumns, multiInputTensor, sequenceOutput, sklearnPipeline, torchConvNet, treeEnsemble,
} from '../helpers/ml-graphs.js';

const SAFE = Number.MAX_SAFE_INTEGER;

/** The configuration of a graph (and model.json); fails the test on a reason. */
function derive(bytes: Uint8Array, json?: ModelJson): ServingConfig {
  const loaded = configFromOnnx(bytes, json);
  if ('reason' in loaded) assert.fail(loaded.reason);
  return loaded.config;
}
/** The reason a graph (and model.json) gives; fails the test on a configuration. */
function reasonOf(bytes: Uint8Array, json?: ModelJson): string {
  const loaded = configFromOnnx(bytes, json);
  if (!('reason' in loaded)) assert.fail('expected a reason');
  return loaded.reason;
}

/** The warm-up run of API.md §14 in ONNX Runtime: zero-filled feeds, and the shapes answered. */
async function warmUp(bytes: Uint8Array, config: ServingConfig): Promise<Map<string, readonly number[]>> {
  const session = await InferenceSession.create(bytes, { logSeverityLevel: 3 });
  try {
    const feeds = Object.fromEntries(warmUpFeeds(config).map((f) => {
      const size = f.shape.reduce((a, b) => a * b, 1);
      const tensor = f.datatype === 'BYTES' ? new Tensor('string', Array<string>(size).fill(''), f.shape)
        : f.datatype === 'INT64' ? new Tensor('int64', new BigInt64Array(size), f.shape)
          : new Tensor('float32', new Float32Array(size), f.shape);
      return [f.name, tensor];
    }));
    const results = await session.run(feeds);
    return new Map(Object.entries(results).map(([name, t]) => [name, t.dims] as const));
  } finally {
    await session.release();
  }
}

describe('deriveServingConfig', () => {
  describe('with an skl2onnx pipeline and no model.json', () => {
    const config = derive(sklearnPipeline());

    it('takes the per-column inputs as features, in graph order', () => {
      assert.equal(config.layout, 'columns');
      assert.deepEqual(config.features.map((f) => [f.name, f.type, f.input, f.column]), [
        ['city', 'string', 'city', 0], ['color', 'string', 'color', 0], ['income', 'number', 'income', 0],
      ]);
    });

    it("lists a zeros=0 OneHotEncoder's categories as the string's enum", () => {
      assert.deepEqual(config.featureSchema, {
        type: 'object',
        additionalProperties: false,
        required: ['city', 'color', 'income'],
        properties: {
          city: { type: 'string', maxLength: 1024, enum: ['paris', 'rome', 'oslo'] },
          color: { type: 'string', maxLength: 1024, enum: ['red', 'green'] },
          income: { type: 'number' },
        },
      });
    });

    it("takes the baselines from the encoders' first categories and the Scaler's offset", () => {
      assert.deepEqual(config.features.map((f) => f.baseline), ['paris', 'red', 52000]);
    });

    it('is a binary classifier with the ZipMap labels, positive label the second', () => {
      assert.equal(config.task, 'classification');
      assert.deepEqual(config.classification, {
        labels: ['no', 'yes'], positiveIndex: 1, threshold: 0.5, confidence: { high: 0.8, medium: 0.6 },
        probabilities: 'output_probability', label: 'output_label',
      });
    });

    it('serves every output as a tensor, the probabilities with their labels; batching on, warm-up optional', () => {
      assert.deepEqual(config.outputs, [
        { name: 'output_label', datatype: 'BYTES', shape: [-1] },
        { name: 'output_probability', datatype: 'FP32', shape: [-1, 2], labels: ['no', 'yes'] },
      ]);
      assert.deepEqual(config.batching, { max_batch_size: 1024, max_delay_ms: 1 });
      assert.equal(config.batchCandidate, true);
      assert.equal(config.warmup, 'optional');
    });

    it('leaves a string open when its encoder maps unknown values to zeros', () => {
      const open = derive(sklearnPipeline({ colorZeros: 1 }));
      assert.deepEqual(open.featureSchema!.properties, { ...config.featureSchema!.properties as object, color: { type: 'string', maxLength: 1024 } });
      assert.equal(open.features[1]!.baseline, 'red');
    });

    it('answers GET /v2/models/{name}/config with the configuration in force', () => {
      const view = configView(config);
      assert.deepEqual(view.rewrites, [{ kind: 'zipmap-removed', node: 'zipmap_8', output: 'output_probability', labels: ['no', 'yes'] }]);
      assert.deepEqual(view.baselines, { city: 'paris', color: 'red', income: 52000 });
      assert.deepEqual(
        [view.task, view.layout, view.labels, view.positive_label, view.threshold, view.probabilities_output, view.label_output, view.warmup],
        ['classification', 'columns', ['no', 'yes'], 'yes', 0.5, 'output_probability', 'output_label', 'optional'],
      );
      assert.deepEqual(view.batching, { max_batch_size: 1024, max_delay_ms: 1, dynamic: true });
      assert.deepEqual(JSON.parse(JSON.stringify(view)), view);
    });
  });

  describe('with an skl2onnx pipeline and a model.json that overrides', () => {
    const json: ModelJson = {
      labels: ['denied', 'approved'], positive_label: 'denied', threshold: 0.7,
      features: [
        { name: 'income', type: 'number', description: 'Gross income', minimum: 0, baseline: 50000 },
        { name: 'city', enum: ['paris', 'rome'] },
      ],
      batching: { max_batch_size: 0 },
      warmup: 'required',
    };
    const config = derive(sklearnPipeline(), json);

    it('keeps graph order and takes what model.json sets over what is derived', () => {
      assert.deepEqual(config.featureSchema!.properties, {
        city: { type: 'string', maxLength: 1024, enum: ['paris', 'rome'] },
        color: { type: 'string', maxLength: 1024, enum: ['red', 'green'] },
        income: { type: 'number', description: 'Gross income', minimum: 0 },
      });
      assert.deepEqual(config.features.map((f) => f.baseline), ['paris', 'red', 50000]);
      assert.deepEqual(
        [config.classification!.labels, config.classification!.positiveIndex, config.classification!.threshold],
        [['denied', 'approved'], 0, 0.7],
      );
      assert.deepEqual(config.outputs[1]!.labels, ['denied', 'approved']);
      assert.deepEqual(config.rewrites[0]!.labels, ['no', 'yes']);
    });

    it('turns batching off with max_batch_size 0, and makes warm-up required', () => {
      assert.equal(config.batchCandidate, false);
      assert.equal(config.warmup, 'required');
    });
  });

  describe('with model.json members that contradict the graph', () => {
    const cases: [string, Uint8Array, ModelJson, string][] = [
      ['an input the graph does not have', treeEnsemble(), { input: 'features' }, "model.json /input names 'features', which the graph does not have (it has: input)"],
      ['/input on a graph of several inputs', sklearnPipeline(), { input: 'city' }, "model.json /input names 'city', but the graph has 3 inputs (city, color, income); /input is for a model with one [N, F] input"],
      ['a features count that is not F', treeEnsemble(), { features: [{ name: 'a' }, { name: 'b' }] }, "model.json /features lists 2 features, but input 'input' has 4 columns"],
      ['a feature that is not an input', sklearnPipeline(), { features: [{ name: 'income' }, { name: 'town' }] }, "model.json /features/1 names 'town', which is not an input of the graph (it has: city, color, income)"],
      ['a number type on a string input', sklearnPipeline(), { features: [{ name: 'city', type: 'number' }] }, "model.json /features/0/type is number, but input 'city' is BYTES"],
      ['a string baseline on a number', sklearnPipeline(), { features: [{ name: 'income', baseline: 'high' }] }, 'model.json /features/0/baseline is a string, but the feature is a number'],
      ['a labels count that is not C', treeEnsemble(), { labels: ['a', 'b'] }, "model.json /labels lists 2 labels, but output 'probabilities' has 3 columns"],
      ['a probabilities output that is not an output', sklearnPipeline(), { outputs: { probabilities: 'probs' } }, "model.json /outputs/probabilities names 'probs', which is not an output of the graph (it has: output_label, output_probability)"],
      ['a positive label that is not a label', sklearnPipeline(), { positive_label: 'maybe' }, "model.json /positive_label 'maybe' is not one of the labels (no, yes)"],
      ['a threshold on a multi-class model', treeEnsemble(), { threshold: 0.4 }, 'model.json /threshold only applies to a binary classifier (this one has 3 labels)'],
      ['a task on a tensor model', torchConvNet(), { task: 'regression' }, 'model.json /task makes it a regression model, but its inputs are neither per-column inputs nor one [N, F] input'],
      ['labels on a regression', columnRegression(), { labels: ['a', 'b'] }, 'model.json /task is classification, but no output of the graph is known to hold the probabilities: set /outputs/probabilities (outputs: price)'],
    ];
    for (const [what, bytes, json, reason] of cases) {
      it(`answers a reason naming the member: ${what}`, () => assert.equal(reasonOf(bytes, json), reason));
    }
  });

  describe('with an onnxmltools tree ensemble (one [N, 4] input, int64 labels)', () => {
    const config = derive(treeEnsemble());

    it('names the unnamed columns "0" … "3" and takes features as an array of 4', () => {
      assert.equal(config.layout, 'matrix');
      assert.equal(config.namedFeatures, false);
      assert.deepEqual(config.features.map((f) => f.name), ['0', '1', '2', '3']);
      assert.deepEqual(config.featureSchema, { type: 'array', minItems: 4, maxItems: 4, items: { type: 'number' } });
    });

    it('is a multi-class classifier with the int64 labels as strings', () => {
      assert.deepEqual(config.classification, {
        labels: ['3', '5', '7'], positiveIndex: undefined, threshold: 0.5, confidence: { high: 0.8, medium: 0.6 },
        probabilities: 'probabilities', label: 'label',
      });
    });

    it('takes names and bounds from model.json', () => {
      const named = derive(treeEnsemble(), { features: ['a', 'b', 'c', 'd'].map((name) => ({ name, type: 'number' as const, minimum: 0 })) });
      assert.deepEqual(named.featureSchema!.required, ['a', 'b', 'c', 'd']);
      assert.deepEqual(named.features.map((f) => [f.name, f.column]), [['a', 0], ['b', 1], ['c', 2], ['d', 3]]);
    });
  });

  describe('with a torch.onnx.export model', () => {
    const config = derive(torchConvNet());

    it('is a tensor model with its input and output, batchable if the run agrees', () => {
      assert.deepEqual([config.layout, config.task, config.featureSchema, config.features], ['tensor', 'tensor', undefined, []]);
      assert.deepEqual(config.inputs, [{ name: 'input', datatype: 'FP32', shape: [-1, 3, 8, 8] }]);
      assert.deepEqual(config.outputs, [{ name: 'output', datatype: 'FP32', shape: [-1, 10] }]);
      assert.equal(config.batchCandidate, true);
    });

    it('is warmed with 2 rows, and batchable when every output answers 2 rows', async () => {
      assert.deepEqual(warmUpFeeds(config), [{ name: 'input', datatype: 'FP32', shape: [2, 3, 8, 8] }]);
      const settled = settleByWarmUp(config, await warmUp(torchConvNet(), config));
      assert.ok('config' in settled);
      assert.equal(settled.config.batchable, true);
      const failedRun = settleByWarmUp(config, undefined);
      assert.ok('config' in failedRun);
      assert.equal(failedRun.config.batchable, false);
    });
  });

  describe('with inputs that are neither columns nor one matrix', () => {
    it('is a tensor model', () => {
      const config = derive(multiInputTensor());
      assert.deepEqual([config.layout, config.task], ['tensor', 'tensor']);
      assert.deepEqual(config.inputs.map((i) => [i.name, i.datatype, i.shape]), [['dense', 'FP32', [-1, 3]], ['ids', 'INT64', [-1, 2]]]);
    });
  });

  describe('with per-column inputs and one numeric output', () => {
    it('is a regression when the output is declared [N], integers within the safe range', () => {
      const config = derive(columnRegression());
      assert.deepEqual([config.layout, config.task, config.prediction], ['columns', 'regression', 'price']);
      assert.deepEqual(config.featureSchema!.properties, { area: { type: 'number' }, rooms: { type: 'integer', minimum: -SAFE, maximum: SAFE } });
    });

    it('lets the warm-up run decide when the output is declared [1]', async () => {
      const bytes = columnRegression([1]);
      const config = derive(bytes);
      assert.deepEqual([config.task, config.regressionCandidate], ['tensor', 'price']);
      const settled = settleByWarmUp(config, await warmUp(bytes, config));
      assert.ok('config' in settled);
      assert.deepEqual([settled.config.task, settled.config.prediction, settled.config.batchable], ['regression', 'price', true]);
    });

    it("takes a number's baseline from the Imputer the column reaches first", () => {
      const config = derive(imputedColumns());
      assert.deepEqual(config.features.map((f) => [f.name, f.baseline]), [['age', 41.5], ['income', 48000]]);
      assert.equal(config.task, 'regression');
    });
  });

  describe('with an output that is a sequence but not a ZipMap’s', () => {
    it('answers a reason naming it', () => {
      assert.equal(reasonOf(sequenceOutput()), "output 'parts' is a sequence of tensors, not a tensor");
    });
  });

  describe('with bytes that are not ONNX', () => {
    it('answers a reason', () => assert.equal(reasonOf(new Uint8Array([1, 2, 3])), 'model.onnx is not a valid ONNX model'));
  });
});
