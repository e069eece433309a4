/**
 * The gRPC listener drains with the HTTP one (API.md §13): `npm start` with
 * GRPC_PORT gets SIGTERM while a long ModelInfer is in flight; that call
 * finishes with its answer after the listeners closed, a call made after
 * the close is refused with UNAVAILABLE, and the process exits 0.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { status } from '@grpc/grpc-js';
import { HEAVY_FEATURES, writeHeavyModels } from '../../scripts/bench/make-heavy-model.js';
import { floats, inferenceClient } from '../helpers/grpc.js';
import { freePort, startProcess, waitForStatus, type ServiceProcess } from '../helpers/process.js';
import { TEST_JWT_SECRET, testToken } from '../helpers/server.js';

const ROWS = 8192;
const repo = mkdtempSync(join(tmpdir(), 'grpc-drain-models-'));
let proc: ServiceProcess | undefined;
after(() => {
  if (proc && proc.child.exitCode === null) proc.child.kill('SIGKILL');
  rmSync(repo, { recursive: true, force: true });
});

describe('npm start with GRPC_PORT, on SIGTERM', () => {
  it('lets a ModelInfer in flight finish, refuses calls after the close, and exits 0', async () => {
    // An expensive model (a benchmark fixture), in a worker thread: an 8192-row call runs for seconds.
    writeHeavyModels(repo, [{ name: 'heavy', maxBatchSize: 256, maxDelayMs: 1, runner: 'worker' }]);
    const [port, grpcPort] = [await freePort(), await freePort()];
    proc = startProcess('npm', ['start', '--silent'], {
      PORT: String(port), HOST: '127.0.0.1', GRPC_PORT: String(grpcPort), MODEL_REPOSITORY: repo,
      AUTH_JWT_SECRET: TEST_JWT_SECRET, SHUTDOWN_DRAIN_MS: '0', SHUTDOWN_TIMEOUT_MS: '60000',
      INFERENCE_TIMEOUT_MS: '60000', LOG_LEVEL: 'info',
    });
    await waitForStatus(`http://127.0.0.1:${port}/api/v1/health`, 200, proc, 120_000);
    const client = inferenceClient(`127.0.0.1:${grpcPort}`);
    const md = { authorization: `Bearer ${testToken('predict')}` };
    try {
      assert.deepEqual(await client.call('ServerReady', {}), { ready: true });
      const rows = new Float32Array(ROWS * HEAVY_FEATURES).fill(0.5);
      const request = {
        model_name: 'heavy',
        inputs: [{ name: 'features', datatype: 'FP32', shape: [ROWS, HEAVY_FEATURES] }],
        raw_input_contents: [Buffer.from(rows.buffer)],
      };
      let closedBeforeAnswer = false;
      const inFlight = client.call('ModelInfer', request, md).then((reply) => {
        closedBeforeAnswer = proc!.output().includes('listener closed');
        return reply;
      });
      await sleep(200);
      proc.child.kill('SIGTERM');

      const reply = await inFlight;
      assert.deepEqual(reply.outputs[0].shape, [ROWS, 2]);
      assert.equal(floats(reply.raw_output_contents[0]).length, ROWS * 2);
      assert.ok(closedBeforeAnswer, `the call was still in flight when the listeners closed:\n${proc.output()}`);

      await assert.rejects(client.call('ServerLive', {}), (err: { code: number }) => err.code === status.UNAVAILABLE);
      assert.equal(await proc.exited, 0, proc.output());
    } finally {
      client.close();
    }
  });
});
