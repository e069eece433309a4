/**
 * Keep-alive behind a load balancer (API.md §11, issue 9 point 6): an idle
 * connection outlives Node's 5 s default, so that a balancer that keeps its
 * connections 60 s never reuses one the service closed, and is closed by the
 * service once HTTP_KEEP_ALIVE_TIMEOUT_MS has passed.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { freePort, ROOT, startProcess, waitForStatus, type ServiceProcess } from '../helpers/process.js';
import { TEST_JWT_SECRET } from '../helpers/server.js';

const KEEP_ALIVE_MS = 7_000;
let proc: ServiceProcess;
let port: number;

before(async () => {
  if (!existsSync(join(ROOT, 'dist/main.js'))) execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT });
  port = await freePort();
  proc = startProcess(process.execPath, ['dist/main.js'], {
    PORT: String(port), HOST: '127.0.0.1', AUTH_JWT_SECRET: TEST_JWT_SECRET, SHUTDOWN_DRAIN_MS: '0',
    MODEL_POLL_INTERVAL_MS: '0', DATA_DIR: mkdtempSync(join(tmpdir(), 'keep-alive-')),
    HTTP_KEEP_ALIVE_TIMEOUT_MS: String(KEEP_ALIVE_MS),
  });
  await waitForStatus(`http://127.0.0.1:${port}/api/v1/health/live`, 200, proc);
});
after(() => {
  if (proc.child.exitCode === null) proc.child.kill('SIGKILL');
});

/** Writes one keep-alive GET on `socket` and resolves with the whole answer's head once its body is in. */
async function get(socket: Socket, path: string): Promise<string> {
  let text = '';
  const done = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      text += chunk.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      const length = /\r\ncontent-length: (\d+)/i.exec(text);
      if (end >= 0 && length && text.length >= end + 4 + Number(length[1])) {
        socket.off('data', onData);
        resolve(text.slice(0, end));
      }
    };
    socket.on('data', onData);
    socket.once('close', () => reject(new Error(`the connection closed before the answer to ${path}: ${text}`)));
  });
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n`);
  return done;
}

describe('HTTP_KEEP_ALIVE_TIMEOUT_MS', () => {
  it('defaults to 65000 ms, longer than a balancer keeps an idle connection', () => {
    assert.equal(loadConfig({}).httpKeepAliveTimeoutMs, 65_000);
  });

  it('is checked like the other integers', () => {
    assert.throws(() => loadConfig({ HTTP_KEEP_ALIVE_TIMEOUT_MS: '0' }), /HTTP_KEEP_ALIVE_TIMEOUT_MS: must be >= 1/);
    assert.throws(() => loadConfig({ HTTP_KEEP_ALIVE_TIMEOUT_MS: 'long' }), /HTTP_KEEP_ALIVE_TIMEOUT_MS: must be integer/);
  });
});

describe('an idle keep-alive connection to node dist/main.js', () => {
  it('is still served after 5.5 s idle and is closed by the service after the timeout', async () => {
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    const closed = once(socket, 'close');
    const first = await get(socket, '/api/v1/health/live');
    assert.match(first, /^HTTP\/1\.1 200/);
    assert.match(first, new RegExp(`\\r\\nKeep-Alive: timeout=${KEEP_ALIVE_MS / 1000}`, 'i'));

    // Past Node's 5 s default: the same connection still answers.
    await sleep(5_500);
    const second = await get(socket, '/api/v1/health/live');
    assert.match(second, /^HTTP\/1\.1 200/);
    const idleFrom = Date.now();

    await closed;
    const idle = Date.now() - idleFrom;
    assert.ok(idle >= KEEP_ALIVE_MS - 500, `closed after ${idle} ms idle, before the ${KEEP_ALIVE_MS} ms timeout`);
    assert.ok(idle < KEEP_ALIVE_MS + 5_000, `still open ${idle} ms after the last answer`);
  });
});
