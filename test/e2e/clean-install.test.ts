/**
 * A clean install (issue 9, point 7): npm prints no warning for the project's
 * own configuration, every dependency install script is decided on in
 * package.json `allowScripts`, and onnxruntime-node's CUDA download runs only
 * when ONNXRUNTIME_NODE_INSTALL asks for it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { freePort, ROOT, startProcess, waitForStatus, type ServiceProcess } from '../helpers/process.js';
import { TEST_JWT_SECRET } from '../helpers/server.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
  allowScripts: Record<string, boolean>;
};

function run(command: string, args: string[], env: Record<string, string> = {}) {
  const clean = { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp' };
  return spawnSync(command, args, { cwd: ROOT, env: { ...clean, ...env }, encoding: 'utf8' });
}

const started: ServiceProcess[] = [];
after(() => {
  for (const p of started) if (p.child.exitCode === null) p.child.kill('SIGKILL');
});

describe('npm install-scripts ls', () => {
  it('finds no dependency whose install script is undecided, and npm warns about nothing', () => {
    const r = run('npm', ['install-scripts', 'ls']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /No packages with unreviewed install scripts/);
    assert.doesNotMatch(r.stdout + r.stderr, /npm warn/i);
  });
});

describe('package.json allowScripts', () => {
  it('denies the install-time analytics ping and the CUDA download, and allows the native build', () => {
    assert.equal(pkg.allowScripts['@scarf/scarf'], false);
    assert.equal(pkg.allowScripts['onnxruntime-node'], false);
    assert.equal(pkg.allowScripts['better-sqlite3'], true);
  });

  it('leaves no npm project config that npm 11 calls unknown', () => {
    assert.equal(existsSync(join(ROOT, '.npmrc')), false);
  });
});

describe('the root postinstall (onnxruntime-node CUDA provider)', () => {
  const script = /^node (\S+)$/.exec(pkg.scripts.postinstall ?? '')?.[1] ?? 'missing';

  describe('without ONNXRUNTIME_NODE_INSTALL', () => {
    it('exits 0 and downloads nothing', () => {
      const r = run(process.execPath, [script]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout + r.stderr, '');
    });
  });

  describe('with ONNXRUNTIME_NODE_INSTALL=skip', () => {
    it('exits 0 and downloads nothing', () => {
      const r = run(process.execPath, [script], { ONNXRUNTIME_NODE_INSTALL: 'skip' });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout + r.stderr, '');
    });
  });

  describe('with ONNXRUNTIME_NODE_INSTALL=cuda12', () => {
    // The installer honours global-agent's proxy variables: a proxy on a
    // closed loopback port makes its NuGet request fail at once, network or not.
    it("runs onnxruntime-node's installer, which asks NuGet for the CUDA 12 provider", () => {
      const r = run(process.execPath, [script], { ONNXRUNTIME_NODE_INSTALL: 'cuda12', GLOBAL_AGENT_HTTPS_PROXY: 'http://127.0.0.1:9' });
      assert.match(r.stdout, /installing the cuda12 execution provider binaries/);
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /ECONNREFUSED 127\.0\.0\.1:9/);
    });
  });
});

describe('npm start', () => {
  it('serves on Node 24 or later, without printing any npm warning', async () => {
    const port = await freePort();
    const p = startProcess('npm', ['start'], {
      PORT: String(port), HOST: '127.0.0.1', AUTH_JWT_SECRET: TEST_JWT_SECRET, DATA_DIR: mkdtempSync(join(tmpdir(), 'clean-install-')),
      SHUTDOWN_DRAIN_MS: '0', MODEL_POLL_INTERVAL_MS: '0',
    });
    started.push(p);
    await waitForStatus(`http://127.0.0.1:${port}/api/v1/health`, 200, p);
    p.child.kill('SIGTERM');
    assert.equal(await p.exited, 0);
    assert.doesNotMatch(p.output(), /npm warn/i);
    // The node that `npm start` runs (the first on PATH), as the service logs it.
    const node = /"node":"v(\d+)\.[^"]*"/.exec(p.output())?.[1];
    assert.ok(node !== undefined, 'the start log names the Node version');
    assert.ok(Number(node) >= 24, `npm start ran Node ${node}: the project requires Node 24 LTS`);
  });
});
