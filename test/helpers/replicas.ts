/**
 * Replicas of the service for multi-process tests (API.md §12): each started
 * as an operator starts it (`npm start`), all on one DATABASE_URL. Their log
 * lines are parsed, so that a test can tell which replica ran a job and kill
 * that one's Node process (its pid is on every line) rather than npm.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { startProcess, freePort, waitForStatus, type ServiceProcess } from './process.js';
import { TEST_JWT_SECRET } from './server.js';

export interface Replica {
  name: string;
  url: string;
  proc: ServiceProcess;
  /** The JSON log lines so far. */
  logs(): Array<Record<string, any>>;
  /** The pid of the replica's Node process (npm's child). */
  pid(): number;
  /** Set by the test when it stops the replica on purpose. */
  killed?: boolean;
}

/** Starts `name` on `databaseUrl` with `env` on top and waits for its readiness. */
export async function startReplica(name: string, databaseUrl: string, env: Record<string, string> = {}): Promise<Replica> {
  const port = await freePort();
  const proc = startProcess('npm', ['start', '--silent'], {
    PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: databaseUrl, AUTH_JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: 'info', SHUTDOWN_DRAIN_MS: '0',
    RATE_LIMIT_PREDICT_PER_MIN: '1000000', RATE_LIMIT_BATCH_PER_MIN: '1000000', RATE_LIMIT_DEFAULT_PER_MIN: '1000000',
    ...env,
  });
  const url = `http://127.0.0.1:${port}`;
  const logs = () => proc.output().split('\n').filter((l) => l.startsWith('{')).map((l) => {
    try {
      return JSON.parse(l) as Record<string, any>;
    } catch {
      return {};
    }
  });
  await waitForStatus(`${url}/api/v1/health/ready`, 200, proc, 120_000);
  return {
    name, url, proc, logs,
    pid() {
      const line = logs().find((l) => typeof l.pid === 'number');
      if (!line) throw new Error(`${name} logged no pid:\n${proc.output()}`);
      return line.pid;
    },
  };
}

/** Stops a replica for good (SIGKILL to its Node process and to npm); safe to call twice. */
export async function killReplica(r: Replica | undefined): Promise<void> {
  if (!r) return;
  // A replica that ended before the test ended it: its last words help the reader of a failed run.
  if (r.proc.child.exitCode !== null && !r.killed) process.stderr.write(`# replica ${r.name} had exited (${r.proc.child.exitCode}):\n${r.proc.output().slice(-3000)}\n`);
  try {
    process.kill(r.pid(), 'SIGKILL');
  } catch {
    // already gone
  }
  if (r.proc.child.exitCode === null) r.proc.child.kill('SIGKILL');
  await Promise.race([r.proc.exited, sleep(10_000)]);
}

/** The first log line of `r` for which `match` holds, waiting up to `ms`. */
export async function waitForLog(r: Replica, match: (line: Record<string, any>) => boolean, ms = 30_000): Promise<Record<string, any>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const line = r.logs().find(match);
    if (line) return line;
    if (Date.now() > deadline) throw new Error(`${r.name} did not log the line awaited within ${ms} ms:\n${r.proc.output().slice(-4000)}`);
    await sleep(50);
  }
}
