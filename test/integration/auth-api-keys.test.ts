/**
 * API keys in X-API-Key (API.md §7, §11): the file holds hashes and scopes,
 * a wrong key is a 401, a key without the scope a 403.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sha256Hex } from '../../src/auth/api-keys.js';
import { expectError, SAMPLES, startServer, testToken, type Reply, type TestServer } from '../helpers/server.js';

const PREDICT = { model: 'loan-approval', features: SAMPLES['loan-approval'] };
const BATCH_KEY = 'sk_batch_4f9a0c1e7b2d4a6f8e0c2b4d6f8a0c1e';
const READER_KEY = 'sk_reader_0123456789abcdef0123456789abcdef';

/** Writes an API_KEYS_FILE for the two keys above. */
function keysFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'api-keys-')), 'api-keys.json');
  writeFileSync(file, JSON.stringify([
    { id: 'batch-job', sha256: sha256Hex(BATCH_KEY), scopes: ['predict'], description: 'nightly scoring' },
    { id: 'dashboard', sha256: sha256Hex(READER_KEY), scopes: ['models:read'] },
  ]));
  return file;
}

function expect401(r: Reply): void {
  expectError(r, 401, 'UNAUTHORIZED');
  assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="api", error="invalid_token"');
}

describe('API keys (API_KEYS_FILE, X-API-Key)', () => {
  let t: TestServer;
  let file: string;
  before(async () => {
    file = keysFile();
    t = await startServer({ env: { API_KEYS_FILE: file } });
  });
  after(() => t.close());
  const predict = (key: string) => t.call('POST', '/api/v1/predict', { auth: false, body: PREDICT, headers: { 'x-api-key': key } });
  const models = (key: string) => t.call('GET', '/api/v1/models', { auth: false, headers: { 'x-api-key': key } });

  it('stores only hashes: the file does not contain the keys', () => {
    const text = readFileSync(file, 'utf8');
    assert.ok(!text.includes(BATCH_KEY) && !text.includes(READER_KEY));
  });
  describe('with a valid key that has the scope', () => {
    it('answers 200', async () => {
      assert.equal((await predict(BATCH_KEY)).status, 200);
      assert.equal((await models(READER_KEY)).status, 200);
    });
  });
  describe('attack: a wrong key', () => {
    it('answers 401 invalid_token', async () => {
      expect401(await predict('sk_batch_guess'));
      expect401(await predict(BATCH_KEY.slice(0, -1) + '0'));
      expect401(await predict(BATCH_KEY.toUpperCase()));
    });
    it('answers 401 for the hash itself sent as the key', async () => {
      expect401(await predict(sha256Hex(BATCH_KEY)));
    });
  });
  describe('attack: scope escalation with a key (models:read trying to predict)', () => {
    it('answers 403 FORBIDDEN with insufficient_scope', async () => {
      const r = await predict(READER_KEY);
      expectError(r, 403, 'FORBIDDEN');
      assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="api", error="insufficient_scope", scope="predict"');
      expectError(await models(BATCH_KEY), 403, 'FORBIDDEN');
    });
  });
  describe('attack: the key in the query string', () => {
    it('is ignored: 401 as if no credentials were sent', async () => {
      const r = await t.call('POST', `/api/v1/predict?api_key=${BATCH_KEY}&x-api-key=${BATCH_KEY}`, { auth: false, body: PREDICT });
      expectError(r, 401, 'UNAUTHORIZED');
      assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="api"');
    });
  });
  describe('with both a bearer token and a key', () => {
    it('uses the Authorization header', async () => {
      const r = await t.call('POST', '/api/v1/predict', { auth: testToken('models:read'), body: PREDICT, headers: { 'x-api-key': BATCH_KEY } });
      expectError(r, 403, 'FORBIDDEN');
    });
  });
  it('never writes a key to the log', async () => {
    await predict(BATCH_KEY);
    await predict('sk_wrong_key_for_the_log_check');
    const logged = JSON.stringify(t.logs);
    assert.ok(!logged.includes(BATCH_KEY) && !logged.includes('sk_wrong_key_for_the_log_check'));
  });
});

describe('API keys as the only credential', () => {
  let t: TestServer;
  before(async () => {
    t = await startServer({ env: { AUTH_JWT_SECRET: '', API_KEYS_FILE: keysFile() } });
  });
  after(() => t.close());
  it('accepts a key and refuses any bearer token with 401', async () => {
    assert.equal((await t.call('GET', '/api/v1/models', { auth: false, headers: { 'x-api-key': READER_KEY } })).status, 200);
    expect401(await t.call('GET', '/api/v1/models', { auth: testToken('admin') }));
  });
});
