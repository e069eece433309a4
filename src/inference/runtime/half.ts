/**
 * IEEE half precision (FP16) as the API carries it: raw halves in a
 * Uint16Array (what onnxruntime-node feeds and fetches for float16), numbers
 * in JSON (API.md §14 "Datatypes"). Node 24 has Float16Array (TypeScript's
 * lib does not declare it yet); ort-env.ts keeps it and removes the global.
 */
import { Float16ArrayCtor } from '../../ort-env.js';

type Float16ArrayLike = ArrayLike<number> & { buffer: ArrayBufferLike; byteOffset: number; length: number; [i: number]: number };
type Float16Ctor = new (buffer: ArrayBufferLike, byteOffset?: number, length?: number) => Float16ArrayLike;

const Float16 = Float16ArrayCtor as Float16Ctor;

/** The largest finite half. */
export const FP16_MAX = 65504;

/** Whether `data` is a Float16Array (ORT may give FP16 outputs as one). */
export const isFloat16Array = (data: unknown): data is Float16ArrayLike => data instanceof Float16;

/** The raw halves of a Float16Array, without a copy. */
export const halvesOf = (data: Float16ArrayLike): Uint16Array => new Uint16Array(data.buffer, data.byteOffset, data.length);

/** Raw halves as numbers (each half's exact value). */
export function halvesToNumbers(halves: Uint16Array): number[] {
  return Array.from(new Float16(halves.buffer, halves.byteOffset, halves.length));
}

/** Writes `value` rounded to the nearest half into halves[i]. */
export function setHalf(halves: Uint16Array, i: number, value: number): void {
  new Float16(halves.buffer, halves.byteOffset + i * 2, 1)[0] = value;
}

/** A view of raw halves as numbers, for writing many (no copy). */
export const halfView = (halves: Uint16Array): Float16ArrayLike => new Float16(halves.buffer, halves.byteOffset, halves.length);
