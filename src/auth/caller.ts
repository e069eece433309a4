/**
 * Who is calling: set by authentication on res.locals.caller, read by
 * anything that owns data per caller (prediction records, jobs) and by rate
 * limits. Owner ids are namespaced by credential kind (API.md §11):
 * `sub:<jwt subject>` or `key:<api key id>`.
 */
import type { Response } from 'express';
import type { Scope } from '../http/guard.js';

export interface Caller {
  /** `sub:<sub>` or `key:<id>`; `anonymous` only when no authentication is configured at all. */
  id: string;
  scopes: ReadonlySet<Scope>;
}

const ANONYMOUS: Caller = Object.freeze({ id: 'anonymous', scopes: new Set<Scope>(['admin']) });

/** The caller of this request (set by the guard); anonymous when the route is open. */
export function callerOf(res: Response): Caller {
  return (res.locals as { caller?: Caller }).caller ?? ANONYMOUS;
}

/** Whether the caller holds `scope` (admin holds every scope). */
export function hasScope(caller: Caller, scope: Scope): boolean {
  return caller.scopes.has('admin') || caller.scopes.has(scope);
}
