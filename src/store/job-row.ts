/**
 * A job as both stores keep it (SQLite and PostgreSQL share the columns):
 * the columns read back, their row type, and the row turned into a JobRow.
 */
import type { JobRow, WebhookOutcome } from './store.js';

/** Every column but the request, which only the worker needs. */
export const JOB_COLUMNS = `id, owner, status, model, model_version, created_at, started_at, finished_at,
  done, total, result, error, callback_url, webhook`;

export interface JobDbRow {
  id: string; owner: string; status: JobRow['status']; model: string; model_version: string;
  created_at: number; started_at: number | null; finished_at: number | null; done: number; total: number;
  result: string | null; error: string | null; callback_url: string | null; webhook: string | null;
}

/** A JSON text column, or null. */
export const parse = <T>(text: string | null): T | null => (text === null ? null : (JSON.parse(text) as T));

/** The stored row as the Store interface answers it. */
export function toJob(row: JobDbRow): JobRow {
  return {
    id: row.id, owner: row.owner, status: row.status, model: row.model, modelVersion: row.model_version,
    createdAt: row.created_at, startedAt: row.started_at, finishedAt: row.finished_at,
    done: row.done, total: row.total, result: parse(row.result), error: parse(row.error),
    callbackUrl: row.callback_url, webhook: parse<WebhookOutcome>(row.webhook),
  };
}
