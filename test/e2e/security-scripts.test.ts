/**
 * scripts/mint-token.ts and scripts/make-api-key.ts, run as an operator
 * would, and their output used against a real server.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import jwt from 'jsonwebtoken';
import { sha256Hex } from '../../src/auth/api-keys.js';
import { startServer, TEST_JWT_SECRET, type TestServer } from '../helpers/server.js';
import { keyPair } from '../helpers/tokens.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function script(name: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', `scripts/${name}`, ...args], {
    cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('scripts/mint-token.ts', () => {
  let t: TestServer;
  const rsa = keyPair('rsa');
  const dir = mkdtempSync(join(tmpdir(), 'mint-'));
  const privateFile = join(dir, 'private.pem');
  let rs: TestServer;
  before(async () => {
    writeFileSync(privateFile, rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    t = await startServer();
    rs = await startServer({ env: { AUTH_JWT_SECRET: '', AUTH_JWT_PUBLIC_KEY: rsa.publicPem, AUTH_JWT_ISSUER: 'https://issuer.test/' } });
  });
  after(async () => {
    await t.close();
    await rs.close();
  });

  it('prints only an HS256 token from AUTH_JWT_SECRET, with the scopes, subject and lifetime asked for', async () => {
    const r = script('mint-token.ts', ['--scope', 'predict models:read', '--sub', 'alice', '--expires', '10m'], { AUTH_JWT_SECRET: TEST_JWT_SECRET });
    assert.equal(r.code, 0, r.stderr);
    const token = r.stdout.trim();
    assert.equal(r.stdout, `${token}\n`);
    const payload = jwt.verify(token, TEST_JWT_SECRET, { algorithms: ['HS256'] }) as jwt.JwtPayload;
    assert.equal(payload.sub, 'alice');
    assert.equal(payload.scope, 'predict models:read');
    assert.ok(payload.exp! - payload.iat! === 600);
    assert.equal((await t.call('GET', '/api/v1/models', { auth: token })).status, 200);
  });
  it('signs RS256 with --key and sets iss from AUTH_JWT_ISSUER', async () => {
    const r = script('mint-token.ts', ['--key', privateFile], { AUTH_JWT_ISSUER: 'https://issuer.test/' });
    assert.equal(r.code, 0, r.stderr);
    const token = r.stdout.trim();
    assert.equal(jwt.decode(token, { complete: true })?.header.alg, 'RS256');
    assert.equal((await rs.call('GET', '/api/v1/models', { auth: token })).status, 200);
  });
  it('exits 1 without a key, or with an unknown scope', () => {
    assert.equal(script('mint-token.ts', []).code, 1);
    const r = script('mint-token.ts', ['--scope', 'root'], { AUTH_JWT_SECRET: TEST_JWT_SECRET });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /unknown scope root/);
  });
});

describe('scripts/make-api-key.ts', () => {
  it('prints a key and the API_KEYS_FILE entry holding its SHA-256', () => {
    const r = script('make-api-key.ts', ['--id', 'batch-job', '--scopes', 'predict,models:read']);
    assert.equal(r.code, 0, r.stderr);
    const [key, line, rest] = r.stdout.split('\n');
    assert.match(key!, /^sk_[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(JSON.parse(line!), { id: 'batch-job', sha256: sha256Hex(key!), scopes: ['predict', 'models:read'] });
    assert.equal(rest, '');
  });
  it('with --file, adds the entry to the file (mode 600) and the key works against a server', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'keys-')), 'api-keys.json');
    const first = script('make-api-key.ts', ['--id', 'batch-job', '--file', file]);
    const second = script('make-api-key.ts', ['--id', 'dashboard', '--scopes', 'models:read', '--file', file]);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const entries = JSON.parse(readFileSync(file, 'utf8'));
    assert.deepEqual(entries.map((e: { id: string }) => e.id), ['batch-job', 'dashboard']);
    assert.ok(!readFileSync(file, 'utf8').includes(first.stdout.trim()));
    assert.equal(script('make-api-key.ts', ['--id', 'dashboard', '--file', file]).code, 1);

    const t = await startServer({ env: { API_KEYS_FILE: file } });
    try {
      const key = (k: string) => ({ auth: false as const, headers: { 'x-api-key': k } });
      assert.equal((await t.call('GET', '/api/v1/models', key(second.stdout.trim()))).status, 200);
      assert.equal((await t.call('GET', '/api/v1/models', key(first.stdout.trim()))).status, 403);
    } finally {
      await t.close();
    }
  });
  it('exits 1 without --id or with an unknown scope', () => {
    assert.equal(script('make-api-key.ts', []).code, 1);
    assert.equal(script('make-api-key.ts', ['--id', 'x', '--scopes', 'everything']).code, 1);
  });
});
