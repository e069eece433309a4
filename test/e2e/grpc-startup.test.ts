/**
 * GRPC_PORT at start-up (API.md §9, §13): the same port as PORT, or a port
 * already taken, stops the start with exit 1 and one line naming GRPC_PORT,
 * never a stack trace.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { freePort, startProcess } from '../helpers/process.js';
import { TEST_JWT_SECRET } from '../helpers/server.js';

const start = (env: Record<string, string>) =>
  startProcess(process.execPath, ['dist/main.js'], { AUTH_JWT_SECRET: TEST_JWT_SECRET, HOST: '127.0.0.1', ...env });

describe('node dist/main.js with GRPC_PORT', () => {
  describe('equal to PORT', () => {
    it('exits 1 naming GRPC_PORT', async () => {
      const port = String(await freePort());
      const p = start({ PORT: port, GRPC_PORT: port });
      assert.equal(await p.exited, 1);
      assert.match(p.output(), /GRPC_PORT: must differ from PORT/);
    });
  });
  describe('on a port already taken', () => {
    it('exits 1 with one line naming GRPC_PORT and no stack trace', async () => {
      const taken = createServer().listen(0, '127.0.0.1');
      await once(taken, 'listening');
      try {
        const grpcPort = (taken.address() as { port: number }).port;
        const p = start({ PORT: String(await freePort()), GRPC_PORT: String(grpcPort) });
        assert.equal(await p.exited, 1);
        assert.match(p.output(), new RegExp(`Start-up failed: GRPC_PORT: cannot listen on port ${grpcPort}`));
        assert.doesNotMatch(p.output(), /\n\s+at /);
      } finally {
        taken.close();
      }
    });
  });
});
