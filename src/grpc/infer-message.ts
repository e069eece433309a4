/**
 * ModelInferRequest / ModelInferResponse (proto/grpc_predict_v2.proto) to
 * and from the data plane's form: typed `contents` or `raw_input_contents`
 * in, `raw_output_contents` out (what Triton's and KServe's clients read).
 */
import type { InferRequest, InferResult } from '../inference/prediction/dataplane.js';
import { tensorError, toBytes, type InputTensor } from '../inference/prediction/tensors-in.js';

type Contents = Partial<Record<
  'bool_contents' | 'int_contents' | 'int64_contents' | 'uint_contents' | 'uint64_contents' | 'fp32_contents' | 'fp64_contents' | 'bytes_contents',
  unknown[]
>>;

export interface ModelInferRequest {
  model_name: string;
  model_version: string;
  id: string;
  inputs: Array<{ name: string; datatype: string; shape: number[]; contents?: Contents | null }>;
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
    const field = FIELD_OF[t.datatype];
    const data = raw.length > 0 ? { bytes: raw[i]! } : { numbers: (field && t.contents?.[field]) || [] };
    return { name: t.name, datatype: t.datatype, shape: t.shape, data };
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
      const bytes = toBytes(o.data);
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }),
  };
}
