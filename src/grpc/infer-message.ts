/**
 * ModelInferRequest / ModelInferResponse (proto/grpc_predict_v2.proto) to
 * and from the data plane's form: typed `contents` or `raw_input_contents`
 * in, `raw_output_contents` out (what Triton's and KServe's clients read).
 * Every datatype (API.md §14): FP16 has no typed contents, only raw; the
 * server's loader gives 64-bit integers as decimal strings (proto.ts), made
 * BigInts here so that INT64 and UINT64 stay exact.
 */
import type { InferRequest, InferResult } from '../inference/prediction/dataplane.js';
import { tensorError, type InputTensor } from '../inference/prediction/tensors-in.js';
import { toBytes } from '../inference/prediction/tensors-out.js';

type Contents = Partial<Record<
  'bool_contents' | 'int_contents' | 'int64_contents' | 'uint_contents' | 'uint64_contents' | 'fp32_contents' | 'fp64_contents' | 'bytes_contents',
  unknown[]
>>;

export interface ModelInferRequest {
  model_name: string;
  model_version: string;
  id: string;
  /** Shapes as the loader gives int64 (decimal strings on the server, numbers for a client with longs: Number). */
  inputs: Array<{ name: string; datatype: string; shape: Array<number | string>; contents?: Contents | null }>;
  outputs: Array<{ name: string }>;
  raw_input_contents: Buffer[];
}

/** The contents field that carries a datatype's elements. */
const FIELD_OF: Record<string, keyof Contents> = {
  BOOL: 'bool_contents', INT8: 'int_contents', INT16: 'int_contents', INT32: 'int_contents', INT64: 'int64_contents',
  UINT8: 'uint_contents', UINT16: 'uint_contents', UINT32: 'uint_contents', UINT64: 'uint64_contents',
  FP32: 'fp32_contents', FP64: 'fp64_contents', BYTES: 'bytes_contents',
};

const hasContents = (c: Contents | null | undefined): boolean =>
  c != null && Object.values(c).some((v) => Array.isArray(v) && v.length > 0);

/** An int64 field's value (a decimal string from the server's loader) as a BigInt; anything else is left to the checks. */
function toBigInt(v: unknown): unknown {
  if (typeof v === 'string' && /^-?\d{1,20}$/.test(v)) return BigInt(v);
  return typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) : v;
}

/** The data plane's request from a ModelInferRequest. */
export function decodeModelInfer(msg: ModelInferRequest): InferRequest {
  const raw = msg.raw_input_contents;
  if (raw.length > 0) {
    if (raw.length !== msg.inputs.length) {
      throw tensorError(`raw_input_contents has ${raw.length} entries for ${msg.inputs.length} inputs`);
    }
    if (msg.inputs.some((t) => hasContents(t.contents))) {
      throw tensorError('inputs carry contents although raw_input_contents is used');
    }
  }
  const inputs: InputTensor[] = msg.inputs.map((t, i) => {
    const shape = t.shape.map(Number);
    if (raw.length > 0) return { name: t.name, datatype: t.datatype, shape, data: { bytes: raw[i]! } };
    const field = FIELD_OF[t.datatype];
    if (!field && t.datatype === 'FP16') throw tensorError(`input '${t.name}' is FP16, which has no typed contents; send it in raw_input_contents`);
    let numbers: ArrayLike<unknown> = (field && t.contents?.[field]) || [];
    if (field === 'int64_contents' || field === 'uint64_contents') numbers = Array.from(numbers, toBigInt);
    return { name: t.name, datatype: t.datatype, shape, data: { numbers } };
  });
  return {
    id: msg.id === '' ? undefined : msg.id,
    inputs,
    outputs: msg.outputs.length > 0 ? msg.outputs.map((o) => o.name) : undefined,
  };
}

/** A ModelInferResponse with every output in raw_output_contents. */
export function encodeModelInfer(result: InferResult) {
  return {
    model_name: result.model_name,
    model_version: result.model_version,
    id: result.id,
    outputs: result.outputs.map((o) => ({ name: o.name, datatype: o.datatype, shape: o.shape })),
    raw_output_contents: result.outputs.map((o) => {
      const bytes = toBytes(o);
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }),
  };
}
