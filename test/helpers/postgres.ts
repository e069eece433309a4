/**
 * A private PostgreSQL 15 for tests: initdb in a temporary directory owned by
 * the `postgres` user (PostgreSQL refuses to run as root; both run as that
 * user, spawned with its uid and gid), the server on
 * 127.0.0.1 and a free port, fsync off (a test database need not survive a
 * power cut). It is stopped by the pid in postmaster.pid, even when a test
 * fails; stop() and start() again on the same directory and port simulate an
 * outage and a recovery.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { freePort } from './process.js';

export const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

/** Why the PostgreSQL tests cannot run here, or undefined when they can. */
export function postgresMissing(): string | undefined {
  if (!existsSync(join(PG_BIN, 'postgres'))) return `PostgreSQL 15 is not installed in ${PG_BIN} (.ci/run installs it: apt-get install postgresql)`;
  if (process.getuid?.() !== 0) return 'the PostgreSQL tests start the server as user postgres, which needs root';
  return undefined;
}

export interface TestPostgres {
  /** postgres://postgres:<password>@127.0.0.1:<port>/postgres (the password is checked by nobody: trust auth). */
  url: string;
  /** The URL of another database on the same server, created empty. */
  createDatabase(name: string): Promise<string>;
  port: number;
  /** Fast shutdown (SIGINT to the postmaster), waiting until it has exited. */
  stop(): Promise<void>;
  /** Starts the server again on the same data and port. */
  start(): Promise<void>;
  /** Freezes every server process (SIGSTOP): connections stay open but nothing answers, like a cut network. */
  freeze(): void;
  /** Lets a frozen server go on (SIGCONT). */
  thaw(): void;
  /** Stops it and removes its directory. */
  destroy(): Promise<void>;
}

/** The password put in test URLs: tests check that it never reaches a log. */
export const PG_TEST_PASSWORD = 'pg-secret-Zq81x';

/** The uid and gid of the `postgres` user, which the server runs as (it refuses root). */
const postgresUser = () => ({
  uid: Number(execFileSync('id', ['-u', 'postgres']).toString().trim()),
  gid: Number(execFileSync('id', ['-g', 'postgres']).toString().trim()),
});

/** Initialises and starts a server; call destroy() in an after hook. */
export async function startPostgres(): Promise<TestPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'pg-test-'));
  const data = join(dir, 'data');
  execFileSync('chown', ['postgres:postgres', dir]);
  // Spawned as the user directly (not through runuser), so that the server is our own child, signalled by its pid.
  const user = postgresUser();
  execFileSync(join(PG_BIN, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8'], { ...user, stdio: 'pipe', cwd: dir });
  const port = await freePort();
  const url = `postgres://postgres:${PG_TEST_PASSWORD}@127.0.0.1:${port}/postgres`;

  const pidOf = (): number | undefined => {
    const file = join(data, 'postmaster.pid');
    return existsSync(file) ? Number(readFileSync(file, 'utf8').split('\n')[0]) : undefined;
  };
  const alive = (pid: number) => {
    try {
      // A zombie (exited, not yet reaped) is not alive.
      return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      return false;
    }
  };

  async function start(): Promise<void> {
    const child = spawn(join(PG_BIN, 'postgres'), ['-D', data, '-p', String(port),
      '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${dir}`, '-c', 'fsync=off',
      '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200'], { ...user, cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    const deadline = Date.now() + 30_000;
    for (;;) {
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
      client.on('error', () => {});
      try {
        await client.connect();
        await client.query('SELECT 1');
        await client.end();
        return;
      } catch {
        await client.end().catch(() => {});
      }
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`PostgreSQL did not start:\n${log}`);
      await sleep(100);
    }
  }

  async function stop(): Promise<void> {
    const pid = pidOf();
    if (pid === undefined || !alive(pid)) return;
    process.kill(pid, 'SIGINT');
    const deadline = Date.now() + 20_000;
    while (alive(pid)) {
      if (Date.now() > deadline) {
        process.kill(pid, 'SIGKILL');
        break;
      }
      await sleep(50);
    }
  }

  /** The postmaster and its children, found by their parent pid in /proc. */
  const serverPids = (): number[] => {
    const root = pidOf();
    if (root === undefined) return [];
    const children = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number).filter((pid) => {
      try {
        // The field after the parenthesised command name: state, then the parent pid.
        return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]) === root;
      } catch {
        return false;
      }
    });
    return [root, ...children];
  };
  const signalAll = (signal: NodeJS.Signals) => {
    for (const pid of serverPids()) {
      try {
        process.kill(pid, signal);
      } catch {
        // ended meanwhile
      }
    }
  };

  try {
    await start();
  } catch (err) {
    await stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url,
    port,
    async createDatabase(name: string) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name}"`);
      } finally {
        await client.end();
      }
      return url.replace(/\/postgres$/, `/${name}`);
    },
    stop,
    start,
    freeze: () => signalAll('SIGSTOP'),
    thaw: () => signalAll('SIGCONT'),
    async destroy() {
      signalAll('SIGCONT');
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
