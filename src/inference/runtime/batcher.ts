/**
 * Dynamic batching (Triton-style), as a ModelRunner around a ModelRunner.
 * Requests that wait together are run together, up to the model's
 * `max_batch_size` rows, and each gets its own rows of the output back.
 *
 * When a batch is cut — Triton's rule (issue 12): run what is queued now.
 * A request that finds the runner idle runs at once, in the same turn of the
 * event loop: for a model whose run costs microseconds, waiting to collect
 * costs more than it saves. Requests collect only while a run is in
 * progress, and go together the moment it ends (a run of an in-thread ONNX
 * session is preceded by onnxruntime-node's own setImmediate, so every
 * request read in the same I/O phase joins the queue behind the first; for
 * worker-thread runners, requests gather for the whole run). `max_delay_ms`
 * bounds that collection: a request never waits for a batch to fill, only
 * for the run ahead of it, and 0 turns batching across requests off.
 *
 * Which requests go together (API.md §14 "Shapes and batching"): those of
 * a batchable model whose inputs agree on every dimension after the first;
 * they are concatenated input by input along the first dimension and every
 * output is split back by rows. A request that cannot join the batch being
 * cut waits for the next one. A request run AS_SENT (a model that is not
 * batchable) always runs alone.
 *
 * The queue is bounded (SERVICE_OVERLOADED when full: fail fast rather than
 * queue without end) and every request has a deadline (INFERENCE_TIMEOUT).
 * On the main thread the deadline is checked when a batch is cut and when
 * its run ends (a timer could not fire during a run that blocks the loop
 * anyway). For a runner off the event loop (`watchDeadlines`), one timer
 * armed for the earliest deadline answers 504 at that deadline, even while
 * the run holding the request is still going (API.md §15).
 */
import { AppError } from '../../errors.js';
import { AS_SENT, type ModelRunner, type TensorValue } from './model-runner.js';
import { concatRows, sliceRows } from './tensor-rows.js';

/** What the batcher reports about its queue (inference_queue_* metrics). */
export interface QueueObserver {
  depth(waiting: number): void;
  waited(seconds: number): void;
}

export interface BatcherOptions {
  /** Most rows in one run. */
  maxBatchSize: number;
  /** Longest the first queued request waits for more once the runner is free. */
  maxDelayMs: number;
  /** Most requests waiting; more are refused with SERVICE_OVERLOADED. */
  maxQueue: number;
  /** Deadline of one request, queueing plus inference. */
  timeoutMs: number;
  observer?: QueueObserver;
  /** The runner does not block the event loop: answer 504 at each deadline, not when the run ends. */
  watchDeadlines?: boolean;
}

interface Pending {
  feeds: readonly TensorValue[];
  /** The rows of a batchable request, or AS_SENT. */
  rows: number;
  enqueued: number;
  /** Answered already (by the deadline timer): the run's outcome is dropped. */
  settled?: boolean;
  resolve(outputs: TensorValue[]): void;
  reject(err: unknown): void;
}

export const overloaded = () =>
  new AppError('SERVICE_OVERLOADED', 'The model is overloaded; retry shortly', { headers: { 'Retry-After': '1' } });
export const timedOut = (ms: number) =>
  new AppError('INFERENCE_TIMEOUT', `The prediction did not finish within ${ms} ms`);

export class DynamicBatcher implements ModelRunner {
  private readonly queue: Pending[] = [];
  /** Rows waiting in the queue. */
  private queuedRows = 0;
  private running = false;
  private closed = false;
  /** The batch whose run is in progress (watched for its deadlines). */
  private inFlight: Pending[] = [];
  /** Armed for the earliest deadline while requests wait or run (watchDeadlines only). */
  private deadlineTimer: NodeJS.Timeout | undefined;
  /** Runs made, for tests and the benchmark (inference_runs_total counts them too). */
  runs = 0;

  constructor(
    private readonly inner: ModelRunner,
    private readonly options: BatcherOptions,
  ) {}

  get executionProvider() {
    return this.inner.executionProvider;
  }
  get inputs() {
    return this.inner.inputs;
  }
  get outputs() {
    return this.inner.outputs;
  }

  run(feeds: readonly TensorValue[], rows: number): Promise<TensorValue[]> {
    // A replaced or deleted version still answers the requests that resolved
    // it before the swap (a batch's later chunks among them): straight to the
    // runner below, whose release waits until no run is in flight.
    if (this.closed) return this.inner.run(feeds, rows);
    if (this.queue.length >= this.options.maxQueue) return Promise.reject(overloaded());
    return new Promise<TensorValue[]>((resolve, reject) => {
      this.queue.push({ feeds, rows, enqueued: performance.now(), resolve, reject });
      this.queuedRows += rows;
      this.options.observer?.depth(this.queue.length);
      // An idle runner runs at once; a busy one takes the queue when its run ends.
      if (!this.running) this.flush();
    });
  }

  /**
   * Cuts one batch from the queue and runs it: the head, then every later
   * request that fits with it (same dimensions after the first) while the
   * rows stay within maxBatchSize (one request when maxDelayMs is 0). A
   * request that does not fit with the head keeps its place for the next cut.
   */
  private flush(): void {
    if (this.running || this.queue.length === 0) return;
    const now = performance.now();
    this.expire(now);
    if (this.queue.length === 0) return;
    const maxRows = this.options.maxDelayMs > 0 ? this.options.maxBatchSize : 0;
    const q = this.queue;
    const head = q[0]!;
    const batch: Pending[] = [];
    let rows = 0;
    let kept = 0;
    let i = 0;
    // A request run as sent, or batching across requests off: the head alone.
    const alone = head.rows === AS_SENT || maxRows === 0;
    for (; i < q.length; i++) {
      const p = q[i]!;
      if (batch.length > 0 && alone) break;
      if (batch.length === 0 || fits(head, p)) {
        if (batch.length > 0 && rows + p.rows > maxRows) break;
        batch.push(p);
        rows += p.rows;
        this.options.observer?.waited((now - p.enqueued) / 1000);
      } else {
        q[kept++] = p;
      }
    }
    while (i < q.length) q[kept++] = q[i++]!;
    q.length = kept;
    this.queuedRows -= rows;
    this.options.observer?.depth(this.queue.length);
    void this.execute(batch, rows);
  }

  private async execute(batch: Pending[], rows: number): Promise<void> {
    this.running = true;
    this.runs++;
    if (this.options.watchDeadlines) {
      this.inFlight = batch;
      this.deadlineTimer ??= this.armAt(batch[0]!.enqueued);
    }
    try {
      const feeds = batch.length === 1 ? batch[0]!.feeds : concatFeeds(batch);
      const outputs = await this.inner.run(feeds, rows);
      split(outputs, batch, this.options.timeoutMs);
    } catch (err) {
      for (const p of batch) if (!p.settled) p.reject(err);
    } finally {
      this.running = false;
      this.inFlight = [];
      // Whatever queued during the run has waited long enough: go again at once.
      if (this.queue.length > 0) this.flush();
      if (!this.running && this.deadlineTimer) {
        clearTimeout(this.deadlineTimer);
        this.deadlineTimer = undefined;
      }
    }
  }

  /** The timer for the deadline of a request enqueued at `enqueued`. */
  private armAt(enqueued: number): NodeJS.Timeout {
    const timer = setTimeout(() => this.onDeadline(), Math.max(0, enqueued + this.options.timeoutMs - performance.now()));
    // A deadline alone must not keep the process alive (the runner's own handles do while it runs).
    timer.unref();
    return timer;
  }

  /** A deadline passed: 504 to every request past its own, running or waiting; then re-arm for the next. */
  private onDeadline(): void {
    this.deadlineTimer = undefined;
    const now = performance.now();
    const limit = this.options.timeoutMs;
    for (const p of this.inFlight) {
      if (!p.settled && now - p.enqueued >= limit) {
        p.settled = true;
        p.reject(timedOut(limit));
      }
    }
    if (this.queue.length > 0) this.expire(now);
    // Requests are enqueued in order, so the earliest deadline left is the first unsettled one.
    const next = this.inFlight.find((p) => !p.settled) ?? this.queue[0];
    if (next && this.running) this.deadlineTimer = this.armAt(next.enqueued);
  }

  /** Rejects requests whose deadline passed while they waited. */
  private expire(now: number): void {
    const limit = this.options.timeoutMs;
    if (now - this.queue[0]!.enqueued < limit) return;
    for (let i = this.queue.length - 1; i >= 0; i--) {
      if (now - this.queue[i]!.enqueued >= limit) {
        const [p] = this.queue.splice(i, 1);
        this.queuedRows -= p!.rows;
        p!.reject(timedOut(limit));
      }
    }
    this.options.observer?.depth(this.queue.length);
  }

  async dispose(): Promise<void> {
    this.closed = true;
    while (this.queue.length > 0 || this.running) await new Promise((r) => setImmediate(r));
    await this.inner.dispose();
  }
}

/** Whether `p` can run in one batch with `head`: both batchable, every input with the same dimensions after the first. */
function fits(head: Pending, p: Pending): boolean {
  if (head.rows === AS_SENT || p.rows === AS_SENT) return false;
  for (let k = 0; k < head.feeds.length; k++) {
    const a = head.feeds[k]!.dims;
    const b = p.feeds[k]!.dims;
    if (a.length !== b.length) return false;
    for (let d = 1; d < a.length; d++) if (a[d] !== b[d]) return false;
  }
  return true;
}

/** The batch's feeds, input by input, concatenated along the first dimension. */
function concatFeeds(batch: Pending[]): TensorValue[] {
  return batch[0]!.feeds.map((_, k) => concatRows(batch.map((p) => p.feeds[k]!)));
}

/** Gives each request its own rows of every output, or a 504 past its deadline. */
function split(outputs: TensorValue[], batch: Pending[], timeoutMs: number): void {
  const now = performance.now();
  let row = 0;
  for (const p of batch) {
    if (p.settled) { /* answered 504 at its deadline already */ }
    else if (now - p.enqueued > timeoutMs) p.reject(timedOut(timeoutMs));
    else if (batch.length === 1) p.resolve(outputs);
    else p.resolve(outputs.map((o) => sliceRows(o, row, p.rows)));
    row += p.rows;
  }
}
