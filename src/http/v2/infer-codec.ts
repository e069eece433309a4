/**
 * The REST form of an inference (API.md §13) to and from the data plane's:
 * the JSON request (data flat or nested) or Triton's binary tensor format
 * (inputs sized by `parameters.binary_data_size`, in the order of `inputs`),
 * and the answer, in JSON or with binary outputs when the request asks
 * (`parameters.binary_data_output`, or an output's own `parameters.binary_data`,
 * which wins). Every datatype (API.md §14): tensors-in.ts and tensors-out.ts
 * hold the element forms shared with gRPC.
 */
import type { InferRequest, InferResult } from '../../inference/prediction/dataplane.js';
import { tensorError, type InputTensor } from '../../inference/prediction/tensors-in.js';
import { toBytes, toJsonValues } from '../../inference/prediction/tensors-out.js';
import type { InferBody } from './infer-body.js';

/** What the answer looks like: which outputs go binary. */
export interface AnswerPlan {
  binaryDefault: boolean;
  /** Per-output `binary_data` settings. */
  binaryOf: Map<string, boolean>;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function parameters(v: Json, where: string): Json {
  if (v.parameters === undefined) return {};
  if (!isObject(v.parameters)) throw tensorError(`${where}.parameters must be an object`);
  return v.parameters;
}

function optionalBool(p: Json, key: string, where: string): boolean | undefined {
  const value = p[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw tensorError(`${where}.parameters.${key} must be a boolean`);
  return value;
}

/** The data plane's request, and how to answer, from a REST infer body. */
export function decodeInfer(body: InferBody): { request: InferRequest; plan: AnswerPlan } {
  const h = body.header;
  if (!isObject(h)) throw tensorError('the inference request must be a JSON object');
  if (h.id !== undefined && typeof h.id !== 'string') throw tensorError('id must be a string');
  const binaryDefault = optionalBool(parameters(h, 'request'), 'binary_data_output', 'request') ?? false;
  if (!Array.isArray(h.inputs) || h.inputs.length === 0) throw tensorError('inputs must be a non-empty array of tensors');
  let offset = 0;
  const inputs: InputTensor[] = h.inputs.map((t: unknown, i: number) => {
    const where = `inputs[${i}]`;
    if (!isObject(t)) throw tensorError(`${where} must be an object`);
    if (typeof t.name !== 'string') throw tensorError(`${where}.name must be a string`);
    if (typeof t.datatype !== 'string') throw tensorError(`${where}.datatype must be a string`);
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d))) {
      throw tensorError(`${where}.shape must be an array of integers`);
    }
    const size = parameters(t, where).binary_data_size;
    if (size !== undefined) {
      if (!Number.isSafeInteger(size) || (size as number) < 0) throw tensorError(`${where}.parameters.binary_data_size must be a non-negative integer`);
      if (t.data !== undefined) throw tensorError(`${where} has both data and binary_data_size`);
      const end = offset + (size as number);
      if (end > body.binary.length) throw tensorError(`${where}.parameters.binary_data_size runs past the end of the binary data`);
      const bytes = body.binary.subarray(offset, end);
      offset = end;
      return { name: t.name, datatype: t.datatype, shape: t.shape as number[], data: { bytes } };
    }
    if (!Array.isArray(t.data)) throw tensorError(`${where}.data must be an array (or use parameters.binary_data_size)`);
    return { name: t.name, datatype: t.datatype, shape: t.shape as number[], data: { numbers: flatten(t.data) } };
  });
  if (offset !== body.binary.length) {
    throw tensorError(`the binary data holds ${body.binary.length} bytes, the inputs' binary_data_size add up to ${offset}`);
  }
  const binaryOf = new Map<string, boolean>();
  let outputs: string[] | undefined;
  if (h.outputs !== undefined) {
    if (!Array.isArray(h.outputs)) throw tensorError('outputs must be an array');
    outputs = h.outputs.map((o: unknown, i: number) => {
      const where = `outputs[${i}]`;
      if (!isObject(o) || typeof o.name !== 'string') throw tensorError(`${where} must be an object with a name`);
      const binary = optionalBool(parameters(o, where), 'binary_data', where);
      if (binary !== undefined) binaryOf.set(o.name, binary);
      return o.name;
    });
  }
  // Outputs written as JSON numbers take more than their raw bytes: the data plane bounds the answer with this.
  const asJson = (name: string) => !(binaryOf.get(name) ?? binaryDefault);
  return { request: { id: h.id as string | undefined, inputs, outputs, asJson }, plan: { binaryDefault, binaryOf } };
}

/**
 * Row-major elements of flat or nested `data`, without recursion (any
 * nesting depth is safe; a shape that does not match shows as a count).
 */
function flatten(data: unknown[]): unknown[] {
  if (!data.some(Array.isArray)) return data;
  const out: unknown[] = [];
  const stack: Array<{ items: unknown[]; next: number }> = [{ items: data, next: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.next === top.items.length) {
      stack.pop();
      continue;
    }
    const item = top.items[top.next++];
    if (Array.isArray(item)) stack.push({ items: item, next: 0 });
    else out.push(item);
  }
  return out;
}

/** The answer: a JSON body, or a JSON header plus binary outputs (`headerLength` set). */
export function encodeInfer(result: InferResult, plan: AnswerPlan): { body: Buffer; headerLength?: number } {
  const chunks: Uint8Array[] = [];
  const outputs = result.outputs.map((o) => {
    const tensor: Json = { name: o.name, datatype: o.datatype, shape: o.shape };
    if (plan.binaryOf.get(o.name) ?? plan.binaryDefault) {
      const bytes = toBytes(o);
      chunks.push(bytes);
      tensor.parameters = { binary_data_size: bytes.byteLength };
    } else {
      tensor.data = toJsonValues(o.name, o);
    }
    return tensor;
  });
  const header = Buffer.from(JSON.stringify({
    model_name: result.model_name, model_version: result.model_version, id: result.id, outputs,
  }));
  if (chunks.length === 0) return { body: header };
  return { body: Buffer.concat([header, ...chunks]), headerLength: header.length };
}
