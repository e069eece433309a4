/**
 * Start-up checks on the real process (API.md §8, §11): a bad value stops the
 * start with a non-zero exit and the variable's name; CUDA alone on a machine
 * without it is such an error; `cuda,cpu` falls back to CPU and says so.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, ROOT, startProcess, waitForStatus, type ServiceProcess } from '../helpers/process.js';
import { SAMPLES, TEST_JWT_SECRET, testToken } from '../helpers/server.js';

const started: ServiceProcess[] = [];
before(() => {
  // `npm test` builds first; a lone run of this file may not have.
  if (!existsSync(join(ROOT, 'dist/main.js'))) execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT });
});
after(() => {
  for (const p of started) if (p.child.exitCode === null) p.child.kill('SIGKILL');
});

function node(env: Record<string, string>): ServiceProcess {
  const p = startProcess(process.execPath, ['dist/main.js'], { AUTH_JWT_SECRET: TEST_JWT_SECRET, HOST: '127.0.0.1', ...env });
  started.push(p);
  return p;
}

describe('node dist/main.js', () => {
  describe('with PORT=99999', () => {
    it('exits 1 naming PORT and what is allowed', async () => {
      const p = node({ PORT: '99999' });
      assert.equal(await p.exited, 1);
      assert.match(p.output(), /PORT: must be <= 65535/);
    });
  });

  describe('with several bad values', () => {
    it('exits 1 with one line per problem', async () => {
      const p = node({ PORT: 'eighty', LOG_LEVEL: 'loud', SHUTDOWN_TIMEOUT_MS: '-1' });
      assert.equal(await p.exited, 1);
      for (const name of ['PORT', 'LOG_LEVEL', 'SHUTDOWN_TIMEOUT_MS']) assert.match(p.output(), new RegExp(`^  ${name}: `, 'm'));
    });
  });

  describe('with ORT_EXECUTION_PROVIDERS=cuda on a machine without CUDA', () => {
    it('exits non-zero naming ORT_EXECUTION_PROVIDERS', async () => {
      const p = node({ PORT: String(await freePort()), ORT_EXECUTION_PROVIDERS: 'cuda' });
      const code = await p.exited;
      assert.notEqual(code, 0);
      assert.match(p.output(), /Start-up failed: ORT_EXECUTION_PROVIDERS=cuda/);
    });
  });

  describe('with ORT_EXECUTION_PROVIDERS=cuda,cpu on a machine without CUDA', () => {
    it('starts, serves on the CPU and logs the fallback', async () => {
      const port = await freePort();
      const p = node({ PORT: String(port), ORT_EXECUTION_PROVIDERS: 'cuda,cpu', SHUTDOWN_DRAIN_MS: '0' });
      await waitForStatus(`http://127.0.0.1:${port}/api/v1/health`, 200, p);
      const health = (await (await fetch(`http://127.0.0.1:${port}/api/v1/health`)).json()) as { data: { execution_provider: string } };
      assert.equal(health.data.execution_provider, 'cpu');
      const r = await fetch(`http://127.0.0.1:${port}/api/v1/models/iris/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${testToken('predict')}` },
        body: JSON.stringify({ features: SAMPLES.iris }),
      });
      assert.equal(r.status, 200);
      assert.match(p.output(), /"level":40[^\n]*falling back to the CPU execution provider/);
      p.child.kill('SIGTERM');
      assert.equal(await p.exited, 0);
    });
  });
});
