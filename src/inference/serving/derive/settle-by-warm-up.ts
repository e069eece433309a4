/**
 * What only a run can tell (API.md §14 "Readiness of a derived model",
 * "Shapes and batching"): the warm-up feeds zero-filled inputs (empty strings
 * for BYTES) with the first dynamic dimension 2 and every other dynamic
 * dimension 1; the shapes it answers decide batchability and whether an
 * output declared [1] is really [N] (a regression).
 */
import type { ServingConfig } from './serving-config.js';

/** A warm-up input: its name, datatype and the shape to fill with zeros ('' for BYTES). */
export interface WarmUpFeed {
  name: string;
  datatype: string;
  shape: number[];
}

/** The shapes of the warm-up run's inputs. */
export function warmUpFeeds(config: ServingConfig): WarmUpFeed[] {
  return config.inputs.map((input) => {
    let first = true;
    const shape = input.shape.map((d) => {
      if (d !== -1) return d;
      const size = first ? 2 : 1;
      first = false;
      return size;
    });
    return { name: input.name, datatype: input.datatype, shape };
  });
}

/** The configuration as the warm-up run completes it; a `reason` when the run contradicts it. */
export type Settled = { config: ServingConfig } | { reason: string };

/**
 * Completes the configuration with the warm-up run's output shapes (by output
 * name), or with `undefined` when the run failed: nothing is then batchable,
 * and no output declared [1] becomes a regression.
 */
export function settleByWarmUp(config: ServingConfig, shapes: ReadonlyMap<string, readonly number[]> | undefined): Settled {
  const rows = (name: string) => shapes?.get(name)?.[0];
  const width = (name: string) => {
    const s = shapes?.get(name);
    return s === undefined ? undefined : s.slice(1).reduce((a, b) => a * b, 1);
  };
  // Fed 2 rows (every input's first dimension dynamic), did every output answer 2 rows?
  const twoRows = shapes !== undefined && config.inputs.length > 0 && config.inputs.every((i) => i.shape[0] === -1) &&
    config.outputs.every((o) => rows(o.name) === 2);
  const batchable = config.batchCandidate && twoRows;
  let settled: ServingConfig = config;
  const candidate = config.regressionCandidate;
  if (candidate !== undefined && twoRows && width(candidate) === 1) {
    const { regressionCandidate: _, ...rest } = config;
    settled = { ...rest, task: 'regression', prediction: candidate };
  }
  const c = settled.classification;
  if (c && shapes) {
    const w = width(c.probabilities);
    if (w !== undefined && w !== c.labels.length && !(w === 1 && c.labels.length === 2)) {
      return { reason: `output '${c.probabilities}' has ${w} columns per row, expected ${c.labels.length} (one per label)` };
    }
  }
  if (settled.task === 'regression' && shapes && width(settled.prediction!) !== undefined && width(settled.prediction!) !== 1) {
    return { reason: `output '${settled.prediction}' has ${width(settled.prediction!)} columns per row, expected 1` };
  }
  return { config: { ...settled, batchable, answersRows: twoRows } };
}
