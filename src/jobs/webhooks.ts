/**
 * Completion webhooks (API.md §6, §11): POST {"event", "job"} to the job's
 * callback_url with `X-Signature: sha256=<lowercase hex HMAC-SHA256 of the raw
 * body>` keyed by the UTF-8 bytes of WEBHOOK_SECRET. A 2xx ends it; anything
 * else (another status, a refused connection, a timeout, a redirect, which is
 * never followed) is retried: first after 1 s, doubling, with up to 20 % jitter,
 * 6 attempts in all. Each attempt's outcome is recorded on the job.
 *
 * Several replicas (API.md §12): a delivery is leased like a running job.
 * Every attempt is recorded before it is sent, so that a replica taking over
 * a delivery whose deliverer died resumes it on the same schedule (the next
 * attempt when it was due) and never makes more than 6 in all. A receiver
 * may still see one attempt twice: each carries `X-Webhook-ID: <job id>.<event>`
 * so that it can drop repeats.
 */
import { createHmac } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../logger.js';
import type { JobStore, Lease, WebhookOutcome } from '../store/store.js';

export interface WebhookSettings {
  secret: string;
  /** Delay before the first retry, doubled for each next one [1000]. */
  baseDelayMs: number;
  /** Attempts in all, the first included [6]. */
  attempts: number;
  /** How long one attempt may take [10000]. */
  timeoutMs: number;
}

export const DEFAULT_WEBHOOK_SETTINGS = { baseDelayMs: 1000, attempts: 6, timeoutMs: 10_000 } as const;
const JITTER = 0.2;

/** The X-Signature value of a raw body. */
export function signature(body: string | Buffer, secret: string): string {
  return `sha256=${createHmac('sha256', Buffer.from(secret, 'utf8')).update(body).digest('hex')}`;
}

export type WebhookEvent = 'job.succeeded' | 'job.failed';

export class WebhookSender {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly jobs = new Set<string>();
  private readonly stopped = new AbortController();

  constructor(
    private readonly store: JobStore,
    private readonly settings: WebhookSettings,
    private readonly logger: Logger,
    private readonly lease: () => Lease,
  ) {}

  /**
   * Delivers in the background, resuming after the attempts `from` records;
   * the outcome is recorded on the job. The caller holds the delivery's lease.
   */
  deliver(jobId: string, url: string, event: WebhookEvent, job: object, from: WebhookOutcome): void {
    const delivery = this.send(jobId, url, event, job, from).catch((err: unknown) => {
      this.logger.warn({ err, job_id: jobId }, 'webhook delivery interrupted; it resumes once its lease expires');
    });
    this.inFlight.add(delivery);
    this.jobs.add(jobId);
    void delivery.finally(() => {
      this.inFlight.delete(delivery);
      this.jobs.delete(jobId);
    });
  }

  /** The jobs whose webhook this process is delivering now (their leases are renewed). */
  delivering(): string[] {
    return [...this.jobs];
  }

  /** Waits for every delivery in flight (tests). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
  }

  /** Abandons the deliveries in flight; they stay `pending` and resume after a restart. */
  stop(): void {
    this.stopped.abort();
  }

  /** The delay before attempt `next` (2, 3, …): the base, doubled for each earlier retry. */
  private delayBefore(next: number): number {
    return this.settings.baseDelayMs * 2 ** (next - 2);
  }

  private async send(jobId: string, url: string, event: WebhookEvent, job: object, from: WebhookOutcome): Promise<void> {
    const body = JSON.stringify({ event, job });
    const headers = {
      'content-type': 'application/json; charset=utf-8',
      'user-agent': 'onnx-serving-webhook/1',
      'x-signature': signature(body, this.settings.secret),
      'x-webhook-event': event,
      'x-webhook-id': `${jobId}.${event}`,
    };
    const log = this.logger.child({ job_id: jobId, event });
    const outcome: WebhookOutcome = { ...from, state: 'pending' };
    if (outcome.attempts > 0) log.info({ attempts: outcome.attempts }, 'webhook delivery resumed');
    // When the last attempt ended here; for one made by a replica that died, when it started.
    let lastEnded: number | undefined;
    for (let attempt = outcome.attempts + 1; attempt <= this.settings.attempts; attempt++) {
      if (attempt > 1) {
        const due = (lastEnded ?? outcome.last_attempt_at ?? Date.now()) + this.delayBefore(attempt) * (1 + JITTER * Math.random());
        const delay = Math.max(0, due - Date.now());
        if (delay > 0) {
          log.info({ attempt, status: outcome.last_status, retry_in_ms: Math.round(delay) }, 'webhook attempt failed; retrying');
          try {
            await sleep(delay, undefined, { signal: this.stopped.signal });
          } catch {
            return;
          }
        }
      }
      if (this.stopped.signal.aborted) return;
      outcome.attempts = attempt;
      outcome.last_attempt_at = Date.now();
      outcome.last_status = null;
      // Recorded before sending: a replica that takes over never repeats more than this one attempt.
      if (!(await this.store.setWebhook(jobId, outcome, this.lease()))) return void log.info('webhook delivery no longer ours; dropped');
      try {
        const signal = AbortSignal.any([this.stopped.signal, AbortSignal.timeout(this.settings.timeoutMs)]);
        const res = await fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal });
        outcome.last_status = res.status;
        await res.body?.cancel();
      } catch {
        if (this.stopped.signal.aborted) return;
        outcome.last_status = null;
      }
      lastEnded = Date.now();
      const ok = outcome.last_status !== null && outcome.last_status >= 200 && outcome.last_status < 300;
      if (ok || attempt === this.settings.attempts) outcome.state = ok ? 'delivered' : 'failed';
      await this.store.setWebhook(jobId, outcome, this.lease());
      if (outcome.state !== 'pending') {
        log[ok ? 'info' : 'warn']({ attempts: attempt, status: outcome.last_status }, ok ? 'webhook delivered' : 'webhook gave up');
        return;
      }
    }
    // Resumed after the last attempt was made (its deliverer died before recording the answer): give up as it would have.
    outcome.state = 'failed';
    await this.store.setWebhook(jobId, outcome, this.lease());
    log.warn({ attempts: outcome.attempts }, 'webhook gave up');
  }
}
