import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startServer, testToken, type TestServer } from '../helpers/server.js';

let t: TestServer;
before(async () => {
  t = await startServer({ env: { LOG_LEVEL: 'info' } });
});
after(() => t.close());

describe('the request log', () => {
  describe('when the client goes away in the middle of its body', () => {
    it('writes one warn line, "request aborted", with the request id', async () => {
      const { port } = new URL(t.url);
      const socket = connect(Number(port), '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write([
        'POST /api/v1/predict HTTP/1.1', `Host: 127.0.0.1:${port}`, 'Content-Type: application/json',
        'Content-Length: 500', `Authorization: Bearer ${testToken('predict')}`, 'X-Request-ID: log-test-aborted', '', '{"model":',
      ].join('\r\n'));
      await sleep(50);
      socket.destroy();
      let lines: Array<Record<string, unknown>> = [];
      for (let i = 0; i < 50 && lines.length === 0; i++) {
        await sleep(20);
        lines = t.logs.filter((l) => l.request_id === 'log-test-aborted');
      }
      assert.equal(lines.length, 1, JSON.stringify(lines));
      assert.equal(lines[0]!.level, 40);
      assert.equal(lines[0]!.msg, 'request aborted');
      assert.equal(lines[0]!.route, '/api/v1/predict');
    });
  });
});
