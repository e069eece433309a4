/**
 * Features → feeds, in one place (API.md §14 "Named features, derived"):
 * rows of features become one tensor per graph input, of that input's
 * datatype — a per-column input [N, 1] or [N] (the skl2onnx layout), or the
 * one [N, F] matrix. BYTES are strings, BOOL 0/1 bytes, 64-bit integers
 * BigInts, FP16 raw halves. The rows were checked against the feature schema
 * first, so every value fits its datatype.
 */
import { halfView } from '../runtime/half.js';
import { ARRAY_OF } from '../runtime/datatypes.js';
import type { TensorData, TensorValue } from '../runtime/model-runner.js';
import type { FeedSpec, PredictPlan } from './predict-plan.js';
import { packRows, type Features, type FeatureValue } from './tensor.js';

type Element = number | bigint | string;
/** Any tensor's elements, written one by one (a typed array, a half view or a string[]). */
type Writable = { [i: number]: Element; length: number };

const asNumber = (v: FeatureValue) => v as number;
const asBigInt = (v: FeatureValue) => BigInt(v as number);
const asBit = (v: FeatureValue) => (v ? 1 : 0);
const asString = (v: FeatureValue) => v as string;

/** How a JSON value becomes an element of `datatype` (integers arrive integral: `35.0` is 35, `-0` is 0). */
function converter(datatype: string): (v: FeatureValue) => Element {
  if (datatype === 'BYTES') return asString;
  if (datatype === 'BOOL') return asBit;
  if (datatype === 'INT64' || datatype === 'UINT64') return asBigInt;
  return asNumber;
}

/** A new tensor's elements for `length` values of `datatype`, and the view they are written through. */
function allocate(datatype: string, length: number): { data: TensorData; view: Writable } {
  if (datatype === 'BYTES') {
    const strings = new Array<string>(length);
    return { data: strings, view: strings as Writable };
  }
  const data = new ARRAY_OF[datatype]!(length) as TensorData;
  return { data, view: (datatype === 'FP16' ? halfView(data as Uint16Array) : data) as Writable };
}

const dimsOf = (spec: FeedSpec, rows: number) => (spec.rank === 1 ? [rows] : [rows, spec.features.length]);

/** One feed per graph input for `rows`, in feed order. */
export function encodeRows(plan: PredictPlan, rows: readonly Features[]): TensorValue[] {
  return plan.feeds.map((spec) => {
    const keys = spec.features.map((j) => plan.keys[j]!);
    // Today's path for every FP32 matrix (the shipped models): one Float32Array, no per-row allocations.
    if (spec.datatype === 'FP32') return { datatype: 'FP32', dims: dimsOf(spec, rows.length), data: packRows(rows, keys) };
    const width = keys.length;
    const { data, view } = allocate(spec.datatype, rows.length * width);
    const convert = converter(spec.datatype);
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r] as Record<string | number, FeatureValue>;
      for (let c = 0; c < width; c++) view[r * width + c] = convert(row[keys[c]!]!);
    }
    return { datatype: spec.datatype, dims: dimsOf(spec, rows.length), data };
  });
}

/** Rows [start, start + n) of feeds made by encodeRows (no copy for numeric tensors). */
export function sliceFeeds(feeds: readonly TensorValue[], start: number, n: number): TensorValue[] {
  return feeds.map((feed) => {
    if (start === 0 && n === feed.dims[0]) return feed;
    const width = feed.dims.length === 1 ? 1 : feed.dims[1]!;
    const data = Array.isArray(feed.data)
      ? feed.data.slice(start * width, (start + n) * width)
      : (feed.data as Float32Array).subarray(start * width, (start + n) * width);
    return { datatype: feed.datatype, dims: feed.dims.length === 1 ? [n] : [n, width], data };
  });
}

const baselineFeeds = new WeakMap<PredictPlan, TensorValue[]>();

/** The baselines as one encoded row, per feed (made once per plan). */
function baselinesOf(plan: PredictPlan): TensorValue[] {
  let feeds = baselineFeeds.get(plan);
  if (!feeds) {
    const row: Record<string | number, FeatureValue> = {};
    plan.keys.forEach((key, j) => (row[key] = plan.baselines[j]!));
    feeds = encodeRows(plan, [row]);
    baselineFeeds.set(plan, feeds);
  }
  return feeds;
}

/**
 * The occluded copies of every row (explanations, API.md §5): row r with
 * feature i replaced by its baseline is row r * F + i, for F features. Works
 * on encoded elements, so strings, booleans and every datatype are copied
 * as they were fed.
 */
export function occludedFeeds(plan: PredictPlan, feeds: readonly TensorValue[]): TensorValue[] {
  const f = plan.features.length;
  const baselines = baselinesOf(plan);
  return feeds.map((feed, p) => {
    const spec = plan.feeds[p]!;
    const width = spec.features.length;
    const rows = feed.dims[0]!;
    const src = feed.data as unknown as ArrayLike<Element>;
    const base = baselines[p]!.data as unknown as ArrayLike<Element>;
    const out = (Array.isArray(feed.data) ? new Array<string>(rows * f * width) : new (feed.data.constructor as new (n: number) => TensorData)(rows * f * width)) as unknown as Writable;
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < f; i++) {
        const at = (r * f + i) * width;
        for (let c = 0; c < width; c++) out[at + c] = spec.features[c] === i ? base[c]! : src[r * width + c]!;
      }
    }
    return { datatype: feed.datatype, dims: feed.dims.length === 1 ? [rows * f] : [rows * f, width], data: out as unknown as TensorData };
  });
}
