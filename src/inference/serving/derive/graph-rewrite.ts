/**
 * The one named place for load-time graph rewrites (STYLE.md habit 12,
 * API.md §14 "Outputs that are not tensors"). Classifiers converted by
 * skl2onnx and onnxmltools end in an ai.onnx.ml `ZipMap` (a sequence of maps
 * from label to probability) that onnxruntime-node cannot return; each one
 * whose output is a graph output is replaced by an Identity from its input, an
 * FP32 [N, C] tensor, to its output name, and the labels go into the
 * configuration. The rewrite works on a shallow copy in memory: the caller's
 * ModelProto and the file on disk are never changed.
 */
import onnxProto from 'onnx-proto';
import { classLabels } from './onnx-attributes.js';
import { decodeModel, readGraph, type ModelProto } from './onnx-graph.js';

const { onnx } = onnxProto;
type Node = onnxProto.onnx.INodeProto;
type Dim = onnxProto.onnx.TensorShapeProto.IDimension;

/** A ZipMap removed at load: its output now holds the FP32 [N, C] probabilities, one column per label. */
export interface ZipMapRemoved {
  kind: 'zipmap-removed';
  /** The ZipMap node's name (or `#<index>` when it has none). */
  node: string;
  output: string;
  labels: string[];
}

/** Every rewrite the service can make, listed in the configuration (`GET /v2/models/{name}/config`). */
export type GraphRewrite = ZipMapRemoved;

export interface RewriteResult {
  /** The bytes to give ONNX Runtime: the input bytes themselves when nothing changed. */
  bytes: Uint8Array;
  model: ModelProto;
  rewrites: GraphRewrite[];
  /** Inputs or outputs still not tensors after the rewrites, in words: the version fails with these. */
  problems: string[];
}

const isZipMap = (n: Node) => n.opType === 'ZipMap' && n.domain === 'ai.onnx.ml';

/** Removes ZipMaps that end the graph and lists what is left that is not a tensor. */
export function rewriteForServing(bytes: Uint8Array, model: ModelProto = decodeModel(bytes)): RewriteResult {
  const graph = model.graph!;
  const graphNodes = graph.node ?? [];
  const graphOutputs = graph.output ?? [];
  const graphValueInfo = graph.valueInfo ?? [];
  const outputNames = new Set(graphOutputs.map((o) => o.name));
  const readers = new Map<string, number>();
  for (const n of graphNodes) for (const i of n.input ?? []) readers.set(i, (readers.get(i) ?? 0) + 1);
  const declared = new Map(graphValueInfo.map((v) => [v.name, v] as const));

  const rewrites: ZipMapRemoved[] = [];
  const problems: string[] = [];
  const replaced = new Map<string, { columns: number; from: string }>(); // output name → its new tensor
  const nodes = graphNodes.map((node, index) => {
    const output = node.output?.[0];
    // A ZipMap read by another node is inside the graph: removing it would break its reader.
    if (!isZipMap(node) || !output || !outputNames.has(output) || readers.has(output)) return node;
    const name = node.name || `#${index}`;
    const labels = classLabels(node);
    if (labels.length === 0) {
      problems.push(`ZipMap '${name}' has neither classlabels_strings nor classlabels_int64s`);
      return node;
    }
    rewrites.push({ kind: 'zipmap-removed', node: name, output, labels });
    const from = node.input![0]!;
    replaced.set(output, { columns: labels.length, from });
    return onnx.NodeProto.create({ name, opType: 'Identity', domain: '', input: [from], output: [output] });
  });

  let result = model;
  let outBytes = bytes;
  if (rewrites.length > 0) {
    // The rows dimension: as the graph declares the ZipMap's input, else symbolic.
    const batchDim = (zipInput: string): Dim => {
      const dim = declared.get(zipInput)?.type?.tensorType?.shape?.dim?.[0];
      return dim && (dim.dimParam || Object.hasOwn(dim, 'dimValue')) ? dim : { dimParam: 'N' };
    };
    const output = graphOutputs.map((o) => {
      const tensor = replaced.get(o.name ?? '');
      if (tensor === undefined) return o;
      const shape = { dim: [batchDim(tensor.from), { dimValue: tensor.columns }] };
      return onnx.ValueInfoProto.create({ name: o.name, docString: o.docString, type: { tensorType: { elemType: 1, shape } } });
    });
    const valueInfo = graphValueInfo.filter((v) => !replaced.has(v.name ?? ''));
    const opsetImport = model.opsetImport.some((o) => !o.domain || o.domain === 'ai.onnx')
      ? model.opsetImport
      : [...model.opsetImport, { domain: '', version: 13 }]; // Identity needs the default domain
    result = onnx.ModelProto.create({ ...model, opsetImport, graph: onnx.GraphProto.create({ ...graph, node: nodes, output, valueInfo }) });
    outBytes = onnx.ModelProto.encode(result).finish();
  }

  const info = readGraph(result);
  for (const [side, values] of [['input', info.inputs], ['output', info.outputs]] as const) {
    for (const v of values) {
      if (v.kind !== 'tensor') problems.push(`${side} '${v.name}' is ${v.description}, not a tensor`);
    }
  }
  return { bytes: outBytes, model: result, rewrites, problems };
}
