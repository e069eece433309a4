/**
 * Async batch jobs (API.md §6, §11), protocol-neutral: decides whether a
 * batch runs as a job, submits it after the very checks a synchronous batch
 * gets, and reads or cancels a job for its owner (or admin). The worker runs
 * the jobs; the webhook sender reports their end.
 */
import { randomBytes } from 'node:crypto';
import { hasScope, type Caller } from '../auth/caller.js';
import { AppError, type ErrorDetail } from '../errors.js';
import type { Logger } from '../logger.js';
import { newId } from '../ids.js';
import type { PredictService } from '../inference/prediction/predict-service.js';
import type { ModelRegistry } from '../inference/serving/registry.js';
import type { JobQuota, JobRow, JobStore, Lease } from '../store/store.js';
import { allowedHostSet, callbackUrlProblem } from './callback-url.js';
import { quotaError } from './job-quota.js';
import { JOB_ID, webhookJob } from './job-view.js';
import { JobWorker } from './job-worker.js';
import { PENDING_OUTCOME } from '../store/webhook-state.js';
import { DEFAULT_WEBHOOK_SETTINGS, WebhookSender, type WebhookSettings } from './webhooks.js';

/** What tests (and operators, through the code) may tune. */
export interface JobTuning {
  /** Rows per chunk at most [256]. */
  chunkRows: number;
  webhook: Omit<WebhookSettings, 'secret'>;
  /** How often an idle replica looks for a queued job, an expired lease or an orphaned webhook [500]. */
  pollMs: number;
}

export const DEFAULT_JOB_TUNING: JobTuning = { chunkRows: 256, webhook: DEFAULT_WEBHOOK_SETTINGS, pollMs: 500 };

export interface JobServiceDeps {
  store: JobStore;
  registry: ModelRegistry;
  predictService: PredictService;
  logger: Logger;
  webhookSecret: string | undefined;
  callbackAllowedHosts: readonly string[];
  /** JOB_LEASE_MS: how long a running job or a webhook delivery stays ours without a renewal. */
  leaseMs: number;
  /** JOBS_MAX_PER_CALLER and JOBS_MAX_QUEUED. */
  quota: JobQuota;
  /** Whether to take new jobs now (false while draining). */
  accepting?: () => boolean;
  tuning?: Partial<JobTuning>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Whether a Prefer header (RFC 7240) asks for respond-async. */
export function prefersAsync(prefer: string | string[] | undefined): boolean {
  const values = Array.isArray(prefer) ? prefer : prefer === undefined ? [] : [prefer];
  return values.some((v) => v.split(',').some((p) => p.split(/[;=]/)[0]!.trim().toLowerCase() === 'respond-async'));
}

const jobNotFound = (id: string) => new AppError('JOB_NOT_FOUND', `No job '${id.slice(0, 140)}'`);

export class JobService {
  /** This replica's name on the leases it holds: unique per process, so a restarted replica is another owner. */
  readonly owner = `replica-${randomBytes(6).toString('hex')}`;
  private readonly worker: JobWorker;
  private readonly webhooks: WebhookSender | undefined;
  private readonly allowedHosts: ReadonlySet<string>;
  private readonly tuning: JobTuning;
  private timers: NodeJS.Timeout[] = [];
  private claimingWebhooks = false;

  constructor(private readonly deps: JobServiceDeps) {
    const tuning = (this.tuning = { ...DEFAULT_JOB_TUNING, ...deps.tuning });
    this.allowedHosts = allowedHostSet(deps.callbackAllowedHosts);
    const lease = () => this.lease();
    if (deps.webhookSecret !== undefined) {
      this.webhooks = new WebhookSender(deps.store, { ...tuning.webhook, secret: deps.webhookSecret }, deps.logger, lease);
    }
    this.worker = new JobWorker({
      store: deps.store, registry: deps.registry, predictService: deps.predictService, logger: deps.logger,
      chunkRows: tuning.chunkRows, lease, accepting: deps.accepting ?? (() => true), onFinished: (job) => this.notify(job),
    });
  }

  /** A lease for this replica from now. */
  lease(): Lease {
    return { owner: this.owner, now: Date.now(), ms: this.deps.leaseMs };
  }

  /** An async batch: options.async, else the Prefer header; an explicit `async: false` wins. */
  isAsync(body: unknown, prefer: string | string[] | undefined): boolean {
    const value = isObject(body) && isObject(body.options) ? body.options.async : undefined;
    return value === true || (value !== false && prefersAsync(prefer));
  }

  /** Checks a synchronous batch adds: a callback_url needs an async batch. */
  syncChecks(body: unknown): ErrorDetail[] {
    const url = isObject(body) && isObject(body.options) ? body.options.callback_url : undefined;
    if (typeof url !== 'string') return [];
    return [{ field: '/options/callback_url', message: 'applies only to asynchronous batches (options.async or Prefer: respond-async)', received: url }];
  }

  /**
   * Checks the batch like a synchronous one (plus its callback_url), then
   * queues it within the quotas: 429 when the owner has its fill of
   * unfinished jobs, 503 when the queue is full, and nothing stored.
   */
  async submit(body: unknown, owner: string): Promise<JobRow> {
    const { version, instances, options } = this.deps.predictService.checkBatch(body, this.callbackChecks(body));
    const { async: _async, callback_url: callbackUrl, ...runOptions } = options ?? {};
    const id = newId('job');
    const verdict = await this.deps.store.insertJobWithinQuota({
      id, owner, createdAt: Date.now(), callbackUrl: callbackUrl ?? null,
      request: { model: version.name, version: version.version, instances, options: runOptions },
    }, this.deps.quota);
    const refused = quotaError(verdict, this.deps.quota);
    if (refused) throw refused;
    // After the answer: the job is `queued` when the 202 says so.
    setImmediate(() => this.worker.kick());
    return (await this.deps.store.getJob(id))!;
  }

  /** The job, for its owner or admin; JOB_NOT_FOUND for anyone else. */
  async get(id: string, caller: Caller): Promise<JobRow> {
    const job = JOB_ID.test(id) ? await this.deps.store.getJob(id) : undefined;
    if (!job || (job.owner !== caller.id && !hasScope(caller, 'admin'))) throw jobNotFound(id);
    return job;
  }

  /** Cancels a job that has not finished; 409 CONFLICT for one that has. */
  async cancel(id: string, caller: Caller): Promise<JobRow> {
    const job = await this.get(id, caller);
    if (!(await this.deps.store.cancelJob(job.id, Date.now()))) {
      throw new AppError('CONFLICT', `Job '${job.id}' has already finished (${job.status})`);
    }
    this.worker.cancel(job.id);
    return (await this.deps.store.getJob(job.id))!;
  }

  /**
   * After start-up. The embedded store's jobs left running by a crash go back
   * to the queue (nobody else can hold them); a shared store's are taken over
   * once their lease expires. Then, every `pollMs`: the worker looks for a
   * queued job or an expired lease, and orphaned webhooks are resumed; every
   * third of the lease, the leases of the job and deliveries in hand here are renewed.
   */
  async start(): Promise<void> {
    const { store, logger } = this.deps;
    if (!store.shared) {
      const requeued = await store.requeueJobs();
      if (requeued > 0) logger.warn({ jobs: requeued }, 'jobs left running were put back in the queue');
    }
    const poll = () => {
      this.worker.kick();
      void this.resumeWebhooks();
    };
    const renew = () => {
      const ids = [this.worker.running(), ...(this.webhooks?.delivering() ?? [])].filter((id): id is string => id !== undefined);
      void store.renewLeases(this.lease(), ids).catch(() => {});
    };
    this.timers = [setInterval(poll, this.tuning.pollMs), setInterval(renew, Math.max(100, Math.floor(this.deps.leaseMs / 3)))];
    // The timers must never keep the process alive on their own.
    for (const t of this.timers) t.unref();
    poll();
  }

  /** Takes no more jobs; the running one gets `graceMs` to finish, else it goes back to the queue. */
  async stop(graceMs: number): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    await this.worker.stop(graceMs);
    this.webhooks?.stop();
  }

  /** Waits until every webhook in flight has finished (tests). */
  async webhooksIdle(): Promise<void> {
    await this.webhooks?.idle();
  }

  private callbackChecks(body: unknown): ErrorDetail[] {
    const url = isObject(body) && isObject(body.options) ? body.options.callback_url : undefined;
    if (typeof url !== 'string') return [];
    const problem = this.webhooks === undefined
      ? 'cannot be used: no WEBHOOK_SECRET is configured'
      : callbackUrlProblem(url, this.allowedHosts);
    return problem === undefined ? [] : [{ field: '/options/callback_url', message: problem, received: url }];
  }

  /** A job just finished here: its webhook, if any, is already pending and leased to this replica. */
  private notify(job: JobRow): void {
    if (job.callbackUrl === null || !this.webhooks || (job.status !== 'succeeded' && job.status !== 'failed')) return;
    this.webhooks.deliver(job.id, job.callbackUrl, `job.${job.status}`, webhookJob(job), job.webhook ?? PENDING_OUTCOME);
  }

  /** Leases and resumes every pending webhook that nobody holds (its deliverer died, or the process restarted). */
  private async resumeWebhooks(): Promise<void> {
    if (!this.webhooks || this.claimingWebhooks) return;
    this.claimingWebhooks = true;
    try {
      for (;;) {
        const job = await this.deps.store.claimWebhook(this.lease());
        if (!job) return;
        this.notify(job);
      }
    } catch {
      // The store is down: the next poll tries again (the worker logs the outage once).
    } finally {
      this.claimingWebhooks = false;
    }
  }
}
