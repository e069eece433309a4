/**
 * A ModelRunner whose InferenceSession lives in a child process (API.md §15):
 * where an untrusted model is loaded and warmed first, and where one whose
 * runs are long keeps serving. Same answers as the main thread (the child
 * runs an OnnxRunner: same session options, same 8-row padding).
 *
 * Why a process and not a worker thread: onnxruntime-node's load and run are
 * synchronous native calls, which neither the event loop nor
 * `worker.terminate()` can interrupt; and a thread terminated in the middle
 * of one aborts the whole service (SIGABRT, Napi::Error) when the call
 * returns, and holds its exit until then (measured, docs/security.md). A
 * child process can be killed at once, whatever it is doing.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecutionProvider } from '../../config.js';
import type { OnnxRunnerOptions } from './onnx-runner.js';
import type { WorkerInit, WorkerReady, WorkerReply, WorkerRequest } from './onnx-worker.js';
import type { ModelRunner, TensorInfo, TensorValue } from './model-runner.js';
import { ownTensor } from './transfer.js';

const EXT = extname(fileURLToPath(import.meta.url));
const ENTRY = fileURLToPath(new URL(`./onnx-worker${EXT}`, import.meta.url));
/** Under tsx (tests run src/*.ts) the child needs tsx's loader too; tsx is a devDependency and this is never taken from dist/. */
const EXEC_ARGV = EXT === '.ts' ? ['--import', import.meta.resolve('tsx')] : [];

/** Every live child, killed if the service exits without releasing them (a crash, process.exit). */
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** The child's environment: what ONNX Runtime and the loader need, none of the service's secrets. */
function childEnv(): NodeJS.ProcessEnv {
  const keep = /^(PATH|HOME|TMPDIR|LANG|LC_\w+|LD_LIBRARY_PATH|CUDA_\w+|ORT_\w+|NODE_OPTIONS|TSX_\w+)$/;
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => keep.test(k)));
}

/** The load and warm-up took longer than allowed; the child was killed. */
export class DeadlineExceeded extends Error {}

/** The child derived no configuration that can serve (derive-config.ts); the message is the reason, safe to show. */
export class ConfigRefused extends Error {}

interface Pending {
  resolve(reply: { outputs: TensorValue[]; ms: number }): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout | undefined;
}

export interface ProcessRunnerLimits {
  /** performance.now() by which the child must have loaded the model (a warm-up deadline). */
  readyBy?: number;
  /** Report the graph's operators (runner-placement.ts). */
  scanOps?: boolean;
  /** Derive the serving configuration in the child, with this model.json (onnx-worker.ts). */
  derive?: WorkerInit['derive'];
}

/** Forks the child, sends its init, and resolves with its ready message; kills it at `readyBy`. */
async function startChild(init: WorkerInit, readyBy: number | undefined): Promise<{ child: ChildProcess; ready: WorkerReady }> {
  const child = fork(ENTRY, [], { execArgv: EXEC_ARGV, env: childEnv(), serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let timer: NodeJS.Timeout | undefined;
  let onMessage!: (msg: WorkerReply) => void;
  let onExit!: (code: number | null) => void;
  let onError!: (err: Error) => void;
  try {
    const first = await new Promise<WorkerReply>((resolve, reject) => {
      onMessage = resolve;
      onExit = (code) => reject(new Error(`the inference process exited (${code}) before it was ready`));
      onError = reject;
      child.on('message', onMessage).on('exit', onExit).on('error', onError);
      if (readyBy !== undefined) {
        timer = setTimeout(() => reject(new DeadlineExceeded('loading took too long')), Math.max(0, readyBy - performance.now()));
      }
      child.send(init);
    });
    if ('refused' in first) throw new ConfigRefused(first.refused);
    if ('error' in first || !('ready' in first)) throw new Error('error' in first ? first.error : 'the inference process did not start');
    return { child, ready: first.ready };
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  } finally {
    clearTimeout(timer);
    child.off('message', onMessage).off('exit', onExit).off('error', onError);
    // A later spawn or IPC error must not crash the service; the exit handler reports the child gone.
    child.on('error', () => undefined);
  }
}

export class ProcessRunner implements ModelRunner {
  private child: ChildProcess | undefined;
  /** A child being started again after one was killed mid-run. */
  private restarting: Promise<ChildProcess> | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private disposed = false;
  /** Runs longer than this kill the child (nobody waits for them: INFERENCE_TIMEOUT_MS has passed); the next run starts a new one. */
  maxRunMs: number | undefined;

  private constructor(
    child: ChildProcess,
    readonly executionProvider: ExecutionProvider,
    private readonly ready: WorkerReady,
    private readonly init: WorkerInit,
  ) {
    this.adopt(child);
  }

  get inputs(): readonly TensorInfo[] {
    return this.ready.inputs;
  }
  get outputs(): readonly TensorInfo[] {
    return this.ready.outputs;
  }
  /** InferenceSession creation in the child, ms. */
  get loadMs(): number {
    return this.ready.loadMs;
  }
  /** The configuration the child derived (when asked with `derive`), and the rewritten bytes it loaded. */
  get derived(): WorkerReady['derived'] {
    return this.ready.derived;
  }

  /** The graph's operators (when asked with scanOps); undefined when unreadable or not asked. */
  get ops(): ReadonlySet<string> | undefined {
    return this.ready.ops ? new Set(this.ready.ops) : undefined;
  }

  /** Starts a child and its session on the first usable provider (the same choice as OnnxRunner.load). */
  static async load(options: OnnxRunnerOptions, limits: ProcessRunnerLimits = {}): Promise<ProcessRunner> {
    const base = {
      model: options.model, intraOpThreads: options.intraOpThreads, scanOps: limits.scanOps ?? false,
      ...(limits.derive && { derive: limits.derive }),
    };
    const { value, provider } = await options.providers.create(async (providers) => {
      const init: WorkerInit = { ...base, providers };
      return { ...(await startChild(init, limits.readyBy)), init };
    });
    // A restart needs neither the operators nor a second derivation: it loads what the first child loaded.
    const { derive: _, ...restart } = value.init;
    const model = value.ready.derived?.rewritten ?? value.init.model;
    return new ProcessRunner(value.child, provider, value.ready, { ...restart, model, providers: [provider], scanOps: false });
  }

  private adopt(child: ChildProcess): void {
    this.child = child;
    child.on('message', (msg: WorkerReply) => this.settle(msg));
    child.once('exit', () => {
      if (this.child === child) this.child = undefined;
      this.failAll(new Error('the inference process exited'));
    });
    this.idle(true);
  }

  /** An idle child must not keep the service alive; one with runs in flight must. */
  private idle(idle: boolean): void {
    const child = this.child;
    if (!child) return;
    const channel = child.channel as { ref(): void; unref(): void } | null | undefined;
    if (idle) {
      child.unref();
      channel?.unref();
    } else {
      child.ref();
      channel?.ref();
    }
  }

  run(feeds: readonly TensorValue[], rows: number): Promise<TensorValue[]> {
    return this.timedRun(feeds, rows).then((r) => r.outputs);
  }

  /** A run, and how long the session took over it in the child (ms). */
  async timedRun(feeds: readonly TensorValue[], rows: number): Promise<{ outputs: TensorValue[]; ms: number }> {
    if (this.disposed) throw new Error('the runner is disposed');
    const child = this.child ?? (await this.restart());
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) this.idle(false);
      const timer = this.maxRunMs === undefined ? undefined : setTimeout(() => this.stopStuck(id), this.maxRunMs);
      timer?.unref();
      this.pending.set(id, { resolve, reject, timer });
      // Serialised whole: a view of a larger buffer (a chunk of a batch) is copied to its own rows first.
      child.send({ id, feeds: feeds.map(ownTensor), rows } satisfies WorkerRequest);
    });
  }

  private restart(): Promise<ChildProcess> {
    this.restarting ??= startChild(this.init, undefined)
      .then(({ child }) => {
        if (this.disposed) {
          child.kill('SIGKILL');
          throw new Error('the runner is disposed');
        }
        this.adopt(child);
        return child;
      })
      .finally(() => (this.restarting = undefined));
    return this.restarting;
  }

  /** A run outlived its deadline: its caller has had its 504; free the core it holds. */
  private stopStuck(id: number): void {
    if (!this.pending.has(id)) return;
    this.kill();
  }

  private settle(msg: WorkerReply): void {
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    clearTimeout(p.timer);
    if (this.pending.size === 0) this.idle(true);
    if ('outputs' in msg) p.resolve({ outputs: msg.outputs, ms: msg.ms });
    else if ('error' in msg) p.reject(new Error(msg.error));
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
  }

  /** Kills the child at once (a stuck warm-up or run); runs in flight fail, a later run starts a new child. */
  kill(): void {
    const child = this.child;
    this.child = undefined;
    this.failAll(new Error('the inference process was stopped'));
    child?.kill('SIGKILL');
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.restarting?.catch(() => undefined);
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    this.idle(false);
    child.send({ id: -1, dispose: true } satisfies WorkerRequest);
    // A child busy in a native run cannot read the request: it is killed after a short grace.
    const timer = setTimeout(() => child.kill('SIGKILL'), 1_000);
    await exited;
    clearTimeout(timer);
  }
}
