/**
 * The wire forms of API.md §14's datatypes, written here independently of
 * src/ (so that a test checks the service against the protocol, not against
 * itself): binary tensors (little-endian; BOOL one byte; FP16 IEEE half;
 * BYTES 4-byte LE length + bytes), canonical values to compare outputs, and
 * the in-process onnxruntime-node run the outputs are compared with.
 */
import { Float16ArrayCtor } from '../../src/ort-env.js';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import type { SampleInput } from '../fixtures/tensor-model-samples.js';
import { sampleTensor } from './ort-feeds.js';

type F16 = new (buffer: ArrayBufferLike, offset?: number, length?: number) => Float32Array;
/** Node 24's Float16Array, which src/ort-env.ts keeps when it removes the global (onnxruntime#26791). */
const Float16 = Float16ArrayCtor as F16;

const SIZE: Record<string, number> = {
  BOOL: 1, UINT8: 1, INT8: 1, UINT16: 2, INT16: 2, FP16: 2, UINT32: 4, INT32: 4, FP32: 4, UINT64: 8, INT64: 8, FP64: 8,
};

/** A sample's elements in the binary form. */
export function encodeBinary(s: SampleInput): Buffer {
  if (s.datatype === 'BYTES') {
    return Buffer.concat(s.data.map((v) => {
      const b = Buffer.from(String(v), 'utf8');
      const len = Buffer.alloc(4);
      len.writeUInt32LE(b.length);
      return Buffer.concat([len, b]);
    }));
  }
  const out = Buffer.alloc(s.data.length * SIZE[s.datatype]!);
  s.data.forEach((v, i) => {
    const at = i * SIZE[s.datatype]!;
    switch (s.datatype) {
      case 'BOOL': out.writeUInt8(v ? 1 : 0, at); break;
      case 'UINT8': out.writeUInt8(Number(v), at); break;
      case 'INT8': out.writeInt8(Number(v), at); break;
      case 'UINT16': out.writeUInt16LE(Number(v), at); break;
      case 'INT16': out.writeInt16LE(Number(v), at); break;
      case 'UINT32': out.writeUInt32LE(Number(v), at); break;
      case 'INT32': out.writeInt32LE(Number(v), at); break;
      case 'UINT64': out.writeBigUInt64LE(BigInt(v as number), at); break;
      case 'INT64': out.writeBigInt64LE(BigInt(v as number), at); break;
      case 'FP32': out.writeFloatLE(Number(v), at); break;
      case 'FP64': out.writeDoubleLE(Number(v), at); break;
      case 'FP16': new Float16(out.buffer, out.byteOffset + at, 1)[0] = Number(v); break;
    }
  });
  return out;
}

/** Binary elements as canonical strings (the exact value of each element). */
export function decodeBinary(datatype: string, bytes: Uint8Array): string[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: string[] = [];
  if (datatype === 'BYTES') {
    for (let at = 0; at < buf.length;) {
      const n = buf.readUInt32LE(at);
      out.push(buf.subarray(at + 4, at + 4 + n).toString('utf8'));
      at += 4 + n;
    }
    return out;
  }
  const size = SIZE[datatype]!;
  for (let at = 0; at < buf.length; at += size) {
    switch (datatype) {
      case 'BOOL': out.push(String(buf.readUInt8(at) !== 0)); break;
      case 'UINT8': out.push(String(buf.readUInt8(at))); break;
      case 'INT8': out.push(String(buf.readInt8(at))); break;
      case 'UINT16': out.push(String(buf.readUInt16LE(at))); break;
      case 'INT16': out.push(String(buf.readInt16LE(at))); break;
      case 'UINT32': out.push(String(buf.readUInt32LE(at))); break;
      case 'INT32': out.push(String(buf.readInt32LE(at))); break;
      case 'UINT64': out.push(String(buf.readBigUInt64LE(at))); break;
      case 'INT64': out.push(String(buf.readBigInt64LE(at))); break;
      case 'FP32': out.push(String(buf.readFloatLE(at))); break;
      case 'FP64': out.push(String(buf.readDoubleLE(at))); break;
      case 'FP16': out.push(String(new Float16(buf.buffer.slice(buf.byteOffset + at, buf.byteOffset + at + 2))[0])); break;
    }
  }
  return out;
}

/** JSON output values as canonical strings (FP32 read back as the float32 it prints). */
export function canonicalJson(datatype: string, values: unknown[]): string[] {
  return values.map((v) => (datatype === 'FP32' ? String(Math.fround(v as number)) : String(v)));
}

const DATATYPE: Record<string, string> = {
  float32: 'FP32', float64: 'FP64', float16: 'FP16', int8: 'INT8', int16: 'INT16', int32: 'INT32', int64: 'INT64',
  uint8: 'UINT8', uint16: 'UINT16', uint32: 'UINT32', uint64: 'UINT64', bool: 'BOOL', string: 'BYTES',
};

export interface Expected {
  name: string;
  datatype: string;
  shape: number[];
  values: string[];
}

/** An ORT output's elements as canonical strings. */
function canonicalOrt(t: Tensor): string[] {
  const data = t.data as ArrayLike<unknown> & { buffer?: ArrayBufferLike; byteOffset?: number };
  if (t.type === 'float16') {
    const halves = data as Uint16Array;
    return Array.from(new Float16(halves.buffer, halves.byteOffset, halves.length), String);
  }
  if (t.type === 'bool') return Array.from(data as Uint8Array, (b) => String(b !== 0));
  return Array.from(data, String);
}

/** Runs the model in-process on the samples; every output, in graph order. */
export async function ortExpected(path: string, samples: readonly SampleInput[]): Promise<Expected[]> {
  const session = await InferenceSession.create(path, { logSeverityLevel: 3 });
  try {
    const feeds: Record<string, Tensor> = {};
    for (const s of samples) feeds[s.name] = sampleTensor(s);
    const out = await session.run(feeds);
    return session.outputNames.map((name) => ({
      name, datatype: DATATYPE[out[name]!.type]!, shape: [...out[name]!.dims], values: canonicalOrt(out[name]!),
    }));
  } finally {
    await session.release();
  }
}
