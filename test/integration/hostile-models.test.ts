/**
 * A hostile model must not stall the service (API.md §15, issue 16 point 3):
 * models built to spend seconds in one native ONNX Runtime call
 * (test/fixtures/slow-models.ts), uploaded or found at start, while
 * /api/v1/health/live and the other models are polled every 100 ms.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import type { GrpcListener } from '../../src/grpc/grpc-server.js';
import { SLOW_ROW, slowOnDemandModel, slowWarmUpModel } from '../fixtures/slow-models.js';
import { grpcBeside, inferenceClient, type InferenceClient } from '../helpers/grpc.js';
import { pollEvery, slowest } from '../helpers/live-poller.js';
import { copyModels, type ScratchRepository } from '../helpers/repository.js';
import { expectError, SAMPLES, startServer, testToken, type TestServer } from '../helpers/server.js';

/** The contract's bound, for each poll. */
const LIVE_MS = 1_000;

/** A scratch copy of models/ served with `env`; the upload helper PUTs a version of iris. */
function scratchServer(env: Record<string, string>) {
  const ctx = {} as { repo: ScratchRepository; t: TestServer };
  before(async () => {
    ctx.repo = copyModels();
    ctx.t = await startServer({ env: { MODEL_REPOSITORY: ctx.repo.dir, MODEL_POLL_INTERVAL_MS: '0', ...env } });
  });
  after(async () => {
    await ctx.t.close();
    ctx.repo.remove();
  });
  const upload = (version: string, bytes: Uint8Array) =>
    ctx.t.call('PUT', `/api/v1/models/iris/versions/${version}`, { raw: bytes, headers: { 'content-type': 'application/octet-stream' } });
  return { ctx, upload };
}

describe('PUT of a model whose warm-up runs for seconds, within MODEL_WARMUP_TIMEOUT_MS [30000]', () => {
  const { ctx, upload } = scratchServer({});
  it('answers 201 while /health/live answers every 100 ms poll within 1 s, and serves it off the event loop', async () => {
    const live = pollEvery(`${ctx.t.url}/api/v1/health/live`);
    const started = performance.now();
    // Each warm-up run loops for ~1.2 s (more on a busy machine): on the event loop, liveness would wait that long.
    const r = await upload('2', slowWarmUpModel(1.2));
    const took = performance.now() - started;
    const polls = await live.stop();
    assert.equal(r.status, 201, r.text);
    const { max, all } = slowest(polls);
    assert.ok(polls.length >= 3, `the upload took ${took} ms: ${all}`);
    assert.ok(polls.every((p) => p.status === 200), all);
    assert.ok(max < LIVE_MS, `slowest /health/live ${max} ms during a ${Math.round(took)} ms upload: ${all}`);
    const iris = ctx.t.service.registry.get('iris')!;
    assert.equal(iris.versions.get('2')!.placement, 'process');
    assert.equal(iris.versions.get('1')!.placement, 'main', 'the shipped model stays on the main thread');
  });
});

describe('PUT of a model whose warm-up outlasts MODEL_WARMUP_TIMEOUT_MS', () => {
  const { ctx, upload } = scratchServer({ MODEL_WARMUP_TIMEOUT_MS: '3000' });
  it('answers 422 VALIDATION_ERROR naming MODEL_WARMUP_TIMEOUT_MS at about the deadline; what served keeps serving', async () => {
    const live = pollEvery(`${ctx.t.url}/api/v1/health/live`);
    const started = performance.now();
    const r = await upload('3', slowWarmUpModel(120));
    const took = performance.now() - started;
    const polls = await live.stop();
    expectError(r, 422, 'VALIDATION_ERROR');
    assert.match(r.body.error.message, /warm-up exceeded MODEL_WARMUP_TIMEOUT_MS \(3000 ms\)/);
    assert.ok(took >= 2_900 && took < 3_000 + 3_000, `refused after ${Math.round(took)} ms`);
    const { max, all } = slowest(polls);
    assert.ok(max < LIVE_MS, `slowest /health/live ${max} ms: ${all}`);
    assert.equal(ctx.t.service.registry.get('iris')!.versions.has('3'), false);
    const p = await ctx.t.call('POST', '/api/v1/models/iris/predict', { body: { features: SAMPLES.iris } });
    assert.equal(p.status, 200, p.text);
    assert.equal(p.body.meta.model_version, '1');
  });
});

describe('a model with a quick warm-up but one slow inference', () => {
  let repo: ScratchRepository;
  let t: TestServer;
  let grpc: GrpcListener;
  let client: InferenceClient;
  const TIMEOUT_MS = 800;
  before(async () => {
    repo = copyModels();
    // Found at start, like any version on disk: its warm-up (baselines) is instant, a feature of 99 loops for ~30 s.
    mkdirSync(repo.path('iris', '2'));
    writeFileSync(repo.path('iris', '2', 'model.onnx'), slowOnDemandModel(30));
    t = await startServer({ env: { MODEL_REPOSITORY: repo.dir, MODEL_POLL_INTERVAL_MS: '0', INFERENCE_TIMEOUT_MS: String(TIMEOUT_MS) } });
    grpc = await grpcBeside(t);
    client = inferenceClient(`127.0.0.1:${grpc.port}`);
  });
  after(async () => {
    client.close();
    await grpc.drain();
    await t.close();
    repo.remove();
  });

  /** Runs `slow` while liveness and house-price predictions are polled every 100 ms; returns its result and its duration. */
  async function whilePolling<T>(slow: () => Promise<T>): Promise<{ result: T; took: number }> {
    const live = pollEvery(`${t.url}/api/v1/health/live`);
    const other = pollEvery(`${t.url}/api/v1/models/house-price/predict`, 100, {
      method: 'POST', body: JSON.stringify({ features: SAMPLES['house-price'] }),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${testToken()}` },
    });
    const started = performance.now();
    const result = await slow();
    const took = performance.now() - started;
    // Keep polling a little past the 504: the run is still going (or being stopped) then.
    await new Promise((r) => setTimeout(r, 500));
    for (const [name, polls] of [['live', await live.stop()], ['house-price', await other.stop()]] as const) {
      const { max, all } = slowest(polls);
      assert.ok(polls.every((p) => p.status === 200), `${name}: ${all}`);
      assert.ok(max < LIVE_MS, `${name}: slowest ${Math.round(max)} ms: ${all}`);
    }
    return { result, took };
  }

  it('serves it in a child process (its graph has a Loop), the shipped models on the main thread', () => {
    const iris = t.service.registry.get('iris')!;
    assert.equal(iris.versions.get('2')!.state, 'ready');
    assert.equal(iris.versions.get('2')!.placement, 'process');
    for (const v of t.service.registry.allVersions().filter((v) => v.name !== 'iris' || v.version !== '2')) {
      assert.equal(v.placement, 'main', `${v.name}/${v.version}`);
    }
  });

  it('POST /api/v1/models/iris/predict answers 504 INFERENCE_TIMEOUT at INFERENCE_TIMEOUT_MS; the others keep answering', async () => {
    const { result: r, took } = await whilePolling(() =>
      t.call('POST', '/api/v1/models/iris/predict', { body: { features: SLOW_ROW, version: '2' } }));
    expectError(r, 504, 'INFERENCE_TIMEOUT');
    assert.ok(took >= TIMEOUT_MS - 50 && took < TIMEOUT_MS + 700, `504 after ${Math.round(took)} ms`);
  });

  it('POST /v2/models/iris/versions/2/infer answers 504 {"error"} at the deadline', async () => {
    const body = { inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 4], data: Object.values(SLOW_ROW) }] };
    const { result: r, took } = await whilePolling(() => t.call('POST', '/v2/models/iris/versions/2/infer', { body }));
    assert.equal(r.status, 504, r.text);
    assert.equal(typeof r.body.error, 'string');
    assert.ok(took >= TIMEOUT_MS - 50 && took < TIMEOUT_MS + 700, `504 after ${Math.round(took)} ms`);
  });

  it('ModelInfer over gRPC fails DEADLINE_EXCEEDED at the deadline', async () => {
    const req = {
      model_name: 'iris', model_version: '2',
      inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 4], contents: { fp32_contents: Object.values(SLOW_ROW) } }],
    };
    const { result: err, took } = await whilePolling(() =>
      client.call('ModelInfer', req, { authorization: `Bearer ${testToken()}` }).then(() => undefined, (e: { code: number }) => e));
    assert.equal(err?.code, status.DEADLINE_EXCEEDED);
    assert.ok(took >= TIMEOUT_MS - 50 && took < TIMEOUT_MS + 700, `DEADLINE_EXCEEDED after ${Math.round(took)} ms`);
  });

  it('answers an ordinary request on the same version afterwards (the stuck run was stopped)', async () => {
    const r = await t.call('POST', '/api/v1/models/iris/predict', { body: { features: SAMPLES.iris, version: '2' } });
    assert.equal(r.status, 200, r.text);
  });
});
