/**
 * The SIGTERM drain, for real (API.md §8, §11 "Drain"): `npm start` under a
 * bounded load of concurrent predictions gets SIGTERM. Readiness must turn 503
 * `draining` at once while liveness stays 200, every accepted request must
 * complete with 200, the listener must close SHUTDOWN_DRAIN_MS after the
 * signal, and `npm start` itself must exit 0.
 */
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, startProcess, waitForStatus, type ServiceProcess } from '../helpers/process.js';
import { SAMPLES, TEST_JWT_SECRET, testToken } from '../helpers/server.js';

const DRAIN_MS = 1500;
const WORKERS = 6;

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request; the body, when given, is written in `chunks` pieces `gapMs` apart. */
function send(port: number, method: string, path: string, options: {
  body?: unknown; agent?: Agent | false; token?: string; chunks?: number; gapMs?: number;
} = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
    const headers: Record<string, string | number> = {};
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (payload) Object.assign(headers, { 'content-type': 'application/json', 'content-length': payload.length });
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent: options.agent ?? false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (!payload) return void req.end();
    const chunks = options.chunks ?? 1;
    const size = Math.ceil(payload.length / chunks);
    void (async () => {
      for (let i = 0; i < chunks; i++) {
        if (i > 0) await sleep(options.gapMs ?? 0);
        req.write(payload.subarray(i * size, (i + 1) * size));
      }
      req.end();
    })();
  });
}

/** Resolves true when a new TCP connection to the port is refused. */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

let proc: ServiceProcess | undefined;
after(() => {
  if (proc && proc.child.exitCode === null) proc.child.kill('SIGKILL');
});

describe('npm start, on SIGTERM under load', () => {
  it('drains: readiness 503 at once, no accepted request lost, listener closed after the drain, exit 0', async (t) => {
    const port = await freePort();
    proc = startProcess('npm', ['start', '--silent'], {
      PORT: String(port),
      HOST: '127.0.0.1',
      AUTH_JWT_SECRET: TEST_JWT_SECRET,
      // A load test, not a rate-limit test: budgets out of the way.
      RATE_LIMIT_PREDICT_PER_MIN: '1000000',
      RATE_LIMIT_BATCH_PER_MIN: '1000000',
      RATE_LIMIT_DEFAULT_PER_MIN: '1000000',
      SHUTDOWN_DRAIN_MS: String(DRAIN_MS),
      SHUTDOWN_TIMEOUT_MS: '10000',
      LOG_LEVEL: 'info',
    });
    await waitForStatus(`http://127.0.0.1:${port}/api/v1/health`, 200, proc);

    // The load: keep-alive workers posting single and batch predictions.
    const token = testToken('predict', 'drain-test');
    const agent = new Agent({ keepAlive: true, maxSockets: WORKERS });
    const instances = Array.from({ length: 200 }, () => SAMPLES['loan-approval']);
    const stats = { started: 0, ok: 0, failed: [] as string[], afterSignal: 0, closeHeaderAfterSignal: 0 };
    let signalled = false;
    let issuing = true;
    // A failed assertion must stop the load too: its workers retry a closed port in a tight loop and the file never ends.
    t.after(() => {
      issuing = false;
    });
    const worker = async (w: number) => {
      for (let i = 0; issuing; i++) {
        const batch = (w + i) % 2 === 0;
        const mine = { signalled };
        stats.started++;
        if (signalled) stats.afterSignal++;
        try {
          const r = batch
            ? await send(port, 'POST', '/api/v1/predict/batch', { agent, token, body: { model: 'loan-approval', instances } })
            : await send(port, 'POST', '/api/v1/predict', { agent, token, body: { model: 'iris', features: SAMPLES.iris } });
          if (r.status === 200) stats.ok++;
          else stats.failed.push(`HTTP ${r.status} ${r.body.slice(0, 200)}`);
          if (mine.signalled && r.headers.connection === 'close') stats.closeHeaderAfterSignal++;
        } catch (err) {
          stats.failed.push(String(err));
        }
      }
    };
    const load = Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
    await sleep(500);
    // Signal while requests are in flight (not between two bursts of answers).
    while (stats.started - stats.ok - stats.failed.length === 0) await new Promise((r) => setImmediate(r));
    const inFlightAtSignal = stats.started - stats.ok - stats.failed.length;
    const signalledAt = Date.now();
    signalled = true;
    assert.ok(proc.child.kill('SIGTERM'));

    // At once: readiness 503 draining with Retry-After, liveness 200.
    await sleep(50);
    const health = await send(port, 'GET', '/api/v1/health');
    const ready = await send(port, 'GET', '/api/v1/health/ready');
    const live = await send(port, 'GET', '/api/v1/health/live');
    const healthAfterMs = Date.now() - signalledAt;
    for (const r of [health, ready]) {
      assert.equal(r.status, 503);
      assert.equal(JSON.parse(r.body).data.status, 'draining');
      assert.ok(Number(r.headers['retry-after']) >= 1);
    }
    assert.equal(live.status, 200);

    // A request whose body is still arriving when the listener closes.
    await sleep(DRAIN_MS - 300 - (Date.now() - signalledAt));
    const straddling = send(port, 'POST', '/api/v1/predict/batch', {
      token, body: { model: 'loan-approval', instances }, chunks: 6, gapMs: 100,
    });
    // The load balancer has noticed by now: no new requests.
    issuing = false;

    let closedAfterMs = -1;
    while (Date.now() - signalledAt < DRAIN_MS + 3000) {
      if (await refused(port)) {
        closedAfterMs = Date.now() - signalledAt;
        break;
      }
      await sleep(25);
    }
    await load;
    const slow = await straddling;
    const code = await proc.exited;
    const exitedAfterMs = Date.now() - signalledAt;
    agent.destroy();

    const lost = stats.started - stats.ok;
    t.diagnostic(`requests: ${stats.started} sent, ${stats.ok} answered 200, ${stats.afterSignal} sent after SIGTERM`);
    t.diagnostic(`in flight at SIGTERM: ${inFlightAtSignal}; lost: ${lost}`);
    t.diagnostic(`health 503 draining ${healthAfterMs} ms after SIGTERM; listener closed after ${closedAfterMs} ms; exit ${code} after ${exitedAfterMs} ms`);
    assert.deepEqual(stats.failed, []);
    assert.equal(lost, 0);
    assert.ok(inFlightAtSignal > 0, 'the load had requests in flight at SIGTERM');
    assert.ok(stats.afterSignal > 0, 'requests arriving during the drain were served');
    assert.equal(stats.closeHeaderAfterSignal > 0, true, 'responses during the drain say Connection: close');
    assert.equal(slow.status, 200, 'the request in flight at the listener close completed');
    assert.ok(closedAfterMs >= DRAIN_MS - 50, `listener closed after ${closedAfterMs} ms, before the drain delay`);
    assert.ok(closedAfterMs <= DRAIN_MS + 1000, `listener closed after ${closedAfterMs} ms`);
    assert.equal(code, 0, proc.output());
  });
});

describe('node dist/main.js, on SIGINT twice (npm and a terminal both forward Ctrl-C)', () => {
  it('drains once and exits 0', async () => {
    const port = await freePort();
    const p = startProcess(process.execPath, ['dist/main.js'], {
      PORT: String(port), HOST: '127.0.0.1', AUTH_JWT_SECRET: TEST_JWT_SECRET, SHUTDOWN_DRAIN_MS: '300',
    });
    proc = p;
    await waitForStatus(`http://127.0.0.1:${port}/api/v1/health`, 200, p);
    p.child.kill('SIGINT');
    await sleep(100);
    p.child.kill('SIGINT');
    assert.equal(await p.exited, 0, p.output());
    assert.match(p.output(), /already draining; signal ignored/);
    assert.match(p.output(), /"msg":"stopped"/);
  });
});
