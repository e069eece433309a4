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
import type { JobRequest, JobRow, NewJob, PredictionRecord, Store, WebhookOutcome } from './store.js';

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
  webhook TEXT
);
CREATE INDEX IF NOT EXISTS jobs_queue ON jobs(status, created_at);
CREATE INDEX IF NOT EXISTS jobs_finished ON jobs(finished_at);
`;

/** Every column but the request, which only the worker needs. */
const JOB_COLUMNS = `id, owner, status, model, model_version, created_at, started_at, finished_at,
  done, total, result, error, callback_url, webhook`;

interface JobDbRow {
  id: string; owner: string; status: JobRow['status']; model: string; model_version: string;
  created_at: number; started_at: number | null; finished_at: number | null; done: number; total: number;
  result: string | null; error: string | null; callback_url: string | null; webhook: string | null;
}

interface PredictionDbRow {
  id: string; owner: string; created_at: number; model: string; model_version: string;
  features: string; options: string; result: string;
}

const parse = <T>(text: string | null): T | null => (text === null ? null : (JSON.parse(text) as T));

function toJob(row: JobDbRow): JobRow {
  return {
    id: row.id, owner: row.owner, status: row.status, model: row.model, modelVersion: row.model_version,
    createdAt: row.created_at, startedAt: row.started_at, finishedAt: row.finished_at,
    done: row.done, total: row.total, result: parse(row.result), error: parse(row.error),
    callbackUrl: row.callback_url, webhook: parse<WebhookOutcome>(row.webhook),
  };
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
  } catch (err) {
    throw new StartupError(`DATA_DIR: cannot open the store in ${dataDir} (${(err as Error).message})`);
  }
  const sql = {
    insertPrediction: db.prepare(`INSERT INTO predictions (id, owner, created_at, model, model_version, features, options, result)
      VALUES (@id, @owner, @created_at, @model, @model_version, @features, @options, @result)`),
    getPrediction: db.prepare('SELECT * FROM predictions WHERE id = ?'),
    insertJob: db.prepare(`INSERT INTO jobs (id, owner, status, model, model_version, created_at, total, request, callback_url)
      VALUES (@id, @owner, 'queued', @model, @model_version, @created_at, @total, @request, @callback_url)`),
    getJob: db.prepare(`SELECT ${JOB_COLUMNS} FROM jobs WHERE id = ?`),
    getJobRequest: db.prepare('SELECT request FROM jobs WHERE id = ?'),
    nextQueued: db.prepare(`SELECT id FROM jobs WHERE status = 'queued' ORDER BY created_at, rowid LIMIT 1`),
    markRunning: db.prepare(`UPDATE jobs SET status = 'running', started_at = ?, done = 0 WHERE id = ? AND status = 'queued'`),
    progress: db.prepare(`UPDATE jobs SET done = ? WHERE id = ? AND status = 'running'`),
    finish: db.prepare(`UPDATE jobs SET status = @status, finished_at = @at, done = CASE WHEN @status = 'succeeded' THEN total ELSE done END,
      result = @result, error = @error WHERE id = @id AND status = 'running'`),
    cancel: db.prepare(`UPDATE jobs SET status = 'cancelled', finished_at = ? WHERE id = ? AND status IN ('queued', 'running')`),
    requeueOne: db.prepare(`UPDATE jobs SET status = 'queued', done = 0, started_at = NULL WHERE id = ? AND status = 'running'`),
    requeueAll: db.prepare(`UPDATE jobs SET status = 'queued', done = 0, started_at = NULL WHERE status = 'running'`),
    setWebhook: db.prepare('UPDATE jobs SET webhook = ? WHERE id = ?'),
    pendingWebhooks: db.prepare(`SELECT ${JOB_COLUMNS} FROM jobs
      WHERE finished_at IS NOT NULL AND json_extract(webhook, '$.state') = 'pending' ORDER BY finished_at`),
    purgePredictions: db.prepare('DELETE FROM predictions WHERE created_at < ?'),
    purgeJobs: db.prepare('DELETE FROM jobs WHERE finished_at IS NOT NULL AND finished_at < ?'),
  };
  const claim = db.transaction((now: number): JobRow | undefined => {
    const next = sql.nextQueued.get() as { id: string } | undefined;
    if (!next) return undefined;
    sql.markRunning.run(now, next.id);
    return toJob(sql.getJob.get(next.id) as JobDbRow);
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
      sql.insertJob.run({
        id: job.id, owner: job.owner, model: job.request.model, model_version: job.request.version,
        created_at: job.createdAt, total: job.request.instances.length,
        request: JSON.stringify(job.request), callback_url: job.callbackUrl,
      });
    },
    async getJob(id: string) {
      const row = sql.getJob.get(id) as JobDbRow | undefined;
      return row && toJob(row);
    },
    async getJobRequest(id: string) {
      const row = sql.getJobRequest.get(id) as { request: string } | undefined;
      return row && (JSON.parse(row.request) as JobRequest);
    },
    async claimNextJob(now: number) {
      return claim.immediate(now);
    },
    async updateProgress(id: string, done: number) {
      sql.progress.run(done, id);
    },
    async finishJob(id, outcome) {
      const info = sql.finish.run({
        id, status: outcome.status, at: outcome.at,
        result: outcome.result === undefined ? null : JSON.stringify(outcome.result),
        error: outcome.error ? JSON.stringify(outcome.error) : null,
      });
      return info.changes === 1;
    },
    async cancelJob(id: string, at: number) {
      return sql.cancel.run(at, id).changes === 1;
    },
    async requeueJobs(id?: string) {
      return (id === undefined ? sql.requeueAll.run() : sql.requeueOne.run(id)).changes;
    },
    async setWebhook(id: string, outcome: WebhookOutcome) {
      sql.setWebhook.run(JSON.stringify(outcome), id);
    },
    async pendingWebhooks() {
      return (sql.pendingWebhooks.all() as JobDbRow[]).map(toJob);
    },
    async purge(cutoff: number) {
      const predictions = sql.purgePredictions.run(cutoff).changes;
      const jobs = sql.purgeJobs.run(cutoff).changes;
      return { predictions, jobs };
    },
    close() {
      if (db.open) predictions.flush();
      if (db.open) db.close();
    },
  };
}
