import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { configFromOnnx } from '../../src/inference/serving/derive/derive-config.js';
import {
  batchingOf, checkModelConfig, classifierSpec, featureSchema, type ModelConfig,
} from '../../src/inference/serving/model-config.js';
import { schemaValidator } from '../../src/validation/ajv.js';

const MODELS = new URL('../../models/', import.meta.url);
const SHIPPED = [['loan-approval', '1'], ['loan-approval', '2'], ['iris', '1'], ['house-price', '1']] as const;

describe('the shipped models through deriveServingConfig', () => {
  for (const [name, version] of SHIPPED) {
    describe(`${name} version ${version}, with its model.json`, () => {
      const json = JSON.parse(readFileSync(new URL(`${name}/model.json`, MODELS), 'utf8')) as ModelConfig;
      const loaded = configFromOnnx(readFileSync(new URL(`${name}/${version}/model.onnx`, MODELS)), json);
      if ('reason' in loaded) throw new Error(loaded.reason);
      const { config } = loaded;

      it('passes checkModelConfig', () => assert.deepEqual(checkModelConfig(json), []));

      it("gives exactly today's feature schema, in model.json's order", () => {
        assert.deepEqual(config.featureSchema, featureSchema(json));
        assert.equal(JSON.stringify(config.featureSchema), JSON.stringify(featureSchema(json)));
        assert.equal(config.layout, 'matrix');
      });

      it("gives exactly today's task, labels, classifier settings and batching", () => {
        assert.equal(config.task, json.task);
        const spec = classifierSpec(json);
        if (spec) {
          const { probabilities, label: _label, ...settings } = config.classification!;
          assert.deepEqual(settings, spec);
          assert.equal(probabilities, json.outputs.probabilities);
        } else {
          assert.equal(config.classification, undefined);
          assert.equal(config.prediction, json.outputs.prediction);
        }
        assert.deepEqual(config.batching, batchingOf(json));
      });

      it("keeps model.json's baselines and today's rule that a failed warm-up fails the version", () => {
        assert.deepEqual(config.features.map((f) => f.baseline), json.features.map((f) => f.baseline));
        assert.equal(config.warmup, 'required');
        assert.equal(config.rewrites.length, 0);
      });
    });
  }
});

describe('model-config.schema.json under API.md §14', () => {
  const validate = schemaValidator('model-config.schema.json');

  it('takes a model.json with no member at all, and the new members', () => {
    assert.equal(validate({}), true);
    const json = {
      warmup: 'optional',
      features: [{ name: 'city', type: 'string', enum: ['paris', 'rome'], baseline: 'paris' }, { name: 'member', type: 'boolean', baseline: false }],
      batching: { max_batch_size: 0 },
    };
    assert.equal(validate(json), true, JSON.stringify(validate.errors));
  });

  it('passes checkModelConfig with any member alone (the graph says the rest), and still refuses what contradicts itself', () => {
    assert.deepEqual(checkModelConfig({ description: 'derived' }), []);
    assert.deepEqual(checkModelConfig({ batching: { max_batch_size: 0 } }), []);
    assert.deepEqual(checkModelConfig({ labels: ['a', 'b'], positive_label: 'c' }), ['/positive_label must be one of /labels']);
  });
});
