/**
 * Runs queued jobs one at a time in this process. A job goes through the
 * model in chunks, and the worker yields to the event loop after each one, so
 * synchronous requests are served between chunks and keep their latency.
 * Between chunks it also notices a cancellation, and a stop: a job that
 * cannot finish within the grace period goes back to the queue (API.md §11).
 *
 * Several replicas (API.md §12): a job is claimed under a lease held by this
 * replica (`owner`), renewed with each chunk's progress. When that renewal
 * finds the job no longer ours (cancelled through another replica, or taken
 * over after our lease expired) the worker drops it. When the store cannot
 * be reached, the job is dropped too, not failed: its lease runs out and the
 * first replica to claim it (this one included) runs it again from the start.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { AppError, DatabaseUnavailable } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ModelVersion } from '../inference/serving/model-version.js';
import { batchData, type PredictService, type RowResult } from '../inference/prediction/predict-service.js';
import type { ModelRegistry } from '../inference/serving/registry.js';
import type { ClaimedJob, JobRequest, JobRow, JobStore, Lease } from '../store/store.js';

export interface WorkerDeps {
  store: JobStore;
  registry: ModelRegistry;
  predictService: PredictService;
  logger: Logger;
  /** Rows per chunk at most (also capped by the model's batch limit). */
  chunkRows: number;
  /** This replica's lease on the jobs it runs. */
  lease: () => Lease;
  /** Whether to take new jobs now (not while draining). */
  accepting: () => boolean;
  /** Called once a job has succeeded or failed. */
  onFinished: (job: JobRow) => void;
}

type Interrupt = 'cancel' | 'requeue';

/** Thrown inside a run when the job is no longer ours: nothing more is written for it. */
class JobLost extends Error {}

export class JobWorker {
  private loop: Promise<void> | undefined;
  private dirty = false;
  private stopping = false;
  private current: { id: string; interrupt?: Interrupt } | undefined;
  private storeDown = false;

  constructor(private readonly deps: WorkerDeps) {}

  /** Says that a job may be waiting; starts the loop unless it runs or the worker is stopped. */
  kick(): void {
    if (this.stopping) return;
    this.dirty = true;
    this.loop ??= this.drain().catch((err: unknown) => this.storeFailed(err)).finally(() => {
      this.loop = undefined;
      // A kick between the last empty claim and here must not be lost (but a failed store waits for the next poll).
      if (this.dirty && !this.storeDown) this.kick();
    });
  }

  /** The job running here now, if any. */
  running(): string | undefined {
    return this.current?.id;
  }

  /** Stops the job `id` at its next chunk if it is the one running (its status is already cancelled). */
  cancel(id: string): void {
    if (this.current?.id === id) this.current.interrupt = 'cancel';
  }

  /** Takes no more jobs; the running one has `graceMs` to finish, else it goes back to the queue. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    this.dirty = false;
    if (!this.loop) return;
    const timer = setTimeout(() => {
      if (this.current) this.current.interrupt ??= 'requeue';
    }, graceMs);
    try {
      await this.loop;
    } finally {
      clearTimeout(timer);
    }
  }

  private async drain(): Promise<void> {
    while (!this.stopping && this.dirty) {
      this.dirty = false;
      for (;;) {
        if (this.stopping || !this.deps.accepting()) return;
        const job = await this.deps.store.claimNextJob(this.deps.lease());
        if (this.storeDown) {
          this.storeDown = false;
          this.deps.logger.info('job store reachable again');
        }
        if (!job) break;
        this.current = { id: job.id };
        try {
          await this.run(job);
        } finally {
          this.current = undefined;
        }
      }
    }
  }

  /** Logged once per outage: the poll tries again without flooding the log. */
  private storeFailed(err: unknown): void {
    if (!(err instanceof DatabaseUnavailable)) return void this.deps.logger.error({ err }, 'job worker failed');
    if (!this.storeDown) this.deps.logger.warn('job store unavailable; jobs wait for it');
    this.storeDown = true;
  }

  private async run(job: ClaimedJob): Promise<void> {
    const { store, logger } = this.deps;
    const log = logger.child({ job_id: job.id });
    log.info({ taken_over_from: job.takenOverFrom, owner: this.deps.lease().owner }, job.takenOverFrom ? 'job taken over' : 'job started');
    let outcome: Parameters<JobStore['finishJob']>[2];
    try {
      const request = (await store.getJobRequest(job.id))!;
      const version = this.deps.registry.resolve(request.model, request.version);
      const results = await this.chunks(job, version, request.instances, request.options);
      if (!results) return;
      outcome = { status: 'succeeded', at: Date.now(), result: batchData(version, results) };
    } catch (err) {
      if (err instanceof JobLost) return void log.info('job no longer ours (cancelled or taken over); dropped');
      // Not the job's fault: its lease runs out and it runs again once the store answers.
      if (err instanceof DatabaseUnavailable) throw err;
      const known = err instanceof AppError;
      if (!known) log.error({ err }, 'job failed unexpectedly');
      const error = known ? { code: err.code, message: err.message } : { code: 'INTERNAL_ERROR', message: 'The job failed unexpectedly' };
      outcome = { status: 'failed', at: Date.now(), error };
    }
    if (await store.finishJob(job.id, this.deps.lease(), outcome)) {
      log.info({ status: outcome.status, rows: job.total }, 'job finished');
      this.deps.onFinished((await store.getJob(job.id))!);
    }
  }

  /** Runs the rows chunk by chunk; undefined when interrupted. */
  private async chunks(
    job: JobRow,
    version: ModelVersion,
    rows: JobRequest['instances'],
    options: JobRequest['options'],
  ): Promise<RowResult[] | undefined> {
    // max_batch_size 0 (batching off): chunks of chunkRows, each run as sent.
    const size = Math.max(1, Math.min(this.deps.chunkRows, version.maxBatchSize || this.deps.chunkRows));
    const results: RowResult[] = [];
    for (let start = 0; start < rows.length; start += size) {
      const interrupt = this.current?.interrupt;
      // Handed back at once, so that another replica takes it without waiting for the lease (API.md §12).
      if (interrupt === 'requeue') await this.deps.store.releaseJob(job.id, this.deps.lease().owner);
      if (interrupt) {
        this.deps.logger.info({ job_id: job.id, interrupt, done: start }, 'job interrupted');
        return undefined;
      }
      results.push(...(await this.deps.predictService.run(version, rows.slice(start, start + size), options)));
      if (!(await this.deps.store.updateProgress(job.id, results.length, this.deps.lease()))) throw new JobLost();
      await yieldToEventLoop();
    }
    return results;
  }
}
