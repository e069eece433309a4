/** The API representation of a job (API.md §6, §11). */
import type { JobRow } from '../store/store.js';

/** Generated job ids. */
export const JOB_ID = /^job_[A-Za-z0-9_-]{16,128}$/;

export const jobLink = (id: string) => `/api/v1/jobs/${id}`;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** `{id, status, progress, created_at, finished_at, result, …}`; `result` only once succeeded. */
export function jobView(job: JobRow) {
  const view: Record<string, unknown> = {
    id: job.id,
    status: job.status,
    model: job.model,
    model_version: job.modelVersion,
    progress: { done: job.done, total: job.total },
    created_at: iso(job.createdAt),
    started_at: iso(job.startedAt),
    finished_at: iso(job.finishedAt),
    result: job.status === 'succeeded' ? job.result : null,
    error: job.status === 'failed' ? job.error : null,
  };
  if (job.callbackUrl !== null) {
    const w = job.webhook;
    view.webhook = { url: job.callbackUrl, state: w?.state ?? 'pending', attempts: w?.attempts ?? 0, last_status: w?.last_status ?? null };
  }
  view.links = { self: jobLink(job.id) };
  return view;
}

/** What a webhook carries: the job as GET shows it, without the delivery's own state. */
export function webhookJob(job: JobRow) {
  const { webhook: _webhook, ...rest } = jobView(job);
  return rest;
}
