/**
 * The service on PostgreSQL, in process (API.md §12): replicas starting at
 * once on an empty database, a database that cannot be reached at start and
 * comes later, an outage and its recovery, and the URL's password kept out
 * of every log line.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { createLogger } from '../../src/logger.js';
import { openPostgresStore } from '../../src/store/postgres/postgres-store.js';
import { PG_TEST_PASSWORD, postgresMissing, startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { SAMPLES, startServer, type TestServer } from '../helpers/server.js';

const missing = postgresMissing();
const silent = createLogger('silent');

/** Polls `probe` until it returns true, or fails after `ms`. */
async function eventually(what: string, ms: number, probe: () => Promise<boolean>): Promise<number> {
  const start = Date.now();
  while (!(await probe())) {
    if (Date.now() - start > ms) assert.fail(`${what} did not happen within ${ms} ms`);
    await sleep(100);
  }
  return Date.now() - start;
}

describe('the service on PostgreSQL', { skip: missing }, () => {
  let server: TestPostgres;
  before(async () => {
    server = await startPostgres();
  });
  after(async () => {
    await server?.destroy();
  });

  describe('when several replicas start at once on an empty database', () => {
    it('creates the schema once, every replica ready', async () => {
      const url = await server.createDatabase('concurrent_start');
      const stores = Array.from({ length: 4 }, () => openPostgresStore(url, 2, silent));
      await Promise.all(stores.map((s) => s.ready()));
      assert.ok(stores.every((s) => s.dependency.state() === 'ok'));
      await Promise.all(stores.map((s, i) => s.insertJob({ id: `job_start_${i}`, owner: 'o', createdAt: i, callbackUrl: null, request: { model: 'm', version: '1', instances: [], options: {} } })));
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      const { rows } = await client.query('SELECT count(*)::int AS n FROM schema_migrations');
      await client.end();
      assert.equal(rows[0].n, 1);
      await Promise.all(stores.map((s) => s.close()));
    });
  });

  describe('when the database cannot be reached at start and comes later', () => {
    let t: TestServer;
    let url: string;
    before(async () => {
      url = await server.createDatabase('late');
      await server.stop();
      t = await startServer({ env: { DATABASE_URL: url } });
    });
    after(async () => {
      await t?.close();
      await server.start();
    });

    it('starts anyway: health answers 200 degraded with the database unavailable', async () => {
      const h = await t.call('GET', '/api/v1/health');
      assert.equal(h.status, 200);
      assert.equal(h.body.data.status, 'degraded');
      assert.deepEqual(h.body.data.dependencies, { database: 'unavailable' });
    });

    it('answers what needs the database with 503 SERVICE_UNAVAILABLE and Retry-After, at once', async () => {
      const started = Date.now();
      const p = await t.call('POST', '/api/v1/predict', { body: { model: 'loan-approval', features: SAMPLES['loan-approval'] } });
      assert.equal(p.status, 503);
      assert.equal(p.body.error.code, 'SERVICE_UNAVAILABLE');
      assert.ok(Number(p.headers.get('retry-after')) >= 1);
      assert.ok(Date.now() - started < 10_000);
      const r = await t.call('GET', '/api/v1/predictions/pred_0123456789abcdefgh');
      assert.equal(r.status, 503);
      const j = await t.call('POST', '/api/v1/predict/batch', { body: { model: 'loan-approval', instances: [SAMPLES['loan-approval']], options: { async: true } } });
      assert.equal(j.status, 503);
    });

    it('keeps serving synchronous batches and models', async () => {
      const b = await t.call('POST', '/api/v1/predict/batch', { body: { model: 'loan-approval', instances: [SAMPLES['loan-approval']] } });
      assert.equal(b.status, 200);
      assert.equal((await t.call('GET', '/api/v1/models')).status, 200);
    });

    it('creates the schema once the database answers, and serves records within 10 s', async () => {
      await server.start();
      const took = await eventually('recovery', 10_000, async () => (await t.call('GET', '/api/v1/health')).body.data.dependencies.database === 'ok');
      assert.ok(took < 10_000);
      const p = await t.call('POST', '/api/v1/predict', { body: { model: 'loan-approval', features: SAMPLES['loan-approval'] } });
      assert.equal(p.status, 200, JSON.stringify(p.body));
      const r = await t.call('GET', `/api/v1/predictions/${p.body.data.id}`);
      assert.equal(r.status, 200);
      assert.equal((await t.call('GET', '/api/v1/health')).body.data.status, 'ok');
    });

    it('never writes the password of DATABASE_URL to the log', () => {
      const text = JSON.stringify(t.logs);
      assert.ok(t.logs.some((l) => l.msg === 'database unavailable'), 'the outage was logged');
      assert.ok(!text.includes(PG_TEST_PASSWORD), 'no password in the log');
    });
  });

  describe('when the database goes down while serving, then comes back', () => {
    let t: TestServer;
    before(async () => {
      t = await startServer({ env: { DATABASE_URL: await server.createDatabase('outage') } });
    });
    after(async () => {
      await t?.close();
      await server.start();
    });

    it('says unavailable within 10 s, answers 503 (never 500, never a hang), and recovers within 10 s', async () => {
      const ok = await t.call('POST', '/api/v1/predict', { body: { model: 'loan-approval', features: SAMPLES['loan-approval'] } });
      assert.equal(ok.status, 200);
      await server.stop();
      const statuses = new Set<number>();
      await eventually('the outage on health', 10_000, async () => (await t.call('GET', '/api/v1/health')).body.data.dependencies.database === 'unavailable');
      for (let i = 0; i < 5; i++) {
        const started = Date.now();
        const p = await t.call('GET', `/api/v1/predictions/${ok.body.data.id}`);
        statuses.add(p.status);
        assert.ok(Date.now() - started < 10_000);
        assert.ok(p.headers.get('retry-after'));
      }
      assert.deepEqual([...statuses], [503]);
      await server.start();
      await eventually('the recovery', 10_000, async () => (await t.call('GET', `/api/v1/predictions/${ok.body.data.id}`)).status === 200);
    });
  });

  describe('when the database stops answering (frozen, like a cut network), then answers again', () => {
    let t: TestServer;
    before(async () => {
      t = await startServer({ env: { DATABASE_URL: await server.createDatabase('frozen') } });
    });
    after(async () => {
      server.thaw();
      await t?.close();
    });

    it('answers 503 within 10 s instead of hanging, says unavailable within 10 s, and recovers within 10 s', async () => {
      const ok = await t.call('POST', '/api/v1/predict', { body: { model: 'loan-approval', features: SAMPLES['loan-approval'] } });
      assert.equal(ok.status, 200);
      server.freeze();
      const started = Date.now();
      const p = await t.call('GET', `/api/v1/predictions/${ok.body.data.id}`);
      const took = Date.now() - started;
      assert.equal(p.status, 503, JSON.stringify(p.body));
      assert.ok(p.headers.get('retry-after'));
      assert.ok(took < 10_000, `answered after ${took} ms`);
      await eventually('the outage on health', 10_000, async () => (await t.call('GET', '/api/v1/health')).body.data.dependencies.database === 'unavailable');
      const b = await t.call('POST', '/api/v1/predict/batch', { body: { model: 'loan-approval', instances: [SAMPLES['loan-approval']] } });
      assert.equal(b.status, 200, 'synchronous batches need no database');
      server.thaw();
      await eventually('the recovery', 10_000, async () => (await t.call('GET', `/api/v1/predictions/${ok.body.data.id}`)).status === 200);
      process.stdout.write(`# frozen database: first 503 after ${took} ms\n`);
    });
  });
});
