/**
 * The replica's one connection to Redis (REDIS_URL, API.md §12), shared by
 * every rate limiter, and what it knows of Redis's health.
 *
 * - Never in the way: commands are refused at once while the client is
 *   disconnected (no offline queue) and given up after `timeoutMs` [1000]
 *   when Redis stalls, so a request never waits on Redis longer than that.
 * - Its state is the `redis` Dependency of health, kept current without I/O
 *   in state(): a failed command marks Redis unavailable at once, a PING
 *   every `probeMs` [2000] marks it ok again (or unavailable when a stalled
 *   Redis sends no errors), well within the 10 s of §12.
 * - Logged once per outage (and a reminder a minute), never per request:
 *   the outage's start with its reason, its end with how long it lasted and
 *   how many requests were served without shared limits. The URL (and its
 *   password) is never logged; node-redis's own error events are dropped,
 *   since they repeat on every reconnect attempt.
 */
import { createClient } from 'redis';
import type { Dependency, DependencyState } from '../dependencies.js';
import { StartupError } from '../errors.js';
import type { Logger } from '../logger.js';

/** A reply of a raw Redis command, as rate-limit-redis expects it. */
export type RedisReply = boolean | number | string | Array<boolean | number | string>;

export interface RedisLinkOptions {
  /** The longest a command may take before it counts as a failure (API.md §12: 1 s). */
  timeoutMs?: number;
  /** The period of the health PING. */
  probeMs?: number;
  /** Called for each request served without the shared counters (the error counter). */
  onFailOpen?: () => void;
}

const REMINDER_MS = 60_000;
/** Reconnect quickly at first, then every second: recovery within the 10 s of §12. */
const reconnectStrategy = (retries: number) => Math.min(50 * 2 ** retries, 1000);

/** The Redis connection of one replica. */
export class RedisLink implements Dependency {
  readonly name = 'redis' as const;
  readonly timeoutMs: number;
  private readonly client: ReturnType<typeof createClient>;
  private readonly probeMs: number;
  private readonly onFailOpen: () => void;
  private current: DependencyState = 'unavailable';
  /** Since when Redis has been down, how many requests went unlimited, when that was last logged. */
  private outage: { since: number; failOpen: number; loggedAt?: number } | undefined;
  private probe: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(url: string, private readonly logger: Logger, options: RedisLinkOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 1000;
    this.probeMs = options.probeMs ?? 2000;
    this.onFailOpen = options.onFailOpen ?? (() => {});
    try {
      this.client = createClient({
        url,
        disableOfflineQueue: true,
        socket: { connectTimeout: this.timeoutMs, reconnectStrategy },
      });
    } catch {
      // node-redis's own message may quote the URL, password included: never pass it on.
      throw new StartupError('REDIS_URL is not a Redis URL node-redis accepts: expected redis://[user:password@]host:port[/db], db an integer');
    }
    // Without a listener an 'error' event would crash the process; the state machine logs instead.
    this.client.on('error', () => {});
    // Back as soon as the socket is: one PING confirms it.
    this.client.on('ready', () => void this.ping());
    // Until the first answer Redis counts as down, silently: start() waits briefly for it.
    this.outage = { since: Date.now(), failOpen: 0 };
  }

  /** Connects in the background (an unreachable Redis does not stop the start) and waits up to timeoutMs for it. */
  async start(): Promise<void> {
    const connected = this.client.connect().then(
      () => this.succeeded(),
      (err: unknown) => this.failed(err),
    );
    this.probe = setInterval(() => void this.ping(), this.probeMs).unref();
    await Promise.race([connected, new Promise((resolve) => setTimeout(resolve, this.timeoutMs).unref())]);
    if (this.current !== 'ok') this.failed(new Error('no answer yet'));
  }

  /** The last known state; no I/O. */
  state(): DependencyState {
    return this.current;
  }

  /** Whether commands are worth sending now: false while Redis is known to be down (a lost socket marks it so). */
  usable(): boolean {
    if (this.current === 'ok' && !this.client.isReady) this.failed(new Error('the connection to Redis was lost'));
    return this.current === 'ok';
  }

  /** Sends one raw command, failing after timeoutMs. */
  send(args: string[]): Promise<RedisReply> {
    return this.withTimeout(this.client.sendCommand(args) as Promise<RedisReply>);
  }

  /** `work`, or a rejection once timeoutMs has passed (the work itself is not awaited further). */
  withTimeout<T>(work: Promise<T>): Promise<T> {
    work.catch(() => {});
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis did not answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  }

  /** A command answered: Redis is ok again (logged once, with the outage's summary). */
  succeeded(): void {
    if (this.current === 'ok') return;
    this.current = 'ok';
    const outage = this.outage;
    this.outage = undefined;
    if (outage?.loggedAt !== undefined) {
      this.logger.info(
        { outage_s: Math.round((Date.now() - outage.since) / 100) / 10, requests_not_limited: outage.failOpen },
        'Redis answers again: rate limits are shared across replicas again',
      );
    } else {
      this.logger.info('Redis connected: rate limits are shared across replicas');
    }
  }

  /** A command failed: Redis is unavailable (logged once per outage, reminded each minute). */
  failed(err: unknown): void {
    if (this.closed) return;
    const reason = err instanceof Error ? err.message : String(err);
    const now = Date.now();
    this.current = 'unavailable';
    this.outage ??= { since: now, failOpen: 0 };
    const outage = this.outage;
    if (outage.loggedAt === undefined) {
      outage.loggedAt = now;
      this.logger.warn({ reason }, 'Redis unavailable: rate limits fail open (requests are served without limits) until it answers');
    } else if (now - outage.loggedAt >= REMINDER_MS) {
      outage.loggedAt = now;
      this.logger.warn(
        { reason, outage_s: Math.round((now - outage.since) / 1000), requests_not_limited: outage.failOpen },
        'Redis still unavailable: rate limits still fail open',
      );
    }
  }

  /** One request was served without the shared counters. */
  failedOpen(): void {
    if (this.outage) this.outage.failOpen += 1;
    this.onFailOpen();
  }

  private async ping(): Promise<void> {
    if (!this.client.isReady) return this.failed(new Error('not connected'));
    try {
      await this.send(['PING']);
      this.succeeded();
    } catch (err) {
      this.failed(err);
    }
  }

  /** Stops probing and closes the connection. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.probe);
    if (this.client.isOpen) this.client.destroy();
  }
}
