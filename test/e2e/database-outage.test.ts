/**
 * PostgreSQL stopped and started again under two replicas (API.md §12):
 * while it is down, what needs it answers 503 SERVICE_UNAVAILABLE with
 * Retry-After within 10 s (never a 500, never a hang), synchronous batches,
 * models and health keep working, health says `degraded` within 10 s; once
 * it is back both replicas recover within 10 s without a restart, and the job
 * accepted before the outage runs to the end.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { api, bigJob, pollJob } from '../helpers/api.js';
import { PG_TEST_PASSWORD, postgresMissing, startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { killReplica, startReplica, type Replica } from '../helpers/replicas.js';
import { SAMPLES } from '../helpers/server.js';

const missing = postgresMissing();
const predict = { model: 'loan-approval', features: SAMPLES['loan-approval'] };
const ROWS = 60_000;

/** Polls `probe` every 100 ms until it holds; returns how long that took. */
async function within(what: string, ms: number, probe: () => Promise<boolean>): Promise<number> {
  const start = Date.now();
  while (!(await probe().catch(() => false))) {
    if (Date.now() - start > ms) assert.fail(`${what} did not happen within ${ms} ms`);
    await sleep(100);
  }
  return Date.now() - start;
}

describe('PostgreSQL stopped and restarted under two replicas', { skip: missing }, () => {
  let db: TestPostgres;
  const replicas: Replica[] = [];
  before(async () => {
    db = await startPostgres();
    const url = await db.createDatabase('outage');
    for (const name of ['a', 'b']) replicas.push(await startReplica(name, url, { JOB_LEASE_MS: '3000', MAX_BATCH_SIZE: String(ROWS) }));
  });
  after(async () => {
    for (const r of replicas) await killReplica(r);
    await db?.destroy();
  });

  it('answers 503 with Retry-After for what needs the database, keeps the rest, recovers within 10 s and runs the job accepted before', async () => {
    const [a, b] = replicas as [Replica, Replica];
    const made = await api(a.url, 'POST', '/api/v1/predict', predict);
    assert.equal(made.status, 200);
    const s = await api(b.url, 'POST', '/api/v1/predict/batch', bigJob(ROWS));
    assert.equal(s.status, 202);
    const jobId = s.body.data.job_id;
    await pollJob(a.url, jobId, (j) => j.status === 'running');

    await db.stop();
    const slowest: number[] = [];
    const timed = async (r: Replica, method: string, path: string, body?: unknown) => {
      const started = Date.now();
      const reply = await api(r.url, method, path, body);
      slowest.push(Date.now() - started);
      return reply;
    };
    const seenDown = await within('health saying unavailable on both', 10_000, async () => {
      const hs = await Promise.all(replicas.map((r) => api(r.url, 'GET', '/api/v1/health')));
      return hs.every((h) => h.status === 200 && h.body.data.status === 'degraded' && h.body.data.dependencies.database === 'unavailable');
    });
    for (const r of replicas) {
      for (const [method, path, body] of [
        ['POST', '/api/v1/predict', predict],
        ['GET', `/api/v1/predictions/${made.body.data.id}`, undefined],
        ['GET', `/api/v1/jobs/${jobId}`, undefined],
        ['DELETE', `/api/v1/jobs/${jobId}`, undefined],
        ['POST', '/api/v1/predict/batch', bigJob(10)],
      ] as const) {
        const reply = await timed(r, method, path, body);
        assert.equal(reply.status, 503, `${r.name} ${method} ${path}: ${JSON.stringify(reply.body)}`);
        assert.equal(reply.body.error.code, 'SERVICE_UNAVAILABLE');
        assert.equal(reply.headers.get('retry-after'), '1');
      }
      const batch = await api(r.url, 'POST', '/api/v1/predict/batch', { model: 'loan-approval', instances: [SAMPLES['loan-approval']] });
      assert.equal(batch.status, 200, 'synchronous batches need no database');
      assert.equal((await api(r.url, 'GET', '/api/v1/models', undefined, 'ops', 'models:read')).status, 200);
      assert.equal((await api(r.url, 'GET', '/api/v1/health/ready')).status, 200, 'readiness stays about models');
    }
    assert.ok(Math.max(...slowest) < 10_000);
    await sleep(2000);

    const restartedAt = Date.now();
    await db.start();
    const recovered = await within('recovery on both', 10_000, async () => {
      const ps = await Promise.all(replicas.map((r) => api(r.url, 'POST', '/api/v1/predict', predict)));
      return ps.every((p) => p.status === 200);
    });
    for (const r of replicas) assert.equal((await api(r.url, 'GET', '/api/v1/health')).body.data.dependencies.database, 'ok');
    const job = await pollJob(a.url, jobId, (j) => j.finished_at !== null, 120_000);
    assert.equal(job.status, 'succeeded', 'the job accepted before the outage ran after it');
    assert.equal(job.result.count, ROWS);
    for (const r of replicas) {
      const lines = r.logs();
      assert.ok(!r.proc.output().includes(PG_TEST_PASSWORD), `${r.name} never logs the password`);
      assert.ok(lines.filter((l) => l.msg === 'database unavailable').length <= 3, 'the outage is logged, not once per request');
      assert.ok(!lines.some((l) => l.status === 500), `${r.name} answered no 500`);
    }
    process.stdout.write(`# outage: unavailable on health ${seenDown} ms after the stop, slowest 503 ${Math.max(...slowest)} ms, recovered ${recovered} ms after the restart, job ${jobId} succeeded ${Date.now() - restartedAt} ms after the restart\n`);
  });
});
