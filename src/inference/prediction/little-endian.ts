/**
 * The binary forms of numeric tensors (Triton's binary extension and gRPC
 * raw contents, API.md §14 "Datatypes"): little-endian, BOOL one byte, FP16
 * IEEE half. Reading copies (a received buffer need not be aligned) and
 * checks what the bytes can hold that the datatype does not allow.
 */
import { endianness } from 'node:os';
import { AppError } from '../../errors.js';
import { ARRAY_OF } from '../runtime/datatypes.js';
import { halfView } from '../runtime/half.js';
import type { NumericArray } from '../runtime/model-runner.js';

const LITTLE_ENDIAN = endianness() === 'LE';

const tensorError = (message: string) => new AppError('BAD_REQUEST', message);

/** Reverses the bytes of each element in place (big-endian hosts). */
function swap(bytes: Uint8Array, size: number): void {
  for (let i = 0; i < bytes.length; i += size) bytes.subarray(i, i + size).reverse();
}

/** A typed array of `datatype` from its little-endian bytes (length already checked). */
export function fromLittleEndian(bytes: Uint8Array, datatype: string, name: string, finiteOnly: boolean): NumericArray {
  const Ctor = ARRAY_OF[datatype] as unknown as new (n: number) => NumericArray;
  const size = (Ctor as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
  const out = new Ctor(bytes.length / size);
  const raw = new Uint8Array(out.buffer);
  raw.set(bytes);
  if (!LITTLE_ENDIAN && size > 1) swap(raw, size);
  if (datatype === 'BOOL') {
    const i = (out as Uint8Array).findIndex((b) => b > 1);
    if (i >= 0) throw tensorError(`input '${name}' element ${i} is the byte ${out[i]}, expected 0 or 1 (BOOL)`);
  } else if (finiteOnly && (datatype === 'FP32' || datatype === 'FP64' || datatype === 'FP16')) {
    const values = datatype === 'FP16' ? halfView(out as Uint16Array) : (out as Float32Array);
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i]!)) throw tensorError(`input '${name}' element ${i} is ${values[i]}, expected a finite ${datatype} number`);
    }
  }
  return out;
}

/** A numeric tensor's elements as little-endian bytes (a view when the host is little-endian). */
export function toLittleEndian(values: NumericArray): Uint8Array {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  if (LITTLE_ENDIAN || values.BYTES_PER_ELEMENT === 1) return bytes;
  const out = bytes.slice();
  swap(out, values.BYTES_PER_ELEMENT);
  return out;
}
