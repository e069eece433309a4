/**
 * Which store a replica uses (API.md §12): PostgreSQL when DATABASE_URL is
 * set, shared by every replica; otherwise the embedded SQLite file under
 * DATA_DIR. Both open synchronously without I/O on the network; the shared
 * one connects in ready().
 */
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { openPostgresStore } from './postgres/postgres-store.js';
import { openSqliteStore } from './sqlite-store.js';
import type { Store } from './store.js';

/** The configured store. */
export function openStore(config: Pick<Config, 'databaseUrl' | 'databasePoolSize' | 'dataDir'>, logger: Logger): Store {
  if (config.databaseUrl !== undefined) return openPostgresStore(config.databaseUrl, config.databasePoolSize, logger);
  return openSqliteStore(config.dataDir);
}
