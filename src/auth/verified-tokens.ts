/**
 * Tokens already verified, so that a client sending the same bearer token on
 * every request pays for its signature check once, not per request (issue 4
 * "nothing per request that could be done once"; measured: about 20 µs of
 * ~190 µs per prediction, docs/performance.md).
 *
 * What makes this sound: the key is the whole token string (signature
 * included), and verification of a given token with the service's keys,
 * algorithms, issuer and audience (all fixed at start) gives the same answer
 * every time, except for the time-based claims. Those are checked again on
 * every hit, with jsonwebtoken's rules and the same clock tolerance: past
 * `exp` or before `nbf`, the entry is dropped and the token goes through the
 * full check again (which refuses it with the right message). Only successes
 * are kept; the cache is bounded (least recently used goes first).
 */
import { LRUCache } from 'lru-cache';
import type { Caller } from './caller.js';

interface Entry {
  caller: Caller;
  /** `exp` and `nbf` claims, in seconds since the epoch. */
  exp: number;
  nbf: number | undefined;
}

export const VERIFIED_TOKENS_MAX = 10_000;

export class VerifiedTokens {
  private readonly cache: LRUCache<string, Entry>;

  constructor(
    private readonly toleranceS: number,
    max = VERIFIED_TOKENS_MAX,
    private readonly now: () => number = Date.now,
  ) {
    this.cache = new LRUCache<string, Entry>({ max });
  }

  /** The caller a token proved before, if it is still inside its validity window. */
  get(token: string): Caller | undefined {
    const entry = this.cache.get(token);
    if (!entry) return undefined;
    const nowS = Math.floor(this.now() / 1000);
    // jsonwebtoken: expired when now >= exp + tolerance; not yet valid when nbf > now + tolerance.
    if (nowS >= entry.exp + this.toleranceS || (entry.nbf !== undefined && entry.nbf > nowS + this.toleranceS)) {
      this.cache.delete(token);
      return undefined;
    }
    return entry.caller;
  }

  /** Remembers a token that was just verified, with its time claims. */
  set(token: string, caller: Caller, exp: number, nbf: unknown): void {
    this.cache.set(token, { caller, exp, nbf: typeof nbf === 'number' ? nbf : undefined });
  }

  get size(): number {
    return this.cache.size;
  }
}
