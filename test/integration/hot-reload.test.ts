import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { copyModels } from '../helpers/repository.js';
import { scratchServer } from '../helpers/scratch-server.js';
import { SAMPLES, startServer } from '../helpers/server.js';

// Hot reload is polled by hand (poll()) for determinism.
const s = scratchServer();

const poll = () => s.t.service.watcher.poll();
const iris = () => s.t.call('POST', '/api/v1/predict', { body: { model: 'iris', features: SAMPLES.iris } });
const versionOf = async (name: string, version: string) => (await s.t.call('GET', `/api/v1/models/${name}/versions/${version}`)).body.data;

describe('hot reload of the model repository', () => {
  describe('when a version directory is copied in while requests flow', () => {
    it('loads it after it looked the same on two polls, swaps it in, and fails no request', async () => {
      let running = true;
      const answers: Array<{ status: number; version?: string }> = [];
      const load = Promise.all([0, 1, 2].map(async () => {
        while (running) {
          const r = await iris();
          answers.push({ status: r.status, version: r.body?.data?.model_version });
        }
      }));
      await sleep(50);
      cpSync(s.repo.path('iris', '1'), s.repo.path('iris', '2'), { recursive: true });
      await poll();
      assert.equal((await s.t.call('GET', '/api/v1/models/iris/versions/2')).status, 404, 'not loaded on first sight');
      await poll();
      assert.equal((await versionOf('iris', '2')).state, 'ready');
      await sleep(50);
      running = false;
      await load;
      assert.deepEqual(answers.filter((a) => a.status !== 200), []);
      assert.equal(answers.at(-1)!.version, '2', 'the new version serves afterwards');
      assert.ok(answers.some((a) => a.version === '1'), 'the old one served before');
      assert.deepEqual(s.changes.at(-1), { model: 'iris', kind: 'added', versions: ['2'] });
    });
  });

  describe('when a broken version directory appears', () => {
    it('reports it failed with a reason and a log line, and keeps serving the good version', async () => {
      mkdirSync(s.repo.path('iris', '3'));
      writeFileSync(s.repo.path('iris', '3', 'model.onnx'), 'not an onnx file');
      await poll();
      await poll();
      const v3 = await versionOf('iris', '3');
      assert.equal(v3.state, 'failed');
      assert.match(v3.reason, /could not be loaded/);
      assert.ok(s.t.logs.some((l) => l.model === 'iris' && l.version === '3' && l.level === 50));
      assert.equal((await iris()).body.data.model_version, '2');
      const health = await s.t.call('GET', '/api/v1/health');
      assert.equal(health.status, 200);
      assert.equal(health.body.data.status, 'degraded');
    });
  });

  describe('when a broken file replaces a serving one', () => {
    it('refuses it and keeps the loaded session serving', async () => {
      writeFileSync(s.repo.path('iris', '2', 'model.onnx'), 'garbage');
      await poll();
      await poll();
      assert.equal((await versionOf('iris', '2')).state, 'ready');
      assert.equal((await iris()).status, 200);
      assert.ok(s.t.logs.some((l) => String(l.msg).includes('changed model.onnx refused')));
    });
  });

  describe('when a version directory is removed', () => {
    it('takes the version out of service', async () => {
      rmSync(s.repo.path('iris', '3'), { recursive: true });
      rmSync(s.repo.path('iris', '2'), { recursive: true });
      await poll();
      assert.equal((await s.t.call('GET', '/api/v1/models/iris/versions/3')).status, 404);
      assert.equal((await iris()).body.data.model_version, '1');
      assert.equal((await s.t.call('GET', '/api/v1/health')).body.data.status, 'ok');
    });
  });

  describe('when model.json s.changes its serving settings', () => {
    it('applies them without a reload', async () => {
      const path = s.repo.path('loan-approval', 'model.json');
      writeFileSync(path, JSON.stringify({ ...JSON.parse(readFileSync(path, 'utf8')), threshold: 0.7, default_version: '1' }));
      await poll();
      await poll();
      const detail = (await s.t.call('GET', '/api/v1/models/loan-approval')).body.data;
      assert.equal(detail.threshold, 0.7);
      assert.equal(detail.default_version, '1');
      assert.deepEqual(s.changes.at(-1), { model: 'loan-approval', kind: 'settings', versions: ['1', '2'] });
      const count = s.changes.length;
      await poll();
      await poll();
      assert.equal(s.changes.length, count, 'an applied change is not applied again');
    });
  });
});

describe('hot reload on its timer (MODEL_POLL_INTERVAL_MS)', () => {
  it('picks up a new model directory without a restart', async () => {
    const own = copyModels();
    const server = await startServer({ env: { MODEL_REPOSITORY: own.dir, MODEL_POLL_INTERVAL_MS: '100' } });
    try {
      cpSync(own.path('iris'), own.path('iris-copy'), { recursive: true });
      let status = 0;
      for (let i = 0; i < 50 && status !== 200; i++) {
        await sleep(100);
        status = (await server.call('POST', '/api/v1/models/iris-copy/predict', { body: { features: SAMPLES.iris } })).status;
      }
      assert.equal(status, 200);
      const list = (await server.call('GET', '/api/v1/models')).body.data.models;
      assert.ok(list.some((m: { name: string; state: string }) => m.name === 'iris-copy' && m.state === 'ready'));
    } finally {
      await server.close();
      own.remove();
    }
  });
});
