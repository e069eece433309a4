import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { after, before, describe, it } from 'node:test';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DynamicBatcher } from '../../src/inference/runtime/batcher.js';
import { AS_SENT, type ModelRunner } from '../../src/inference/runtime/model-runner.js';
import { tempRepository } from '../helpers/repository.js';
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

describe('with batching.max_batch_size 0 in model.json (API.md §14)', () => {
  it('runs each request alone, exactly as sent (no padding), and still answers every row', async () => {
    const repo = tempRepository().copy('loan-approval');
    const file = join(repo.dir, 'loan-approval', 'model.json');
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), batching: { max_batch_size: 0 } }));
    const s = await startServer({ env: { MODEL_REPOSITORY: repo.dir, CACHE_SIZE: '0' } });
    try {
      const v = s.service.registry.resolve('loan-approval');
      assert.equal(v.batchable, false);
      const inner = (v.runner as unknown as { inner: ModelRunner }).inner;
      const run = inner.run.bind(inner);
      const seen: number[] = [];
      inner.run = (feeds, n) => (seen.push(n, feeds[0]!.dims[0]!), run(feeds, n));
      const one = await s.call('POST', '/api/v1/predict', { body: { model: 'loan-approval', features: rows[0] } });
      assert.equal(one.status, 200, one.text);
      const batch = await s.call('POST', '/api/v1/predict/batch', { body: { model: 'loan-approval', instances: rows.slice(0, 5) } });
      assert.equal(batch.status, 200, batch.text);
      assert.equal(batch.body.data.predictions.length, 5);
      assert.deepEqual(seen, [AS_SENT, 1, AS_SENT, 5], 'runs as sent: rows AS_SENT, feeds of 1 and 5 rows');
    } finally {
      await s.close();
      repo.remove();
    }
  });
});
