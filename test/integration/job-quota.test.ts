/**
 * Job quotas (API.md §15, issue 16 point 4): one caller may have at most
 * JOBS_MAX_PER_CALLER [10] jobs queued or running, one more is a 429
 * RATE_LIMIT_EXCEEDED with Retry-After; across all callers at most
 * JOBS_MAX_QUEUED jobs wait, one more is a 503 SERVICE_OVERLOADED with
 * Retry-After. Nothing of a refused job is stored. On SQLite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { STORE_FILE } from '../../src/store/sqlite-store.js';
import { applicants } from '../helpers/jobs.js';
import { postgresMissing, startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { expectError, startServer, type TestServer } from '../helpers/server.js';
import { as, headerGuard } from '../helpers/test-guard.js';

const batch = { model: 'loan-approval', instances: applicants(20), options: { async: true } };

interface Backend {
  name: string;
  skip?: string;
  env(): Promise<Record<string, string>>;
  /** Jobs in the store, as the database counts them. */
  count(t: TestServer): Promise<number>;
  cleanup(): Promise<void>;
}

function quotaSuite(backend: Backend) {
  describe(`async jobs over their quota (${backend.name})`, { skip: backend.skip }, () => {
    let t: TestServer;
    const aliceJobs: string[] = [];
    before(async () => {
      t = await startServer({ env: { JOBS_MAX_QUEUED: '15', ...(await backend.env()) }, service: { guard: headerGuard } });
      // No worker: every job accepted stays queued, as behind a busy queue.
      await t.service.jobs.stop(0);
    });
    after(async () => {
      await t?.close();
      await backend.cleanup();
    });
    const submit = (who: string) => t.call('POST', '/api/v1/predict/batch', { body: batch, headers: as(who, 'predict') });

    it('takes 10 jobs of one caller, answers the 11th 429 RATE_LIMIT_EXCEEDED with Retry-After, storing nothing', async () => {
      for (let i = 0; i < 10; i++) {
        const r = await submit('sub:alice');
        assert.equal(r.status, 202, r.text);
        aliceJobs.push(r.body.data.job_id);
      }
      const stored = await backend.count(t);
      const r = await submit('sub:alice');
      expectError(r, 429, 'RATE_LIMIT_EXCEEDED');
      assert.match(r.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
      assert.match(r.body.error.message, /10 jobs/);
      assert.equal(await backend.count(t), stored, 'the refused job is not stored');
    });
    it('still takes another caller\'s jobs, until JOBS_MAX_QUEUED wait: then 503 SERVICE_OVERLOADED with Retry-After', async () => {
      for (let i = 0; i < 5; i++) assert.equal((await submit('sub:bob')).status, 202);
      const stored = await backend.count(t);
      const r = await submit('sub:carol');
      expectError(r, 503, 'SERVICE_OVERLOADED');
      assert.match(r.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
      assert.equal(await backend.count(t), stored, 'the refused job is not stored');
    });
    it('takes the caller\'s job again once one of its jobs has ended (cancelled)', async () => {
      const cancelled = await t.call('DELETE', `/api/v1/jobs/${aliceJobs[0]}`, { headers: as('sub:alice', 'predict') });
      assert.equal(cancelled.status, 202);
      assert.equal((await submit('sub:alice')).status, 202);
      expectError(await submit('sub:alice'), 429, 'RATE_LIMIT_EXCEEDED');
    });
  });
}

quotaSuite({
  name: 'SQLite',
  async env() {
    return {};
  },
  async count(t) {
    const db = new Database(join(t.service.config.dataDir, STORE_FILE), { readonly: true });
    try {
      return (db.prepare('SELECT count(*) AS n FROM jobs').get() as { n: number }).n;
    } finally {
      db.close();
    }
  },
  async cleanup() {},
});

const missing = postgresMissing();
let server: TestPostgres | undefined;
let url = '';
quotaSuite({
  name: 'PostgreSQL',
  skip: missing,
  async env() {
    server = await startPostgres();
    url = server.url;
    return { DATABASE_URL: url };
  },
  async count() {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM jobs')).rows[0]!.n;
    } finally {
      await client.end();
    }
  },
  async cleanup() {
    await server?.destroy();
  },
});
