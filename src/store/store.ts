/**
 * What the service keeps beyond a request: prediction records and async
 * batch jobs (API.md §5, §6). The interfaces are promise-based so that a
 * shared store (several replicas) can replace the embedded SQLite one without
 * touching its callers.
 */
import type { Dependency } from '../dependencies.js';

/** A single prediction as it was answered, owned by its caller. */
export interface PredictionRecord {
  id: string;
  /** `sub:<sub>`, `key:<id>` or `anonymous` (API.md §11). */
  owner: string;
  /** Epoch milliseconds. */
  createdAt: number;
  model: string;
  modelVersion: string;
  /** As sent: an object by name, or an array for a matrix model without names (API.md §14). */
  features: Readonly<Record<string, unknown>> | readonly unknown[];
  options: object;
  /** The result fields: prediction, probability, probabilities, confidence, explanation. */
  result: object;
}

export interface RecordStore {
  /** Stores a record durably; resolves only once it is written. */
  savePrediction(record: PredictionRecord): Promise<void>;
  getPrediction(id: string): Promise<PredictionRecord | undefined>;
}

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** What a job runs: a batch already validated and pinned to a model version. */
export interface JobRequest {
  model: string;
  version: string;
  /** Rows of features as sent: objects by name, or arrays for a matrix model without names (API.md §14). */
  instances: Array<Readonly<Record<string, number | string | boolean>> | ReadonlyArray<number | string | boolean>>;
  /** The prediction options (explain, threshold, top_k); the async settings are not kept here. */
  options: { explain?: boolean; threshold?: number; top_k?: number };
}

/** Where a job's completion webhook stands. */
export interface WebhookOutcome {
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  /** HTTP status of the last attempt, or null when it got no answer (refused, timed out). */
  last_status: number | null;
  /** Epoch ms of the last attempt. */
  last_attempt_at: number | null;
}

/** A job without its (possibly large) request. */
export interface JobRow {
  id: string;
  owner: string;
  status: JobStatus;
  model: string;
  modelVersion: string;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  done: number;
  total: number;
  result: unknown;
  error: { code: string; message: string } | null;
  callbackUrl: string | null;
  webhook: WebhookOutcome | null;
}

export interface NewJob {
  id: string;
  owner: string;
  createdAt: number;
  request: JobRequest;
  callbackUrl: string | null;
}

/**
 * A claim on a running job or a webhook delivery: `owner` (one replica) holds
 * it until `now + ms`; another replica may take it over once that has passed
 * (API.md §12). The embedded store keeps the same leases, for one process.
 */
export interface Lease {
  owner: string;
  now: number;
  ms: number;
}

/** How many jobs may be unfinished (API.md §15 "Job quota"). */
export interface JobQuota {
  /** Jobs one owner may have queued or running. */
  perOwner: number;
  /** Jobs queued (not yet running), all owners together. */
  queued: number;
}

/** What insertJobWithinQuota did: stored the job, or stored nothing because a quota is full. */
export type QuotaVerdict = 'inserted' | 'owner-full' | 'queue-full';

/** A claimed job, and the replica whose lease had expired when it was taken over (null for a queued one). */
export type ClaimedJob = JobRow & { takenOverFrom: string | null };

export interface JobStore {
  /** True when several replicas share the store (a restart must not requeue the others' jobs). */
  readonly shared: boolean;
  insertJob(job: NewJob): Promise<void>;
  /**
   * Inserts the job unless its owner already has `quota.perOwner` jobs
   * queued or running ('owner-full'), or `quota.queued` jobs are queued
   * ('queue-full'); counts and insert in one step, so that concurrent
   * submissions cannot overshoot (a shared store: by at most the submissions
   * running at the same instant on other replicas; docs/security.md).
   */
  insertJobWithinQuota(job: NewJob, quota: JobQuota): Promise<QuotaVerdict>;
  getJob(id: string): Promise<JobRow | undefined>;
  getJobRequest(id: string): Promise<JobRequest | undefined>;
  /**
   * Leases the oldest job that is queued, or running under an expired lease
   * (its replica died) or under this owner's own (it lost track of it), and
   * marks it running from progress 0; undefined when there is none. Two
   * claims never get the same job while its lease holds.
   */
  claimNextJob(lease: Lease): Promise<ClaimedJob | undefined>;
  /** Records progress and renews the lease; false when the job is no longer running under this owner (cancelled, taken over). */
  updateProgress(id: string, done: number, lease: Lease): Promise<boolean>;
  /**
   * running → succeeded/failed under this owner's lease; false when it no
   * longer holds it (cancelled, taken over). A job with a callback_url gets
   * its webhook `pending` in the same write, leased to the same owner.
   */
  finishJob(id: string, lease: Lease, outcome: { status: 'succeeded' | 'failed'; at: number; result?: unknown; error?: JobRow['error'] }): Promise<boolean>;
  /** queued/running → cancelled; false when the job had already finished. */
  cancelJob(id: string, at: number): Promise<boolean>;
  /** Hands a running job back to the queue (progress 0, no lease), so that any replica takes it at once; false when not ours. */
  releaseJob(id: string, owner: string): Promise<boolean>;
  /** The embedded store after a restart: every running job back to the queue, every webhook lease dropped; returns the jobs requeued. */
  requeueJobs(): Promise<number>;
  /** Records a webhook attempt and renews its lease; false when this owner no longer holds the delivery. */
  setWebhook(id: string, outcome: WebhookOutcome, lease: Lease): Promise<boolean>;
  /** Leases the oldest finished job whose webhook is pending and whose delivery nobody holds (or whose lease expired). */
  claimWebhook(lease: Lease): Promise<JobRow | undefined>;
  /**
   * Renews the leases `owner` holds on these jobs (running) and deliveries
   * (pending): only the ones it is working on, so that one it dropped (the
   * store was down) still expires and is taken over.
   */
  renewLeases(lease: Lease, ids: readonly string[]): Promise<void>;
}

export interface Store extends RecordStore, JobStore {
  /** Deletes records created, and jobs finished, before `cutoff` (epoch ms). */
  purge(cutoff: number): Promise<{ predictions: number; jobs: number }>;
  /** Resolves once the store can answer, or has tried once (a shared database may come later). */
  ready(): Promise<void>;
  /** The shared database, as health reports it; none for the embedded store. */
  readonly dependency?: Dependency;
  /** Writes what is queued, then closes. */
  close(): Promise<void>;
}
