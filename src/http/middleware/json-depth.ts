/**
 * A bound on how deeply a JSON request body may nest (issue 3 "limits"):
 * JSON.parse copes with any depth, but recursive code after it (JSON
 * serialisation for records, caches and webhooks; value truncation) would
 * overflow the stack on a body like `[[[[…]]]]`. No request body of this API
 * nests beyond a handful of levels, so anything deeper than MAX_JSON_DEPTH is
 * refused before parsing, with a 400 INVALID_JSON.
 */
export const MAX_JSON_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b; // [
const OPEN_OBJECT = 0x7b; // {
const CLOSE_ARRAY = 0x5d; // ]
const CLOSE_OBJECT = 0x7d; // }

/**
 * Whether the JSON text in `bytes` nests arrays/objects deeper than `max`.
 * One linear pass over the bytes (brackets inside strings do not count);
 * UTF-8 multi-byte sequences never contain these ASCII bytes.
 */
export function nestsDeeperThan(bytes: Uint8Array, max: number = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > max) return true;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      depth--;
    }
  }
  return false;
}
