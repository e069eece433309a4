/**
 * A private redis-server for tests (API.md §12): 127.0.0.1, a free port, a
 * temporary directory, no persistence (no RDB, no AOF). stop() and start()
 * let a test cut Redis off and bring it back on the same port; the process is
 * stopped by its pid when the test process exits, even after a failure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './process.js';

export const REDIS_SERVER = process.env.REDIS_SERVER ?? 'redis-server';

export interface TestRedis {
  port: number;
  /** `redis://127.0.0.1:<port>` */
  url: string;
  /** The running server's pid; undefined while stopped. */
  pid(): number | undefined;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and waits for its exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port (after stop()), empty. */
  start(): Promise<void>;
  /** stop() and remove the temporary directory. */
  close(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
});

/** Resolves once the port accepts a TCP connection and answers PING. */
async function waitForPing(port: number, password: string | undefined, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}:\n${output()}`);
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      let data = '';
      socket.on('connect', () => socket.write(password ? `AUTH ${password}\r\nPING\r\n` : 'PING\r\n'));
      socket.on('data', (d) => {
        data += d.toString();
        socket.destroy();
        resolve(data);
      });
      socket.on('error', () => resolve(''));
    });
    if (answer.startsWith('+PONG') || answer.startsWith('+OK')) return;
    await sleep(50);
  }
  throw new Error(`redis-server on port ${port} did not answer PING within 10 s:\n${output()}`);
}

export interface RedisOptions {
  /** requirepass: clients must AUTH with it. */
  requirePass?: string;
}

/** Starts a private redis-server; call close() in an after() hook. */
export async function startRedis(options: RedisOptions = {}): Promise<TestRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'onnx-serving-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;

  const start = async () => {
    const proc = spawn(REDIS_SERVER, [
      '--port', String(port), '--bind', '127.0.0.1', '--dir', dir,
      '--save', '', '--appendonly', 'no', '--protected-mode', 'yes', '--daemonize', 'no',
      ...(options.requirePass ? ['--requirepass', options.requirePass] : []),
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    running.add(proc);
    proc.once('exit', () => running.delete(proc));
    child = proc;
    try {
      await waitForPing(port, options.requirePass, proc, () => out);
    } catch (err) {
      await stop();
      throw err;
    }
  };
  const stop = async () => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = once(proc, 'exit');
    process.kill(proc.pid!, 'SIGTERM');
    const timer = setTimeout(() => process.kill(proc.pid!, 'SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    pid: () => child?.pid,
    stop,
    start,
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
