import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { after, before, describe, it } from 'node:test';
import type { DynamicBatcher } from '../../src/inference/runtime/batcher.js';
import { startServer, testToken, type TestServer } from '../helpers/server.js';

let t: TestServer;
before(async () => {
  // No cache: the rows are first predicted alone, and the concurrent ones must run, not hit it.
  t = await startServer({ env: { CACHE_SIZE: '0' } });
});
after(() => t.close());

const rows = Array.from({ length: 64 }, (_, i) => ({
  age: 20 + i, income: 20000 + 1500 * i, credit_score: 400 + 7 * i, employment_years: i % 30, loan_amount: 5000 + 900 * i,
}));
const predict = (features: unknown) => t.call('POST', '/api/v1/predict', { body: { model: 'loan-approval', features } });

/**
 * Sends the bodies concurrently from another thread, as a load generator in
 * another process would: requests then reach the server while it is busy and
 * pile up in its sockets, which is when batches form.
 */
async function concurrently(url: string, token: string, bodies: unknown[]): Promise<Array<{ status: number; body: any }>> {
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     Promise.all(workerData.bodies.map((b) => fetch(workerData.url, {
       method: 'POST',
       headers: { 'content-type': 'application/json', authorization: 'Bearer ' + workerData.token },
       body: JSON.stringify(b),
     }).then(async (r) => ({ status: r.status, body: await r.json() })))).then((r) => parentPort.postMessage(r));`,
    { eval: true, workerData: { url, token, bodies } },
  );
  const [results] = await once(worker, 'message');
  await worker.terminate();
  return results;
}

describe('dynamic batching of POST /api/v1/predict', () => {
  it('runs 64 concurrent predictions in fewer ONNX runs, each answer equal to the same row predicted alone', async (ctx) => {
    const batcher = t.service.registry.resolve('loan-approval').runner as DynamicBatcher;
    const alone: Array<Record<string, unknown>> = [];
    for (const r of rows) alone.push((await predict(r)).body.data);
    const before = batcher.runs;
    const together = await concurrently(`${t.url}/api/v1/predict`, testToken(), rows.map((features) => ({ model: 'loan-approval', features })));
    const runs = batcher.runs - before;
    ctx.diagnostic(`64 concurrent requests took ${runs} ONNX runs`);
    assert.ok(runs > 0 && runs < 64, `64 concurrent requests took ${runs} runs`);
    together.forEach((r, i) => {
      assert.equal(r.status, 200);
      const { id: _a, ...got } = r.body.data;
      const { id: _b, ...want } = alone[i]!;
      assert.deepEqual(got, want, `row ${i}`);
    });
  });
});
