/**
 * Outputs → answers (API.md §4, §14): a classifier's probabilities (FP32
 * [N, C], or [N, 1] / [N] p(positive) of a binary model) through the §4
 * rules, or a regression's prediction ([N] or [N, 1], any numeric datatype)
 * as a number. FP32 answers print as the shortest decimal of their float32
 * (float32-decimal.ts), as the shipped models always have.
 */
import { halvesToNumbers } from '../runtime/half.js';
import type { TensorValue } from '../runtime/model-runner.js';
import { float32Decimal } from './float32-decimal.js';
import { classificationOf, type PredictPlan } from './predict-plan.js';
import { classify, outputWidth, type Classification, type FloatOutput } from './tensor.js';

/** A regression row's answer. */
export interface Regression {
  prediction: number;
}

/** An output's elements as numbers: FP16 halves read as their values (exact in float32), 64-bit integers as Numbers. */
export function numbersOf(output: TensorValue): FloatOutput['data'] | number[] {
  const data = output.data;
  if (output.datatype === 'FP16') return Float32Array.from(halvesToNumbers(data as Uint16Array));
  if (data instanceof Float32Array || data instanceof Float64Array) return data;
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return Array.from(data, Number);
  return Array.from(data as ArrayLike<number>);
}

/** Reads an output of `rows` rows: how to answer row i, and the score an explanation compares (the answer's own number). */
export interface OutputReader {
  answer(i: number, threshold?: number): Classification | Regression;
  /** Row i's probability of label `label` (classifier) or its prediction (regression), unrounded. */
  score(i: number, label: number): number;
}

/** A reader over the answering output of one run of `rows` rows. */
export function readOutput(plan: PredictPlan, outputs: readonly TensorValue[], rows: number): OutputReader {
  const output = outputs[plan.outputIndex]!;
  const width = outputWidth(output, rows);
  const values = numbersOf(output);
  const spec = classificationOf(plan);
  if (plan.task === 'classification' && spec) {
    const probabilities = { data: values as FloatOutput['data'], dims: output.dims };
    const double = values instanceof Float64Array;
    return {
      answer: (i, threshold) => classify(probabilities, i, width, spec, threshold),
      score(i, label) {
        if (width !== 1) return values[i * width + label]!;
        const p = values[i]!;
        return label === spec.positiveIndex ? p : double ? 1 - p : Math.fround(1 - p);
      },
    };
  }
  if (width !== 1) throw new Error(`the prediction output has ${width} columns per row, expected 1`);
  // FP32 and FP16 print as float32; FP64 and integers as they are.
  const print = output.datatype === 'FP32' || output.datatype === 'FP16' ? float32Decimal : (x: number) => x;
  return {
    answer: (i) => ({ prediction: print(values[i]!) }),
    score: (i) => values[i]!,
  };
}
