/**
 * What the service keeps beyond a request: prediction records and async
 * batch jobs (API.md §5, §6). The interfaces are promise-based so that a
 * shared store (several replicas) can replace the embedded SQLite one without
 * touching its callers.
 */

/** A single prediction as it was answered, owned by its caller. */
export interface PredictionRecord {
  id: string;
  /** `sub:<sub>`, `key:<id>` or `anonymous` (API.md §11). */
  owner: string;
  /** Epoch milliseconds. */
  createdAt: number;
  model: string;
  modelVersion: string;
  features: Record<string, unknown>;
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
  instances: Array<Record<string, number>>;
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

export interface JobStore {
  insertJob(job: NewJob): Promise<void>;
  getJob(id: string): Promise<JobRow | undefined>;
  getJobRequest(id: string): Promise<JobRequest | undefined>;
  /** Claims the oldest queued job (queued → running); undefined when none is queued. */
  claimNextJob(now: number): Promise<JobRow | undefined>;
  updateProgress(id: string, done: number): Promise<void>;
  /** running → succeeded/failed; false when the job was no longer running (cancelled meanwhile). */
  finishJob(id: string, outcome: { status: 'succeeded' | 'failed'; at: number; result?: unknown; error?: JobRow['error'] }): Promise<boolean>;
  /** queued/running → cancelled; false when the job had already finished. */
  cancelJob(id: string, at: number): Promise<boolean>;
  /** running → queued with progress 0 (shutdown, or a restart after a crash); returns how many. */
  requeueJobs(id?: string): Promise<number>;
  setWebhook(id: string, outcome: WebhookOutcome): Promise<void>;
  /** Finished jobs whose webhook is still pending (to resume after a restart). */
  pendingWebhooks(): Promise<JobRow[]>;
}

export interface Store extends RecordStore, JobStore {
  /** Deletes records created, and jobs finished, before `cutoff` (epoch ms). */
  purge(cutoff: number): Promise<{ predictions: number; jobs: number }>;
  close(): void;
}
