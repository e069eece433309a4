import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { STORE_FILE } from '../../src/store/sqlite-store.js';
import { applicants, waitForJob } from '../helpers/jobs.js';
import { expectError, SAMPLES, startServer, type TestServer } from '../helpers/server.js';
import { as, headerGuard } from '../helpers/test-guard.js';

let t: TestServer;
before(async () => {
  t = await startServer({ env: { MAX_BATCH_SIZE: '5000' }, service: { guard: headerGuard, jobs: { chunkRows: 10 } } });
});
after(() => t.close());

const alice = as('sub:alice', 'predict');
const bob = as('sub:bob', 'predict');
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

const submit = (body: Record<string, unknown>, headers: Record<string, string> = alice, server = t) =>
  server.call('POST', '/api/v1/predict/batch', { body, headers });
const asyncBatch = (instances: unknown[], options: Record<string, unknown> = {}, model = 'loan-approval') =>
  ({ model, instances, options: { async: true, ...options } });

describe('POST /api/v1/predict/batch as an async job', () => {
  describe('with options.async', () => {
    it('answers 202 with Location and {job_id, status: queued, links}, then runs the job to the sync answer', async () => {
      const rows = applicants(95);
      const r = await submit(asyncBatch(rows, { explain: true, top_k: 2 }));
      assert.equal(r.status, 202);
      const { job_id, status, links } = r.body.data;
      assert.match(job_id, /^job_[A-Za-z0-9_-]{16,}$/);
      assert.equal(status, 'queued');
      assert.deepEqual(links, { self: `/api/v1/jobs/${job_id}` });
      assert.equal(r.headers.get('location'), `/api/v1/jobs/${job_id}`);
      assert.equal(r.body.meta.request_id, r.headers.get('x-request-id'));

      const job = await waitForJob(t, job_id, undefined, alice);
      assert.equal(job.status, 'succeeded');
      assert.equal(job.id, job_id);
      assert.deepEqual(job.progress, { done: 95, total: 95 });
      assert.match(job.created_at, ISO);
      assert.match(job.finished_at, ISO);
      const sync = await submit({ model: 'loan-approval', instances: rows, options: { explain: true, top_k: 2 } });
      assert.equal(sync.status, 200);
      assert.deepEqual(job.result, sync.body.data);
      assert.equal('model' in job.result.predictions[0], false, 'a job row does not repeat the model');
    });
  });

  describe('with the header Prefer: respond-async', () => {
    it('answers 202 and says the preference was applied', async () => {
      const r = await t.call('POST', '/api/v1/predict/batch', {
        body: { model: 'iris', instances: [SAMPLES.iris] }, headers: { ...alice, prefer: 'wait=10, respond-async' },
      });
      assert.equal(r.status, 202);
      assert.equal(r.headers.get('preference-applied'), 'respond-async');
      assert.equal((await waitForJob(t, r.body.data.job_id, undefined, alice)).status, 'succeeded');
    });
    it('answers synchronously when the body says async: false', async () => {
      const r = await t.call('POST', '/api/v1/predict/batch', {
        body: { model: 'iris', instances: [SAMPLES.iris], options: { async: false } }, headers: { ...alice, prefer: 'respond-async' },
      });
      assert.equal(r.status, 200);
      assert.equal(r.body.data.count, 1);
    });
  });

  describe('with a batch a synchronous request would refuse', () => {
    it('answers the same 422, 413 and 404 before any job exists', async () => {
      const rows: Array<Record<string, unknown>> = applicants(5);
      rows[3] = { ...rows[3], credit_score: 'high' };
      const r = await submit(asyncBatch(rows));
      expectError(r, 422, 'VALIDATION_ERROR');
      assert.deepEqual(r.body.error.details.map((d: { field: string }) => d.field), ['/instances/3/credit_score']);
      expectError(await submit(asyncBatch([])), 422, 'VALIDATION_ERROR');
      expectError(await submit(asyncBatch(applicants(5001))), 413, 'BATCH_TOO_LARGE');
      expectError(await submit(asyncBatch([SAMPLES.iris], {}, 'nope')), 404, 'MODEL_NOT_FOUND');
      const bad = await t.call('POST', '/api/v1/predict/batch', { body: { model: 'iris', instances: [{}] }, headers: { ...alice, prefer: 'respond-async' } });
      expectError(bad, 422, 'VALIDATION_ERROR');
    });
    it('answers 422 for async that is not a boolean', async () => {
      const r = await submit({ model: 'iris', instances: [SAMPLES.iris], options: { async: 'yes' } });
      expectError(r, 422, 'VALIDATION_ERROR');
      assert.equal(r.body.error.details[0].field, '/options/async');
    });
    it('answers 422 for a callback_url on a synchronous batch', async () => {
      const r = await submit({ model: 'iris', instances: [SAMPLES.iris], options: { callback_url: 'https://example.com/hook' } });
      expectError(r, 422, 'VALIDATION_ERROR');
      assert.equal(r.body.error.details[0].field, '/options/callback_url');
    });
  });

  describe('options for single predictions', () => {
    it('still refuse async and callback_url', async () => {
      const r = await t.call('POST', '/api/v1/predict', {
        body: { model: 'iris', features: SAMPLES.iris, options: { async: true, callback_url: 'https://example.com/h' } }, headers: alice,
      });
      expectError(r, 422, 'VALIDATION_ERROR');
      assert.deepEqual(r.body.error.details.map((d: { field: string }) => d.field).sort(), ['/options/async', '/options/callback_url']);
    });
  });
});

describe('a running job', () => {
  it('shows its progress, and synchronous requests are answered between its chunks', async () => {
    const r = await submit(asyncBatch(applicants(3000), { explain: true }));
    const id = r.body.data.job_id;
    const midway = await waitForJob(t, id, (j) => j.status === 'running' && j.progress.done > 0, alice);
    assert.ok(midway.progress.done < 3000);
    assert.equal(midway.progress.total, 3000);
    assert.equal(midway.finished_at, null);
    assert.equal(midway.result, null);
    const started = Date.now();
    const sync = await t.call('POST', '/api/v1/predict', { body: { model: 'iris', features: SAMPLES.iris }, headers: alice });
    assert.equal(sync.status, 200);
    const latency = Date.now() - started;
    const after = (await t.call('GET', `/api/v1/jobs/${id}`, { headers: alice })).body.data;
    assert.equal(after.status, 'running', 'the job was still running while the request was answered');
    assert.ok(latency < 1000, `a synchronous prediction took ${latency} ms during the job`);
    assert.equal((await waitForJob(t, id, undefined, alice)).status, 'succeeded');
  });
});

describe('GET /api/v1/jobs/{id}', () => {
  it('answers 404 JOB_NOT_FOUND to another caller, and the job to admin', async () => {
    const r = await submit(asyncBatch([SAMPLES['loan-approval']]));
    const id = r.body.data.job_id;
    expectError(await t.call('GET', `/api/v1/jobs/${id}`, { headers: bob }), 404, 'JOB_NOT_FOUND');
    expectError(await t.call('DELETE', `/api/v1/jobs/${id}`, { headers: bob }), 404, 'JOB_NOT_FOUND');
    const admin = await t.call('GET', `/api/v1/jobs/${id}`, { headers: as('sub:ops', 'admin') });
    assert.equal(admin.status, 200);
    assert.equal(admin.body.data.id, id);
  });
  it('answers 404 JOB_NOT_FOUND for an id that does not exist or cannot be one', async () => {
    for (const id of ['job_00000000-0000-4000-8000-000000000000', 'nope', 'pred_00000000-0000-4000-8000-000000000000', 'x'.repeat(300)]) {
      expectError(await t.call('GET', `/api/v1/jobs/${id}`, { headers: alice }), 404, 'JOB_NOT_FOUND');
      expectError(await t.call('DELETE', `/api/v1/jobs/${id}`, { headers: alice }), 404, 'JOB_NOT_FOUND');
    }
  });
  it('answers 405 for another method', async () => {
    const r = await t.call('POST', '/api/v1/jobs/job_00000000-0000-4000-8000-000000000000', { headers: alice, body: {} });
    expectError(r, 405, 'METHOD_NOT_ALLOWED');
    assert.match(r.headers.get('allow')!, /DELETE/);
  });
});

describe('DELETE /api/v1/jobs/{id}', () => {
  it('cancels a running job: 202 with the job, and it stops', async () => {
    const r = await submit(asyncBatch(applicants(4000), { explain: true }));
    const id = r.body.data.job_id;
    await waitForJob(t, id, (j) => j.status === 'running' && j.progress.done > 0, alice);
    const d = await t.call('DELETE', `/api/v1/jobs/${id}`, { headers: alice });
    assert.equal(d.status, 202);
    assert.equal(d.body.data.status, 'cancelled');
    assert.match(d.body.data.finished_at, ISO);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const later = (await t.call('GET', `/api/v1/jobs/${id}`, { headers: alice })).body.data;
    assert.equal(later.status, 'cancelled');
    assert.equal(later.result, null);
    assert.ok(later.progress.done < 4000);
    expectError(await t.call('DELETE', `/api/v1/jobs/${id}`, { headers: alice }), 409, 'CONFLICT');
  });
  it('answers 409 CONFLICT for a job that has finished', async () => {
    const r = await submit(asyncBatch([SAMPLES['loan-approval']]));
    await waitForJob(t, r.body.data.job_id, undefined, alice);
    expectError(await t.call('DELETE', `/api/v1/jobs/${r.body.data.job_id}`, { headers: alice }), 409, 'CONFLICT');
  });
  it('cancels a queued job before it runs', async () => {
    const s = await startServer({ service: { guard: headerGuard } });
    try {
      await s.service.jobs.stop(0);
      const r = await submit(asyncBatch([SAMPLES['loan-approval']]), alice, s);
      const d = await s.call('DELETE', `/api/v1/jobs/${r.body.data.job_id}`, { headers: alice });
      assert.equal(d.status, 202);
      assert.equal(d.body.data.status, 'cancelled');
      assert.deepEqual(d.body.data.progress, { done: 0, total: 1 });
    } finally {
      await s.close();
    }
  });
});

describe('jobs across a restart', () => {
  it('runs a queued job, and one left running by a crash, after the restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jobs-restart-'));
    try {
      const first = await startServer({ env: { DATA_DIR: dir }, service: { guard: headerGuard } });
      await first.service.jobs.stop(0);
      const rows = applicants(40);
      const queued = (await submit(asyncBatch(rows), alice, first)).body.data.job_id;
      const crashed = (await submit(asyncBatch(rows.slice(0, 7)), alice, first)).body.data.job_id;
      const sync = (await submit({ model: 'loan-approval', instances: rows }, alice, first)).body.data;
      await first.close();
      const db = new Database(join(dir, STORE_FILE));
      db.prepare(`UPDATE jobs SET status = 'running', done = 3 WHERE id = ?`).run(crashed);
      db.close();

      const second = await startServer({ env: { DATA_DIR: dir }, service: { guard: headerGuard } });
      try {
        const a = await waitForJob(second, queued, undefined, alice);
        assert.equal(a.status, 'succeeded');
        assert.deepEqual(a.result, sync);
        const b = await waitForJob(second, crashed, undefined, alice);
        assert.equal(b.status, 'succeeded');
        assert.equal(b.result.count, 7);
        expectError(await second.call('GET', `/api/v1/jobs/${queued}`, { headers: bob }), 404, 'JOB_NOT_FOUND');
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('puts a running job back in the queue on stop(), and runs it whole after the restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jobs-stop-'));
    try {
      const first = await startServer({ env: { DATA_DIR: dir }, service: { guard: headerGuard, jobs: { chunkRows: 5 } } });
      const rows = applicants(3000);
      const id = (await submit(asyncBatch(rows), alice, first)).body.data.job_id;
      await waitForJob(first, id, (j) => j.status === 'running' && j.progress.done > 0, alice);
      await first.service.jobs.stop(0);
      const stopped = (await first.call('GET', `/api/v1/jobs/${id}`, { headers: alice })).body.data;
      assert.equal(stopped.status, 'queued');
      assert.deepEqual(stopped.progress, { done: 0, total: 3000 });
      const sync = (await submit({ model: 'loan-approval', instances: rows }, alice, first)).body.data;
      await first.close();

      const second = await startServer({ env: { DATA_DIR: dir }, service: { guard: headerGuard } });
      try {
        const job = await waitForJob(second, id, undefined, alice);
        assert.equal(job.status, 'succeeded');
        assert.deepEqual(job.result, sync);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lets a running job finish within the grace period of stop()', async () => {
    const s = await startServer({ service: { guard: headerGuard, jobs: { chunkRows: 5 } } });
    try {
      const id = (await submit(asyncBatch(applicants(400)), alice, s)).body.data.job_id;
      await waitForJob(s, id, (j) => j.status === 'running' && j.progress.done > 0, alice);
      await s.service.jobs.stop(30_000);
      const job = (await s.call('GET', `/api/v1/jobs/${id}`, { headers: alice })).body.data;
      assert.equal(job.status, 'succeeded');
    } finally {
      await s.close();
    }
  });
});
