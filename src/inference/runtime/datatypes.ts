/**
 * The datatypes of API.md §14 ("Datatypes") and their ORT element types:
 * every ONNX tensor element type onnxruntime-node can feed and fetch.
 */

/** ORT element types as KServe / Triton datatypes. */
export const DATATYPE_OF_ORT: Readonly<Record<string, string>> = {
  float32: 'FP32', float64: 'FP64', float16: 'FP16', int8: 'INT8', int16: 'INT16', int32: 'INT32',
  int64: 'INT64', uint8: 'UINT8', uint16: 'UINT16', uint32: 'UINT32', uint64: 'UINT64',
  bool: 'BOOL', string: 'BYTES',
};

/** KServe / Triton datatypes as ORT element types. */
export const ORT_TYPE_OF: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(DATATYPE_OF_ORT).map(([ort, dt]) => [dt, ort]),
);

/** Every datatype served. */
export const DATATYPES: ReadonlySet<string> = new Set(Object.values(DATATYPE_OF_ORT));

/** Bytes of one element in the binary forms (BYTES has none: each element carries its length). */
export const ELEMENT_BYTES: Readonly<Record<string, number>> = {
  BOOL: 1, UINT8: 1, INT8: 1, UINT16: 2, INT16: 2, FP16: 2, UINT32: 4, INT32: 4, FP32: 4, UINT64: 8, INT64: 8, FP64: 8,
};

/** The typed array a datatype's elements live in (BOOL: 0/1 bytes; FP16: raw halves). */
export const ARRAY_OF: Readonly<Record<string, new (n: number) => ArrayLike<number | bigint>>> = {
  BOOL: Uint8Array, UINT8: Uint8Array, INT8: Int8Array, UINT16: Uint16Array, INT16: Int16Array, FP16: Uint16Array,
  UINT32: Uint32Array, INT32: Int32Array, FP32: Float32Array, UINT64: BigUint64Array, INT64: BigInt64Array, FP64: Float64Array,
};
