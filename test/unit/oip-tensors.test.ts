import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { ERROR_CODES, type ErrorCode } from '../../src/errors.js';
import { grpcStatusOf } from '../../src/grpc/status.js';
import { checkInputs, type InputTensor } from '../../src/inference/prediction/tensors-in.js';
import { toBytes } from '../../src/inference/prediction/tensors-out.js';

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
