/** Turns the fixtures' sample inputs (KServe datatypes) into onnxruntime-node tensors, and back. */
import '../../src/ort-env.js';
import { Tensor } from 'onnxruntime-node';
import { toFloat16Bits } from '../../scripts/lib/onnx-writer.js';
import type { SampleInput } from '../fixtures/tensor-model-samples.js';

/** IEEE half bits → number. */
export function fromFloat16Bits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** An ORT tensor holding a sample input (FP16 as Uint16Array bits, as the binding takes them). */
export function sampleTensor(s: SampleInput): Tensor {
  const n = (v: SampleInput['data'][number]) => Number(v);
  const b = (v: SampleInput['data'][number]) => BigInt(v as number | bigint);
  switch (s.datatype) {
    case 'FP32': return new Tensor('float32', Float32Array.from(s.data, n), s.shape);
    case 'FP64': return new Tensor('float64', Float64Array.from(s.data, n), s.shape);
    case 'FP16': return new Tensor('float16', Uint16Array.from(s.data, (v) => toFloat16Bits(n(v))), s.shape);
    case 'INT8': return new Tensor('int8', Int8Array.from(s.data, n), s.shape);
    case 'INT16': return new Tensor('int16', Int16Array.from(s.data, n), s.shape);
    case 'INT32': return new Tensor('int32', Int32Array.from(s.data, n), s.shape);
    case 'INT64': return new Tensor('int64', BigInt64Array.from(s.data, b), s.shape);
    case 'UINT8': return new Tensor('uint8', Uint8Array.from(s.data, n), s.shape);
    case 'UINT16': return new Tensor('uint16', Uint16Array.from(s.data, n), s.shape);
    case 'UINT32': return new Tensor('uint32', Uint32Array.from(s.data, n), s.shape);
    case 'UINT64': return new Tensor('uint64', BigUint64Array.from(s.data, b), s.shape);
    case 'BOOL': return new Tensor('bool', Uint8Array.from(s.data, (v) => (v ? 1 : 0)), s.shape);
    case 'BYTES': return new Tensor('string', s.data.map(String), s.shape);
  }
}

/** Feeds for session.run from a fixture's samples. */
export function sampleFeeds(samples: readonly SampleInput[]): Record<string, Tensor> {
  return Object.fromEntries(samples.map((s) => [s.name, sampleTensor(s)]));
}
