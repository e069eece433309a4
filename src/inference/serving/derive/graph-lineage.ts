/**
 * Where one input column goes in the graph, for what the graph itself knows
 * about it (API.md §14 "Named features, derived"): the categories of the
 * ONNX-ML `OneHotEncoder`s with `zeros=0` it reaches through nodes that only
 * select, reshape or join columns (unknown values are an ONNX error there,
 * so they become a schema `enum`), the first category of any encoder it
 * reaches (a string baseline), and the mean a `Scaler` offset or an `Imputer`
 * value gives it (a number baseline).
 */
import { floatsAttr, initializerInts, intAttr, stringsAttr } from './onnx-attributes.js';
import type { GraphInfo } from './onnx-graph.js';
import type onnxProto from 'onnx-proto';

type Node = onnxProto.onnx.INodeProto;

/** What the graph says about one input column. */
export interface ColumnHints {
  /** The values every `zeros=0` OneHotEncoder reached accepts (their intersection); undefined when none is reached. */
  enum?: string[];
  /** The first category of the first encoder reached (OneHotEncoder, LabelEncoder, CategoryMapper). */
  firstCategory?: string;
  /** The offset of the first Scaler, or the value of the first Imputer, that the column reaches. */
  mean?: number;
}

/** Nodes that only select, reshape or join columns: a value passes through them unchanged. */
const PASS_THROUGH = new Set(['ArrayFeatureExtractor', 'Gather', 'Identity', 'Reshape', 'Flatten', 'Concat', 'Cast']);
const MAX_STEPS = 10_000; // a bound on the walk, whatever the graph

/** Reads column hints from one graph; build once per model version. */
export function graphLineage(graph: GraphInfo): (input: string, column: number) => ColumnHints {
  const readers = new Map<string, { node: Node; slot: number }[]>();
  const producer = new Map<string, Node>();
  for (const node of graph.nodes) {
    (node.input ?? []).forEach((name, slot) => {
      readers.set(name, [...(readers.get(name) ?? []), { node, slot }]);
    });
    for (const name of node.output ?? []) producer.set(name, node);
  }
  const declared = new Map([...graph.inputs, ...graph.outputs, ...graph.valueInfo.values()].map((v) => [v.name, v] as const));
  const ints = (name: string | undefined) => {
    const t = name === undefined ? undefined : graph.initializers.get(name);
    return t ? initializerInts(t) : undefined;
  };

  /** Columns of a 2-D value, when the graph declares or implies them. */
  const widthOf = (name: string, depth = 0): number | undefined => {
    const v = declared.get(name);
    if (v && v.shape.length === 2 && v.shape[1]! >= 0) return v.shape[1];
    if (v && v.shape.length === 1 && !v.unknownRank) return 1;
    const node = producer.get(name);
    if (!node || depth > 50) return undefined;
    const first = node.input?.[0];
    switch (node.opType) {
      case 'Identity': case 'Cast': case 'Scaler': case 'Imputer': case 'Normalizer':
        return first === undefined ? undefined : widthOf(first, depth + 1);
      case 'Reshape': {
        const shape = ints(node.input?.[1]);
        return shape?.length === 2 && shape[1]! > 0 ? shape[1] : undefined;
      }
      case 'Concat': {
        if (![1, -1].includes(intAttr(node, 'axis', 0))) return undefined;
        const widths = (node.input ?? []).map((i) => widthOf(i, depth + 1));
        return widths.every((w) => w !== undefined) ? widths.reduce((a, b) => a! + b!, 0) : undefined;
      }
      default:
        return undefined;
    }
  };

  /** Where column `column` of the node's input `slot` lands in its first output (undefined: unknown; -1: dropped). */
  const follow = (node: Node, slot: number, column: number | undefined): number | undefined => {
    switch (node.opType) {
      case 'Identity': case 'Cast':
        return column;
      case 'Reshape': case 'Flatten':
        return column === 0 && widthOf(node.input![0]!) === 1 ? 0 : undefined;
      case 'Concat': {
        if (column === undefined || ![1, -1].includes(intAttr(node, 'axis', 0))) return undefined;
        const before = node.input!.slice(0, slot).map((i) => widthOf(i));
        return before.every((w) => w !== undefined) ? column + before.reduce((a, b) => a! + b!, 0)! : undefined;
      }
      default: { // ArrayFeatureExtractor, Gather: column selection
        const axis = node.opType === 'Gather' ? intAttr(node, 'axis', 0) : 1;
        if (node.opType === 'Gather' && axis === 0) return column; // selects rows, not columns
        const indices = ints(node.input?.[1]);
        return column === undefined || !indices ? undefined : indices.indexOf(column);
      }
    }
  };

  return (input, column) => {
    const hints: ColumnHints = {};
    const queue: { name: string; column: number | undefined }[] = [{ name: input, column }];
    for (let step = 0; step < queue.length && step < MAX_STEPS; step++) {
      const at = queue[step]!;
      for (const { node, slot } of readers.get(at.name) ?? []) {
        const op = node.opType ?? '';
        const ml = node.domain === 'ai.onnx.ml';
        if (PASS_THROUGH.has(op) && (op === 'Concat' || slot === 0) && (!ml || op === 'ArrayFeatureExtractor')) {
          const next = follow(node, slot, at.column);
          if (next !== -1 && node.output?.[0]) queue.push({ name: node.output[0], column: next });
        } else if (ml && op === 'OneHotEncoder') {
          const cats = stringsAttr(node, 'cats_strings');
          hints.firstCategory ??= cats[0];
          // zeros=0: a value outside cats_strings is an error in ONNX Runtime (zeros defaults to 1).
          if (intAttr(node, 'zeros', 1) === 0 && cats.length > 0) {
            hints.enum = hints.enum ? hints.enum.filter((c) => cats.includes(c)) : cats;
          }
        } else if (ml && (op === 'LabelEncoder' || op === 'CategoryMapper')) {
          hints.firstCategory ??= stringsAttr(node, op === 'LabelEncoder' ? 'keys_strings' : 'cats_strings')[0];
        } else if (ml && (op === 'Scaler' || op === 'Imputer') && at.column !== undefined && hints.mean === undefined) {
          const values = floatsAttr(node, op === 'Scaler' ? 'offset' : 'imputed_value_floats');
          hints.mean = values.length === 1 ? values[0] : values[at.column];
        }
      }
    }
    return hints;
  };
}
