/**
 * express-rate-limit's Store on Redis (rate-limit-redis), failing open
 * (API.md §12): while Redis is down or slow, a request is counted as the
 * first of a fresh window (so its headers stay sane: the full limit, less
 * this request, resetting a window from now) and served, without waiting on
 * Redis more than the link's timeout; each such request is counted in
 * `rate_limit_store_errors_total`. rate-limit-redis loads its Lua scripts
 * once, in init(); after a failure they are loaded again on the next
 * request, so the store comes back by itself when Redis does (a restarted
 * Redis has forgotten them).
 */
import type { ClientRateLimitInfo, IncrementResponse, Options, Store } from 'express-rate-limit';
import { RedisStore } from 'rate-limit-redis';
import type { RedisLink } from './redis-link.js';

/** One limiter's counters in Redis, under `rl:<name>:`. */
export class FailOpenStore implements Store {
  /** Keys are prefixed per limiter, so limiters never share a counter. */
  readonly prefix: string;
  readonly localKeys = false;
  private readonly redis: RedisStore;
  private options: Options | undefined;
  private ready: Promise<void> | undefined;

  constructor(private readonly link: RedisLink, name: string) {
    this.prefix = `rl:${name}:`;
    this.redis = new RedisStore({ prefix: this.prefix, sendCommand: (...args: string[]) => link.send(args) });
  }

  /** Keeps the options; the scripts are loaded on first use, once Redis may be reachable. */
  init(options: Options): void {
    this.options = options;
  }

  async increment(key: string): Promise<IncrementResponse> {
    const counted = await this.attempt(() => this.redis.increment(key));
    if (counted) return counted;
    this.link.failedOpen();
    return { totalHits: 1, resetTime: new Date(Date.now() + (this.options?.windowMs ?? 60_000)) };
  }

  async get(key: string): Promise<ClientRateLimitInfo | undefined> {
    return this.attempt(() => this.redis.get(key));
  }

  async decrement(key: string): Promise<void> {
    await this.attempt(() => this.redis.decrement(key));
  }

  async resetKey(key: string): Promise<void> {
    await this.attempt(() => this.redis.resetKey(key));
  }

  /** `work` once the scripts are loaded; undefined when Redis is down, slow or failing. */
  private async attempt<T>(work: () => Promise<T>): Promise<T | undefined> {
    if (!this.link.usable()) return undefined;
    try {
      this.ready ??= this.redis.init(this.options!);
      const result = await this.link.withTimeout(this.ready.then(work));
      this.link.succeeded();
      return result;
    } catch (err) {
      // The scripts may not have loaded (or Redis restarted empty): load them again next time.
      this.ready = undefined;
      this.link.failed(err);
      return undefined;
    }
  }
}

/** The rate-limit store factory of ServiceOptions.rateLimitStore, over one link. */
export const redisStores = (link: RedisLink) => (name: string): Store => new FailOpenStore(link, name);
