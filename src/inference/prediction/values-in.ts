/**
 * Tensor elements sent as values (JSON `data`, gRPC typed contents) into the
 * runner's arrays, each checked against its datatype (API.md §14
 * "Datatypes", "Values"): integers integral and in range, BOOL true/false,
 * BYTES strings (or bytes from gRPC), floats within range and, for a model
 * with named features, finite.
 */
import { AppError } from '../../errors.js';
import { FP16_MAX, halfView } from '../runtime/half.js';
import type { TensorData } from '../runtime/model-runner.js';
import { utf8Element } from './bytes-elements.js';

/** The largest finite float32. */
const FP32_MAX = 3.4028234663852886e38;

/** The integer range of each integer datatype but the 64-bit ones. */
const INT_RANGE: Readonly<Record<string, readonly [number, number, new (n: number) => Int32Array]>> = {
  INT8: [-128, 127, Int8Array as never], INT16: [-32768, 32767, Int16Array as never], INT32: [-2147483648, 2147483647, Int32Array],
  UINT8: [0, 255, Uint8Array as never], UINT16: [0, 65535, Uint16Array as never], UINT32: [0, 4294967295, Uint32Array as never],
};

const INT64_RANGE = { INT64: [-(2n ** 63n), 2n ** 63n - 1n], UINT64: [0n, 2n ** 64n - 1n] } as const;

function describe(x: unknown): string {
  if (typeof x === 'number' || typeof x === 'bigint') return String(x);
  if (typeof x === 'string') return 'a string';
  if (typeof x === 'boolean') return String(x);
  return x === null ? 'null' : Array.isArray(x) ? 'an array' : typeof x;
}

/** Checks and converts `values` (count already checked) into the array of `datatype`. */
export function decodeValues(values: ArrayLike<unknown>, datatype: string, name: string, finiteOnly: boolean): TensorData {
  const bad = (i: number, expected: string) =>
    new AppError('BAD_REQUEST', `input '${name}' element ${i} is ${describe(values[i])}, expected ${expected}`);
  const n = values.length;
  switch (datatype) {
    case 'FP32':
    case 'FP64':
    case 'FP16': {
      const max = datatype === 'FP32' ? FP32_MAX : datatype === 'FP16' ? FP16_MAX : Number.MAX_VALUE;
      const out = datatype === 'FP64' ? new Float64Array(n) : datatype === 'FP32' ? new Float32Array(n) : new Uint16Array(n);
      const target = datatype === 'FP16' ? halfView(out as Uint16Array) : (out as Float32Array);
      for (let i = 0; i < n; i++) {
        const x = values[i];
        // A finite number beyond the datatype's range would become ±Infinity.
        if (typeof x !== 'number' || (Number.isFinite(x) ? Math.abs(x) > max : finiteOnly)) {
          throw bad(i, `a ${finiteOnly ? 'finite ' : ''}${datatype} number`);
        }
        target[i] = x;
      }
      return out;
    }
    case 'INT64':
    case 'UINT64': {
      const [lo, hi] = INT64_RANGE[datatype];
      const out = datatype === 'INT64' ? new BigInt64Array(n) : new BigUint64Array(n);
      for (let i = 0; i < n; i++) {
        const x = values[i];
        // JSON numbers beyond ±2^53 are not exact once parsed: refused rather than rounded.
        let v: bigint;
        if (typeof x === 'bigint') v = x;
        else if (typeof x === 'number' && Number.isSafeInteger(x)) v = BigInt(x);
        else throw bad(i, `an ${datatype} integer (beyond ±2^53 JSON is not exact: send binary data)`);
        if (v < lo || v > hi) throw bad(i, `an integer within the range of ${datatype}`);
        out[i] = v;
      }
      return out;
    }
    case 'BOOL': {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        const x = values[i];
        if (typeof x !== 'boolean') throw bad(i, 'true or false (BOOL)');
        out[i] = x ? 1 : 0;
      }
      return out;
    }
    case 'BYTES': {
      const out = new Array<string>(n);
      for (let i = 0; i < n; i++) {
        const x = values[i];
        if (typeof x === 'string') out[i] = x;
        else if (x instanceof Uint8Array) out[i] = utf8Element(x, name, i);
        else throw bad(i, 'a string (BYTES)');
      }
      return out;
    }
    default: {
      const range = INT_RANGE[datatype];
      if (!range) throw new AppError('BAD_REQUEST', `input '${name}' has datatype ${datatype}, which is not served`);
      const [lo, hi, Ctor] = range;
      const out = new Ctor(n);
      for (let i = 0; i < n; i++) {
        const x = values[i];
        if (typeof x !== 'number' || !Number.isInteger(x) || x < lo || x > hi) throw bad(i, `an integer within the range of ${datatype}`);
        out[i] = x;
      }
      return out;
    }
  }
}
