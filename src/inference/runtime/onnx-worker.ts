/**
 * The worker-thread side of WorkerRunner: owns one OnnxRunner (its own
 * InferenceSession, the same 8-row padding) and answers run requests posted
 * by the main thread, transferring the output buffers back (strings are cloned).
 */
import '../../ort-env.js';
import { parentPort, workerData } from 'node:worker_threads';
import type { ExecutionProvider } from '../../config.js';
import { ProviderSelector } from './execution-providers.js';
import { OnnxRunner } from './onnx-runner.js';
import type { TensorValue } from './model-runner.js';
import { ownTensor, transferList } from './transfer.js';

/** What the main thread passes at start. */
export interface WorkerInit {
  model: string | Uint8Array;
  intraOpThreads: number;
  providers: ExecutionProvider[];
}

/** Main thread → worker. */
export type WorkerRequest = { id: number; feeds: TensorValue[]; rows: number } | { id: -1; dispose: true };

/** Worker → main thread. */
export type WorkerReply =
  | { id: 0; ready: { inputs: OnnxRunner['inputs']; outputs: OnnxRunner['outputs'] } }
  | { id: number; outputs: TensorValue[] }
  | { id: number; error: string };

const port = parentPort!;
const init = workerData as WorkerInit;

let runner: OnnxRunner;
try {
  runner = await OnnxRunner.load({ ...init, providers: new ProviderSelector(init.providers) });
} catch (err) {
  port.postMessage({ id: 0, error: err instanceof Error ? err.message : String(err) } satisfies WorkerReply);
  process.exit(0);
}
port.postMessage({ id: 0, ready: { inputs: runner.inputs, outputs: runner.outputs } } satisfies WorkerReply);

port.on('message', (msg: WorkerRequest) => {
  if ('dispose' in msg) {
    void runner.dispose().finally(() => port.close());
    return;
  }
  runner.run(msg.feeds, msg.rows).then(
    (outputs) => {
      // ORT's own output buffers, given away; a view of a larger buffer is copied first.
      const own = outputs.map(ownTensor);
      port.postMessage({ id: msg.id, outputs: own } satisfies WorkerReply, transferList(own));
    },
    (err: unknown) => port.postMessage({ id: msg.id, error: err instanceof Error ? err.message : String(err) } satisfies WorkerReply),
  );
});
