import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { ERROR_CODES, type ErrorCode } from '../../src/errors.js';
import { grpcStatusOf } from '../../src/grpc/status.js';
import { checkInputs, type InputTensor } from '../../src/inference/prediction/tensors-in.js';
import { toBytes, toJsonValues } from '../../src/inference/prediction/tensors-out.js';
import { AS_SENT } from '../../src/inference/runtime/model-runner.js';

const spec = { inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 2] }], batchable: true, maxRows: 3, finiteOnly: true };
const input = (data: { numbers: number[] } | { bytes: Uint8Array }, shape = [2, 2]) => ({ name: 'features', datatype: 'FP32', shape, data });
/** The one feed's values and the rows, as the former single-input check answered them. */
function checkInput(inputs: InputTensor[], s: typeof spec = spec) {
  const { feeds, rows } = checkInputs(inputs, s);
  return { values: feeds[0]!.data as Float32Array, rows };
}
const fp32 = (values: number[]) => toBytes({ datatype: 'FP32', data: new Float32Array(values) });

describe('checkInputs, one FP32 input', () => {
  it('packs numbers and raw little-endian bytes into the same float32 rows', () => {
    const numbers = [1.5, -2, 3.25, 1e-30];
    const a = checkInput([input({ numbers })], spec);
    const b = checkInput([input({ bytes: fp32(numbers) })], spec);
    assert.equal(a.rows, 2);
    assert.deepEqual(Array.from(a.values), Array.from(new Float32Array(numbers)));
    assert.deepEqual(b.values, a.values);
  });
  it('copies unaligned bytes', () => {
    const buf = Buffer.alloc(17);
    Buffer.from(new Float32Array([1, 2, 3, 4]).buffer).copy(buf, 1);
    assert.deepEqual(Array.from(checkInput([input({ bytes: buf.subarray(1) })], spec).values), [1, 2, 3, 4]);
  });
  it('refuses rows above the limit with BATCH_TOO_LARGE and other misfits with BAD_REQUEST', () => {
    assert.throws(() => checkInput([input({ numbers: new Array(8).fill(1) }, [4, 2])], spec), { code: 'BATCH_TOO_LARGE' });
    assert.throws(() => checkInput([input({ numbers: [1, 2, 3, -Infinity] })], spec), { code: 'BAD_REQUEST', message: /element 3 is -Infinity/ });
    assert.throws(() => checkInput([input({ numbers: [1, 2, 3, 4] }, [2, 2.5])], spec), { code: 'BAD_REQUEST', message: /shape/ });
    assert.throws(() => checkInput([input({ numbers: [1, 2, 3, 4] }), input({ numbers: [1, 2, 3, 4] })], spec), { message: /given 2 times/ });
    assert.throws(() => checkInput([], spec), { message: /missing input 'features'/ });
  });
});

describe('grpcStatusOf', () => {
  it('maps every error code of the catalog to the status of API.md §13', () => {
    const expected: Partial<Record<ErrorCode, status>> = {
      UNAUTHORIZED: status.UNAUTHENTICATED, FORBIDDEN: status.PERMISSION_DENIED, MODEL_NOT_FOUND: status.NOT_FOUND,
      BAD_REQUEST: status.INVALID_ARGUMENT, BATCH_TOO_LARGE: status.INVALID_ARGUMENT, MODEL_NOT_READY: status.UNAVAILABLE,
      SERVICE_UNAVAILABLE: status.UNAVAILABLE, SERVICE_OVERLOADED: status.UNAVAILABLE,
      RATE_LIMIT_EXCEEDED: status.RESOURCE_EXHAUSTED, INFERENCE_TIMEOUT: status.DEADLINE_EXCEEDED, INTERNAL_ERROR: status.INTERNAL,
    };
    for (const [code, want] of Object.entries(expected)) assert.equal(grpcStatusOf(code as ErrorCode), want, code);
    for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
      assert.notEqual(grpcStatusOf(code), status.OK, code);
      if (ERROR_CODES[code] >= 400 && ERROR_CODES[code] < 500 && code !== 'RATE_LIMIT_EXCEEDED') {
        assert.notEqual(grpcStatusOf(code), status.INTERNAL, `${code} is the caller's fault, not INTERNAL`);
      }
    }
  });
});

describe('checkInputs, any model (API.md §14)', () => {
  const two = {
    inputs: [{ name: 'ids', datatype: 'INT64', shape: [-1, -1] }, { name: 'mask', datatype: 'BOOL', shape: [-1, 3] }],
    batchable: true, maxRows: 4, finiteOnly: false,
  };
  const ids = (rows: number, cols = 3) => ({ name: 'ids', datatype: 'INT64', shape: [rows, cols], data: { numbers: new Array(rows * cols).fill(7) } });
  const mask = (rows: number) => ({ name: 'mask', datatype: 'BOOL', shape: [rows, 3], data: { numbers: new Array(rows * 3).fill(true) } });
  it('answers feeds in the model\'s input order, whatever the request\'s, with the rows they share', () => {
    const { feeds, rows } = checkInputs([mask(2), ids(2)], two);
    assert.equal(rows, 2);
    assert.deepEqual(feeds.map((f) => [f.datatype, f.dims, f.data.constructor.name]), [['INT64', [2, 3], 'BigInt64Array'], ['BOOL', [2, 3], 'Uint8Array']]);
  });
  it('runs inputs whose first dimensions differ as sent (AS_SENT), and a model that is not batchable too', () => {
    assert.equal(checkInputs([ids(1), mask(2)], two).rows, AS_SENT);
    assert.equal(checkInputs([ids(2), mask(2)], { ...two, batchable: false }).rows, AS_SENT);
    assert.doesNotThrow(() => checkInputs([ids(9), mask(9)], { ...two, batchable: false }), 'no row bound when not batchable');
  });
  it('refuses a missing input, and NaN only for a model with named features', () => {
    assert.throws(() => checkInputs([ids(1)], two), { message: /missing input 'mask'/ });
    const nan = [{ name: 'x', datatype: 'FP32', shape: [1], data: { numbers: [NaN] } }];
    const x = { inputs: [{ name: 'x', datatype: 'FP32', shape: [1] }], batchable: false, maxRows: 4, finiteOnly: false };
    assert.ok(Number.isNaN((checkInputs(nan, x).feeds[0]!.data as Float32Array)[0]));
    assert.throws(() => checkInputs(nan, { ...x, finiteOnly: true }), { message: /element 0 is NaN, expected a finite FP32 number/ });
  });
  it('takes FP16 as numbers, rounded to the nearest half, and refuses one beyond the half range', () => {
    const spec16 = { inputs: [{ name: 'h', datatype: 'FP16', shape: [2] }], batchable: false, maxRows: 4, finiteOnly: true };
    const { feeds } = checkInputs([{ name: 'h', datatype: 'FP16', shape: [2], data: { numbers: [1, 0.1] } }], spec16);
    assert.deepEqual([...(feeds[0]!.data as Uint16Array)], [0x3c00, 0x2e66]);
    assert.throws(() => checkInputs([{ name: 'h', datatype: 'FP16', shape: [2], data: { numbers: [1, 70000] } }], spec16), { message: /element 1 is 70000/ });
  });
});

describe('toJsonValues (API.md §14 JSON)', () => {
  it('answers BOOL as true/false, FP16 as numbers, 64-bit integers exactly, and refuses NaN', () => {
    assert.deepEqual(toJsonValues('b', { datatype: 'BOOL', data: new Uint8Array([1, 0]) }), [true, false]);
    assert.deepEqual(toJsonValues('h', { datatype: 'FP16', data: new Uint16Array([0x3c00, 0x2e66]) }), [1, 0.0999755859375]);
    assert.equal(JSON.stringify(toJsonValues('i', { datatype: 'INT64', data: new BigInt64Array([-5n, 2n ** 62n]) })), '[-5,4611686018427387904]');
    assert.throws(() => toJsonValues('y', { datatype: 'FP32', data: new Float32Array([1, NaN]) }), { code: 'INTERNAL_ERROR', message: /binary output/ });
  });
});
