/**
 * Completion webhooks (API.md §6, §11): POST {"event", "job"} to the job's
 * callback_url with `X-Signature: sha256=<lowercase hex HMAC-SHA256 of the raw
 * body>` keyed by the UTF-8 bytes of WEBHOOK_SECRET. A 2xx ends it; anything
 * else (another status, a refused connection, a timeout, a redirect, which is
 * never followed) is retried: first after 1 s, doubling, with up to 20 % jitter,
 * 6 attempts in all. Each attempt's outcome is recorded on the job.
 */
import { createHmac } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../logger.js';
import type { JobStore, WebhookOutcome } from '../store/store.js';

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
  private readonly stopped = new AbortController();

  constructor(
    private readonly store: JobStore,
    private readonly settings: WebhookSettings,
    private readonly logger: Logger,
  ) {}

  /** Starts delivering in the background; the outcome is recorded on the job. */
  deliver(jobId: string, url: string, event: WebhookEvent, job: object): void {
    const delivery = this.send(jobId, url, event, job).catch((err: unknown) => {
      this.logger.error({ err, job_id: jobId }, 'webhook delivery failed unexpectedly');
    });
    this.inFlight.add(delivery);
    void delivery.finally(() => this.inFlight.delete(delivery));
  }

  /** Waits for every delivery in flight (tests). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
  }

  /** Abandons the deliveries in flight; they stay `pending` and resume after a restart. */
  stop(): void {
    this.stopped.abort();
  }

  private async send(jobId: string, url: string, event: WebhookEvent, job: object): Promise<void> {
    const body = JSON.stringify({ event, job });
    const headers = {
      'content-type': 'application/json; charset=utf-8',
      'user-agent': 'onnx-serving-webhook/1',
      'x-signature': signature(body, this.settings.secret),
      'x-webhook-event': event,
    };
    const log = this.logger.child({ job_id: jobId, event });
    const outcome: WebhookOutcome = { state: 'pending', attempts: 0, last_status: null, last_attempt_at: null };
    for (let attempt = 1; attempt <= this.settings.attempts; attempt++) {
      if (this.stopped.signal.aborted) return;
      outcome.attempts = attempt;
      outcome.last_attempt_at = Date.now();
      try {
        const signal = AbortSignal.any([this.stopped.signal, AbortSignal.timeout(this.settings.timeoutMs)]);
        const res = await fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal });
        outcome.last_status = res.status;
        await res.body?.cancel();
      } catch {
        if (this.stopped.signal.aborted) return;
        outcome.last_status = null;
      }
      const ok = outcome.last_status !== null && outcome.last_status >= 200 && outcome.last_status < 300;
      if (ok || attempt === this.settings.attempts) {
        outcome.state = ok ? 'delivered' : 'failed';
        await this.store.setWebhook(jobId, outcome);
        log[ok ? 'info' : 'warn']({ attempts: attempt, status: outcome.last_status }, ok ? 'webhook delivered' : 'webhook gave up');
        return;
      }
      await this.store.setWebhook(jobId, outcome);
      const delay = this.settings.baseDelayMs * 2 ** (attempt - 1) * (1 + JITTER * Math.random());
      log.info({ attempt, status: outcome.last_status, retry_in_ms: Math.round(delay) }, 'webhook attempt failed; retrying');
      try {
        await sleep(delay, undefined, { signal: this.stopped.signal });
      } catch {
        return;
      }
    }
  }
}
