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
import type { RunOutput } from './model-runner.js';

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

/** The output as a buffer this thread can give away: ORT's own, or a copy when it is shared. */
function transferable(output: RunOutput): RunOutput {
  const { data } = output;
  const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
  return { data: whole ? data : data.slice(), dims: [...output.dims] };
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
      port.postMessage({ id: msg.id, output: out } satisfies WorkerReply, [out.data.buffer as ArrayBuffer]);
    },
    (err: unknown) => port.postMessage({ id: msg.id, error: err instanceof Error ? err.message : String(err) } satisfies WorkerReply),
  );
});
