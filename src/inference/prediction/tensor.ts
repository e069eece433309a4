/**
 * Pure tensor logic: packing feature rows into one Float32Array and
 * turning output tensors into predictions. No I/O, no ORT: unit-tested alone.
 */
import { float32Decimal } from './float32-decimal.js';
import type { ClassifierSpec } from '../serving/model-config.js';

/** One feature's value as JSON carries it (API.md §14: BYTES → string, BOOL → boolean, numbers). */
export type FeatureValue = number | string | boolean;

/**
 * One row of features as sent: an object by name, or, for a matrix model
 * without names, an array of F values in column order (API.md §14).
 */
export type Features = Readonly<Record<string, FeatureValue>> | readonly FeatureValue[];

/** A probabilities output, row-major: FP32 as ORT gives it, FP64, or FP16 read as numbers. */
export interface FloatOutput {
  data: Float32Array | Float64Array;
  dims: readonly number[];
}

/**
 * Packs rows row-major into one Float32Array in `keys` order (names, or
 * column indices for an array row), with no per-row allocations: the path of
 * every FP32 matrix model, the shipped ones included.
 */
export function packRows(rows: readonly Features[], keys: readonly (string | number)[]): Float32Array {
  const width = keys.length;
  const out = new Float32Array(rows.length * width);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as Record<string | number, number>;
    const base = i * width;
    for (let j = 0; j < width; j++) out[base + j] = row[keys[j]!]!;
  }
  return out;
}

/**
 * Columns per row of an output tensor of `rows` rows: [rows, k] gives k,
 * [rows] gives 1. Throws when the tensor does not hold `rows` rows.
 */
export function outputWidth(output: { data: ArrayLike<unknown>; dims: readonly number[] }, rows: number): number {
  const { dims, data } = output;
  if (dims[0] !== rows || data.length % rows !== 0) {
    throw new Error(`output of shape [${dims.join(', ')}] does not hold ${rows} rows`);
  }
  return data.length / rows;
}

export type Confidence = 'high' | 'medium' | 'low';

export interface Classification {
  prediction: string;
  probability: number;
  probabilities: Record<string, number>;
  confidence: Confidence;
}

export function confidenceOf(p: number, cut: { high: number; medium: number }): Confidence {
  return p >= cut.high ? 'high' : p >= cut.medium ? 'medium' : 'low';
}

/**
 * Reads row `row` of a classifier's probability output. `width` is the label
 * count, or 1 for a binary model whose output is p(positive label).
 */
export function classify(
  output: FloatOutput,
  row: number,
  width: number,
  spec: ClassifierSpec,
  threshold = spec.threshold,
): Classification {
  const { labels, positiveIndex } = spec;
  const data = output.data;
  // An FP64 output keeps its doubles; FP32 (and FP16, exact in float32) print as float32 (float32-decimal.ts).
  const double = data instanceof Float64Array;
  const probs = new Array<number>(labels.length);
  if (width === 1) {
    const p = data[row]!;
    probs[positiveIndex!] = p;
    // The complement in the model's own precision, so that it prints as a float32 too.
    probs[1 - positiveIndex!] = double ? 1 - p : Math.fround(1 - p);
  } else {
    for (let k = 0; k < labels.length; k++) probs[k] = data[row * width + k]!;
  }
  let best: number;
  if (positiveIndex !== undefined) {
    best = probs[positiveIndex]! >= threshold ? positiveIndex : 1 - positiveIndex;
  } else {
    best = 0;
    for (let k = 1; k < probs.length; k++) if (probs[k]! > probs[best]!) best = k;
  }
  // Decisions on the exact float32 values; answers in their shortest decimals
  // (each reads back as the same float32: float32-decimal.ts).
  const probabilities: Record<string, number> = {};
  for (let k = 0; k < labels.length; k++) probabilities[labels[k]!] = double ? probs[k]! : float32Decimal(probs[k]!);
  return {
    prediction: labels[best]!,
    probability: probabilities[labels[best]!]!,
    probabilities,
    confidence: confidenceOf(probs[best]!, spec.confidence),
  };
}
