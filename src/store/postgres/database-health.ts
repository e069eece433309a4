/**
 * The `database` dependency of health (API.md §12): its state is what the
 * last probe or statement showed, with no I/O when asked. A probe runs every
 * PROBE_INTERVAL_MS on a connection of its own (a busy pool must not read as
 * an outage), so an outage shows within 10 s and so does the recovery.
 */
import pg from 'pg';
import type { Dependency, DependencyState } from '../../dependencies.js';
import type { Logger } from '../../logger.js';
import { connectionOptions, describeUrl } from './pool.js';

export const PROBE_INTERVAL_MS = 2_000;

export class DatabaseHealth implements Dependency {
  readonly name = 'database' as const;
  // Unavailable until the first probe answers; the first failure is logged like any outage.
  private current: DependencyState = 'unavailable';
  private known = false;
  private timer: NodeJS.Timeout | undefined;
  private probing = false;

  /** `onUp` runs at each change to ok (to create the schema once the database answers). */
  constructor(
    private readonly url: string,
    private readonly logger: Logger,
    private readonly onUp: () => void,
  ) {}

  state(): DependencyState {
    return this.current;
  }

  /** A statement got through. */
  up(): void {
    if (this.current === 'ok') return;
    this.current = 'ok';
    this.known = true;
    this.logger.info({ database: describeUrl(this.url) }, 'database available');
    this.onUp();
  }

  /** A statement failed for want of a database; logged once per outage. */
  down(err: unknown): void {
    if (this.current === 'unavailable' && this.known) return;
    this.current = 'unavailable';
    this.known = true;
    this.logger.warn({ database: describeUrl(this.url), reason: reason(err) }, 'database unavailable');
  }

  /** Probes now and then every PROBE_INTERVAL_MS, until stop(). */
  start(): Promise<void> {
    this.timer = setInterval(() => void this.probe(), PROBE_INTERVAL_MS);
    this.timer.unref();
    return this.probe();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async probe(): Promise<void> {
    if (this.probing) return;
    this.probing = true;
    const client = new pg.Client(connectionOptions(this.url));
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('SELECT 1');
      this.up();
    } catch (err) {
      this.down(err);
    } finally {
      this.probing = false;
      void client.end().catch(() => {});
    }
  }
}

/** What went wrong, without anything from the URL. */
function reason(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return e?.code ?? e?.message?.slice(0, 120) ?? 'unknown';
}
