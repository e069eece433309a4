/**
 * Turns ajv errors into the contract's validation details (API.md §11):
 * `field` is a JSON Pointer to the problem (the missing or unknown property
 * itself), `received` the offending value, truncated.
 */
import type { ErrorObject } from 'ajv';
import type { ErrorDetail } from '../errors.js';

/** At most this many details in one 422 (the total goes in the message). */
export const MAX_DETAILS = 100;

const MAX_DEPTH = 3;
const MAX_MEMBERS = 20;
const MAX_STRING = 200;

/** Escapes one JSON Pointer reference token (RFC 6901). */
export const pointerToken = (key: string | number): string =>
  String(key).replaceAll('~', '~0').replaceAll('/', '~1');

/** A bounded copy of a received value: 3 levels, 20 members, 200 characters. */
export function truncate(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.length > MAX_STRING ? value.slice(0, MAX_STRING) : value;
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return Array.isArray(value) ? '[…]' : '{…}';
  if (Array.isArray(value)) return value.slice(0, MAX_MEMBERS).map((v) => truncate(v, depth + 1));
  const out: Record<string, unknown> = {};
  let n = 0;
  for (const key of Object.keys(value)) {
    if (n++ >= MAX_MEMBERS) break;
    // defineProperty, so that a key named __proto__ stays an ordinary member.
    Object.defineProperty(out, key, {
      value: truncate((value as Record<string, unknown>)[key], depth + 1),
      enumerable: true, writable: true, configurable: true,
    });
  }
  return out;
}

/** One ajv error as a contract detail, with `prefix` (a JSON Pointer) in front of its path. */
export function toDetail(error: ErrorObject, prefix = ''): ErrorDetail {
  const path = prefix + error.instancePath;
  switch (error.keyword) {
    case 'required': {
      const missing = (error.params as { missingProperty: string }).missingProperty;
      return { field: `${path}/${pointerToken(missing)}`, message: 'is required' };
    }
    case 'additionalProperties': {
      const extra = (error.params as { additionalProperty: string }).additionalProperty;
      const parent = error.data as Record<string, unknown>;
      return {
        field: `${path}/${pointerToken(extra)}`,
        message: 'is not an allowed property',
        received: truncate(Object.getOwnPropertyDescriptor(parent, extra)?.value),
      };
    }
    default:
      return { field: path, message: error.message ?? 'is invalid', received: truncate(error.data) };
  }
}

/**
 * Collects details from several validations, keeping at most MAX_DETAILS
 * but counting all of them.
 */
export class DetailCollector {
  readonly details: ErrorDetail[] = [];
  total = 0;

  add(detail: ErrorDetail): void {
    this.total++;
    if (this.details.length < MAX_DETAILS) this.details.push(detail);
  }

  addAjv(errors: readonly ErrorObject[] | null | undefined, prefix = ''): void {
    if (!errors) return;
    for (const error of errors) {
      // A failed `if` only says its `then` failed; that error is already listed.
      if (error.keyword === 'if') continue;
      this.add(toDetail(error, prefix));
    }
  }

  get empty(): boolean {
    return this.total === 0;
  }
}
