/**
 * Graceful shutdown on SIGTERM / SIGINT (API.md §8, §11 "Drain"):
 *   1. at once: readiness answers 503 `draining`; /live stays 200;
 *   2. for SHUTDOWN_DRAIN_MS the listener keeps accepting (a load balancer
 *      needs that long to see the failing readiness and stop sending), but
 *      every response says `Connection: close`, so that no idle keep-alive
 *      connection is left for a client to reuse as the listener closes;
 *   3. the listener closes, and other listeners (gRPC) stop taking calls;
 *      requests and calls in flight get up to SHUTDOWN_TIMEOUT_MS;
 *   4. whatever is still open is cut, the sessions are released, exit 0.
 * A repeated signal (npm and a terminal both forward Ctrl-C) is ignored.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from './config.js';
import type { Lifecycle } from './lifecycle.js';
import type { Logger } from './logger.js';

/** Another listener drained with the HTTP one (the gRPC server). */
export interface Drainable {
  /** Stops taking calls; resolves once those in flight have finished. */
  drain(): Promise<void>;
  /** Cuts whatever is still open. */
  forceClose(): void;
}

export interface ShutdownDeps {
  server: Server;
  /** Drained together with `server`. */
  listeners?: readonly Drainable[];
  lifecycle: Lifecycle;
  /** Stops background work and releases the model sessions. */
  close: () => Promise<void>;
  logger: Logger;
  config: Pick<Config, 'shutdownDrainMs' | 'shutdownTimeoutMs'>;
  /** How the process ends; tests replace it. */
  exit?: (code: number) => void;
  /** The signals that start the drain; tests pass none and call the returned function. */
  signals?: readonly NodeJS.Signals[];
}

/** At least this long for close() (background work, session release), even when the timeout is spent. */
const MIN_RELEASE_MS = 1_000;

/** Installs the signal handlers; returns the shutdown function (for tests). */
export function installShutdown(deps: ShutdownDeps): (signal: NodeJS.Signals) => Promise<void> {
  const { server, lifecycle, close, logger, config } = deps;
  const exit = deps.exit ?? ((code: number) => process.exit(code));
  let inFlight = 0;

  server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
    inFlight++;
    res.once('close', () => inFlight--);
    if (lifecycle.draining) res.setHeader('Connection', 'close');
  });

  async function shutdown(signal: NodeJS.Signals): Promise<void> {
    if (lifecycle.draining) {
      logger.info({ signal }, 'already draining; signal ignored');
      return;
    }
    lifecycle.draining = true;
    logger.info({ signal, drain_ms: config.shutdownDrainMs, in_flight: inFlight }, 'draining: readiness now answers 503');
    await sleep(config.shutdownDrainMs);

    const deadline = Date.now() + config.shutdownTimeoutMs;
    const listeners = deps.listeners ?? [];
    const closed = Promise.all([
      new Promise<void>((resolve) => server.close(() => resolve())),
      ...listeners.map((l) => l.drain()),
    ]);
    logger.info({ in_flight: inFlight, timeout_ms: config.shutdownTimeoutMs }, 'listener closed; finishing requests in flight');
    // Keep-alive connections with no request in flight would hold close() open.
    server.closeIdleConnections();
    const idleSweep = setInterval(() => server.closeIdleConnections(), 100);
    const outcome = await Promise.race([
      closed.then(() => 'closed' as const),
      sleep(config.shutdownTimeoutMs).then(() => 'timeout' as const),
    ]);
    clearInterval(idleSweep);
    if (outcome === 'timeout') {
      logger.warn({ in_flight: inFlight }, 'shutdown timeout: closing the connections still open');
      server.closeAllConnections();
      for (const l of listeners) l.forceClose();
    }
    // Background work (hot reload, jobs) stops and sessions are released within what is left of the timeout.
    const released = close().then(
      () => true,
      (err: unknown) => {
        logger.error({ err }, 'release failed');
        return true;
      },
    );
    const inTime = await Promise.race([released, sleep(Math.max(deadline - Date.now(), MIN_RELEASE_MS)).then(() => false)]);
    if (!inTime) logger.warn('shutdown timeout: exiting before everything was released');
    logger.info('stopped');
    exit(0);
  }

  const onSignal = (signal: NodeJS.Signals) => void shutdown(signal);
  for (const signal of deps.signals ?? ['SIGTERM', 'SIGINT']) process.on(signal, onSignal);
  return shutdown;
}
