/**
 * Cluster mode for real (`node dist/cluster.js`, what `npm run start:cluster`
 * runs): several service processes behind one port, every one drained on
 * SIGTERM, and a start-up failure stopping the whole cluster.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, ROOT, startProcess, waitForStatus } from '../helpers/process.js';
import { SAMPLES, TEST_JWT_SECRET, testToken } from '../helpers/server.js';

if (!existsSync(join(ROOT, 'dist/cluster.js'))) execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT });

const count = (text: string, msg: string) => text.split('\n').filter((l) => l.includes(`"msg":"${msg}"`)).length;

async function until(check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(100);
  }
}

describe('node dist/cluster.js', () => {
  describe('with CLUSTER_WORKERS=2', () => {
    it('serves predictions from two processes on one port, and on SIGTERM drains both and exits 0', async () => {
      const port = await freePort();
      const p = startProcess(process.execPath, ['dist/cluster.js'], {
        PORT: String(port), HOST: '127.0.0.1', AUTH_JWT_SECRET: TEST_JWT_SECRET, CLUSTER_WORKERS: '2',
        SHUTDOWN_DRAIN_MS: '200', LOG_LEVEL: 'info',
      });
      try {
        await waitForStatus(`http://127.0.0.1:${port}/api/v1/health`, 200, p);
        await until(() => count(p.output(), 'started') === 2);
        const token = testToken('predict');
        const replies = await Promise.all(Array.from({ length: 20 }, () =>
          fetch(`http://127.0.0.1:${port}/api/v1/predict`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body: JSON.stringify({ model: 'loan-approval', features: SAMPLES['loan-approval'] }),
          }).then((r) => r.status)));
        assert.deepEqual(new Set(replies), new Set([200]));
        p.child.kill('SIGTERM');
        assert.equal(await p.exited, 0, p.output());
        assert.equal(count(p.output(), 'draining every worker'), 1);
        assert.equal(count(p.output(), 'stopped'), 2, 'each worker drained and stopped');
      } finally {
        p.child.kill('SIGKILL');
      }
    });
  });

  describe('when the workers cannot start', () => {
    it('stops the whole cluster with exit 1, naming the problem', async () => {
      const p = startProcess(process.execPath, ['dist/cluster.js'], {
        PORT: String(await freePort()), HOST: '127.0.0.1', AUTH_JWT_SECRET: TEST_JWT_SECRET, CLUSTER_WORKERS: '2',
        MODEL_REPOSITORY: '/nonexistent/models',
      });
      const code = await Promise.race([p.exited, sleep(30_000).then(() => 'still running')]);
      p.child.kill('SIGKILL');
      assert.equal(code, 1, p.output());
      assert.match(p.output(), /MODEL_REPOSITORY/);
    });
  });

  describe('with a bad CLUSTER_WORKERS', () => {
    it('refuses to start, naming the variable, before forking anything', async () => {
      const p = startProcess(process.execPath, ['dist/cluster.js'], {
        PORT: String(await freePort()), AUTH_JWT_SECRET: TEST_JWT_SECRET, CLUSTER_WORKERS: '0',
      });
      assert.equal(await p.exited, 1);
      assert.match(p.output(), /CLUSTER_WORKERS/);
      assert.equal(count(p.output(), 'starting workers'), 0);
    });
  });
});
