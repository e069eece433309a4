/**
 * The tensor checks of the Open Inference Protocol (API.md §13, §14 "Shapes
 * and batching", "Datatypes", "Values"), shared by its REST and gRPC doors:
 * the input tensors, as a door decoded them, become the runner's positional
 * feeds, or a 400 (413 for too many rows) whose message names what does not
 * fit. Pure: no I/O, no ORT.
 */
import { AppError } from '../../errors.js';
import { ELEMENT_BYTES } from '../runtime/datatypes.js';
import { AS_SENT, type TensorInfo, type TensorValue } from '../runtime/model-runner.js';
import { decodeBytesElements } from './bytes-elements.js';
import { decodeValues } from './values-in.js';
import { fromLittleEndian } from './little-endian.js';

/**
 * A tensor's elements as sent: `numbers` are JSON `data` or gRPC typed
 * contents (numbers, booleans, strings, bigints for 64-bit integers, byte
 * arrays for BYTES), `bytes` the raw little-endian binary form.
 */
export type TensorData = { numbers: ArrayLike<unknown> } | { bytes: Uint8Array };

/** One input tensor of an infer request, before any check. */
export interface InputTensor {
  name: string;
  datatype: string;
  shape: readonly number[];
  data: TensorData;
}

/** What the inputs of a request must look like. */
export interface InputsSpec {
  /** Every input the model takes, in feed order (shape: -1 for a dynamic dimension). */
  inputs: readonly TensorInfo[];
  /** A batchable model: its first dimension is bounded by maxRows, and the request may share a run. */
  batchable: boolean;
  /** MAX_BATCH_SIZE. */
  maxRows: number;
  /** A model with named features refuses NaN and ±Infinity (API.md §14 "Values"). */
  finiteOnly: boolean;
}

/** A 400 for a tensor that does not fit (INVALID_ARGUMENT over gRPC). */
export const tensorError = (message: string): AppError => new AppError('BAD_REQUEST', message);

const names = (inputs: readonly TensorInfo[]) => inputs.map((i) => `'${i.name}'`).join(', ');

/** A shape as the messages show it: a batchable model's first dimension N, any other dynamic one -1. */
const shapeText = (shape: readonly number[], batchable: boolean) =>
  `[${shape.map((d, k) => (d >= 0 ? String(d) : k === 0 && batchable ? 'N' : '-1')).join(', ')}]`;

/**
 * Checks every input of a request against the model's; returns the feeds in
 * the model's input order and the rows they share (AS_SENT when the model is
 * not batchable, or when its inputs' first dimensions differ: such a request
 * runs alone, as sent).
 */
export function checkInputs(inputs: readonly InputTensor[], spec: InputsSpec): { feeds: TensorValue[]; rows: number } {
  const wanted = spec.inputs;
  const given = new Array<InputTensor | undefined>(wanted.length);
  for (const t of inputs) {
    const k = wanted.findIndex((w) => w.name === t.name);
    if (k < 0) {
      throw tensorError(wanted.length === 1
        ? `unknown input '${t.name}'; the model's input is '${wanted[0]!.name}'`
        : `unknown input '${t.name}'; the model's inputs are ${names(wanted)}`);
    }
    if (given[k]) throw tensorError(`input '${t.name}' is given ${inputs.filter((i) => i.name === t.name).length} times`);
    given[k] = t;
  }
  const missing = wanted.filter((_, k) => !given[k]);
  if (missing.length > 0) throw tensorError(`missing input${missing.length > 1 ? 's' : ''} ${names(missing)}; every input of the model is required`);

  const feeds = new Array<TensorValue>(wanted.length);
  let rows = spec.batchable ? given[0]!.shape[0]! : AS_SENT;
  for (let k = 0; k < wanted.length; k++) {
    const t = given[k]!;
    feeds[k] = checkInput(t, wanted[k]!, spec);
    if (rows !== AS_SENT && t.shape[0] !== rows) rows = AS_SENT;
  }
  return { feeds, rows };
}

/** One input: datatype, shape, row bound, element count, then its values. */
function checkInput(t: InputTensor, w: TensorInfo, spec: InputsSpec): TensorValue {
  const { name } = t;
  if (t.datatype !== w.datatype) throw tensorError(`input '${name}' has datatype ${t.datatype}, expected ${w.datatype}`);
  const { shape } = t;
  const expected = shapeText(w.shape, spec.batchable);
  if (shape.length !== w.shape.length || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw tensorError(`input '${name}' has shape [${shape.join(', ')}], expected ${expected}`);
  }
  for (let k = 0; k < shape.length; k++) {
    const want = w.shape[k]!;
    if (want >= 0 ? shape[k] === want : shape[k]! >= 1) continue;
    if (want < 0 && k === 0) {
      throw tensorError(spec.batchable ? `input '${name}' has no rows; send 1 to ${spec.maxRows}` : `input '${name}' has no rows`);
    }
    throw tensorError(`input '${name}' has shape [${shape.join(', ')}], expected ${expected}`);
  }
  if (spec.batchable && shape[0]! > spec.maxRows) {
    throw new AppError('BATCH_TOO_LARGE', `${shape[0]} rows exceed the batch limit of ${spec.maxRows}`);
  }
  let count = 1;
  for (const d of shape) count *= d;
  const dims = [...shape];
  if ('numbers' in t.data) {
    const values = t.data.numbers;
    if (values.length !== count) throw tensorError(`input '${name}' has ${values.length} elements, its shape needs ${count}`);
    return { datatype: w.datatype, dims, data: decodeValues(values, w.datatype, name, spec.finiteOnly) };
  }
  const bytes = t.data.bytes;
  if (w.datatype === 'BYTES') return { datatype: w.datatype, dims, data: decodeBytesElements(bytes, count, name) };
  const size = ELEMENT_BYTES[w.datatype]!;
  if (bytes.length !== count * size) {
    throw tensorError(`input '${name}' has ${bytes.length} bytes of data, its shape needs ${count * size} (${w.datatype})`);
  }
  return { datatype: w.datatype, dims, data: fromLittleEndian(bytes, w.datatype, name, spec.finiteOnly) };
}
