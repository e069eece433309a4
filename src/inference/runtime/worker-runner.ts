/**
 * A ModelRunner whose InferenceSession lives in a worker thread, so that a
 * long `session.run()` (a synchronous native call, onnxruntime issues #26968,
 * #19611) does not stop the event loop. Same interface, same answers: the
 * worker runs an OnnxRunner (same session options, same 8-row padding);
 * typed-array feeds and outputs are transferred, not cloned; BYTES (strings)
 * are cloned (transfer.ts).
 *
 * One worker per model version: the DynamicBatcher in front of it sends one
 * run at a time and gathers what arrives meanwhile into the next batch.
 * Whether this pays is measured per model size (docs/performance.md).
 */
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ExecutionProvider } from '../../config.js';
import type { OnnxRunnerOptions } from './onnx-runner.js';
import type { WorkerInit, WorkerReply, WorkerRequest } from './onnx-worker.js';
import type { ModelRunner, TensorInfo, TensorValue } from './model-runner.js';
import { transferList } from './transfer.js';

const EXT = extname(fileURLToPath(import.meta.url));
const WORKER_URL = new URL(`./onnx-worker${EXT}`, import.meta.url);

/**
 * onnx-worker.js next to this file in dist/. Under tsx (tests run src/*.ts),
 * tsx registers its loader on the main thread only, so the worker registers
 * it itself before importing onnx-worker.ts; tsx is a devDependency and this
 * path is never taken from dist/.
 */
function spawnWorker(workerData: WorkerInit): Worker {
  if (EXT !== '.ts') return new Worker(WORKER_URL, { workerData });
  const api = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(api)}).then(({ register }) => { register(); return import(${JSON.stringify(WORKER_URL.href)}); })`;
  return new Worker(boot, { eval: true, workerData });
}

interface Pending {
  resolve(outputs: TensorValue[]): void;
  reject(err: Error): void;
}

export class WorkerRunner implements ModelRunner {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failure: Error | undefined;

  private constructor(
    private readonly worker: Worker,
    readonly executionProvider: ExecutionProvider,
    readonly inputs: readonly TensorInfo[],
    readonly outputs: readonly TensorInfo[],
  ) {
    worker.on('message', (msg: WorkerReply) => this.settle(msg));
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', () => this.fail(new Error('the inference worker exited')));
    // An idle worker must not keep the process alive; one with runs in flight must.
    worker.unref();
  }

  /** Starts a worker and its session on the first usable provider (the same choice as OnnxRunner.load). */
  static async load(options: OnnxRunnerOptions): Promise<WorkerRunner> {
    const { value, provider } = await options.providers.create((providers) => WorkerRunner.start(options, providers));
    return new WorkerRunner(value.worker, provider, value.inputs, value.outputs);
  }

  private static async start(options: OnnxRunnerOptions, providers: ExecutionProvider[]) {
    const init: WorkerInit = { model: options.model, intraOpThreads: options.intraOpThreads, providers };
    const worker = spawnWorker(init);
    let onMessage!: (msg: WorkerReply) => void;
    let onError!: (err: Error) => void;
    let onExit!: (code: number) => void;
    const first = await new Promise<WorkerReply>((resolve, reject) => {
      onMessage = resolve;
      onError = reject;
      onExit = (code) => reject(new Error(`the inference worker exited (${code}) before it was ready`));
      worker.on('message', onMessage).on('error', onError).on('exit', onExit);
    }).finally(() => {
      // Only these listeners: Worker keeps internal ones (removeAllListeners would break it).
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
    });
    if ('error' in first || !('ready' in first)) {
      await worker.terminate();
      throw new Error('error' in first ? first.error : 'the inference worker did not start');
    }
    return { worker, inputs: first.ready.inputs, outputs: first.ready.outputs };
  }

  run(feeds: readonly TensorValue[], rows: number): Promise<TensorValue[]> {
    if (this.failure) return Promise.reject(this.failure);
    // Copies whose buffers are given to the worker: the caller's arrays may
    // be views of larger buffers it still uses.
    const own = feeds.map((f) => (Array.isArray(f.data) ? f : { datatype: f.datatype, dims: f.dims, data: f.data.slice() }));
    const id = this.nextId++;
    return new Promise<TensorValue[]>((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, feeds: own, rows } satisfies WorkerRequest, transferList(own));
    });
  }

  private settle(msg: WorkerReply): void {
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (this.pending.size === 0) this.worker.unref();
    if ('outputs' in msg) p.resolve(msg.outputs);
    else if ('error' in msg) p.reject(new Error(msg.error));
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const p of this.pending.values()) p.reject(this.failure);
    this.pending.clear();
  }

  async dispose(): Promise<void> {
    if (this.failure) return;
    this.failure = new Error('the runner is disposed');
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.ref();
    this.worker.postMessage({ id: -1, dispose: true } satisfies WorkerRequest);
    // The worker closes its port once its session is released, and then exits.
    const timer = setTimeout(() => void this.worker.terminate(), 5_000);
    await exited;
    clearTimeout(timer);
  }
}
