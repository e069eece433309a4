/**
 * The far side of WorkerRunner (a worker thread) and ProcessRunner (a child
 * process): owns one OnnxRunner (its own InferenceSession, the same 8-row
 * padding) and answers run requests, sending the output buffer back
 * (transferred to a thread, serialised to a process). It reports how long the
 * load and each run took, and on request which operators the graph uses:
 * that is what decides where a version serves (runner-placement.ts).
 *
 * A probe (a child process, API.md §15) also derives the version's serving
 * configuration here (derive-config.ts): decoding a possibly huge upload's
 * protobuf never holds the service's event loop. When the graph is rewritten
 * (a ZipMap removed), ONNX Runtime loads the rewritten bytes, and they go back
 * to the service with the configuration.
 */
import '../../ort-env.js';
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import type { ExecutionProvider } from '../../config.js';
import type { ModelJson, ServingConfig } from '../serving/derive/serving-config.js';
import { ProviderSelector } from './execution-providers.js';
import { graphOps } from './graph-ops.js';
import { OnnxRunner } from './onnx-runner.js';
import type { TensorValue } from './model-runner.js';
import { ownTensor, transferList } from './transfer.js';

/** What the main thread passes at start. */
export interface WorkerInit {
  model: string | Uint8Array;
  intraOpThreads: number;
  providers: ExecutionProvider[];
  /** Report the graph's operators in the ready message (a probe). */
  scanOps?: boolean;
  /** Derive the serving configuration from the graph and this model.json (a probe; `json` undefined: none). */
  derive?: { json: ModelJson | undefined };
}

/** Main thread → worker. */
export type WorkerRequest = { id: number; feeds: TensorValue[]; rows: number } | { id: -1; dispose: true };

/** Worker → main thread. */
export type WorkerReply =
  | { id: 0; ready: WorkerReady }
  /** The graph and model.json give no configuration that can serve: the reason, safe to show. */
  | { id: 0; refused: string }
  | { id: number; outputs: TensorValue[]; ms: number }
  | { id: number; error: string };

export interface WorkerReady {
  inputs: OnnxRunner['inputs'];
  outputs: OnnxRunner['outputs'];
  /** InferenceSession creation, ms. */
  loadMs: number;
  /** The graph's operators when `scanOps` was asked; null when the file could not be read. */
  ops?: string[] | null;
  /** When `derive` was asked: the configuration, and the bytes ONNX Runtime loaded when the graph was rewritten. */
  derived?: { config: ServingConfig; rewritten?: Uint8Array };
}

/** The two ends this file can serve: a worker's port, or a child process's IPC channel. */
interface Port {
  postMessage(msg: WorkerReply, transfer?: ArrayBuffer[]): void;
  on(event: 'message', listener: (msg: WorkerRequest) => void): void;
  close(): void;
}

/** The last message sent to the parent process, which close() lets out before exiting. */
let sent: Promise<void> = Promise.resolve();

/** A child process's IPC channel as a port (no transfer: the message is serialised anyway). */
const processPort: Port = {
  postMessage: (msg) => {
    sent = new Promise((resolve) => process.send!(msg, undefined, undefined, () => resolve()));
  },
  on: (event, listener) => process.on(event, listener as (msg: unknown) => void),
  close: () => void sent.then(() => process.exit(0)),
};

const port: Port = parentPort ?? processPort;
// A thread gets its init as workerData, a child process as its first message.
const init = parentPort
  ? (workerData as WorkerInit)
  : await new Promise<WorkerInit>((resolve) => process.once('message', (msg) => resolve(msg as WorkerInit)));
if (!parentPort) {
  // The service went away (crash, SIGKILL): nothing is left to answer.
  process.on('disconnect', () => process.exit(0));
}

/** The graph's operators, read from the file in this thread (never on the event loop). */
function scan(model: string | Uint8Array): string[] | null {
  try {
    const ops = graphOps(typeof model === 'string' ? readFileSync(model) : model);
    return ops ? [...ops] : null;
  } catch {
    return null;
  }
}

/** Loads the session, says ready (or why not), then answers runs until told to dispose. */
async function serve(): Promise<void> {
  let runner: OnnxRunner;
  let model = init.model;
  let derived: WorkerReady['derived'];
  if (init.derive) {
    let result: ReturnType<typeof import('../serving/derive/derive-config.js').configFromOnnx>;
    try {
      // Imported only by a probe: a child restarted after a stuck run, or a worker thread, starts as quickly as before.
      const { configFromOnnx } = await import('../serving/derive/derive-config.js');
      result = configFromOnnx(typeof model === 'string' ? readFileSync(model) : model, init.derive.json);
    } catch (err) {
      port.postMessage({ id: 0, error: err instanceof Error ? err.message : String(err) } satisfies WorkerReply);
      port.close();
      return;
    }
    if ('reason' in result) {
      port.postMessage({ id: 0, refused: result.reason } satisfies WorkerReply);
      port.close();
      return;
    }
    const rewritten = result.config.rewrites.length > 0 ? result.bytes : undefined;
    if (rewritten) model = rewritten;
    derived = { config: result.config, ...(rewritten && { rewritten }) };
  }
  const started = performance.now();
  try {
    runner = await OnnxRunner.load({ ...init, model, providers: new ProviderSelector(init.providers) });
  } catch (err) {
    port.postMessage({ id: 0, error: err instanceof Error ? err.message : String(err) } satisfies WorkerReply);
    port.close();
    return;
  }
  const ready: WorkerReady = { inputs: runner.inputs, outputs: runner.outputs, loadMs: performance.now() - started };
  if (init.scanOps) ready.ops = scan(model);
  if (derived) ready.derived = derived;
  port.postMessage({ id: 0, ready } satisfies WorkerReply);

  port.on('message', (msg: WorkerRequest) => {
    if ('dispose' in msg) {
      void runner.dispose().finally(() => port.close());
      return;
    }
    const start = performance.now();
    runner.run(msg.feeds, msg.rows).then(
      (outputs) => {
        const ms = performance.now() - start;
        // ORT's own output buffers, given away; a view of a larger buffer is copied first.
        const own = outputs.map(ownTensor);
        port.postMessage({ id: msg.id, outputs: own, ms } satisfies WorkerReply, transferList(own));
      },
      (err: unknown) => port.postMessage({ id: msg.id, error: err instanceof Error ? err.message : String(err) } satisfies WorkerReply),
    );
  });
}

await serve();
