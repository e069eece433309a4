/**
 * Minimal, deterministic ONNX model builder on top of onnx-proto (protobufjs).
 *
 * - ir_version 8, opset ai.onnx 17 (+ ai.onnx.ml 3 when a node uses that domain)
 * - float32 initializers stored as little-endian raw_data
 * - graph inputs/outputs with a dynamic batch dimension (dim_param "batch")
 * - no timestamps or random ids: identical arguments give identical bytes
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

export const IR_VERSION = 8;
export const OPSET_ONNX = 17;
export const OPSET_ONNX_ML = 3;
export const PRODUCER_NAME = 'onnx-serving/scripts';
export const PRODUCER_VERSION = '1';

/** ONNX TensorProto.DataType values used here. */
export const DType = { FLOAT: 1, INT64: 7, BOOL: 9 } as const;
export type DTypeValue = (typeof DType)[keyof typeof DType];

/** A dimension: a fixed size, or a symbolic name such as "batch". */
export type Dim = number | string;

export interface ValueInfo {
  name: string;
  elemType: DTypeValue;
  shape: Dim[];
}

export type AttrValue =
  | { kind: 'float'; value: number }
  | { kind: 'int'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'floats'; value: readonly number[] }
  | { kind: 'ints'; value: readonly number[] }
  | { kind: 'strings'; value: readonly string[] }
  | { kind: 'graph'; value: GraphSpec };

/** A subgraph (the body of a Loop, the branches of an If): nodes, initializers, inputs, outputs. */
export interface GraphSpec {
  graphName: string;
  nodes: NodeSpec[];
  initializers: Float32Initializer[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
}

export interface NodeSpec {
  opType: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  /** '' (default) = ai.onnx, 'ai.onnx.ml' for the ONNX-ML operators. */
  domain?: string;
  /** Attributes are written in the order given. */
  attributes?: Record<string, AttrValue>;
}

export interface Float32Initializer {
  name: string;
  dims: number[];
  values: ArrayLike<number>;
}

export interface ModelSpec {
  graphName: string;
  docString?: string;
  nodes: NodeSpec[];
  initializers: Float32Initializer[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  /** Optional model metadata_props (written in key order given). */
  metadata?: Record<string, string>;
}

// Attribute helpers -----------------------------------------------------------
export const attr = {
  float: (value: number): AttrValue => ({ kind: 'float', value }),
  int: (value: number): AttrValue => ({ kind: 'int', value }),
  string: (value: string): AttrValue => ({ kind: 'string', value }),
  floats: (value: readonly number[]): AttrValue => ({ kind: 'floats', value }),
  ints: (value: readonly number[]): AttrValue => ({ kind: 'ints', value }),
  strings: (value: readonly string[]): AttrValue => ({ kind: 'strings', value }),
  graph: (value: GraphSpec): AttrValue => ({ kind: 'graph', value }),
};

const AT = onnx.AttributeProto.AttributeType;
const utf8 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));

function toAttribute(name: string, a: AttrValue): onnxProto.onnx.IAttributeProto {
  switch (a.kind) {
    case 'float':
      return { name, type: AT.FLOAT, f: Math.fround(a.value) };
    case 'int':
      return { name, type: AT.INT, i: a.value };
    case 'string':
      return { name, type: AT.STRING, s: utf8(a.value) };
    case 'floats':
      return { name, type: AT.FLOATS, floats: Array.from(a.value, (v) => Math.fround(v)) };
    case 'ints':
      return { name, type: AT.INTS, ints: Array.from(a.value) };
    case 'strings':
      return { name, type: AT.STRINGS, strings: a.value.map(utf8) };
    case 'graph':
      return { name, type: AT.GRAPH, g: toGraph(a.value) };
  }
}

function toValueInfo(v: ValueInfo): onnxProto.onnx.IValueInfoProto {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: v.elemType,
        shape: {
          dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })),
        },
      },
    },
  };
}

function toFloatTensor(init: Float32Initializer): onnxProto.onnx.ITensorProto {
  const count = init.dims.reduce((a, b) => a * b, 1);
  if (count !== init.values.length) {
    throw new Error(`initializer ${init.name}: dims ${JSON.stringify(init.dims)} need ${count} values, got ${init.values.length}`);
  }
  const buf = Buffer.alloc(count * 4);
  for (let i = 0; i < count; i++) {
    const v = init.values[i]!;
    if (!Number.isFinite(v)) throw new Error(`initializer ${init.name}[${i}] is not finite: ${v}`);
    buf.writeFloatLE(v, i * 4);
  }
  return { name: init.name, dims: init.dims, dataType: DType.FLOAT, rawData: new Uint8Array(buf) };
}

function toGraph(spec: GraphSpec): onnxProto.onnx.IGraphProto {
  return {
    name: spec.graphName,
    node: spec.nodes.map((n, i) => ({
      input: n.inputs,
      output: n.outputs,
      name: n.name ?? `${n.opType.toLowerCase()}_${i}`,
      opType: n.opType,
      domain: n.domain ?? '',
      attribute: Object.entries(n.attributes ?? {}).map(([k, v]) => toAttribute(k, v)),
    })),
    initializer: spec.initializers.map(toFloatTensor),
    input: spec.inputs.map(toValueInfo),
    output: spec.outputs.map(toValueInfo),
  };
}

/** Builds the ModelProto (as a plain protobufjs message object). */
export function buildModel(spec: ModelSpec): onnxProto.onnx.IModelProto {
  const usesMl = spec.nodes.some((n) => n.domain === 'ai.onnx.ml');
  const opsetImport: onnxProto.onnx.IOperatorSetIdProto[] = [{ domain: '', version: OPSET_ONNX }];
  if (usesMl) opsetImport.push({ domain: 'ai.onnx.ml', version: OPSET_ONNX_ML });

  const model: onnxProto.onnx.IModelProto = {
    irVersion: IR_VERSION,
    opsetImport,
    producerName: PRODUCER_NAME,
    producerVersion: PRODUCER_VERSION,
    modelVersion: 1,
    docString: spec.docString ?? '',
    graph: toGraph(spec),
    metadataProps: Object.entries(spec.metadata ?? {}).map(([key, value]) => ({ key, value })),
  };
  const err = onnx.ModelProto.verify(model);
  if (err) throw new Error(`invalid ModelProto: ${err}`);
  return model;
}

/** Serialises a model spec to ONNX protobuf bytes. */
export function encodeModel(spec: ModelSpec): Uint8Array {
  return onnx.ModelProto.encode(onnx.ModelProto.fromObject(buildModel(spec))).finish();
}

/** Builds, encodes and writes the model; returns the bytes written. */
export function writeModel(path: string, spec: ModelSpec): Uint8Array {
  const bytes = encodeModel(spec);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
  return bytes;
}
