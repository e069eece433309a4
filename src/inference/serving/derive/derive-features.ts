/**
 * The named features of a model and their JSON Schema, from its inputs and
 * model.json (API.md §14 "Named features, derived"): per-column inputs (the
 * skl2onnx layout), one [N, F] matrix (today's shipped models), or neither (a
 * tensor model, served through /v2 only).
 */
import { datatypeGuards, featureTypeOf, neutralBaseline, typeFits, type FeatureType } from './feature-types.js';
import { graphLineage } from './graph-lineage.js';
import type { GraphInfo, GraphValue } from './onnx-graph.js';
import type { FeatureJson, Layout, ModelJson, ServingFeature } from './serving-config.js';

/** model.json says something the graph contradicts; the message names the member. */
export class ConfigConflict extends Error {}

export interface FeaturePlan {
  layout: Layout;
  features: ServingFeature[];
  namedFeatures: boolean;
  featureSchema: Record<string, unknown> | undefined;
}

const dims = (v: GraphValue) => `${v.datatype} [${v.shape.join(', ')}]`;
const isColumn = (v: GraphValue) =>
  featureTypeOf(v.datatype) !== undefined && v.shape[0] === -1 && (v.shape.length === 1 || (v.shape.length === 2 && v.shape[1] === 1));

/** Derives the layout and the features, applying model.json's `input` and `features`. */
export function deriveFeatures(graph: GraphInfo, json: ModelJson): FeaturePlan {
  const inputs = graph.inputs;
  const names = inputs.map((i) => i.name).join(', ') || 'none';
  const hintsOf = graphLineage(graph);

  const feature = (name: string, input: GraphValue, column: number, spec: FeatureJson | undefined, at: string): ServingFeature => {
    const derived = featureTypeOf(input.datatype)!;
    const type: FeatureType = spec?.type ?? derived;
    const where = `input '${input.name}' is ${input.datatype}`;
    if (!typeFits(type, input.datatype)) throw new ConfigConflict(`model.json ${at}/type is ${type}, but ${where}`);
    if (spec?.enum && type !== 'string') throw new ConfigConflict(`model.json ${at}/enum applies to string features only`);
    const hints = hintsOf(input.name, column);
    const guards = datatypeGuards(input.datatype);
    const schema: Record<string, unknown> = { type };
    if (spec?.description !== undefined) schema.description = spec.description;
    // model.json narrows a range; the datatype's own range still holds.
    const minimum = [spec?.minimum, guards.minimum].filter((v) => v !== undefined);
    const maximum = [spec?.maximum, guards.maximum].filter((v) => v !== undefined);
    if (minimum.length > 0) schema.minimum = Math.max(...minimum);
    if (maximum.length > 0) schema.maximum = Math.min(...maximum);
    if (spec?.exclusiveMinimum !== undefined) schema.exclusiveMinimum = spec.exclusiveMinimum;
    if (spec?.exclusiveMaximum !== undefined) schema.exclusiveMaximum = spec.exclusiveMaximum;
    const choices = type === 'string' ? spec?.enum ?? hints.enum : undefined;
    if (type === 'string') schema.maxLength = guards.maxLength;
    if (choices) schema.enum = choices;
    const own = type === 'integer' ? 'number' : type;
    if (spec?.baseline !== undefined && typeof spec.baseline !== own) {
      throw new ConfigConflict(`model.json ${at}/baseline is a ${typeof spec.baseline}, but the feature is ${type === 'integer' ? 'an' : 'a'} ${type}`);
    }
    const graphBaseline = type === 'string' ? choices?.[0] ?? hints.firstCategory : type === 'boolean' ? undefined : hints.mean;
    const baseline = spec?.baseline ?? graphBaseline ?? neutralBaseline(type);
    return { name, input: input.name, column, datatype: input.datatype, type, schema, baseline };
  };

  const named = (layout: Layout, features: ServingFeature[]): FeaturePlan => ({
    layout,
    features,
    namedFeatures: true,
    featureSchema: {
      type: 'object',
      additionalProperties: false,
      required: features.map((f) => f.name),
      properties: Object.fromEntries(features.map((f) => [f.name, f.schema])),
    },
  });

  const matrix = (input: GraphValue): FeaturePlan => {
    const width = input.shape[1]!;
    if (json.features) {
      if (width !== -1 && json.features.length !== width) {
        throw new ConfigConflict(`model.json /features lists ${json.features.length} features, but input '${input.name}' has ${width} columns`);
      }
      return named('matrix', json.features.map((f, i) => feature(f.name, input, i, f, `/features/${i}`)));
    }
    // Unnamed columns: `features` is an array of F values, called "0" … "F-1" where a name is needed.
    const features = Array.from({ length: width }, (_, i) => feature(String(i), input, i, undefined, ''));
    const { enum: _perColumn, ...items } = features[0]!.schema; // one schema for every column
    const schema = { type: 'array', minItems: width, maxItems: width, items };
    return { layout: 'matrix', features, namedFeatures: false, featureSchema: schema };
  };

  if (json.input !== undefined) {
    const input = inputs.find((i) => i.name === json.input);
    if (!input) throw new ConfigConflict(`model.json /input names '${json.input}', which the graph does not have (it has: ${names})`);
    if (inputs.length !== 1) {
      throw new ConfigConflict(`model.json /input names '${json.input}', but the graph has ${inputs.length} inputs (${names}); /input is for a model with one [N, F] input`);
    }
    if (input.shape.length !== 2 || featureTypeOf(input.datatype) === undefined || (input.shape[1] === -1 && !json.features)) {
      throw new ConfigConflict(`model.json /input names '${json.input}', which is ${dims(input)}, not an [N, F] matrix of features`);
    }
    return matrix(input);
  }
  if (inputs.length > 0 && inputs.every(isColumn)) {
    const byName = new Map(inputs.map((i) => [i.name, i] as const));
    const specs = new Map<string, { spec: FeatureJson; at: string }>();
    (json.features ?? []).forEach((spec, i) => {
      if (!byName.has(spec.name)) {
        throw new ConfigConflict(`model.json /features/${i} names '${spec.name}', which is not an input of the graph (it has: ${names})`);
      }
      specs.set(spec.name, { spec, at: `/features/${i}` });
    });
    // Graph order, whatever model.json's order: the features are the inputs.
    return named('columns', inputs.map((i) => feature(i.name, i, 0, specs.get(i.name)?.spec, specs.get(i.name)?.at ?? '')));
  }
  const only = inputs.length === 1 ? inputs[0]! : undefined;
  if (only && only.shape.length === 2 && only.shape[0] === -1 && featureTypeOf(only.datatype) !== undefined &&
      (only.shape[1]! > 0 || (only.shape[1] === -1 && json.features))) {
    return matrix(only);
  }
  if (json.features) {
    throw new ConfigConflict(`model.json /features names features, but the graph's inputs (${inputs.map((i) => `${i.name}: ${dims(i)}`).join('; ') || 'none'}) are neither per-column inputs nor one [N, F] input`);
  }
  return { layout: 'tensor', features: [], namedFeatures: false, featureSchema: undefined };
}
