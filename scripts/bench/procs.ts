/**
 * Child processes of the benchmark: servers pinned to core 0, the load
 * generator and the session loop pinned to core 1 / core 0 (taskset), their
 * RSS, and their orderly stop.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { openSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Whether `taskset` exists and there are two cores to pin to. */
export const CAN_PIN = availableParallelism() >= 2 && spawnSync('taskset', ['-c', '0', 'true']).status === 0;

/** `command args` pinned to `core` (or unpinned, where pinning is impossible or `core` is undefined). */
export function pinned(core: number | undefined, command: string, args: string[]): [string, string[]] {
  if (core === undefined || !CAN_PIN) return [command, args];
  return ['taskset', ['-c', String(core), command, ...args]];
}

export interface Running {
  proc: ChildProcess;
  pid: number;
  stop(): Promise<void>;
}

/** Starts a node script (pinned to `core`), its output appended to `logFile`. */
export function startNode(core: number | undefined, args: string[], env: Record<string, string>, logFile: string): Running {
  return startCommand(core, process.execPath, args, env, logFile);
}

/** Starts `command args` (pinned to `core`), its output appended to `logFile`. */
export function startCommand(core: number | undefined, command: string, args: string[], env: Record<string, string>, logFile: string): Running {
  const fd = openSync(logFile, 'a');
  const [cmd, argv] = pinned(core, command, args);
  // taskset execs the command, so the child's pid is node's own.
  const proc = spawn(cmd, argv, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', fd, fd] });
  const exited = once(proc, 'exit');
  return {
    proc,
    pid: proc.pid!,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls until `url` answers 2xx to `init`, or throws after `timeoutMs`. */
export async function waitReady(url: string, init: RequestInit, timeoutMs: number, proc: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`${url}: the server exited with code ${proc.exitCode}`);
    try {
      const res = await fetch(url, init);
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} was not ready within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Resident set size of a process in MB (Linux /proc), or NaN. */
export function rssMb(pid: number): number {
  try {
    const kb = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? NaN : Number(kb) / 1024;
  } catch {
    return NaN;
  }
}

/** CPU time (user + system) a process has used so far, in ms (Linux /proc, clock ticks of 10 ms), or NaN. */
export function cpuMs(pid: number): number {
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim()) || 100;

/** Runs a node script pinned to `core` to completion; resolves with its last stdout line parsed as JSON. */
export async function runJson<T>(core: number | undefined, args: string[]): Promise<T> {
  const [cmd, argv] = pinned(core, process.execPath, args);
  const proc = spawn(cmd, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const [code] = await once(proc, 'exit');
  const last = out.trim().split('\n').pop() ?? '';
  if (code !== 0 || !last.startsWith('{')) throw new Error(`${args.join(' ')} failed (${code}): ${err.slice(-2000)}`);
  return JSON.parse(last) as T;
}

export function cpuModel(): string {
  try {
    return /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
