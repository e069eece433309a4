/**
 * The job quotas (API.md §15 "Job quota", issue 16 point 4): five async
 * batches of 0.7 MB grew the store by 18.5 MB, and one caller could add
 * about 440 MB a minute. A caller may have JOBS_MAX_PER_CALLER jobs queued
 * or running (429 beyond), and at most JOBS_MAX_QUEUED jobs wait across all
 * callers (503 beyond); the store counts and inserts in one step, so a
 * refused job leaves nothing behind.
 */
import { AppError } from '../errors.js';
import type { JobQuota, QuotaVerdict } from '../store/store.js';

/**
 * Seconds to wait before trying again: a place frees when a job ends, which
 * takes a chunk or more of inference, so sooner than this is mostly refused again.
 */
export const JOB_QUOTA_RETRY_AFTER_S = '5';

/** Nothing when the job was stored; else the 429 or 503 AppError to answer. */
export function quotaError(verdict: QuotaVerdict, quota: JobQuota): AppError | undefined {
  const headers = { 'Retry-After': JOB_QUOTA_RETRY_AFTER_S };
  if (verdict === 'owner-full') {
    return new AppError('RATE_LIMIT_EXCEEDED', `You already have ${quota.perOwner} jobs queued or running; retry once one has finished`, { headers });
  }
  if (verdict === 'queue-full') {
    return new AppError('SERVICE_OVERLOADED', `The job queue is full (${quota.queued} jobs waiting); retry shortly`, { headers });
  }
  return undefined;
}
