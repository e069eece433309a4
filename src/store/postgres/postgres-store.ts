/**
 * The shared store: prediction records and jobs in PostgreSQL, for several
 * replicas behind a load balancer (API.md §12). Opening is synchronous and
 * does no I/O, like the embedded store's; the schema is created by ready()
 * and, while the database cannot be reached, at its first answer. Anything
 * asked of the store while the database is down fails at once with
 * DatabaseUnavailable (a 503), never a hang. Jobs are claimed with
 * `FOR UPDATE SKIP LOCKED`, so that concurrent claims never wait on each
 * other nor get the same job.
 */
import type pg from 'pg';
import { DatabaseUnavailable } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { asyncGroupCommit } from '../group-commit.js';
import type { ClaimedJob, Lease, NewJob, PredictionRecord, Store } from '../store.js';
import { JOB_COLUMNS, toJob, type JobDbRow } from '../job-row.js';
import { PENDING_WEBHOOK } from '../webhook-state.js';
import { DatabaseHealth } from './database-health.js';
import { migrate } from './migrations.js';
import { createPool, describeUrl, isUnavailable } from './pool.js';


/** The job's columns as an UPDATE … FROM returns them. */
const RETURNED_JOB = JOB_COLUMNS.split(',').map((c) => `jobs.${c.trim()}`).join(', ');

const SQL = {
  insertPredictions: `INSERT INTO predictions (id, owner, created_at, model, model_version, features, options, result)
    SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])`,
  claim: `WITH next AS (
      SELECT id, lease_owner FROM jobs
      WHERE status = 'queued' OR (status = 'running' AND (lease_until < $1 OR lease_owner = $2))
      ORDER BY created_at, seq LIMIT 1 FOR UPDATE SKIP LOCKED)
    UPDATE jobs SET status = 'running', started_at = $1, done = 0, lease_owner = $2, lease_until = $3
    FROM next WHERE jobs.id = next.id
    RETURNING ${RETURNED_JOB}, next.lease_owner AS previous`,
  finish: `UPDATE jobs SET status = $3, finished_at = $4, done = CASE WHEN $3 = 'succeeded' THEN total ELSE done END,
      result = $5, error = $6, lease_owner = NULL, lease_until = NULL,
      webhook = CASE WHEN callback_url IS NULL THEN NULL ELSE $7 END,
      webhook_state = CASE WHEN callback_url IS NULL THEN NULL ELSE 'pending' END,
      webhook_owner = CASE WHEN callback_url IS NULL THEN NULL ELSE $2 END,
      webhook_until = CASE WHEN callback_url IS NULL THEN NULL ELSE $8::bigint END
    WHERE id = $1 AND status = 'running' AND lease_owner = $2`,
  /**
   * The quota check and the insert in one statement (jobs_runnable covers
   * the unfinished jobs counted). Under READ COMMITTED, submissions running
   * at the same instant on other connections do not see each other's row:
   * each may overshoot a quota by one (docs/security.md "Job quotas").
   */
  insertWithinQuota: `WITH counts AS (
      SELECT count(*) FILTER (WHERE owner = $2) AS mine, count(*) FILTER (WHERE status = 'queued') AS queued
      FROM jobs WHERE status IN ('queued', 'running')),
    inserted AS (
      INSERT INTO jobs (id, owner, status, model, model_version, created_at, total, request, callback_url)
      SELECT $1::text, $2::text, 'queued', $3::text, $4::text, $5::bigint, $6::int, $7::text, $8::text
      FROM counts WHERE mine < $9::bigint AND queued < $10::bigint
      RETURNING 1)
    SELECT counts.mine::int AS mine, (SELECT count(*)::int FROM inserted) AS inserted FROM counts`,
  claimWebhook: `WITH next AS (
      SELECT id FROM jobs WHERE webhook_state = 'pending' AND (webhook_owner IS NULL OR webhook_until < $1)
      ORDER BY finished_at LIMIT 1 FOR UPDATE SKIP LOCKED)
    UPDATE jobs SET webhook_owner = $2, webhook_until = $3 FROM next WHERE jobs.id = next.id
    RETURNING ${RETURNED_JOB}`,
};

/** The parameters $1…$8 of a job's insert. */
const jobParams = (job: NewJob): unknown[] => [
  job.id, job.owner, job.request.model, job.request.version, job.createdAt, job.request.instances.length,
  JSON.stringify(job.request), job.callbackUrl,
];

export interface PostgresStore extends Store {
  readonly dependency: DatabaseHealth;
}

/** A store on DATABASE_URL with a pool of `poolSize` connections. */
export function openPostgresStore(url: string, poolSize: number, logger: Logger): PostgresStore {
  let schema: Promise<void> | undefined;
  let schemaReady = false;
  const health = new DatabaseHealth(url, logger, () => void ensureSchema().catch(() => {}));
  const pool = createPool(url, poolSize, (err) => health.down(err));

  /** Creates or migrates the schema once; a failed attempt is retried by the next caller. */
  function ensureSchema(): Promise<void> {
    schema ??= (async () => {
      const client = await pool.connect();
      try {
        const applied = await migrate(client);
        schemaReady = true;
        logger.info({ database: describeUrl(url), migrations_applied: applied }, 'database schema ready');
      } finally {
        client.release();
      }
    })().catch((err: unknown) => {
      schema = undefined;
      if (isUnavailable(err)) health.down(err);
      else logger.error({ err }, 'database migration failed');
      throw err;
    });
    return schema;
  }

  /** Runs `sql`; any failure to reach the database becomes DatabaseUnavailable (503). */
  async function query<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<pg.QueryResult<R>> {
    if (health.state() === 'unavailable') throw new DatabaseUnavailable();
    try {
      if (!schemaReady) await ensureSchema();
      const result = await pool.query<R>(sql, params);
      health.up();
      return result;
    } catch (err) {
      if (!isUnavailable(err)) throw err;
      health.down(err);
      throw new DatabaseUnavailable({ cause: err });
    }
  }

  const predictions = asyncGroupCommit<PredictionRecord>(async (records) => {
    const columns: unknown[][] = [[], [], [], [], [], [], [], []];
    for (const r of records) {
      const values = [r.id, r.owner, r.createdAt, r.model, r.modelVersion, JSON.stringify(r.features), JSON.stringify(r.options), JSON.stringify(r.result)];
      values.forEach((v, i) => columns[i]!.push(v));
    }
    await query(SQL.insertPredictions, columns);
  }, (err) => err instanceof DatabaseUnavailable);

  const until = (lease: Lease) => lease.now + lease.ms;

  return {
    shared: true,
    dependency: health,
    async ready() {
      await health.start();
      if (health.state() === 'ok') await ensureSchema().catch(() => {});
      if (!schemaReady) logger.warn({ database: describeUrl(url) }, 'database not ready; starting anyway and retrying');
    },
    savePrediction(r) {
      return predictions.save(r);
    },
    async getPrediction(id) {
      const { rows } = await query<{ id: string; owner: string; created_at: number; model: string; model_version: string; features: string; options: string; result: string }>(
        'SELECT * FROM predictions WHERE id = $1', [id]);
      const row = rows[0];
      if (!row) return undefined;
      return {
        id: row.id, owner: row.owner, createdAt: row.created_at, model: row.model, modelVersion: row.model_version,
        features: JSON.parse(row.features), options: JSON.parse(row.options), result: JSON.parse(row.result),
      };
    },
    async insertJob(job) {
      await query(`INSERT INTO jobs (id, owner, status, model, model_version, created_at, total, request, callback_url)
        VALUES ($1, $2, 'queued', $3, $4, $5, $6, $7, $8)`, jobParams(job));
    },
    async insertJobWithinQuota(job, quota) {
      const { rows } = await query<{ mine: number; inserted: number }>(SQL.insertWithinQuota, [...jobParams(job), quota.perOwner, quota.queued]);
      const row = rows[0]!;
      if (row.inserted === 1) return 'inserted';
      return row.mine >= quota.perOwner ? 'owner-full' : 'queue-full';
    },
    async getJob(id) {
      const { rows } = await query<JobDbRow>(`SELECT ${JOB_COLUMNS} FROM jobs WHERE id = $1`, [id]);
      return rows[0] && toJob(rows[0]);
    },
    async getJobRequest(id) {
      const { rows } = await query<{ request: string }>('SELECT request FROM jobs WHERE id = $1', [id]);
      return rows[0] && JSON.parse(rows[0].request);
    },
    async claimNextJob(lease): Promise<ClaimedJob | undefined> {
      const { rows } = await query<JobDbRow & { previous: string | null }>(SQL.claim, [lease.now, lease.owner, until(lease)]);
      const row = rows[0];
      return row && { ...toJob(row), takenOverFrom: row.previous };
    },
    async updateProgress(id, done, lease) {
      const r = await query(`UPDATE jobs SET done = $2, lease_until = $4 WHERE id = $1 AND status = 'running' AND lease_owner = $3`,
        [id, done, lease.owner, until(lease)]);
      return r.rowCount === 1;
    },
    async finishJob(id, lease, outcome) {
      const r = await query(SQL.finish, [
        id, lease.owner, outcome.status, outcome.at,
        outcome.result === undefined ? null : JSON.stringify(outcome.result),
        outcome.error ? JSON.stringify(outcome.error) : null, PENDING_WEBHOOK, until(lease),
      ]);
      return r.rowCount === 1;
    },
    async cancelJob(id, at) {
      const r = await query(`UPDATE jobs SET status = 'cancelled', finished_at = $2, lease_owner = NULL, lease_until = NULL
        WHERE id = $1 AND status IN ('queued', 'running')`, [id, at]);
      return r.rowCount === 1;
    },
    async releaseJob(id, owner) {
      const r = await query(`UPDATE jobs SET status = 'queued', done = 0, started_at = NULL, lease_owner = NULL, lease_until = NULL
        WHERE id = $1 AND status = 'running' AND lease_owner = $2`, [id, owner]);
      return r.rowCount === 1;
    },
    async requeueJobs() {
      // Shared: the other replicas' running jobs are theirs; an expired lease is taken over by claimNextJob instead.
      return 0;
    },
    async setWebhook(id, outcome, lease) {
      const r = await query(`UPDATE jobs SET webhook = $2, webhook_state = $3, webhook_until = $5,
          webhook_owner = CASE WHEN $3 = 'pending' THEN $4 ELSE NULL END
        WHERE id = $1 AND webhook_owner = $4`, [id, JSON.stringify(outcome), outcome.state, lease.owner, until(lease)]);
      return r.rowCount === 1;
    },
    async claimWebhook(lease) {
      const { rows } = await query<JobDbRow>(SQL.claimWebhook, [lease.now, lease.owner, until(lease)]);
      return rows[0] && toJob(rows[0]);
    },
    async renewLeases(lease, ids) {
      if (ids.length === 0) return;
      await query(`UPDATE jobs SET
          lease_until = CASE WHEN lease_owner = $1 AND status = 'running' THEN $2 ELSE lease_until END,
          webhook_until = CASE WHEN webhook_owner = $1 THEN $2 ELSE webhook_until END
        WHERE id = ANY($3::text[]) AND (lease_owner = $1 OR webhook_owner = $1)`, [lease.owner, until(lease), ids]);
    },
    async purge(cutoff) {
      // Concurrent purges on several replicas are harmless: each deletes what is still there.
      const p = await query('DELETE FROM predictions WHERE created_at < $1', [cutoff]);
      const j = await query('DELETE FROM jobs WHERE finished_at IS NOT NULL AND finished_at < $1', [cutoff]);
      return { predictions: p.rowCount ?? 0, jobs: j.rowCount ?? 0 };
    },
    async close() {
      health.stop();
      await predictions.flush().catch(() => {});
      await pool.end();
    },
  };
}
