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

class Malformed extends Error {}

interface Field {
  number: number;
  /** The bytes of a length-delimited field; undefined for the other wire types. */
  bytes?: Uint8Array;
}

function* fields(buf: Uint8Array): Generator<Field> {
  let pos = 0;
  const varint = (): number => {
    let value = 0;
    for (let shift = 0; shift < 64; shift += 7) {
      if (pos >= buf.length) throw new Malformed();
      const b = buf[pos++]!;
      // Beyond 2^53 the value is only skipped (a varint field), never used as a length.
      value += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return value;
    }
    throw new Malformed();
  };
  while (pos < buf.length) {
    const key = varint();
    const number = Math.floor(key / 8);
    switch (key % 8) {
      case 0: varint(); yield { number }; break;
      case 1: pos += 8; yield { number }; break;
      case 5: pos += 4; yield { number }; break;
      case 2: {
        const length = varint();
        if (pos + length > buf.length) throw new Malformed();
        yield { number, bytes: buf.subarray(pos, pos + length) };
        pos += length;
        break;
      }
      default: throw new Malformed();
    }
    if (pos > buf.length) throw new Malformed();
  }
}

const text = new TextDecoder('utf-8', { fatal: false });

function collectGraph(graph: Uint8Array, ops: Set<string>, depth: number): void {
  if (depth > MAX_DEPTH) throw new Malformed();
  for (const f of fields(graph)) {
    if (f.number !== GRAPH_NODE || !f.bytes) continue;
    let opType = '';
    let domain = '';
    for (const n of fields(f.bytes)) {
      if (!n.bytes) continue;
      if (n.number === NODE_OP_TYPE) opType = text.decode(n.bytes);
      else if (n.number === NODE_DOMAIN) domain = text.decode(n.bytes);
      else if (n.number === NODE_ATTRIBUTE) {
        for (const a of fields(n.bytes)) {
          if (a.bytes && (a.number === ATTRIBUTE_GRAPH || a.number === ATTRIBUTE_GRAPHS)) collectGraph(a.bytes, ops, depth + 1);
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
    for (const f of fields(model)) if (f.number === MODEL_GRAPH && f.bytes) collectGraph(f.bytes, ops, 0);
  } catch (err) {
    if (err instanceof Malformed) return undefined;
    throw err;
  }
  return ops;
}
