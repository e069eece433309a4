/**
 * An ONNX file read as a graph: the ModelProto decoded with onnx-proto, and
 * its inputs and outputs as the API describes tensors (API.md §3, §13, §14):
 * KServe datatypes, `-1` for a symbolic or unknown dimension. Inputs that are
 * also initializers are left out, as ONNX Runtime leaves them out of a
 * session's inputs.
 */
import onnxProto from 'onnx-proto';
import type { TensorInfo } from '../../runtime/model-runner.js';
import { toNumber } from './onnx-attributes.js';

const { onnx } = onnxProto;
export type ModelProto = onnxProto.onnx.ModelProto;
type TypeProto = onnxProto.onnx.ITypeProto;
type ValueInfo = onnxProto.onnx.IValueInfoProto;

/** What kind of value a graph input or output is; only tensors can be fed and fetched by onnxruntime-node. */
export type ValueKind = 'tensor' | 'sequence' | 'map' | 'optional' | 'sparse_tensor' | 'unknown';

/** A graph input or output. Non-tensors have datatype 'NON_TENSOR' and shape [] (as OnnxRunner reports them). */
export interface GraphValue extends TensorInfo {
  kind: ValueKind;
  /** The type in words for reasons: "a tensor", "a sequence of maps". */
  description: string;
  /** True when the graph gives no shape at all (rank unknown); shape is then []. */
  unknownRank?: true;
}

/** The parts of a graph that the configuration is derived from. */
export interface GraphInfo {
  inputs: GraphValue[];
  outputs: GraphValue[];
  nodes: readonly onnxProto.onnx.INodeProto[];
  initializers: ReadonlyMap<string, onnxProto.onnx.ITensorProto>;
  /** Shapes the graph declares for intermediate values (value_info), by name. */
  valueInfo: ReadonlyMap<string, GraphValue>;
}

/** ONNX TensorProto.DataType → KServe / Triton datatype (API.md §14 "Datatypes"). */
const DATATYPES: Record<number, string> = {
  1: 'FP32', 2: 'UINT8', 3: 'INT8', 4: 'UINT16', 5: 'INT16', 6: 'INT32', 7: 'INT64', 8: 'BYTES',
  9: 'BOOL', 10: 'FP16', 11: 'FP64', 12: 'UINT32', 13: 'UINT64', 14: 'COMPLEX64', 15: 'COMPLEX128',
  16: 'BF16',
};

/** The datatypes onnxruntime-node can feed and fetch (API.md §14); others make a model fail. */
export const SERVABLE_DATATYPES: ReadonlySet<string> = new Set([
  'BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP16', 'FP32', 'FP64', 'BYTES',
]);

/** An ONNX element type as a KServe datatype ('UNDEFINED' for 0, the number for types newer than this table). */
export function datatypeOf(elemType: number | null | undefined): string {
  if (!elemType) return 'UNDEFINED';
  return DATATYPES[elemType] ?? `ONNX_TYPE_${elemType}`;
}

/** Decodes model.onnx bytes; throws when they are not an ONNX ModelProto with a graph. */
export function decodeModel(bytes: Uint8Array): ModelProto {
  const model = onnx.ModelProto.decode(bytes);
  if (!model.graph) throw new Error('not an ONNX model: no graph');
  return model;
}

const KIND_BY_FIELD: Record<string, ValueKind> = {
  tensorType: 'tensor', sequenceType: 'sequence', mapType: 'map', optionalType: 'optional',
  sparseTensorType: 'sparse_tensor',
};

function kindOf(type: TypeProto | null | undefined): ValueKind {
  if (!type) return 'unknown';
  for (const [field, kind] of Object.entries(KIND_BY_FIELD)) {
    if (type[field as keyof TypeProto]) return kind;
  }
  return 'unknown';
}

/** A type in words: "a sequence of maps", "an optional tensor". */
export function describeType(type: TypeProto | null | undefined): string {
  const kind = kindOf(type);
  const noun: Record<ValueKind, string> = {
    tensor: 'tensor', sequence: 'sequence', map: 'map', optional: 'optional', sparse_tensor: 'sparse tensor', unknown: 'value of unknown type',
  };
  const inner = kind === 'sequence' ? type?.sequenceType?.elemType : kind === 'optional' ? type?.optionalType?.elemType : undefined;
  const word = noun[kind];
  const article = /^[aeiou]/.test(word) ? 'an' : 'a';
  if (!inner) return `${article} ${word}`;
  const of = describeType(inner).replace(/^an? /, '');
  return kind === 'sequence' ? `${article} sequence of ${of}s` : `an optional ${of}`;
}

/** A value_info as a GraphValue. */
export function graphValue(v: ValueInfo): GraphValue {
  const kind = kindOf(v.type);
  const name = v.name ?? '';
  const description = describeType(v.type);
  if (kind !== 'tensor') return { name, datatype: 'NON_TENSOR', shape: [], kind, description };
  const t = v.type!.tensorType!;
  const datatype = datatypeOf(t.elemType);
  if (!t.shape) return { name, datatype, shape: [], kind, description, unknownRank: true };
  // A dim_param, or a dimension with no value at all, is dynamic. The own-property
  // test matters: protobufjs puts a default 0 on the prototype of an unset dim_value.
  const shape = (t.shape.dim ?? []).map((d) => {
    const size = !d.dimParam && Object.hasOwn(d, 'dimValue') && d.dimValue !== null ? toNumber(d.dimValue) : -1;
    return size >= 0 ? size : -1;
  });
  return { name, datatype, shape, kind, description };
}

/** Reads what configuration is derived from: inputs (initializers excluded), outputs, nodes, initializers. */
export function readGraph(model: onnxProto.onnx.IModelProto): GraphInfo {
  const graph = model.graph ?? {};
  const initializers = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t] as const));
  return {
    inputs: (graph.input ?? []).filter((v) => !initializers.has(v.name ?? '')).map(graphValue),
    outputs: (graph.output ?? []).map(graphValue),
    nodes: graph.node ?? [],
    initializers,
    valueInfo: new Map((graph.valueInfo ?? []).map((v) => [v.name ?? '', graphValue(v)] as const)),
  };
}
