/**
 * Row arithmetic on tensors (the first dimension is the row): slicing,
 * joining and padding, for every datatype. Used by the ONNX runner (8-row
 * alignment), the dynamic batcher (concatenate, split) and the data plane
 * (chunks of a model's batch limit). Pure: no ORT.
 */
import type { NumericArray, TensorData, TensorValue } from './model-runner.js';

/** Elements in one row of a tensor of shape `dims` (the product of every dimension after the first). */
export function rowSize(dims: readonly number[]): number {
  let n = 1;
  for (let i = 1; i < dims.length; i++) n *= dims[i]!;
  return n;
}

/** Elements of a tensor of shape `dims`. */
export function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** Rows [from, from + n) of a tensor: a view for typed arrays, a copy for strings. */
export function sliceRows(t: TensorValue, from: number, n: number): TensorValue {
  const size = rowSize(t.dims);
  const data = Array.isArray(t.data)
    ? t.data.slice(from * size, (from + n) * size)
    : (t.data as NumericArray).subarray(from * size, (from + n) * size);
  return { datatype: t.datatype, dims: [n, ...t.dims.slice(1)], data };
}

/** The tensors one after another along the first dimension (the one tensor itself when alone). */
export function concatRows(parts: readonly TensorValue[]): TensorValue {
  if (parts.length === 1) return parts[0]!;
  const first = parts[0]!;
  let rows = 0;
  let total = 0;
  for (const p of parts) {
    rows += p.dims[0]!;
    total += p.data.length;
  }
  let data: TensorData;
  if (Array.isArray(first.data)) {
    data = ([] as string[]).concat(...(parts.map((p) => p.data) as string[][]));
  } else {
    const out = new (first.data.constructor as new (n: number) => NumericArray)(total);
    let offset = 0;
    for (const p of parts) {
      (out as Float32Array).set(p.data as Float32Array, offset);
      offset += p.data.length;
    }
    data = out;
  }
  return { datatype: first.datatype, dims: [rows, ...first.dims.slice(1)], data };
}

/** The tensor's first `rows` rows followed by copies of row 0 up to `padded` rows (valid values, cut from the answer). */
export function padRows(t: TensorValue, rows: number, padded: number): TensorValue {
  const size = rowSize(t.dims);
  const dims = [padded, ...t.dims.slice(1)];
  if (Array.isArray(t.data)) {
    const data = t.data.slice(0, rows * size);
    const row0 = t.data.slice(0, size);
    for (let r = rows; r < padded; r++) data.push(...row0);
    return { datatype: t.datatype, dims, data };
  }
  const src = t.data as NumericArray;
  const data = new (src.constructor as new (n: number) => NumericArray)(padded * size);
  (data as Float32Array).set((src as Float32Array).subarray(0, rows * size));
  for (let r = rows; r < padded; r++) data.copyWithin(r * size, 0, size);
  return { datatype: t.datatype, dims, data };
}
