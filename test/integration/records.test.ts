import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { STORE_FILE } from '../../src/store/sqlite-store.js';
import { expectError, SAMPLES, startServer, type TestServer } from '../helpers/server.js';
import { as, headerGuard } from '../helpers/test-guard.js';

let t: TestServer;
let dataDir: string;
before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'records-test-'));
  t = await startServer({ env: { DATA_DIR: dataDir }, service: { guard: headerGuard } });
});
after(async () => {
  await t.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const alice = as('sub:alice', 'predict');
const predictAs = (headers: Record<string, string>, body: unknown = { model: 'loan-approval', features: SAMPLES['loan-approval'] }) =>
  t.call('POST', '/api/v1/predict', { body, headers });

describe('GET /api/v1/predictions/{id}', () => {
  describe('for the caller that made the prediction', () => {
    it('answers the record: what was asked, when, and the answer as it was given', async () => {
      const p = await predictAs(alice);
      assert.equal(p.status, 200);
      const r = await t.call('GET', `/api/v1/predictions/${p.body.data.id}`, { headers: alice });
      assert.equal(r.status, 200);
      const { created_at, features, options, ...rest } = r.body.data;
      assert.deepEqual(rest, p.body.data);
      assert.deepEqual(features, SAMPLES['loan-approval']);
      assert.deepEqual(options, {});
      assert.equal(new Date(created_at).toISOString(), created_at);
      assert.ok(Math.abs(Date.parse(created_at) - Date.now()) < 60_000);
      assert.equal(r.body.meta.request_id, r.headers.get('x-request-id'));
    });
    it('keeps the options and the explanation that were sent and answered', async () => {
      const body = { model: 'iris', features: SAMPLES.iris, options: { explain: true, top_k: 2 } };
      const p = await predictAs(alice, body);
      const r = await t.call('GET', `/api/v1/predictions/${p.body.data.id}`, { headers: alice });
      assert.deepEqual(r.body.data.options, { explain: true, top_k: 2 });
      assert.deepEqual(r.body.data.explanation, p.body.data.explanation);
    });
    it('answers the same record at the alias /api/v1/predict/{id}', async () => {
      const p = await predictAs(alice);
      const a = await t.call('GET', `/api/v1/predictions/${p.body.data.id}`, { headers: alice });
      const b = await t.call('GET', `/api/v1/predict/${p.body.data.id}`, { headers: alice });
      assert.equal(b.status, 200);
      assert.deepEqual(b.body.data, a.body.data);
    });
    it('has written the record to disk before the answer arrived', async () => {
      const p = await predictAs(alice);
      const db = new Database(join(dataDir, STORE_FILE), { readonly: true });
      try {
        const row = db.prepare('SELECT owner FROM predictions WHERE id = ?').get(p.body.data.id) as { owner: string } | undefined;
        assert.deepEqual(row, { owner: 'sub:alice' });
      } finally {
        db.close();
      }
    });
    it('records a prediction made through /models/{name}/predict too', async () => {
      const p = await t.call('POST', '/api/v1/models/house-price/predict', { body: { features: SAMPLES['house-price'] }, headers: alice });
      const r = await t.call('GET', `/api/v1/predictions/${p.body.data.id}`, { headers: alice });
      assert.equal(r.status, 200);
      assert.equal(r.body.data.prediction, p.body.data.prediction);
    });
  });

  describe('for another caller', () => {
    it('answers 404 PREDICTION_NOT_FOUND, as for an id that does not exist', async () => {
      const p = await predictAs(alice);
      for (const path of [`/api/v1/predictions/${p.body.data.id}`, `/api/v1/predict/${p.body.data.id}`]) {
        expectError(await t.call('GET', path, { headers: as('sub:bob', 'predict') }), 404, 'PREDICTION_NOT_FOUND');
        // The same subject under another credential kind is another caller.
        expectError(await t.call('GET', path, { headers: as('key:alice', 'predict') }), 404, 'PREDICTION_NOT_FOUND');
      }
    });
    it('answers the record to a caller with scope admin', async () => {
      const p = await predictAs(alice);
      const r = await t.call('GET', `/api/v1/predictions/${p.body.data.id}`, { headers: as('sub:ops', 'admin') });
      assert.equal(r.status, 200);
      assert.equal(r.body.data.id, p.body.data.id);
    });
  });

  describe('with an id that does not exist or cannot be one', () => {
    for (const id of ['pred_00000000-0000-4000-8000-000000000000', 'nope', 'pred_short', 'job_00000000-0000-4000-8000-000000000000', '%E2%82%AC', 'x'.repeat(300)]) {
      it(`answers 404 PREDICTION_NOT_FOUND for ${id.slice(0, 40)}`, async () => {
        expectError(await t.call('GET', `/api/v1/predictions/${id}`, { headers: alice }), 404, 'PREDICTION_NOT_FOUND');
        expectError(await t.call('GET', `/api/v1/predict/${id}`, { headers: alice }), 404, 'PREDICTION_NOT_FOUND');
      });
    }
  });

  describe('with another method', () => {
    it('answers 405 with Allow, and GET /api/v1/predict/batch stays a 405', async () => {
      const r = await t.call('DELETE', '/api/v1/predictions/pred_00000000-0000-4000-8000-000000000000', { headers: alice });
      expectError(r, 405, 'METHOD_NOT_ALLOWED');
      assert.match(r.headers.get('allow')!, /GET/);
      const b = await t.call('GET', '/api/v1/predict/batch', { headers: alice });
      expectError(b, 405, 'METHOD_NOT_ALLOWED');
      assert.match(b.headers.get('allow')!, /POST/);
    });
  });

  describe('after a restart on the same data directory', () => {
    it('still answers the record', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'records-restart-'));
      try {
        const first = await startServer({ env: { DATA_DIR: dir }, service: { guard: headerGuard } });
        const p = await first.call('POST', '/api/v1/predict', { body: { model: 'iris', features: SAMPLES.iris }, headers: alice });
        await first.close();
        const second = await startServer({ env: { DATA_DIR: dir }, service: { guard: headerGuard } });
        try {
          const r = await second.call('GET', `/api/v1/predictions/${p.body.data.id}`, { headers: alice });
          assert.equal(r.status, 200);
          assert.equal(r.body.data.prediction, p.body.data.prediction);
          expectError(await second.call('GET', `/api/v1/predictions/${p.body.data.id}`, { headers: as('sub:bob', 'predict') }), 404, 'PREDICTION_NOT_FOUND');
        } finally {
          await second.close();
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});

describe('RECORD_RETENTION_DAYS', () => {
  it('purges records older than the retention period when the service starts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'records-retention-'));
    try {
      const first = await startServer({ env: { DATA_DIR: dir } });
      const fresh = await first.call('POST', '/api/v1/predict', { body: { model: 'iris', features: SAMPLES.iris } });
      const old = await first.call('POST', '/api/v1/predict', { body: { model: 'iris', features: SAMPLES.iris } });
      await first.close();
      // Age one record by two days, as if it had been made then.
      const db = new Database(join(dir, STORE_FILE));
      db.prepare('UPDATE predictions SET created_at = created_at - ? WHERE id = ?').run(2 * 86_400_000, old.body.data.id);
      db.close();
      const second = await startServer({ env: { DATA_DIR: dir, RECORD_RETENTION_DAYS: '1' } });
      try {
        expectError(await second.call('GET', `/api/v1/predictions/${old.body.data.id}`), 404, 'PREDICTION_NOT_FOUND');
        assert.equal((await second.call('GET', `/api/v1/predictions/${fresh.body.data.id}`)).status, 200);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
