/**
 * The tensor checks of the Open Inference Protocol (API.md §13), shared by
 * its REST and gRPC doors: an input tensor, as a door decoded it, becomes the
 * Float32Array the runner takes, or a 400 (413 for too many rows) whose
 * message names what does not fit. Pure: no I/O, no ORT.
 */
import { endianness } from 'node:os';
import { AppError } from '../../errors.js';
import type { NumericArray } from '../runtime/model-runner.js';

/** A tensor's elements as sent: numbers (JSON `data`, gRPC typed contents) or raw little-endian bytes. */
export type TensorData = { numbers: ArrayLike<unknown> } | { bytes: Uint8Array };

/** One input tensor of an infer request, before any check. */
export interface InputTensor {
  name: string;
  datatype: string;
  shape: readonly number[];
  data: TensorData;
}

/** What an input must look like: the model's ONNX input and feature count. */
export interface InputSpec {
  name: string;
  width: number;
  maxRows: number;
}

/** The largest finite float32. */
const FP32_MAX = 3.4028234663852886e38;
const LITTLE_ENDIAN = endianness() === 'LE';

/** A 400 for a tensor that does not fit (INVALID_ARGUMENT over gRPC). */
export const tensorError = (message: string): AppError => new AppError('BAD_REQUEST', message);

/** Checks the one input a served model takes; returns its rows, packed row-major. */
export function checkInput(inputs: readonly InputTensor[], spec: InputSpec): { values: Float32Array; rows: number } {
  const unknown = inputs.find((t) => t.name !== spec.name);
  if (unknown) throw tensorError(`unknown input '${unknown.name}'; the model's input is '${spec.name}'`);
  if (inputs.length !== 1) {
    throw tensorError(inputs.length === 0 ? `missing input '${spec.name}'` : `input '${spec.name}' is given ${inputs.length} times`);
  }
  const input = inputs[0]!;
  if (input.datatype !== 'FP32') throw tensorError(`input '${spec.name}' has datatype ${input.datatype}, expected FP32`);
  const { shape } = input;
  if (shape.length !== 2 || !shape.every((d) => Number.isSafeInteger(d) && d >= 0) || shape[1] !== spec.width) {
    throw tensorError(`input '${spec.name}' has shape [${shape.join(', ')}], expected [N, ${spec.width}]`);
  }
  const rows = shape[0]!;
  if (rows === 0) throw tensorError(`input '${spec.name}' has no rows; send 1 to ${spec.maxRows}`);
  if (rows > spec.maxRows) {
    throw new AppError('BATCH_TOO_LARGE', `${rows} rows exceed the batch limit of ${spec.maxRows}`);
  }
  const count = rows * spec.width;
  const values = 'bytes' in input.data ? fromBytes(input.data.bytes, count, spec.name) : fromNumbers(input.data.numbers, count, spec.name);
  return { values, rows };
}

/** Numbers into float32, each finite and within the float32 range. */
function fromNumbers(numbers: ArrayLike<unknown>, count: number, name: string): Float32Array {
  if (numbers.length !== count) {
    throw tensorError(`input '${name}' has ${numbers.length} elements, its shape needs ${count}`);
  }
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const x = numbers[i];
    if (typeof x !== 'number' || !Number.isFinite(x) || Math.abs(x) > FP32_MAX) {
      throw tensorError(`input '${name}' element ${i} is ${describe(x)}, expected a finite FP32 number`);
    }
    out[i] = x;
  }
  return out;
}

/** Raw little-endian float32 bytes, copied (a received buffer need not be 4-byte aligned), each finite. */
function fromBytes(bytes: Uint8Array, count: number, name: string): Float32Array {
  if (bytes.length !== count * 4) {
    throw tensorError(`input '${name}' has ${bytes.length} bytes of data, its shape needs ${count * 4} (FP32)`);
  }
  const out = new Float32Array(count);
  new Uint8Array(out.buffer).set(bytes);
  if (!LITTLE_ENDIAN) swapBytes(out);
  for (let i = 0; i < count; i++) {
    if (!Number.isFinite(out[i]!)) throw tensorError(`input '${name}' element ${i} is ${out[i]}, expected a finite FP32 number`);
  }
  return out;
}

/** A tensor's elements as little-endian bytes (the wire order of both protocols). */
export function toBytes(values: NumericArray): Uint8Array {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  if (LITTLE_ENDIAN || values.BYTES_PER_ELEMENT === 1) return bytes;
  const out = bytes.slice();
  for (let i = 0; i < out.length; i += values.BYTES_PER_ELEMENT) out.subarray(i, i + values.BYTES_PER_ELEMENT).reverse();
  return out;
}

/** Reverses the bytes of each float32 (big-endian hosts). */
function swapBytes(values: Float32Array): void {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  for (let i = 0; i < bytes.length; i += 4) bytes.subarray(i, i + 4).reverse();
}

function describe(x: unknown): string {
  if (typeof x === 'number') return String(x);
  if (typeof x === 'string') return 'a string';
  return x === null ? 'null' : Array.isArray(x) ? 'an array' : typeof x;
}
