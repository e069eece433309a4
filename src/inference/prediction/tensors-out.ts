/**
 * Output tensors as the doors answer them (API.md §14 "Datatypes"), shared
 * by REST and gRPC: the binary form (little-endian; BOOL one byte; FP16 raw
 * halves; BYTES length-prefixed UTF-8) and JSON values (numbers, FP16
 * included; true/false for BOOL; strings for BYTES).
 *
 * 64-bit integers in JSON: a value within ±2^53 is an ordinary number; one
 * beyond is written as its exact decimal digits (JSON.rawJSON), which is a
 * valid JSON number and exact in the text, as Triton writes it. A reader
 * whose parser keeps 64-bit integers gets the value; one that reads doubles
 * rounds it, as it would any such number, and the binary form stays the
 * lossless one. Printing Number(value) instead would put a different integer
 * in the text.
 *
 * NaN and ±Infinity have no JSON form: an answer holding one is a 500 that
 * says to ask for binary output, never a malformed body.
 */
import { AppError } from '../../errors.js';
import { halvesToNumbers } from '../runtime/half.js';
import type { NumericArray, TensorValue } from '../runtime/model-runner.js';
import { encodeBytesElements } from './bytes-elements.js';
import { float32Decimal } from './float32-decimal.js';
import { toLittleEndian } from './little-endian.js';

const rawJSON = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;

/** A tensor's elements in its binary form. */
export function toBytes(t: Pick<TensorValue, 'datatype' | 'data'>): Uint8Array {
  return Array.isArray(t.data) ? encodeBytesElements(t.data) : toLittleEndian(t.data as NumericArray);
}

/** A 64-bit integer as JSON: a number when exact as one, else its exact digits. */
const int64Json = (v: bigint): unknown => (v >= -(2n ** 53n) && v <= 2n ** 53n ? Number(v) : rawJSON(v.toString()));

function notFinite(name: string): AppError {
  return new AppError(
    'INTERNAL_ERROR',
    `output '${name}' holds NaN or Infinity, which JSON cannot carry; ask for binary output (parameters.binary_data_output: true) or use gRPC`,
  );
}

/** A tensor's elements as JSON values; FP32 as /api/v1 prints them (the shortest decimal that reads back as the same float32). */
export function toJsonValues(name: string, t: Pick<TensorValue, 'datatype' | 'data'>): unknown[] {
  const { data } = t;
  if (Array.isArray(data)) return data;
  let out: unknown[];
  switch (t.datatype) {
    case 'BOOL':
      return Array.from(data as Uint8Array, (b) => b !== 0);
    case 'INT64':
    case 'UINT64':
      return Array.from(data as BigInt64Array, int64Json);
    case 'FP16':
      out = halvesToNumbers(data as Uint16Array);
      break;
    case 'FP32':
      out = Array.from(data as Float32Array, float32Decimal);
      break;
    default:
      out = Array.from(data as Float64Array);
  }
  if (t.datatype.startsWith('FP') && !(out as number[]).every(Number.isFinite)) throw notFinite(name);
  return out;
}
