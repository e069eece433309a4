/**
 * Which operators an ONNX file uses, read straight from its protobuf bytes
 * (ModelProto.graph → GraphProto.node → NodeProto.op_type/domain, and every
 * subgraph held in a node's attributes: a Loop's body, an If's branches).
 * Nothing is decoded but those fields: initializers are skipped by length,
 * so a large file costs one pass over its field headers, not a copy.
 *
 * Used to decide where a version may run (runner-placement.ts): the main
 * thread only for graphs whose cost is bounded by the size of their input.
 */

import { Fields, MalformedOnnx, WIRE_LEN } from '../onnx-wire.js';

/** Field numbers of onnx.proto3 that lead to operators. */
const MODEL_GRAPH = 7;
const GRAPH_NODE = 1;
const NODE_OP_TYPE = 4;
const NODE_ATTRIBUTE = 5;
const NODE_DOMAIN = 7;
const ATTRIBUTE_GRAPH = 6;
const ATTRIBUTE_GRAPHS = 11;
/** Subgraphs nested deeper than this are not believed (a file built to exhaust the stack). */
const MAX_DEPTH = 32;

const text = new TextDecoder('utf-8', { fatal: false });

function collectGraph(graph: Fields, ops: Set<string>, depth: number): void {
  if (depth > MAX_DEPTH) throw new MalformedOnnx('subgraphs nested too deep');
  while (graph.next()) {
    if (graph.field !== GRAPH_NODE || graph.wire !== WIRE_LEN) continue;
    const node = graph.inner();
    let opType = '';
    let domain = '';
    while (node.next()) {
      if (node.wire !== WIRE_LEN) continue;
      if (node.field === NODE_OP_TYPE) opType = text.decode(node.bytes());
      else if (node.field === NODE_DOMAIN) domain = text.decode(node.bytes());
      else if (node.field === NODE_ATTRIBUTE) {
        const attribute = node.inner();
        while (attribute.next()) {
          const subgraph = attribute.field === ATTRIBUTE_GRAPH || attribute.field === ATTRIBUTE_GRAPHS;
          if (subgraph && attribute.wire === WIRE_LEN) collectGraph(attribute.inner(), ops, depth + 1);
        }
      }
    }
    // 'ai.onnx' is the default domain spelled out.
    ops.add(domain === '' || domain === 'ai.onnx' ? opType : `${domain}:${opType}`);
  }
}

/** The operators of the model (`Op` for ai.onnx, `domain:Op` otherwise), subgraphs included; undefined when the bytes are not a readable ModelProto. */
export function graphOps(model: Uint8Array): Set<string> | undefined {
  const ops = new Set<string>();
  try {
    const fields = new Fields(model);
    while (fields.next()) if (fields.field === MODEL_GRAPH && fields.wire === WIRE_LEN) collectGraph(fields.inner(), ops, 0);
  } catch (err) {
    if (err instanceof MalformedOnnx) return undefined;
    throw err;
  }
  return ops;
}
