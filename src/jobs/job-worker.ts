/**
 * Runs queued jobs one at a time in this process. A job goes through the
 * model in chunks, and the worker yields to the event loop after each one, so
 * synchronous requests are served between chunks and keep their latency.
 * Between chunks it also notices a cancellation, and a stop: a job that
 * cannot finish within the grace period goes back to the queue (API.md §11).
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ModelVersion } from '../inference/serving/model-version.js';
import { batchData, type PredictService, type RowResult } from '../inference/prediction/predict-service.js';
import type { ModelRegistry } from '../inference/serving/registry.js';
import type { JobRequest, JobRow, JobStore } from '../store/store.js';

export interface WorkerDeps {
  store: JobStore;
  registry: ModelRegistry;
  predictService: PredictService;
  logger: Logger;
  /** Rows per chunk at most (also capped by the model's batch limit). */
  chunkRows: number;
  /** Called once a job has succeeded or failed. */
  onFinished: (job: JobRow) => void;
}

type Interrupt = 'cancel' | 'requeue';

export class JobWorker {
  private loop: Promise<void> | undefined;
  private dirty = false;
  private stopping = false;
  private current: { id: string; interrupt?: Interrupt } | undefined;

  constructor(private readonly deps: WorkerDeps) {}

  /** Says that a job may be waiting; starts the loop unless it runs or the worker is stopped. */
  kick(): void {
    if (this.stopping) return;
    this.dirty = true;
    this.loop ??= this.drain().finally(() => {
      this.loop = undefined;
      // A kick between the last empty claim and here must not be lost.
      if (this.dirty) this.kick();
    });
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
        if (this.stopping) return;
        const job = await this.deps.store.claimNextJob(Date.now());
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

  private async run(job: JobRow): Promise<void> {
    const { store, logger } = this.deps;
    const log = logger.child({ job_id: job.id });
    let outcome: Parameters<JobStore['finishJob']>[1];
    try {
      const request = (await store.getJobRequest(job.id))!;
      const version = this.deps.registry.resolve(request.model, request.version);
      const results = await this.chunks(job, version, request.instances, request.options);
      if (!results) return;
      outcome = { status: 'succeeded', at: Date.now(), result: batchData(version, results) };
    } catch (err) {
      const known = err instanceof AppError;
      if (!known) log.error({ err }, 'job failed unexpectedly');
      const error = known ? { code: err.code, message: err.message } : { code: 'INTERNAL_ERROR', message: 'The job failed unexpectedly' };
      outcome = { status: 'failed', at: Date.now(), error };
    }
    if (await store.finishJob(job.id, outcome)) {
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
    const size = Math.max(1, Math.min(this.deps.chunkRows, version.batching!.max_batch_size));
    const results: RowResult[] = [];
    for (let start = 0; start < rows.length; start += size) {
      const interrupt = this.current?.interrupt;
      if (interrupt === 'requeue') await this.deps.store.requeueJobs(job.id);
      if (interrupt) {
        this.deps.logger.info({ job_id: job.id, interrupt, done: start }, 'job interrupted');
        return undefined;
      }
      results.push(...(await this.deps.predictService.run(version, rows.slice(start, start + size), options)));
      await this.deps.store.updateProgress(job.id, results.length);
      await yieldToEventLoop();
    }
    return results;
  }
}
