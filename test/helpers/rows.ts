/** Deterministic input rows shared by the tests that compare runs. */

/** Fixed-seed rows inside each feature's realistic range, packed row-major. */
export function seededRows(ranges: number[][], n: number, seed = 7): Float32Array {
  const out = new Float32Array(n * ranges.length);
  for (let i = 0; i < out.length; i++) {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    const [lo, hi] = ranges[i % ranges.length]!;
    out[i] = lo! + (seed / 2 ** 32) * (hi! - lo!);
  }
  return out;
}

/** The shipped model versions with their probability/prediction output and realistic feature ranges. */
export const SHIPPED_RANGES: Array<[string, string, number[][]]> = [
  ['loan-approval/2', 'probabilities', [[18, 90], [5000, 300000], [300, 850], [0, 45], [500, 200000]]],
  ['iris/1', 'probabilities', [[4, 8], [2, 4.5], [1, 7], [0.1, 2.5]]],
  ['house-price/1', 'prediction', [[20, 1000], [0, 20], [0, 200], [0, 100]]],
];

/** Deterministic varied loan applicants. */
export function applicants(n: number) {
  return Array.from({ length: n }, (_, i) => ({
    age: 18 + (i * 7) % 60,
    income: 15000 + (i * 7919) % 150000,
    credit_score: 300 + (i * 37) % 551,
    employment_years: (i * 3) % 40,
    loan_amount: 1000 + (i * 4409) % 90000,
  }));
}

/** Rows packed row-major as the one FP32 [N, F] feed of a runner. */
export const fp32Feed = (values: Float32Array, rows: number) =>
  [{ datatype: 'FP32', dims: [rows, values.length / rows], data: values }];
