/**
 * A tensor datatype as a feature's JSON Schema (API.md §14 "Named features,
 * derived"): BYTES → string of at most 1024 code points, BOOL → boolean,
 * integers → integer within the type's range, FP → number (ajv's
 * strictNumbers keeps it finite). The 64-bit ranges are clamped to
 * ±Number.MAX_SAFE_INTEGER: a JSON number beyond that is not exact.
 */

export type FeatureType = 'number' | 'integer' | 'string' | 'boolean';

/** The longest string feature, in code points (ajv counts code points). */
export const MAX_STRING_LENGTH = 1024;

const SAFE = Number.MAX_SAFE_INTEGER;
const INTEGER_RANGES: Record<string, readonly [number, number]> = {
  INT8: [-128, 127], INT16: [-32768, 32767], INT32: [-2147483648, 2147483647], INT64: [-SAFE, SAFE],
  UINT8: [0, 255], UINT16: [0, 65535], UINT32: [0, 4294967295], UINT64: [0, SAFE],
};
const FLOATS = new Set(['FP16', 'FP32', 'FP64']);

/** The feature type that fits a datatype; undefined for one a feature cannot carry. */
export function featureTypeOf(datatype: string): FeatureType | undefined {
  if (datatype === 'BYTES') return 'string';
  if (datatype === 'BOOL') return 'boolean';
  if (datatype in INTEGER_RANGES) return 'integer';
  return FLOATS.has(datatype) ? 'number' : undefined;
}

/** Can a feature declared `type` (model.json) be fed to a tensor of `datatype`? An integer fits a float. */
export function typeFits(type: FeatureType, datatype: string): boolean {
  const own = featureTypeOf(datatype);
  return own === type || (own === 'number' && type === 'integer');
}

/** The schema keywords that keep a value feedable to `datatype`, beside its `type`. */
export function datatypeGuards(datatype: string): { minimum?: number; maximum?: number; maxLength?: number } {
  if (datatype === 'BYTES') return { maxLength: MAX_STRING_LENGTH };
  const range = INTEGER_RANGES[datatype];
  return range ? { minimum: range[0], maximum: range[1] } : {};
}

/** The baseline of a feature the graph says nothing about: 0, '' or false (API.md §14 "Baselines"). */
export function neutralBaseline(type: FeatureType): number | string | boolean {
  return type === 'string' ? '' : type === 'boolean' ? false : 0;
}
