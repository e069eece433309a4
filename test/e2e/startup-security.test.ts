/**
 * Secure defaults of a real process (API.md §7, §11): `NODE_ENV=production`
 * without auth, or with CORS_ORIGINS containing `*`, stops the start (exit 1,
 * the variable named); outside production without auth, a development token
 * with scope admin is printed once on stdout and works.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { call } from '../helpers/server.js';
import { spawnService, waitFor } from '../helpers/process.js';

/** Nothing security-related inherited from the environment running the tests. */
const CLEAN = {
  NODE_ENV: undefined, AUTH_JWT_SECRET: undefined, AUTH_JWT_PUBLIC_KEY: undefined, AUTH_JWT_PUBLIC_KEY_FILE: undefined,
  AUTH_JWT_ALGORITHMS: undefined, AUTH_JWT_ISSUER: undefined, AUTH_JWT_AUDIENCE: undefined, API_KEYS_FILE: undefined,
  CORS_ORIGINS: undefined, SHUTDOWN_DRAIN_MS: '0',
};
const SECRET = 'a-long-enough-secret-for-hs256-0123456789';
const start = (env: Record<string, string>) => spawnService(process.execPath, ['dist/main.js'], { ...CLEAN, ...env });

describe('node dist/main.js', () => {
  describe('with NODE_ENV=production and no authentication configured', () => {
    it('exits 1 naming AUTH_JWT_SECRET', async () => {
      const run = await start({ NODE_ENV: 'production' });
      assert.equal(await run.exited, 1);
      assert.match(run.output(), /AUTH_JWT_SECRET/);
    });
  });
  describe("with NODE_ENV=production and CORS_ORIGINS containing '*'", () => {
    it('exits 1 naming CORS_ORIGINS', async () => {
      const run = await start({ NODE_ENV: 'production', AUTH_JWT_SECRET: SECRET, CORS_ORIGINS: '*' });
      assert.equal(await run.exited, 1);
      assert.match(run.output(), /CORS_ORIGINS/);
    });
  });
  describe('with a public key file that does not exist', () => {
    it('exits 1 naming AUTH_JWT_PUBLIC_KEY_FILE', async () => {
      const run = await start({ AUTH_JWT_PUBLIC_KEY_FILE: '/nonexistent/public.pem' });
      assert.equal(await run.exited, 1);
      assert.match(run.output(), /AUTH_JWT_PUBLIC_KEY_FILE/);
    });
  });

  describe('outside production with no authentication configured', () => {
    it('prints one `export TOKEN=…` line whose admin token works, and logs it nowhere else', async () => {
      const run = await start({});
      try {
        await waitFor(`${run.url}/api/v1/health`, 200, 30_000);
        const token = /^export TOKEN=(\S+)$/m.exec(run.output())?.[1];
        assert.ok(token, `no export TOKEN= line in:\n${run.output()}`);
        const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
        assert.equal(payload.scope, 'admin');
        assert.equal(typeof payload.exp, 'number');

        const auth = { authorization: `Bearer ${token}` };
        assert.equal((await call(run.url, 'GET', '/api/v1/models', { headers: auth })).status, 200);
        const predicted = await call(run.url, 'POST', '/api/v1/predict', {
          headers: auth,
          body: { model: 'iris', features: { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 } },
        });
        assert.equal(predicted.status, 200);
        assert.equal((await call(run.url, 'GET', '/api/v1/models')).status, 401);

        const lines = run.output().split('\n').filter((l) => l.includes(token));
        assert.deepEqual(lines, [`export TOKEN=${token}`]);
      } finally {
        run.proc.kill('SIGTERM');
        assert.equal(await run.exited, 0);
      }
    });
  });
});
