/**
 * One service process per core behind one port (node:cluster): the primary
 * checks the configuration, forks CLUSTER_WORKERS workers (default: one per
 * core), each of which runs main.ts and loads every model itself; the
 * primary hands out connections round-robin.
 *
 * SIGTERM / SIGINT: forwarded to every worker, which drains as a single
 * process does (health 503 `draining`, listener closed after
 * SHUTDOWN_DRAIN_MS, requests in flight finished); the primary exits 0 when
 * all have exited 0. A worker that dies while serving is replaced; one that
 * fails during start-up stops the whole cluster (exit 1), since its siblings
 * would fail the same way.
 */
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { loadConfig } from './config.js';
import { StartupError } from './errors.js';
import { createLogger } from './logger.js';

if (cluster.isPrimary) {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    process.stderr.write(`Start-up failed: ${err instanceof StartupError ? err.message : String(err)}\n`);
    process.exit(1);
  }
  const logger = createLogger(config.logLevel).child({ role: 'cluster-primary' });
  const count = config.clusterWorkers ?? availableParallelism();
  const listening = new WeakSet<Worker>();
  let stopping = false;
  let failed = false;

  const stopAll = (signal: NodeJS.Signals) => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill(signal);
  };
  const fork = () => cluster.fork();

  cluster.on('listening', (worker) => listening.add(worker));
  cluster.on('exit', (worker, code, signal) => {
    if (code !== 0) failed = true;
    if (!stopping) {
      if (!listening.has(worker)) {
        // A start-up failure (bad model repository, CUDA missing…): every worker would hit it.
        logger.error({ pid: worker.process.pid, code }, 'a worker failed to start; stopping the cluster');
        stopping = true;
        stopAll('SIGTERM');
      } else {
        logger.error({ pid: worker.process.pid, code, signal }, 'a worker died; starting another');
        fork();
      }
    }
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(failed ? 1 : 0);
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal, workers: Object.keys(cluster.workers ?? {}).length }, 'draining every worker');
      stopAll(signal);
    });
  }

  logger.info({ workers: count }, 'starting workers');
  for (let i = 0; i < count; i++) fork();
} else {
  await import('./main.js');
}
