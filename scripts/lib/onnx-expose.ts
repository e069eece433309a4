/**
 * A copy of an ONNX model with intermediate values added as graph outputs, so onnxruntime can
 * fetch them: onnxruntime-node cannot return a ZipMap's sequence of maps, but it can return the
 * probability tensor the ZipMap reads once that tensor is itself a graph output.
 */
import onnxProto from 'onnx-proto';
import { tensorTypeProto, type Dim, type TensorTypeValue } from './onnx-writer.js';

const { onnx } = onnxProto;

/** Returns the model's bytes with each named value also declared as a graph output. */
export function exposeValues(bytes: Uint8Array, values: readonly { name: string; elemType: TensorTypeValue; shape?: Dim[] }[]): Uint8Array {
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph!;
  for (const v of values) {
    if (!graph.node?.some((n) => n.output?.includes(v.name))) throw new Error(`no node writes ${v.name}`);
    (graph.output ??= []).push(onnx.ValueInfoProto.fromObject({ name: v.name, type: tensorTypeProto(v.elemType, v.shape) }));
  }
  return onnx.ModelProto.encode(model).finish();
}
