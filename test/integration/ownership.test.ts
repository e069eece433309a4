/**
 * Records and jobs belong to their caller under the real authentication
 * (API.md §5, §6, §11): JWT subjects are `sub:<sub>`, API keys `key:<id>`;
 * only the owner or scope admin reads them, anyone else gets a 404.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sha256Hex } from '../../src/auth/api-keys.js';
import { waitForJob } from '../helpers/jobs.js';
import { expectError, SAMPLES, startServer, testToken, type TestServer } from '../helpers/server.js';

const KEY = 'sk_alice_0123456789abcdef0123456789abcdef';
let t: TestServer;
let dir: string;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ownership-'));
  const file = join(dir, 'api-keys.json');
  // A key whose id equals a JWT subject: still another caller.
  writeFileSync(file, JSON.stringify([{ id: 'alice', sha256: sha256Hex(KEY), scopes: ['predict'] }]));
  t = await startServer({ env: { API_KEYS_FILE: file } });
});
after(async () => {
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});

const alice = testToken('predict', 'alice');
const bob = testToken('predict', 'bob');
const admin = testToken('admin', 'ops');
const viaKey = { auth: false as const, headers: { 'x-api-key': KEY } };

describe('with JWT and API-key authentication', () => {
  let predictionId: string;
  let jobId: string;
  before(async () => {
    predictionId = (await t.call('POST', '/api/v1/predict', { auth: alice, body: { model: 'iris', features: SAMPLES.iris } })).body.data.id;
    const job = await t.call('POST', '/api/v1/predict/batch', { auth: alice, body: { model: 'iris', instances: [SAMPLES.iris], options: { async: true } } });
    assert.equal(job.status, 202);
    jobId = job.body.data.job_id;
    await waitForJob(t, jobId, undefined, { authorization: `Bearer ${alice}` });
  });

  it('answers the owner and admin', async () => {
    for (const auth of [alice, admin]) {
      assert.equal((await t.call('GET', `/api/v1/predictions/${predictionId}`, { auth })).status, 200);
      assert.equal((await t.call('GET', `/api/v1/jobs/${jobId}`, { auth })).status, 200);
    }
  });
  it('answers 404 to another subject and to an API key with the same name', async () => {
    expectError(await t.call('GET', `/api/v1/predictions/${predictionId}`, { auth: bob }), 404, 'PREDICTION_NOT_FOUND');
    expectError(await t.call('GET', `/api/v1/predict/${predictionId}`, viaKey), 404, 'PREDICTION_NOT_FOUND');
    expectError(await t.call('GET', `/api/v1/jobs/${jobId}`, { auth: bob }), 404, 'JOB_NOT_FOUND');
    expectError(await t.call('DELETE', `/api/v1/jobs/${jobId}`, viaKey), 404, 'JOB_NOT_FOUND');
  });
  it('records a key’s own predictions for that key', async () => {
    const p = await t.call('POST', '/api/v1/predict', { ...viaKey, body: { model: 'iris', features: SAMPLES.iris } });
    assert.equal((await t.call('GET', `/api/v1/predictions/${p.body.data.id}`, viaKey)).status, 200);
    expectError(await t.call('GET', `/api/v1/predictions/${p.body.data.id}`, { auth: alice }), 404, 'PREDICTION_NOT_FOUND');
  });
  it('answers 401 without credentials and 403 without scope predict, before looking anything up', async () => {
    const reader = testToken('models:read', 'alice');
    for (const path of [`/api/v1/predictions/${predictionId}`, `/api/v1/jobs/${jobId}`, '/api/v1/jobs/nope']) {
      expectError(await t.call('GET', path, { auth: false }), 401, 'UNAUTHORIZED');
      expectError(await t.call('GET', path, { auth: reader }), 403, 'FORBIDDEN');
    }
  });
});
