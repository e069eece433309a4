import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { purgeExpired } from '../../src/store/retention.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import type { Store } from '../../src/store/store.js';

const DAY = 86_400_000;
let dir: string;
let store: Store;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'store-unit-'));
  store = openSqliteStore(join(dir, 'nested', 'data'));
});
after(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const request = { model: 'm', version: '1', instances: [{ a: 1 }, { a: 2 }], options: {} };
const job = (id: string, createdAt: number) => store.insertJob({ id, owner: 'sub:a', createdAt, request, callbackUrl: null });

describe('SqliteStore', () => {
  it('creates DATA_DIR and runs in WAL mode', async () => {
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(join(dir, 'nested', 'data', 'onnx-serving.sqlite'), { readonly: true });
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    db.close();
  });

  it('stores a prediction record and reads it back as it was', async () => {
    const record = { id: 'pred_1', owner: 'key:k', createdAt: 5, model: 'm', modelVersion: '1', features: { a: 1 }, options: {}, result: { prediction: 'x' } };
    await store.savePrediction(record);
    assert.deepEqual(await store.getPrediction('pred_1'), record);
    assert.equal(await store.getPrediction('pred_2'), undefined);
  });

  it('claims queued jobs oldest first, one at a time', async () => {
    await job('job_b', 200);
    await job('job_a', 100);
    assert.equal((await store.claimNextJob(1000))?.id, 'job_a');
    assert.equal((await store.claimNextJob(1000))?.id, 'job_b');
    assert.equal(await store.claimNextJob(1000), undefined);
    assert.deepEqual(await store.getJobRequest('job_a'), request);
  });

  it('finishes only a running job, cancels only an unfinished one, and requeues running ones', async () => {
    assert.equal(await store.cancelJob('job_b', 300), true);
    assert.equal(await store.finishJob('job_b', { status: 'succeeded', at: 400, result: { ok: 1 } }), false, 'cancelled stays cancelled');
    assert.equal((await store.getJob('job_b'))?.status, 'cancelled');
    assert.equal(await store.cancelJob('job_b', 300), false);
    await store.updateProgress('job_a', 1);
    assert.equal((await store.getJob('job_a'))?.done, 1);
    assert.equal(await store.requeueJobs(), 1);
    const requeued = await store.getJob('job_a');
    assert.deepEqual([requeued?.status, requeued?.done, requeued?.startedAt], ['queued', 0, null]);
    await store.claimNextJob(500);
    assert.equal(await store.finishJob('job_a', { status: 'succeeded', at: 600, result: { ok: 1 } }), true);
    const done = await store.getJob('job_a');
    assert.deepEqual([done?.status, done?.done, done?.finishedAt, done?.result], ['succeeded', 2, 600, { ok: 1 }]);
  });

  it('lists finished jobs whose webhook is pending', async () => {
    await store.setWebhook('job_a', { state: 'pending', attempts: 1, last_status: 500, last_attempt_at: 1 });
    assert.deepEqual((await store.pendingWebhooks()).map((j) => j.id), ['job_a']);
    await store.setWebhook('job_a', { state: 'delivered', attempts: 2, last_status: 200, last_attempt_at: 2 });
    assert.deepEqual(await store.pendingWebhooks(), []);
  });

  it('purges records and finished jobs past the retention period, never unfinished jobs', async () => {
    const now = 100 * DAY;
    const old = now - 31 * DAY;
    await store.savePrediction({ id: 'pred_old', owner: 'a', createdAt: old, model: 'm', modelVersion: '1', features: {}, options: {}, result: {} });
    await store.savePrediction({ id: 'pred_new', owner: 'a', createdAt: now - DAY, model: 'm', modelVersion: '1', features: {}, options: {}, result: {} });
    await job('job_old_finished', old);
    await store.claimNextJob(old);
    await store.finishJob('job_old_finished', { status: 'failed', at: old, error: { code: 'X', message: 'x' } });
    await job('job_old_queued', old - DAY);
    const deleted = await purgeExpired(store, 30, now);
    assert.equal(await store.getPrediction('pred_old'), undefined);
    assert.ok(await store.getPrediction('pred_new'));
    assert.equal(await store.getJob('job_old_finished'), undefined);
    assert.equal((await store.getJob('job_old_queued'))?.status, 'queued');
    assert.ok(deleted.predictions >= 1 && deleted.jobs >= 1);
  });

  it('refuses to open where it cannot write, naming DATA_DIR', () => {
    writeFileSync(join(dir, 'a-file'), 'not a directory');
    assert.throws(() => openSqliteStore(join(dir, 'a-file', 'data')), /DATA_DIR/);
  });
});
