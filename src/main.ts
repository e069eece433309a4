/**
 * The only file that reads the environment, listens, and handles signals.
 * Order: config → logger → discover models → listen (health answers
 * `starting`) → load and warm every model → ready.
 */
import './ort-env.js';
import { once } from 'node:events';
import { loadConfig } from './config.js';
import { StartupError } from './errors.js';
import { listenGrpc, type GrpcListener } from './grpc/grpc-server.js';
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
  // The Open Inference Protocol over gRPC (API.md §13), drained with the HTTP listener.
  let grpc: GrpcListener | undefined;
  if (config.grpcPort !== undefined) {
    grpc = await listenGrpc({
      dataPlane: service.dataPlane, credentials: service.credentials, spendBudget: service.spendBudget, logger,
      maxMessageBytes: config.bodyLimitBytes * 32,
    }, config.host ?? '0.0.0.0', config.grpcPort).catch((err: unknown) => {
      throw new StartupError(`GRPC_PORT: cannot listen on port ${config.grpcPort} (${err instanceof Error ? err.message : String(err)})`);
    });
  }
  installShutdown({
    server, lifecycle: service.lifecycle, close: () => service.close(), logger, config, listeners: grpc ? [grpc] : [],
  });
  // `node` says which runtime serves (the project requires Node 24 LTS; package.json engines).
  logger.info({
    address: server.address(), grpc_port: grpc?.port, version: PACKAGE_VERSION, node: process.version, pid: process.pid,
  }, 'listening; loading models');

  await service.start();
  const ready = service.registry.allVersions().filter((v) => v.state === 'ready');
  logger.info({ ready: ready.map((v) => `${v.name}@${v.version}`) }, 'started');
}

main().catch((err: unknown) => {
  if (err instanceof StartupError) fail(err.message);
  fail(err instanceof Error ? (err.stack ?? err.message) : String(err));
});
