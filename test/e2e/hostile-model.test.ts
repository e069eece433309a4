/**
 * A hostile model cannot stall the real process (API.md §15): `node
 * dist/main.js`, /api/v1/health/live polled every 100 ms during an upload
 * whose warm-up runs for seconds and during an inference that would run for
 * half a minute; then SIGTERM, and the process exits 0 promptly.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SLOW_ROW, slowOnDemandModel, slowWarmUpModel } from '../fixtures/slow-models.js';
import { pollEvery, slowest } from '../helpers/live-poller.js';
import { freePort, ROOT, startProcess, waitForStatus, type ServiceProcess } from '../helpers/process.js';
import { copyModels, type ScratchRepository } from '../helpers/repository.js';
import { call, TEST_JWT_SECRET, testToken } from '../helpers/server.js';

let repo: ScratchRepository;
let proc: ServiceProcess;
let url: string;
const auth = { authorization: `Bearer ${testToken()}` };

before(async () => {
  if (!existsSync(join(ROOT, 'dist/main.js'))) execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT });
  repo = copyModels();
  mkdirSync(repo.path('iris', '2'));
  writeFileSync(repo.path('iris', '2', 'model.onnx'), slowOnDemandModel(30));
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  proc = startProcess(process.execPath, ['dist/main.js'], {
    AUTH_JWT_SECRET: TEST_JWT_SECRET, HOST: '127.0.0.1', PORT: String(port), MODEL_REPOSITORY: repo.dir,
    DATA_DIR: repo.path('.data'), MODEL_POLL_INTERVAL_MS: '0', INFERENCE_TIMEOUT_MS: '1000', SHUTDOWN_DRAIN_MS: '0',
  });
  await waitForStatus(`${url}/api/v1/health`, 200, proc);
});
after(() => {
  if (proc?.child.exitCode === null) proc.child.kill('SIGKILL');
  repo?.remove();
});

async function whileLivePolled<T>(work: () => Promise<T>): Promise<T> {
  const live = pollEvery(`${url}/api/v1/health/live`);
  const result = await work();
  const polls = await live.stop();
  const { max, all } = slowest(polls);
  assert.ok(polls.length >= 3 && polls.every((p) => p.status === 200), all);
  assert.ok(max < 1_000, `slowest /health/live ${Math.round(max)} ms: ${all}`);
  return result;
}

describe('node dist/main.js with a hostile model', () => {
  it('keeps /health/live within 1 s during an upload whose warm-up runs for seconds (201)', async () => {
    const r = await whileLivePolled(() => call(url, 'PUT', '/api/v1/models/iris/versions/3', {
      raw: slowWarmUpModel(1.2), headers: { ...auth, 'content-type': 'application/octet-stream' },
    }));
    assert.equal(r.status, 201, r.text);
  });

  it('keeps /health/live within 1 s during an inference past INFERENCE_TIMEOUT_MS, which answers 504', async () => {
    const r = await whileLivePolled(() => call(url, 'POST', '/api/v1/models/iris/predict', {
      body: { features: SLOW_ROW, version: '2' }, headers: auth,
    }));
    assert.equal(r.status, 504, r.text);
    assert.equal(r.body.error.code, 'INFERENCE_TIMEOUT');
  });

  it('exits 0 on SIGTERM within a few seconds, child processes included', async () => {
    // Another slow run in flight: its child is killed rather than waited for.
    const pending = call(url, 'POST', '/api/v1/models/iris/predict', { body: { features: SLOW_ROW, version: '2' }, headers: auth }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    proc.child.kill('SIGTERM');
    assert.equal(await proc.exited, 0, proc.output().slice(-2000));
    assert.ok(Date.now() - started < 10_000, `exited after ${Date.now() - started} ms`);
    await pending;
  });
});
