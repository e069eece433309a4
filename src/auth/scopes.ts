/**
 * Scopes (API.md §7): `predict`, `models:read`, `models:write`, `admin`. A
 * token's scopes are the union of its `scope` (space-separated), `scopes`
 * and `permissions` claims (API.md §11); names the service does not know are
 * ignored rather than refused, so an identity provider may add its own.
 */
import type { Scope } from '../http/guard.js';

export const SCOPES: readonly Scope[] = ['predict', 'models:read', 'models:write', 'admin'];
const KNOWN = new Set<string>(SCOPES);

/** Scope names in one claim: a space-separated string or an array of strings. */
function namesIn(claim: unknown): string[] {
  if (typeof claim === 'string') return claim.split(/\s+/);
  if (Array.isArray(claim)) return claim.filter((s): s is string => typeof s === 'string').flatMap(namesIn);
  return [];
}

/** The known scopes granted by a JWT payload. */
export function scopesOf(payload: Record<string, unknown>): ReadonlySet<Scope> {
  const names = [payload.scope, payload.scopes, payload.permissions].flatMap(namesIn);
  return new Set(names.filter((n): n is Scope => KNOWN.has(n)));
}

/** Parses a list of scope names (API keys file, scripts); unknown names are returned in `unknown`. */
export function parseScopes(names: readonly string[]): { scopes: Scope[]; unknown: string[] } {
  const scopes = names.filter((n): n is Scope => KNOWN.has(n));
  return { scopes, unknown: names.filter((n) => !KNOWN.has(n)) };
}
