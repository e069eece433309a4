/**
 * Minimal, deterministic ONNX model builder on top of onnx-proto (protobufjs).
 *
 * - ir_version 8, opset ai.onnx 17 (+ ai.onnx.ml 3 when a node uses that domain)
 * - float32 initializers stored as little-endian raw_data
 * - graph inputs/outputs with a dynamic batch dimension (dim_param "batch")
 * - no timestamps or random ids: identical arguments give identical bytes
 *
 * Beyond that default (which the shipped models use, byte for byte), a spec may set the
 * opsets, IR version and producer, use every tensor element type (typed initializers,
 * string tensors), unknown dimensions (null), and non-tensor graph values (the
 * sequence-of-maps a ZipMap answers), so converter layouts (skl2onnx, onnxmltools,
 * torch.onnx.export) can be written as those tools write them.
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

/** Every ONNX TensorProto.DataType an ONNX Runtime CPU build can feed or fetch. */
export const TensorType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
} as const;
export type TensorTypeValue = (typeof TensorType)[keyof typeof TensorType];

/** A dimension: a fixed size, a symbolic name such as "batch", or null for an unknown one (skl2onnx's None). */
export type Dim = number | string | null;

export interface ValueInfo {
  name: string;
  elemType: TensorTypeValue;
  shape: Dim[];
}

/** A graph value that is not a tensor (e.g. ZipMap's sequence of maps), given as an ONNX TypeProto. */
export interface NonTensorValueInfo {
  name: string;
  type: onnxProto.onnx.ITypeProto;
}

export type GraphValue = ValueInfo | NonTensorValueInfo;

export type AttrValue =
  | { kind: 'float'; value: number }
  | { kind: 'int'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'floats'; value: readonly number[] }
  | { kind: 'ints'; value: readonly number[] }
  | { kind: 'strings'; value: readonly string[] }
  | { kind: 'graph'; value: SubgraphSpec };

/** A subgraph (the body of a Loop, the branches of an If): nodes, initializers, inputs, outputs. */
export interface SubgraphSpec {
  graphName: string;
  nodes: NodeSpec[];
  initializers: (Float32Initializer | TypedInitializer)[];
  inputs: GraphValue[];
  outputs: GraphValue[];
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

/** An initializer of any element type: numbers (bigint allowed for 64-bit), booleans or strings. */
export interface TypedInitializer {
  name: string;
  dims: number[];
  elemType: TensorTypeValue;
  values: ArrayLike<number | bigint | boolean | string>;
}

export interface ModelSpec {
  graphName: string;
  docString?: string;
  nodes: NodeSpec[];
  initializers: (Float32Initializer | TypedInitializer)[];
  inputs: GraphValue[];
  outputs: GraphValue[];
  /** Optional model metadata_props (written in key order given). */
  metadata?: Record<string, string>;
  /** Opset imports in the order given (default: ai.onnx 17, plus ai.onnx.ml 3 when a node uses it). */
  opsets?: Record<string, number>;
  irVersion?: number;
  producerName?: string;
  producerVersion?: string;
  modelVersion?: number;
  /** graph.value_info entries (types of intermediate values). */
  valueInfo?: GraphValue[];
}

// Attribute helpers -----------------------------------------------------------
export const attr = {
  float: (value: number): AttrValue => ({ kind: 'float', value }),
  int: (value: number): AttrValue => ({ kind: 'int', value }),
  string: (value: string): AttrValue => ({ kind: 'string', value }),
  floats: (value: readonly number[]): AttrValue => ({ kind: 'floats', value }),
  ints: (value: readonly number[]): AttrValue => ({ kind: 'ints', value }),
  strings: (value: readonly string[]): AttrValue => ({ kind: 'strings', value }),
  graph: (value: SubgraphSpec): AttrValue => ({ kind: 'graph', value }),
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

/** The TypeProto of a tensor; shape undefined leaves the rank unknown. */
export function tensorTypeProto(elemType: TensorTypeValue, shape?: Dim[]): onnxProto.onnx.ITypeProto {
  if (!shape) return { tensorType: { elemType } };
  const dim = shape.map((d) => (d === null ? {} : typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { tensorType: { elemType, shape: { dim } } };
}

/** sequence(map(key, tensor(value))): the type skl2onnx and onnxmltools give a ZipMap output. */
export function sequenceOfMapsType(keyType: TensorTypeValue, valueType: TensorTypeValue): onnxProto.onnx.ITypeProto {
  return { sequenceType: { elemType: { mapType: { keyType, valueType: tensorTypeProto(valueType) } } } };
}

function toValueInfo(v: GraphValue): onnxProto.onnx.IValueInfoProto {
  if ('type' in v) return { name: v.name, type: v.type };
  return { name: v.name, type: tensorTypeProto(v.elemType, v.shape) };
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

const BYTES_PER_ELEMENT: Partial<Record<TensorTypeValue, number>> = {
  [TensorType.FLOAT]: 4, [TensorType.UINT8]: 1, [TensorType.INT8]: 1, [TensorType.UINT16]: 2,
  [TensorType.INT16]: 2, [TensorType.INT32]: 4, [TensorType.INT64]: 8, [TensorType.BOOL]: 1,
  [TensorType.FLOAT16]: 2, [TensorType.DOUBLE]: 8, [TensorType.UINT32]: 4, [TensorType.UINT64]: 8,
};

/** IEEE half-precision bits of a number (round to nearest even), for FLOAT16 raw data. */
export function toFloat16Bits(value: number): number {
  const f32 = new Float32Array([value]);
  const x = new Uint32Array(f32.buffer)[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rest > mid || (rest === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++; // a carry into the exponent is still correct
  return sign | half;
}

function writeElement(buf: Buffer, type: TensorTypeValue, v: number | bigint | boolean, at: number): void {
  const n = typeof v === 'boolean' ? Number(v) : v;
  switch (type) {
    case TensorType.FLOAT: return void buf.writeFloatLE(Number(n), at);
    case TensorType.DOUBLE: return void buf.writeDoubleLE(Number(n), at);
    case TensorType.FLOAT16: return void buf.writeUInt16LE(toFloat16Bits(Number(n)), at);
    case TensorType.UINT8: case TensorType.BOOL: return void buf.writeUInt8(Number(n), at);
    case TensorType.INT8: return void buf.writeInt8(Number(n), at);
    case TensorType.UINT16: return void buf.writeUInt16LE(Number(n), at);
    case TensorType.INT16: return void buf.writeInt16LE(Number(n), at);
    case TensorType.UINT32: return void buf.writeUInt32LE(Number(n), at);
    case TensorType.INT32: return void buf.writeInt32LE(Number(n), at);
    case TensorType.UINT64: return void buf.writeBigUInt64LE(BigInt(n), at);
    case TensorType.INT64: return void buf.writeBigInt64LE(BigInt(n), at);
  }
  throw new Error(`no raw encoding for element type ${type}`);
}

/** A TensorProto of any element type: strings in string_data, everything else little-endian raw_data. */
function toTypedTensor(init: TypedInitializer): onnxProto.onnx.ITensorProto {
  const count = init.dims.reduce((a, b) => a * b, 1);
  if (count !== init.values.length) {
    throw new Error(`initializer ${init.name}: dims ${JSON.stringify(init.dims)} need ${count} values, got ${init.values.length}`);
  }
  const values = Array.from(init.values);
  if (init.elemType === TensorType.STRING) {
    return { name: init.name, dims: init.dims, dataType: init.elemType, stringData: values.map((v) => utf8(String(v))) };
  }
  const size = BYTES_PER_ELEMENT[init.elemType];
  if (!size) throw new Error(`initializer ${init.name}: unsupported element type ${init.elemType}`);
  const buf = Buffer.alloc(count * size);
  values.forEach((v, i) => writeElement(buf, init.elemType, v as number | bigint | boolean, i * size));
  return { name: init.name, dims: init.dims, dataType: init.elemType, rawData: new Uint8Array(buf) };
}

function toInitializer(init: Float32Initializer | TypedInitializer): onnxProto.onnx.ITensorProto {
  return 'elemType' in init ? toTypedTensor(init) : toFloatTensor(init);
}

/** A GraphProto: the model's main graph, or a subgraph attribute. */
function toGraph(spec: SubgraphSpec): onnxProto.onnx.IGraphProto {
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
    initializer: spec.initializers.map(toInitializer),
    input: spec.inputs.map(toValueInfo),
    output: spec.outputs.map(toValueInfo),
  };
}

/** Builds the ModelProto (as a plain protobufjs message object). */
export function buildModel(spec: ModelSpec): onnxProto.onnx.IModelProto {
  const usesMl = spec.nodes.some((n) => n.domain === 'ai.onnx.ml');
  let opsetImport: onnxProto.onnx.IOperatorSetIdProto[] = [{ domain: '', version: OPSET_ONNX }];
  if (usesMl) opsetImport.push({ domain: 'ai.onnx.ml', version: OPSET_ONNX_ML });
  if (spec.opsets) opsetImport = Object.entries(spec.opsets).map(([domain, version]) => ({ domain, version }));

  const model: onnxProto.onnx.IModelProto = {
    irVersion: spec.irVersion ?? IR_VERSION,
    opsetImport,
    producerName: spec.producerName ?? PRODUCER_NAME,
    producerVersion: spec.producerVersion ?? PRODUCER_VERSION,
    modelVersion: spec.modelVersion ?? 1,
    docString: spec.docString ?? '',
    graph: {
      ...toGraph(spec),
      ...(spec.valueInfo ? { valueInfo: spec.valueInfo.map(toValueInfo) } : {}),
    },
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

// Graphs of any shape (tests of API.md §14: any ONNX model) -------------------

/** Every ONNX TensorProto.DataType the service serves. */
export const ElemType = {
  FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9,
  FLOAT16: 10, DOUBLE: 11, UINT32: 12, UINT64: 13,
} as const;

/**
 * A value's type: a tensor (no shape: rank unknown; a null dimension has no
 * value, as skl2onnx writes `None`), a sequence, or a map (ZipMap gives a
 * sequence of maps).
 */
export type TypeSpec =
  | { tensor: number; shape?: (Dim | null)[] }
  | { sequence: TypeSpec }
  | { map: { key: number; value: TypeSpec } };

/** The TypeProto of a TypeSpec. */
export function typeProto(t: TypeSpec): onnxProto.onnx.ITypeProto {
  if ('tensor' in t) {
    const shape = t.shape && {
      dim: t.shape.map((d) => (d === null ? {} : typeof d === 'number' ? { dimValue: d } : { dimParam: d })),
    };
    return { tensorType: { elemType: t.tensor, ...(shape && { shape }) } };
  }
  if ('sequence' in t) return { sequenceType: { elemType: typeProto(t.sequence) } };
  return { mapType: { keyType: t.map.key, valueType: typeProto(t.map.value) } };
}

/** A graph input or output of any type. */
export const valueInfo = (name: string, type: TypeSpec): onnxProto.onnx.IValueInfoProto => ({ name, type: typeProto(type) });

/** A float32 initializer, as buildModel writes them. */
export const floatInitializer = (init: Float32Initializer): onnxProto.onnx.ITensorProto => toFloatTensor(init);

/** An int64 initializer (shapes of Reshape, indices of Gather), little-endian raw_data. */
export function int64Initializer(name: string, dims: number[], values: readonly number[]): onnxProto.onnx.ITensorProto {
  const buf = Buffer.alloc(values.length * 8);
  values.forEach((v, i) => buf.writeBigInt64LE(BigInt(v), i * 8));
  return { name, dims, dataType: ElemType.INT64, rawData: new Uint8Array(buf) };
}

export interface GraphSpec {
  nodes: NodeSpec[];
  inputs: onnxProto.onnx.IValueInfoProto[];
  outputs: onnxProto.onnx.IValueInfoProto[];
  initializers?: onnxProto.onnx.ITensorProto[];
  valueInfo?: onnxProto.onnx.IValueInfoProto[];
}

/** Encodes a graph whose inputs and outputs may be of any type (opsets as buildModel). */
export function encodeGraph(spec: GraphSpec): Uint8Array {
  const base = buildModel({ graphName: 'graph', nodes: spec.nodes, initializers: [], inputs: [], outputs: [] });
  const model = {
    ...base,
    graph: {
      ...base.graph,
      initializer: spec.initializers ?? [],
      input: spec.inputs,
      output: spec.outputs,
      valueInfo: spec.valueInfo ?? [],
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.fromObject(model)).finish();
}
