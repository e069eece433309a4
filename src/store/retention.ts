/**
 * RECORD_RETENTION_DAYS (API.md §9): prediction records and finished jobs
 * older than that are deleted at start and then every hour. Queued and
 * running jobs are never purged.
 */
import type { Logger } from '../logger.js';
import type { Store } from './store.js';

const DAY_MS = 24 * 60 * 60 * 1000;
export const PURGE_INTERVAL_MS = 60 * 60 * 1000;

/** Deletes what is older than the retention period; returns what was deleted. */
export async function purgeExpired(store: Store, retentionDays: number, now = Date.now()) {
  return store.purge(now - retentionDays * DAY_MS);
}

/** Purges now and every PURGE_INTERVAL_MS; the returned function stops it. */
export function startRetention(store: Store, retentionDays: number, logger: Logger): () => void {
  const run = () => {
    purgeExpired(store, retentionDays).then(
      (deleted) => {
        if (deleted.predictions > 0 || deleted.jobs > 0) logger.info({ deleted, retention_days: retentionDays }, 'purged expired records');
      },
      (err: unknown) => logger.error({ err }, 'purging expired records failed'),
    );
  };
  run();
  const timer = setInterval(run, PURGE_INTERVAL_MS);
  // The purge timer must never keep the process alive on its own.
  timer.unref();
  return () => clearInterval(timer);
}
