/**
 * A private PostgreSQL 15 for tests: initdb in a temporary directory owned by
 * the `postgres` user (PostgreSQL refuses to run as root), the server on
 * 127.0.0.1 and a free port, fsync off (a test database need not survive a
 * power cut). It is stopped by the pid in postmaster.pid, even when a test
 * fails; stop() and start() again on the same directory and port simulate an
 * outage and a recovery.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { freePort } from './process.js';

export const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

/** Why the PostgreSQL tests cannot run here, or undefined when they can. */
export function postgresMissing(): string | undefined {
  if (!existsSync(join(PG_BIN, 'postgres'))) return `PostgreSQL 15 is not installed in ${PG_BIN} (.ci/run installs it: apt-get install postgresql)`;
  if (process.getuid?.() !== 0) return 'the PostgreSQL tests start the server as user postgres through runuser, which needs root';
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
  /** Stops it and removes its directory. */
  destroy(): Promise<void>;
}

/** The password put in test URLs: tests check that it never reaches a log. */
export const PG_TEST_PASSWORD = 'pg-secret-Zq81x';

const asPostgres = (args: string[]) => execFileSync('runuser', ['-u', 'postgres', '--', ...args], { stdio: 'pipe' });

/** Initialises and starts a server; call destroy() in an after hook. */
export async function startPostgres(): Promise<TestPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'pg-test-'));
  const data = join(dir, 'data');
  execFileSync('chown', ['postgres:postgres', dir]);
  asPostgres([join(PG_BIN, 'initdb'), '-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
  const port = await freePort();
  const url = `postgres://postgres:${PG_TEST_PASSWORD}@127.0.0.1:${port}/postgres`;

  const pidOf = (): number | undefined => {
    const file = join(data, 'postmaster.pid');
    return existsSync(file) ? Number(readFileSync(file, 'utf8').split('\n')[0]) : undefined;
  };
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  async function start(): Promise<void> {
    const child = spawn('runuser', ['-u', 'postgres', '--', join(PG_BIN, 'postgres'), '-D', data, '-p', String(port),
      '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${dir}`, '-c', 'fsync=off',
      '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200'], { stdio: ['ignore', 'ignore', 'pipe'] });
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
    async destroy() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
