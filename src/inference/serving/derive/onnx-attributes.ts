/**
 * Reading ONNX node attributes and small initializers, as plain numbers and
 * strings. onnx-proto (protobufjs 6) decodes int64 fields as `Long` objects;
 * they are turned into numbers here, or into exact decimal strings where a
 * value may pass 2^53 (ZipMap's `classlabels_int64s`, API.md §14).
 */
import onnxProto from 'onnx-proto';

type Node = onnxProto.onnx.INodeProto;
type Tensor = onnxProto.onnx.ITensorProto;
/** What protobufjs gives for an int64 field. */
export type Int64 = number | { toNumber(): number; toString(): string };

/** An int64 field as a number (exact up to 2^53). */
export const toNumber = (v: Int64 | null | undefined): number =>
  v === null || v === undefined ? 0 : typeof v === 'number' ? v : v.toNumber();

/** An int64 field as its exact decimal string. */
export const toDecimal = (v: Int64): string => (typeof v === 'number' ? String(v) : v.toString());

const decoder = new TextDecoder();

/** The attribute of that name, if the node has it. */
export function attribute(node: Node, name: string): onnxProto.onnx.IAttributeProto | undefined {
  return node.attribute?.find((a) => a.name === name) ?? undefined;
}

/** An INT attribute, or `fallback` (the operator's default) when absent. */
export function intAttr(node: Node, name: string, fallback: number): number {
  const a = attribute(node, name);
  return a?.i === undefined || a.i === null ? fallback : toNumber(a.i);
}

/** A STRINGS attribute, UTF-8 decoded; [] when absent. */
export function stringsAttr(node: Node, name: string): string[] {
  return (attribute(node, name)?.strings ?? []).map((s) => decoder.decode(s));
}

/** An INTS attribute as exact decimal strings; [] when absent. */
export function intsAsDecimals(node: Node, name: string): string[] {
  return (attribute(node, name)?.ints ?? []).map(toDecimal);
}

/** A FLOATS attribute; [] when absent. */
export function floatsAttr(node: Node, name: string): number[] {
  return attribute(node, name)?.floats ?? [];
}

/** A classifier's labels: its `classlabels_strings`, else its int64 labels as decimal strings. */
export function classLabels(node: Node, intsName = 'classlabels_int64s'): string[] {
  const strings = stringsAttr(node, 'classlabels_strings');
  return strings.length > 0 ? strings : intsAsDecimals(node, intsName);
}

/** The values of an INT64 or INT32 initializer (Gather / ArrayFeatureExtractor indices); undefined for other kinds. */
export function initializerInts(t: Tensor): number[] | undefined {
  const type = t.dataType ?? 0;
  if (type !== 7 && type !== 6) return undefined; // INT64, INT32
  if (t.rawData && t.rawData.length > 0) {
    const view = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
    const size = type === 7 ? 8 : 4;
    return Array.from({ length: t.rawData.byteLength / size }, (_, i) =>
      size === 8 ? Number(view.getBigInt64(i * 8, true)) : view.getInt32(i * 4, true));
  }
  return type === 7 ? (t.int64Data ?? []).map(toNumber) : (t.int32Data ?? []);
}
