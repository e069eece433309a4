/**
 * The embedded store: one SQLite file under DATA_DIR (better-sqlite3). WAL
 * with synchronous=NORMAL makes a committed insert survive a crash of the
 * process (API.md §11) at the cost of one write to the WAL, no fsync; every
 * statement is prepared once.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { StartupError } from '../errors.js';
import { groupCommit } from './group-commit.js';
import type { ClaimedJob, JobQuota, JobRequest, JobRow, Lease, NewJob, PredictionRecord, QuotaVerdict, Store, WebhookOutcome } from './store.js';
import { JOB_COLUMNS, toJob, type JobDbRow } from './job-row.js';
import { PENDING_WEBHOOK } from './webhook-state.js';

/** The store's file name inside DATA_DIR. */
export const STORE_FILE = 'onnx-serving.sqlite';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS predictions (
  id TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  model TEXT NOT NULL,
  model_version TEXT NOT NULL,
  features TEXT NOT NULL,
  options TEXT NOT NULL,
  result TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS predictions_created ON predictions(created_at);
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  status TEXT NOT NULL,
  model TEXT NOT NULL,
  model_version TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER,
  done INTEGER NOT NULL DEFAULT 0,
  total INTEGER NOT NULL,
  request TEXT NOT NULL,
  result TEXT,
  error TEXT,
  callback_url TEXT,
  webhook TEXT,
  lease_owner TEXT,
  lease_until INTEGER,
  webhook_owner TEXT,
  webhook_until INTEGER
);
CREATE INDEX IF NOT EXISTS jobs_queue ON jobs(status, created_at);
CREATE INDEX IF NOT EXISTS jobs_finished ON jobs(finished_at);
`;

/** Columns added after the first release: a store file written before them gets them at open. */
const ADDED_COLUMNS = ['lease_owner TEXT', 'lease_until INTEGER', 'webhook_owner TEXT', 'webhook_until INTEGER'];

function addMissingColumns(db: Database.Database): void {
  const present = new Set((db.prepare('PRAGMA table_info(jobs)').all() as Array<{ name: string }>).map((c) => c.name));
  for (const column of ADDED_COLUMNS) {
    if (!present.has(column.split(' ')[0]!)) db.exec(`ALTER TABLE jobs ADD COLUMN ${column}`);
  }
}


interface PredictionDbRow {
  id: string; owner: string; created_at: number; model: string; model_version: string;
  features: string; options: string; result: string;
}

/** Opens (creating if needed) the store under `dataDir`; a StartupError naming DATA_DIR if it cannot. */
export function openSqliteStore(dataDir: string): Store {
  let db: Database.Database;
  try {
    mkdirSync(dataDir, { recursive: true });
    db = new Database(join(dataDir, STORE_FILE));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    db.exec(SCHEMA);
    addMissingColumns(db);
  } catch (err) {
    throw new StartupError(`DATA_DIR: cannot open the store in ${dataDir} (${(err as Error).message})`);
  }
  const sql = {
    insertPrediction: db.prepare(`INSERT INTO predictions (id, owner, created_at, model, model_version, features, options, result)
      VALUES (@id, @owner, @created_at, @model, @model_version, @features, @options, @result)`),
    getPrediction: db.prepare('SELECT * FROM predictions WHERE id = ?'),
    insertJob: db.prepare(`INSERT INTO jobs (id, owner, status, model, model_version, created_at, total, request, callback_url)
      VALUES (@id, @owner, 'queued', @model, @model_version, @created_at, @total, @request, @callback_url)`),
    // Unfinished jobs only (the jobs_queue index): bounded by the quotas themselves.
    unfinished: db.prepare(`SELECT count(*) FILTER (WHERE owner = ?) AS mine, count(*) FILTER (WHERE status = 'queued') AS queued
      FROM jobs WHERE status IN ('queued', 'running')`),
    getJob: db.prepare(`SELECT ${JOB_COLUMNS} FROM jobs WHERE id = ?`),
    getJobRequest: db.prepare('SELECT request FROM jobs WHERE id = ?'),
    nextRunnable: db.prepare(`SELECT id, lease_owner FROM jobs
      WHERE status = 'queued' OR (status = 'running' AND (lease_until < @now OR lease_owner = @owner))
      ORDER BY created_at, rowid LIMIT 1`),
    markRunning: db.prepare(`UPDATE jobs SET status = 'running', started_at = @now, done = 0, lease_owner = @owner, lease_until = @until
      WHERE id = @id`),
    progress: db.prepare(`UPDATE jobs SET done = @done, lease_until = @until WHERE id = @id AND status = 'running' AND lease_owner = @owner`),
    finish: db.prepare(`UPDATE jobs SET status = @status, finished_at = @at, done = CASE WHEN @status = 'succeeded' THEN total ELSE done END,
      result = @result, error = @error, lease_owner = NULL, lease_until = NULL,
      webhook = CASE WHEN callback_url IS NULL THEN NULL ELSE @pending END,
      webhook_owner = CASE WHEN callback_url IS NULL THEN NULL ELSE @owner END,
      webhook_until = CASE WHEN callback_url IS NULL THEN NULL ELSE @until END
      WHERE id = @id AND status = 'running' AND lease_owner = @owner`),
    cancel: db.prepare(`UPDATE jobs SET status = 'cancelled', finished_at = ?, lease_owner = NULL, lease_until = NULL
      WHERE id = ? AND status IN ('queued', 'running')`),
    release: db.prepare(`UPDATE jobs SET status = 'queued', done = 0, started_at = NULL, lease_owner = NULL, lease_until = NULL
      WHERE id = ? AND status = 'running' AND lease_owner = ?`),
    requeueAll: db.prepare(`UPDATE jobs SET status = 'queued', done = 0, started_at = NULL, lease_owner = NULL, lease_until = NULL
      WHERE status = 'running'`),
    dropWebhookLeases: db.prepare('UPDATE jobs SET webhook_owner = NULL, webhook_until = NULL WHERE webhook_owner IS NOT NULL'),
    setWebhook: db.prepare(`UPDATE jobs SET webhook = @webhook, webhook_until = @until,
      webhook_owner = CASE WHEN json_extract(@webhook, '$.state') = 'pending' THEN @owner ELSE NULL END
      WHERE id = @id AND webhook_owner = @owner`),
    nextWebhook: db.prepare(`SELECT id FROM jobs WHERE finished_at IS NOT NULL AND json_extract(webhook, '$.state') = 'pending'
      AND (webhook_owner IS NULL OR webhook_until < ?) ORDER BY finished_at LIMIT 1`),
    leaseWebhook: db.prepare('UPDATE jobs SET webhook_owner = @owner, webhook_until = @until WHERE id = @id'),
    renewJob: db.prepare(`UPDATE jobs SET lease_until = @until WHERE id = @id AND lease_owner = @owner AND status = 'running'`),
    renewWebhook: db.prepare('UPDATE jobs SET webhook_until = @until WHERE id = @id AND webhook_owner = @owner'),
    purgePredictions: db.prepare('DELETE FROM predictions WHERE created_at < ?'),
    purgeJobs: db.prepare('DELETE FROM jobs WHERE finished_at IS NOT NULL AND finished_at < ?'),
  };
  const jobRow = (job: NewJob) => ({
    id: job.id, owner: job.owner, model: job.request.model, model_version: job.request.version,
    created_at: job.createdAt, total: job.request.instances.length,
    request: JSON.stringify(job.request), callback_url: job.callbackUrl,
  });
  // One IMMEDIATE transaction: the counts and the insert hold the write lock together (also across processes on the file).
  const insertWithinQuota = db.transaction((job: NewJob, quota: JobQuota): QuotaVerdict => {
    const { mine, queued } = sql.unfinished.get(job.owner) as { mine: number; queued: number };
    if (mine >= quota.perOwner) return 'owner-full';
    if (queued >= quota.queued) return 'queue-full';
    sql.insertJob.run(jobRow(job));
    return 'inserted';
  });
  const claim = db.transaction((lease: Lease): ClaimedJob | undefined => {
    const next = sql.nextRunnable.get({ now: lease.now, owner: lease.owner }) as { id: string; lease_owner: string | null } | undefined;
    if (!next) return undefined;
    sql.markRunning.run({ id: next.id, now: lease.now, owner: lease.owner, until: lease.now + lease.ms });
    return { ...toJob(sql.getJob.get(next.id) as JobDbRow), takenOverFrom: next.lease_owner };
  });
  const claimWebhook = db.transaction((lease: Lease): JobRow | undefined => {
    const next = sql.nextWebhook.get(lease.now) as { id: string } | undefined;
    if (!next) return undefined;
    sql.leaseWebhook.run({ id: next.id, owner: lease.owner, until: lease.now + lease.ms });
    return toJob(sql.getJob.get(next.id) as JobDbRow);
  });
  const renew = db.transaction((lease: Lease, ids: readonly string[]) => {
    for (const id of ids) {
      const args = { id, owner: lease.owner, until: lease.now + lease.ms };
      sql.renewJob.run(args);
      sql.renewWebhook.run(args);
    }
  });
  const requeue = db.transaction(() => {
    sql.dropWebhookLeases.run();
    return sql.requeueAll.run().changes;
  });

  // Predictions saved in the same turn of the event loop share one transaction (group-commit.ts).
  const predictions = groupCommit<PredictionRecord>(db.transaction((records: PredictionRecord[]) => {
    for (const r of records) {
      sql.insertPrediction.run({
        id: r.id, owner: r.owner, created_at: r.createdAt, model: r.model, model_version: r.modelVersion,
        features: JSON.stringify(r.features), options: JSON.stringify(r.options), result: JSON.stringify(r.result),
      });
    }
  }));

  return {
    savePrediction(r: PredictionRecord) {
      return predictions.save(r);
    },
    async getPrediction(id: string) {
      const row = sql.getPrediction.get(id) as PredictionDbRow | undefined;
      if (!row) return undefined;
      return {
        id: row.id, owner: row.owner, createdAt: row.created_at, model: row.model, modelVersion: row.model_version,
        features: JSON.parse(row.features), options: JSON.parse(row.options), result: JSON.parse(row.result),
      };
    },
    async insertJob(job: NewJob) {
      sql.insertJob.run(jobRow(job));
    },
    async insertJobWithinQuota(job: NewJob, quota: JobQuota) {
      return insertWithinQuota.immediate(job, quota);
    },
    async getJob(id: string) {
      const row = sql.getJob.get(id) as JobDbRow | undefined;
      return row && toJob(row);
    },
    async getJobRequest(id: string) {
      const row = sql.getJobRequest.get(id) as { request: string } | undefined;
      return row && (JSON.parse(row.request) as JobRequest);
    },
    async claimNextJob(lease: Lease) {
      return claim.immediate(lease);
    },
    async updateProgress(id: string, done: number, lease: Lease) {
      return sql.progress.run({ id, done, owner: lease.owner, until: lease.now + lease.ms }).changes === 1;
    },
    async finishJob(id, lease, outcome) {
      const info = sql.finish.run({
        id, status: outcome.status, at: outcome.at, owner: lease.owner, until: lease.now + lease.ms, pending: PENDING_WEBHOOK,
        result: outcome.result === undefined ? null : JSON.stringify(outcome.result),
        error: outcome.error ? JSON.stringify(outcome.error) : null,
      });
      return info.changes === 1;
    },
    async cancelJob(id: string, at: number) {
      return sql.cancel.run(at, id).changes === 1;
    },
    async releaseJob(id: string, owner: string) {
      return sql.release.run(id, owner).changes === 1;
    },
    async requeueJobs() {
      return requeue.immediate();
    },
    async setWebhook(id: string, outcome: WebhookOutcome, lease: Lease) {
      return sql.setWebhook.run({ id, webhook: JSON.stringify(outcome), owner: lease.owner, until: lease.now + lease.ms }).changes === 1;
    },
    async claimWebhook(lease: Lease) {
      return claimWebhook.immediate(lease);
    },
    async renewLeases(lease: Lease, ids: readonly string[]) {
      renew(lease, ids);
    },
    async purge(cutoff: number) {
      const predictions = sql.purgePredictions.run(cutoff).changes;
      const jobs = sql.purgeJobs.run(cutoff).changes;
      return { predictions, jobs };
    },
    shared: false,
    async ready() {},
    async close() {
      if (db.open) predictions.flush();
      if (db.open) db.close();
    },
  };
}
