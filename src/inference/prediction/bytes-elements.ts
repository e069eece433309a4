/**
 * BYTES tensors in binary (Triton's binary extension and gRPC raw contents,
 * API.md §14 "Datatypes"): each element a 4-byte little-endian length
 * followed by its bytes. Elements are UTF-8 text: onnxruntime-node carries
 * ONNX STRING tensors as JS strings (model-runner.ts), so bytes that are not
 * UTF-8 are refused rather than silently replaced.
 */
import { AppError } from '../../errors.js';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decodes one element's bytes; a 400 naming the element when they are not UTF-8. */
export function utf8Element(bytes: Uint8Array, name: string, i: number): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new AppError('BAD_REQUEST', `input '${name}' element ${i} is not UTF-8 text (BYTES elements reach the model as strings)`);
  }
}

/** The `count` elements of a length-prefixed BYTES tensor. */
export function decodeBytesElements(bytes: Uint8Array, count: number, name: string): string[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Array<string>(count);
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + 4 > bytes.length) throw new AppError('BAD_REQUEST', `input '${name}' has ${i} BYTES elements of data, its shape needs ${count}`);
    const length = view.getUint32(at, true);
    at += 4;
    if (at + length > bytes.length) throw new AppError('BAD_REQUEST', `input '${name}' element ${i} runs past the end of its data`);
    out[i] = utf8Element(bytes.subarray(at, at + length), name, i);
    at += length;
  }
  if (at !== bytes.length) throw new AppError('BAD_REQUEST', `input '${name}' has data after its ${count} BYTES elements`);
  return out;
}

/** The strings as length-prefixed UTF-8 elements. */
export function encodeBytesElements(strings: readonly string[]): Uint8Array {
  const encoded = strings.map((s) => Buffer.from(s, 'utf8'));
  const out = Buffer.allocUnsafe(encoded.reduce((n, b) => n + 4 + b.length, 0));
  let at = 0;
  for (const b of encoded) {
    out.writeUInt32LE(b.length, at);
    b.copy(out, at + 4);
    at += 4 + b.length;
  }
  return out;
}
