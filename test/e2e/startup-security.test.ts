/**
 * Secure defaults of a real process (API.md §7, §11): `NODE_ENV=production`
 * without auth, or with CORS_ORIGINS containing `*`, stops the start (exit 1,
 * the variable named); outside production without auth, a development token
 * with scope admin is printed once on stdout and works.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { call } from '../helpers/server.js';
import { freePort, runService, waitFor } from '../helpers/process.js';

describe('node dist/main.js', () => {
  describe('with NODE_ENV=production and no authentication configured', () => {
    it('exits 1 naming AUTH_JWT_SECRET', async () => {
      const run = runService({ NODE_ENV: 'production', PORT: String(await freePort()) });
      assert.equal(await run.exited, 1);
      assert.match(run.stderr(), /AUTH_JWT_SECRET/);
    });
  });
  describe("with NODE_ENV=production and CORS_ORIGINS containing '*'", () => {
    it('exits 1 naming CORS_ORIGINS', async () => {
      const run = runService({
        NODE_ENV: 'production', PORT: String(await freePort()),
        AUTH_JWT_SECRET: 'a-long-enough-secret-for-hs256-0123456789', CORS_ORIGINS: '*',
      });
      assert.equal(await run.exited, 1);
      assert.match(run.stderr(), /CORS_ORIGINS/);
    });
  });
  describe('with a public key file that does not exist', () => {
    it('exits 1 naming AUTH_JWT_PUBLIC_KEY_FILE', async () => {
      const run = runService({ PORT: String(await freePort()), AUTH_JWT_PUBLIC_KEY_FILE: '/nonexistent/public.pem' });
      assert.equal(await run.exited, 1);
      assert.match(run.stderr(), /AUTH_JWT_PUBLIC_KEY_FILE/);
    });
  });

  describe('outside production with no authentication configured', () => {
    it('prints one `export TOKEN=…` line whose admin token works, and logs it nowhere else', async () => {
      const port = await freePort();
      const run = runService({ PORT: String(port) });
      try {
        const base = `http://127.0.0.1:${port}`;
        const token = await waitFor(() => /^export TOKEN=(\S+)$/m.exec(run.stdout())?.[1], 20_000, 'the token line');
        await waitFor(async () => {
          const r = await call(base, 'GET', '/api/v1/health').catch(() => undefined);
          return r?.status === 200 ? true : undefined;
        }, 30_000, 'readiness');
        const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
        assert.equal(payload.scope, 'admin');
        assert.equal(typeof payload.exp, 'number');

        const ok = await call(base, 'GET', '/api/v1/models', { headers: { authorization: `Bearer ${token}` } });
        assert.equal(ok.status, 200);
        const predicted = await call(base, 'POST', '/api/v1/predict', {
          headers: { authorization: `Bearer ${token}` },
          body: { model: 'iris', features: { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 } },
        });
        assert.equal(predicted.status, 200);
        assert.equal((await call(base, 'GET', '/api/v1/models')).status, 401);

        const lines = run.stdout().split('\n').filter((l) => l.includes(token));
        assert.deepEqual(lines, [`export TOKEN=${token}`]);
        assert.ok(!run.stderr().includes(token));
      } finally {
        run.child.kill('SIGTERM');
        assert.equal(await run.exited, 0);
      }
    });
  });
});
