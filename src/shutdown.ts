/**
 * Graceful shutdown on SIGTERM / SIGINT (API.md §11): readiness turns 503
 * `draining` at once, the listener keeps accepting for SHUTDOWN_DRAIN_MS (the
 * load balancer needs that long to notice), then closes; requests in flight get
 * up to SHUTDOWN_TIMEOUT_MS more; sessions are released; exit 0.
 */
import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from './config.js';
import type { ModelRegistry } from './inference/registry.js';
import type { Lifecycle } from './lifecycle.js';
import type { Logger } from './logger.js';

export interface ShutdownDeps {
  server: Server;
  lifecycle: Lifecycle;
  registry: ModelRegistry;
  logger: Logger;
  config: Pick<Config, 'shutdownDrainMs' | 'shutdownTimeoutMs'>;
  /** The async job worker: the running job gets SHUTDOWN_TIMEOUT_MS, else goes back to the queue. */
  jobs?: { stop(graceMs: number): Promise<void> };
}

export function installShutdown({ server, lifecycle, registry, logger, config, jobs }: ShutdownDeps): void {
  async function shutdown(signal: NodeJS.Signals): Promise<void> {
    if (lifecycle.draining) return;
    lifecycle.draining = true;
    logger.info({ signal, drain_ms: config.shutdownDrainMs }, 'draining');
    const jobsStopped = jobs?.stop(config.shutdownTimeoutMs);
    await sleep(config.shutdownDrainMs);

    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Keep-alive connections with no request in flight would hold close() open.
    server.closeIdleConnections();
    const idleSweep = setInterval(() => server.closeIdleConnections(), 100);
    const timedOut = sleep(config.shutdownTimeoutMs).then(() => 'timeout' as const);
    const outcome = await Promise.race([closed.then(() => 'closed' as const), timedOut]);
    clearInterval(idleSweep);
    if (outcome === 'timeout') {
      logger.warn('shutdown timeout: closing the connections still open');
      server.closeAllConnections();
    }
    // Before the sessions go: a job still running is put back in the queue at its next chunk.
    await jobsStopped;
    await registry.close();
    logger.info('stopped');
    process.exit(0);
  }
  process.once('SIGTERM', (s) => void shutdown(s));
  process.once('SIGINT', (s) => void shutdown(s));
}
