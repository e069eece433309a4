/**
 * Outputs once, and no answer over the send limit (API.md §15, issue 16
 * point 2). A request that named one output 1,000 times built a 360 MB
 * JSON answer (3,000 names: a 500 "Invalid string length"); over gRPC,
 * 20,000 names built 4.9 GB before grpc-js checked its send limit, which it
 * does only on the serialised message. So the data plane checks the
 * `outputs` list before any inference, and the answer's size from its
 * tensors (element counts × bytes, or a bound on the JSON text) before a
 * door encodes it.
 */
import { AppError } from '../../errors.js';
import { tensorError } from './tensors-in.js';

/** One output as the size check sees it. */
export interface SizedOutput {
  name: string;
  datatype: string;
  /** Elements in the tensor. */
  elements: number;
  /** Dimensions (each costs a few bytes of header). */
  rank: number;
  /** BYTES: the UTF-8 bytes of all its elements (each element's length prefix is counted apart). */
  bytes?: number;
}

/** The size check's view of an output tensor as a run answered it. */
export function sizedOutput(o: { name: string; datatype: string; shape: readonly number[]; data: ArrayLike<unknown> }): SizedOutput {
  const sized: SizedOutput = { name: o.name, datatype: o.datatype, elements: o.data.length, rank: o.shape.length };
  if (o.datatype === 'BYTES') {
    let bytes = 0;
    for (const s of o.data as readonly string[]) bytes += Buffer.byteLength(s);
    sized.bytes = bytes;
  }
  return sized;
}

/** Bytes of one element as raw tensor data (binary outputs, gRPC's raw_output_contents). */
const RAW_BYTES: Readonly<Record<string, number>> = {
  BOOL: 1, INT8: 1, UINT8: 1, INT16: 2, UINT16: 2, FP16: 2, INT32: 4, UINT32: 4, FP32: 4, INT64: 8, UINT64: 8, FP64: 8,
};

/**
 * Most characters one element takes as a JSON number, comma included. FP32
 * is usually ≤ 9 significant digits, but a value beyond 10^±22 prints as its
 * double (`-1.1754943508222875e-38`); 64-bit integers print as doubles.
 */
const JSON_CHARS: Readonly<Record<string, number>> = {
  BOOL: 6, INT8: 5, UINT8: 4, INT16: 7, UINT16: 6, FP16: 24, INT32: 12, UINT32: 11, FP32: 24, INT64: 21, UINT64: 21, FP64: 25,
};

/** Bytes of the answer around the tensors (names, ids) and of each output's description. */
const ANSWER_OVERHEAD = 256;
const OUTPUT_OVERHEAD = 96;
const DIMENSION_BYTES = 21;

/**
 * Checks an infer request's `outputs` against what the model serves: each
 * name at most once, no more entries than the model has outputs, every name
 * known. A 400 otherwise (INVALID_ARGUMENT over gRPC), before any inference.
 */
export function checkOutputNames(wanted: readonly string[], served: readonly string[]): void {
  const gives = served.map((o) => `'${o}'`).join(', ');
  if (wanted.length > served.length) {
    throw tensorError(`outputs names ${wanted.length} outputs; the model has ${served.length} (${gives}), each may be named once`);
  }
  const seen = new Set<string>();
  for (const name of wanted) {
    if (seen.has(name)) throw tensorError(`outputs names '${name.slice(0, 100)}' more than once; name each output at most once`);
    seen.add(name);
    if (!served.includes(name)) throw tensorError(`unknown output '${name.slice(0, 100)}'; the model gives ${gives}`);
  }
}

/** An upper bound of the encoded answer's bytes: JSON numbers for the outputs `asJson` names, raw bytes for the others. */
export function answerBound(outputs: readonly SizedOutput[], asJson: (name: string) => boolean, idLength: number): number {
  let bytes = ANSWER_OVERHEAD + idLength;
  for (const o of outputs) {
    const json = asJson(o.name);
    bytes += OUTPUT_OVERHEAD + o.name.length + o.rank * DIMENSION_BYTES;
    // BYTES: a 4-byte length per element raw; in JSON quotes, a comma and at worst \u00XX per byte.
    if (o.bytes !== undefined) bytes += json ? o.elements * 3 + o.bytes * 6 : o.elements * 4 + o.bytes;
    else bytes += o.elements * ((json ? JSON_CHARS : RAW_BYTES)[o.datatype] ?? 25);
  }
  return bytes;
}

/** Throws a 413 (RESOURCE_EXHAUSTED over gRPC) when an answer bounded at `bytes` would exceed `limit`. */
export function checkAnswerSize(bytes: number, limit: number, someJson: boolean): void {
  if (bytes <= limit) return;
  const hint = someJson ? '; binary outputs (parameters.binary_data_output) take less' : '';
  throw new AppError('PAYLOAD_TOO_LARGE', `the answer would take up to ${bytes} bytes, over the limit of ${limit} bytes; ask for fewer rows or outputs${hint}`);
}
