/**
 * Request bodies for the benchmark, written to files the load generator
 * reads. Single predictions are all different (fixed-seed features inside
 * each feature's range), so that no prediction cache can answer them.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../lib/random.js';
import { heavyFeatures } from './make-heavy-model.js';

/** Distinct single-prediction bodies per file (prime, above any default cache size). */
export const DISTINCT_BODIES = 10_007;

function loanFeatures(rng: Rng): Record<string, number> {
  return {
    age: rng.int(18, 90),
    income: Math.round(rng.range(8_000, 300_000)),
    credit_score: rng.int(300, 850),
    employment_years: Math.round(rng.range(0, 45) * 10) / 10,
    loan_amount: Math.round(rng.range(500, 200_000)),
  };
}

/** Writes `name`.json (a JSON array of body strings) under `dir`; returns its path. */
function write(dir: string, name: string, bodies: string[]): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify(bodies));
  return path;
}

/** /predict bodies for a loan-approval-shaped model. */
export function loanPredictBodies(dir: string, model: string): string {
  const rng = new Rng(1);
  const bodies = Array.from({ length: DISTINCT_BODIES }, () => JSON.stringify({ model, features: loanFeatures(rng) }));
  return write(dir, `predict-${model}`, bodies);
}

/** /predict/batch bodies of `rows` instances each (8 different batches, cycled). */
export function loanBatchBodies(dir: string, model: string, rows: number): string {
  const rng = new Rng(2);
  const bodies = Array.from({ length: 8 }, () =>
    JSON.stringify({ model, instances: Array.from({ length: rows }, () => loanFeatures(rng)) }));
  return write(dir, `batch-${model}-${rows}`, bodies);
}

/** /predict bodies for the heavy benchmark fixture. */
export function heavyPredictBodies(dir: string, model: string): string {
  const bodies = Array.from({ length: DISTINCT_BODIES }, (_, i) => JSON.stringify({ model, features: heavyFeatures(i + 1) }));
  return write(dir, `predict-${model}`, bodies);
}

/** OIP infer bodies in JSON, one row each (distinct), for /v2/models/{model}/infer. */
export function oipPredictBodies(dir: string, model: string): string {
  const rng = new Rng(1);
  const bodies = Array.from({ length: DISTINCT_BODIES }, () => JSON.stringify({
    inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 5], data: Object.values(loanFeatures(rng)) }],
  }));
  return write(dir, `oip-predict-${model}`, bodies);
}

/** `rows`-row loan tensors as float32, 8 different ones (the same rows as loanBatchBodies). */
export function loanTensors(rows: number): Float32Array[] {
  const rng = new Rng(2);
  return Array.from({ length: 8 }, () => Float32Array.from(
    Array.from({ length: rows }, () => Object.values(loanFeatures(rng))).flat(),
  ));
}

/**
 * OIP binary infer bodies (Triton's binary tensor format, base64 in the
 * file): the same JSON header for all, so one Inference-Header-Content-Length.
 */
export function oipBinaryBodies(dir: string, rows: number): { file: string; headerLength: number } {
  const header = Buffer.from(JSON.stringify({
    inputs: [{ name: 'features', datatype: 'FP32', shape: [rows, 5], parameters: { binary_data_size: rows * 5 * 4 } }],
    parameters: { binary_data_output: true },
  }));
  const bodies = loanTensors(rows).map((t) => Buffer.concat([header, Buffer.from(t.buffer)]).toString('base64'));
  return { file: write(dir, `oip-binary-${rows}`, bodies), headerLength: header.length };
}
