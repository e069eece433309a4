/**
 * The worker-thread side of WorkerRunner: owns one OnnxRunner (its own
 * InferenceSession, the same 8-row padding) and answers run requests posted
 * by the main thread, transferring the output buffer back.
 */
import '../../ort-env.js';
import { parentPort, workerData } from 'node:worker_threads';
import type { ExecutionProvider } from '../../config.js';
import { ProviderSelector } from './execution-providers.js';
import { OnnxRunner } from './onnx-runner.js';
import type { NumericArray, RunOutput } from './model-runner.js';

/** What the main thread passes at start. */
export interface WorkerInit {
  model: string | Uint8Array;
  inputName: string;
  outputName: string;
  width: number;
  intraOpThreads: number;
  providers: ExecutionProvider[];
}

/** Main thread → worker. */
export type WorkerRequest = { id: number; input: Float32Array; rows: number } | { id: -1; dispose: true };

/** Worker → main thread. */
export type WorkerReply =
  | { id: 0; ready: { inputs: OnnxRunner['inputs']; outputs: OnnxRunner['outputs'] } }
  | { id: number; output: RunOutput }
  | { id: number; error: string };

const port = parentPort!;
const init = workerData as WorkerInit;

/** An array backed by a buffer this thread can give away: ORT's own, or a copy when it is shared. */
function own<T extends NumericArray>(data: T): T {
  const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
  return whole ? data : (data.slice() as T);
}

/** The output with buffers this thread can give away. */
function transferable(output: RunOutput): RunOutput {
  const out: RunOutput = { data: own(output.data), dims: [...output.dims] };
  if (output.extras) out.extras = output.extras.map((e) => ({ name: e.name, data: own(e.data), dims: [...e.dims] }));
  return out;
}

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
  runner.run(msg.input, msg.rows).then(
    (output) => {
      const out = transferable(output);
      const buffers = [out.data, ...(out.extras ?? []).map((e) => e.data)].map((d) => d.buffer as ArrayBuffer);
      port.postMessage({ id: msg.id, output: out } satisfies WorkerReply, buffers);
    },
    (err: unknown) => port.postMessage({ id: msg.id, error: err instanceof Error ? err.message : String(err) } satisfies WorkerReply),
  );
});
