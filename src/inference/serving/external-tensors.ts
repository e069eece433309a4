/**
 * Finds every tensor of an ONNX file that keeps its data in another file
 * (`data_location: EXTERNAL`, onnx/onnx.proto), wherever ONNX lets a tensor
 * live: graph initializers, sparse initializers (values and indices), node
 * attributes (t, tensors, sparse_tensor, sparse_tensors), subgraphs (g,
 * graphs: Loop, If, Scan bodies) at any depth, model-local functions (their
 * nodes and their attribute defaults) and training graphs.
 *
 * Why a walk over the protobuf wire format rather than onnx-proto's
 * ModelProto.decode: the full decode materialises every weight, and
 * float_data is a JS array push per value (measured: 1.2 s of blocked event
 * loop and ~1 GB for a 64 MB upload). This walk reads only the messages that
 * can hold tensors and skips every payload by its length, so its cost is the
 * graph's structure, not its weights. It also sees fields newer than
 * onnx-proto's schema (ONNX 1.10), such as FunctionProto.attribute_proto.
 */

import { Fields, MalformedOnnx, WIRE_LEN, WIRE_VARINT } from '../onnx-wire.js';

/** A tensor whose data ONNX Runtime would read from another file. */
export interface ExternalTensor {
  /** The tensor's name ('' when it has none). */
  name: string;
  /** Every `location` entry of its external_data; undefined for one that is not UTF-8. */
  locations: Array<string | undefined>;
}

/** The bytes are not an ONNX ModelProto this walk can read (ONNX Runtime is not asked to try). */
export { MalformedOnnx };

type Message = 'model' | 'training' | 'graph' | 'node' | 'attribute' | 'function' | 'sparse';

/** Field numbers (onnx/onnx.proto) of the length-delimited fields that lead to tensors. */
const CHILDREN: Record<Message, Record<number, Message | 'tensor'>> = {
  model: { 7: 'graph', 20: 'training', 25: 'function' },
  training: { 1: 'graph', 2: 'graph' },
  graph: { 1: 'node', 5: 'tensor', 15: 'sparse' },
  node: { 5: 'attribute' },
  attribute: { 5: 'tensor', 6: 'graph', 10: 'tensor', 11: 'graph', 22: 'sparse', 23: 'sparse' },
  function: { 7: 'node', 11: 'attribute' },
  sparse: { 1: 'tensor', 2: 'tensor' },
};
const TENSOR_NAME = 8;
const TENSOR_EXTERNAL_DATA = 13;
const TENSOR_DATA_LOCATION = 14;
const DATA_LOCATION_EXTERNAL = 1;

/** Deeper nesting than protobuf's default recursion limit (100) is not a model ONNX Runtime would parse. */
const MAX_DEPTH = 100;

const utf8 = new TextDecoder('utf-8', { fatal: true });

function text(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** `location` values of one StringStringEntryProto (key 1, value 2), if its key is `location`. */
function locationOf(entry: Fields): Array<string | undefined> {
  let key: string | undefined;
  let value: string | undefined;
  while (entry.next()) {
    if (entry.wire !== WIRE_LEN) continue;
    if (entry.field === 1) key = text(entry.bytes());
    if (entry.field === 2) value = text(entry.bytes());
  }
  return key === 'location' ? [value] : [];
}

function visitTensor(fields: Fields, found: ExternalTensor[]): void {
  let name = '';
  // Any EXTERNAL value counts, not only the last: protobuf merges repeated
  // occurrences, and failing closed costs nothing to a well-formed file.
  let external = false;
  const locations: Array<string | undefined> = [];
  while (fields.next()) {
    if (fields.field === TENSOR_NAME && fields.wire === WIRE_LEN) name = text(fields.bytes()) ?? '';
    else if (fields.field === TENSOR_DATA_LOCATION && fields.wire === WIRE_VARINT) external ||= fields.value === DATA_LOCATION_EXTERNAL;
    else if (fields.field === TENSOR_EXTERNAL_DATA && fields.wire === WIRE_LEN) {
      external = true;
      locations.push(...locationOf(fields.inner()));
    }
  }
  if (external) found.push({ name, locations });
}

function visit(kind: Message, fields: Fields, depth: number, found: ExternalTensor[]): void {
  if (depth > MAX_DEPTH) throw new MalformedOnnx('messages nested too deep');
  const children = CHILDREN[kind];
  while (fields.next()) {
    const child = children[fields.field];
    // A known field with another wire type is an unknown field to protobuf, and ignored.
    if (child === undefined || fields.wire !== WIRE_LEN) continue;
    if (child === 'tensor') visitTensor(fields.inner(), found);
    else visit(child, fields.inner(), depth + 1, found);
  }
}

/** True for an ORT-format (FlatBuffers) model: its file identifier "ORTM" sits at offset 4. */
const isOrtFormat = (bytes: Uint8Array) =>
  bytes.length >= 8 && bytes[4] === 0x4f && bytes[5] === 0x52 && bytes[6] === 0x54 && bytes[7] === 0x4d;

/** Every tensor in an ONNX ModelProto that keeps its data in an external file; throws MalformedOnnx for anything else. */
export function externalTensors(bytes: Uint8Array): ExternalTensor[] {
  // ONNX Runtime would load an ORT-format file from bytes too; this walk cannot vouch for one.
  if (isOrtFormat(bytes)) throw new MalformedOnnx('an ORT-format model, not ONNX');
  const found: ExternalTensor[] = [];
  visit('model', new Fields(bytes), 0, found);
  return found;
}
