/**
 * Pure tensor logic: packing feature objects into one Float32Array and
 * turning output tensors into predictions. No I/O, no ORT: unit-tested alone.
 */
import { float32Decimal } from './float32-decimal.js';
import type { ClassifierSpec } from '../serving/model-config.js';

export type Features = Record<string, number>;

/** The configured output of a model with named features: FP32, row-major (model-version.ts checks it at load). */
export interface FloatOutput {
  data: Float32Array;
  dims: readonly number[];
}

/** Packs rows row-major into one Float32Array in `names` order (no per-row allocations). */
export function packRows(rows: readonly Features[], names: readonly string[]): Float32Array {
  const width = names.length;
  const out = new Float32Array(rows.length * width);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const base = i * width;
    for (let j = 0; j < width; j++) out[base + j] = row[names[j]!]!;
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
  const probs = new Array<number>(labels.length);
  if (width === 1) {
    const p = data[row]!;
    probs[positiveIndex!] = p;
    // The complement in the model's own precision, so that it prints as a float32 too.
    probs[1 - positiveIndex!] = Math.fround(1 - p);
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
  for (let k = 0; k < labels.length; k++) probabilities[labels[k]!] = float32Decimal(probs[k]!);
  return {
    prediction: labels[best]!,
    probability: probabilities[labels[best]!]!,
    probabilities,
    confidence: confidenceOf(probs[best]!, spec.confidence),
  };
}
