/**
 * The PostgreSQL schema, created or migrated at start (API.md §12). Several
 * replicas may start at once on an empty database: each runs the migrations
 * in one transaction holding an advisory lock, so one creates the schema and
 * the others, once they get the lock, find it done. DDL is transactional in
 * PostgreSQL, so a migration cut half-way leaves nothing behind.
 */
import type pg from 'pg';

/** The advisory lock's key: any constant that other applications on the database are unlikely to use. */
export const MIGRATION_LOCK = 7_312_004_219;

/** Migrations in order; a migration once released is never edited, only followed by another. */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE predictions (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    model TEXT NOT NULL,
    model_version TEXT NOT NULL,
    features TEXT NOT NULL,
    options TEXT NOT NULL,
    result TEXT NOT NULL
  );
  CREATE INDEX predictions_created ON predictions (created_at);
  CREATE TABLE jobs (
    seq BIGSERIAL NOT NULL,
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    status TEXT NOT NULL,
    model TEXT NOT NULL,
    model_version TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    started_at BIGINT,
    finished_at BIGINT,
    done INTEGER NOT NULL DEFAULT 0,
    total INTEGER NOT NULL,
    request TEXT NOT NULL,
    result TEXT,
    error TEXT,
    callback_url TEXT,
    webhook TEXT,
    webhook_state TEXT,
    lease_owner TEXT,
    lease_until BIGINT,
    webhook_owner TEXT,
    webhook_until BIGINT
  );
  CREATE INDEX jobs_runnable ON jobs (created_at, seq) WHERE status IN ('queued', 'running');
  CREATE INDEX jobs_finished ON jobs (finished_at) WHERE finished_at IS NOT NULL;
  CREATE INDEX jobs_webhooks ON jobs (finished_at) WHERE webhook_state = 'pending';`,
];

/** Applies the migrations not yet applied; returns how many it applied. */
export async function migrate(client: pg.ClientBase): Promise<number> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())');
    const { rows } = await client.query<{ version: number | null }>('SELECT max(version) AS version FROM schema_migrations');
    const applied = rows[0]?.version ?? 0;
    for (let v = applied + 1; v <= MIGRATIONS.length; v++) {
      await client.query(MIGRATIONS[v - 1]!);
      await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [v]);
    }
    await client.query('COMMIT');
    return MIGRATIONS.length - applied;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}
