import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { installShutdown } from '../../src/shutdown.js';
import { SAMPLES, startServer, testToken, type TestServer } from '../helpers/server.js';

/** The drain of `t` with these times, exiting into the returned promise instead of the process. */
function drain(t: TestServer, shutdownDrainMs: number, shutdownTimeoutMs: number) {
  let exited!: (code: number) => void;
  const exit = new Promise<number>((resolve) => (exited = resolve));
  const start = installShutdown({
    server: t.server, lifecycle: t.service.lifecycle, close: () => t.service.close(), logger: t.service.logger,
    config: { shutdownDrainMs, shutdownTimeoutMs }, exit: exited, signals: [],
  });
  return { begin: () => void start('SIGTERM'), exit };
}

/** A raw request whose body is only partly sent: it stays in flight until the socket closes. */
function stuckRequest(t: TestServer): Promise<Socket> {
  const { port } = new URL(t.url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), '127.0.0.1', () => {
      socket.write(`POST /api/v1/predict HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${testToken()}\r\n` +
        'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"model":');
      resolve(socket);
    });
    socket.on('error', () => undefined);
  });
}

describe('the drain (shutdown.ts)', () => {
  describe('with a request that never completes', () => {
    it('cuts it after SHUTDOWN_TIMEOUT_MS, releases the sessions and exits 0', async () => {
      const t = await startServer();
      const socket = await stuckRequest(t);
      const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
      const { begin, exit } = drain(t, 100, 300);
      const started = Date.now();
      begin();
      assert.equal(await exit, 0);
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 400 && elapsed < 2000, `exited after ${elapsed} ms`);
      assert.ok((await closed) - started >= 400, 'the stuck connection lived until the timeout');
      assert.ok(t.logs.some((l) => String(l.msg).startsWith('shutdown timeout')));
      assert.ok(t.service.registry.allVersions().every((v) => v.state === 'unloaded'));
    });
  });

  describe('with keep-alive connections and no request in flight', () => {
    it('exits right after the drain delay, without waiting for the timeout', async () => {
      const t = await startServer();
      const r = await t.call('POST', '/api/v1/predict', { body: { model: 'iris', features: SAMPLES.iris } });
      assert.equal(r.status, 200);
      const { begin, exit } = drain(t, 100, 10_000);
      const started = Date.now();
      begin();
      assert.equal(await exit, 0);
      assert.ok(Date.now() - started < 2000, `exited after ${Date.now() - started} ms`);
    });
  });
});
