/**
 * The only file that reads the environment, listens, and handles signals.
 * Order: config → logger → discover models → listen (health answers
 * `starting`) → load and warm every model → ready.
 */
import './ort-env.js';
import { once } from 'node:events';
import { loadConfig } from './config.js';
import { StartupError } from './errors.js';
import { createHttpServer } from './http/listener.js';
import { createLogger } from './logger.js';
import { createService, PACKAGE_VERSION } from './service.js';
import { installShutdown } from './shutdown.js';

function fail(message: string): never {
  process.stderr.write(`Start-up failed: ${message}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger(config.logLevel);
  let service;
  try {
    service = createService(config, logger);
  } catch (err) {
    if (err instanceof StartupError) throw err;
    throw new StartupError(`MODEL_REPOSITORY: ${err instanceof Error ? err.message : String(err)}`);
  }
  // The one secret ever printed (API.md §11): one line on stdout, ready to paste.
  if (service.devToken) process.stdout.write(`export TOKEN=${service.devToken}\n`);
  const server = createHttpServer(service.app, config);
  server.listen({ port: config.port, host: config.host });
  await once(server, 'listening');
  installShutdown({ server, lifecycle: service.lifecycle, close: () => service.close(), logger, config });
  logger.info({ address: server.address(), version: PACKAGE_VERSION }, 'listening; loading models');

  await service.start();
  const ready = service.registry.allVersions().filter((v) => v.state === 'ready');
  logger.info({ ready: ready.map((v) => `${v.name}@${v.version}`) }, 'started');
}

main().catch((err: unknown) => {
  if (err instanceof StartupError) fail(err.message);
  fail(err instanceof Error ? (err.stack ?? err.message) : String(err));
});
