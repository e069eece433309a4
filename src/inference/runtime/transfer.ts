/**
 * Tensors across the worker-thread boundary (worker-runner.ts, onnx-worker.ts):
 * typed arrays go with their buffers transferred, not cloned; BYTES
 * (`string[]`) are cloned, having no buffer to give away.
 */
import type { NumericArray, TensorValue } from './model-runner.js';

/** The tensor with an array this thread can give away: its own when it fills its buffer, else a copy. */
export function ownTensor(t: TensorValue): TensorValue {
  if (Array.isArray(t.data)) return { datatype: t.datatype, dims: [...t.dims], data: t.data };
  const data = t.data as NumericArray;
  const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && !(data.buffer instanceof SharedArrayBuffer);
  return { datatype: t.datatype, dims: [...t.dims], data: whole ? data : (data.slice() as NumericArray) };
}

/** The buffers to transfer with the tensors (strings have none). */
export function transferList(tensors: readonly TensorValue[]): ArrayBuffer[] {
  const list: ArrayBuffer[] = [];
  for (const t of tensors) if (!Array.isArray(t.data)) list.push((t.data as NumericArray).buffer as ArrayBuffer);
  return list;
}
