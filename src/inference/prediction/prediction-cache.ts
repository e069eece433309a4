/**
 * The in-process cache of identical single predictions (API.md §5, §11): an
 * LRU of CACHE_SIZE entries living CACHE_TTL_S seconds; 0 for either turns it
 * off. The key holds the model version, the features in the model's order
 * and the options that change an answer, so a new version never answers from
 * an old one's entries; a model's entries are also dropped whenever the model
 * changes (a replaced file keeps its version string).
 */
import { LRUCache } from 'lru-cache';
import type { ModelVersion } from '../serving/model-version.js';
import type { Features } from './tensor.js';

/** The explanation length when options.top_k is not given (API.md §4). */
export const DEFAULT_TOP_K = 3;

export interface CacheSettings {
  /** Entries (CACHE_SIZE); 0 turns the cache off. */
  size: number;
  /** Seconds an entry lives (CACHE_TTL_S); 0 turns the cache off. */
  ttlS: number;
}

/** The options that change an answer. */
export interface CacheKeyOptions {
  explain?: boolean;
  threshold?: number;
  top_k?: number;
}

/** Told of every lookup (the Prometheus counters). */
export interface CacheObserver {
  hit(): void;
  miss(): void;
}

export class PredictionCache<V extends object = object> {
  /** Lookups answered from the cache (read by the metrics). */
  hits = 0;
  /** Lookups that had to run the model, including every lookup while the cache is off. */
  misses = 0;
  private readonly lru: LRUCache<string, V> | undefined;

  constructor(
    settings: CacheSettings,
    private readonly observer?: CacheObserver,
  ) {
    if (settings.size > 0 && settings.ttlS > 0) {
      this.lru = new LRUCache<string, V>({ max: settings.size, ttl: settings.ttlS * 1000 });
    }
  }

  get enabled(): boolean {
    return this.lru !== undefined;
  }

  get size(): number {
    return this.lru?.size ?? 0;
  }

  /**
   * The key of a request; `\u0000` cannot occur in a model name or version.
   * `keys` are the features' names (or column indices) in the model's order.
   * Strings are written as JSON (self-delimiting, and never equal to a
   * number's or a boolean's text), so every distinct row has its own key;
   * numbers as String() writes them (-0 and 0 alike: the same feed).
   */
  key(version: Pick<ModelVersion, 'name' | 'version'>, keys: readonly (string | number)[], features: Features, options: CacheKeyOptions | undefined): string {
    let key = `${version.name}\u0000${version.version}\u0000`;
    const row = features as Readonly<Record<string | number, unknown>>;
    for (const name of keys) {
      const value = row[name];
      key += typeof value === 'string' ? `${JSON.stringify(value)},` : `${value as number | boolean},`;
    }
    const explain = options?.explain === true ? String(options.top_k ?? DEFAULT_TOP_K) : '-';
    return `${key}\u0000${options?.threshold ?? ''}\u0000${explain}`;
  }

  /** The cached answer for `key`, counting a hit or a miss. */
  get(key: string): V | undefined {
    const value = this.lru?.get(key);
    if (value === undefined) {
      this.misses++;
      this.observer?.miss();
    } else {
      this.hits++;
      this.observer?.hit();
    }
    return value;
  }

  set(key: string, value: V): void {
    this.lru?.set(key, Object.freeze(value));
  }

  /** Drops every entry of one model (any version). */
  clearModel(name: string): void {
    if (!this.lru) return;
    const prefix = `${name}\u0000`;
    for (const key of [...this.lru.keys()]) if (key.startsWith(prefix)) this.lru.delete(key);
  }

  clear(): void {
    this.lru?.clear();
  }
}
