/**
 * The served configuration of a version, for /api/v1. Interim bridge until
 * ModelVersion.serving lands (branch h17-load): a version loaded from
 * today's model.json gets the same configuration deriveServingConfig gives
 * it (test/unit/derive-config-shipped.test.ts).
 */
import { featureSchema } from '../serving/model-config.js';
import { warmUpValue, type ModelVersion } from '../serving/model-version.js';
import type { ServingConfig } from '../serving/derive/serving-config.js';

const bridged = new WeakMap<object, ServingConfig>();

/** The version's ServingConfig; undefined for a tensor model. */
export function servingOf(version: ModelVersion): ServingConfig | undefined {
  const own = (version as { serving?: ServingConfig }).serving;
  if (own) return own;
  const config = version.config;
  if (!config) return undefined;
  let serving = bridged.get(config);
  if (!serving) {
    const schema = featureSchema(config);
    const properties = (schema as { properties: Record<string, Record<string, unknown>> }).properties;
    const spec = version.classifier;
    serving = {
      inputs: [{ name: config.input, datatype: 'FP32', shape: [-1, config.features.length] }],
      outputs: version.outputs,
      rewrites: [],
      layout: 'matrix',
      features: config.features.map((f, i) => ({
        name: f.name, input: config.input, column: i, datatype: 'FP32', type: f.type, schema: properties[f.name]!, baseline: warmUpValue(f),
      })),
      namedFeatures: true,
      featureSchema: schema,
      task: config.task,
      ...(spec && { classification: { ...spec, probabilities: config.outputs.probabilities! } }),
      ...(config.task === 'regression' && { prediction: config.outputs.prediction! }),
      batching: { max_batch_size: version.maxBatchSize, max_delay_ms: version.maxDelayMs },
      batchCandidate: true,
      warmup: 'required',
    };
    bridged.set(config, serving);
  }
  return serving;
}
