/**
 * The only file that reads the environment, listens, and handles signals.
 * Order: config → logger → discover models → listen (health answers
 * `starting`) → load and warm every model → ready.
 */
import './ort-env.js';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createApp } from './app.js';
import { loadConfig, type Config } from './config.js';
import { StartupError } from './errors.js';
import { ProviderSelector } from './inference/execution-providers.js';
import { PredictService } from './inference/predict-service.js';
import { ModelRegistry } from './inference/registry.js';
import { Lifecycle } from './lifecycle.js';
import { createLogger } from './logger.js';
import { installShutdown } from './shutdown.js';

const packageVersion = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

function fail(message: string): never {
  process.stderr.write(`Start-up failed: ${message}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof StartupError) fail(err.message);
    throw err;
  }
  const logger = createLogger(config.logLevel);
  const lifecycle = new Lifecycle();
  const providers = new ProviderSelector(config.executionProviders, logger);
  const registry = new ModelRegistry(config.modelRepository, {
    providers,
    intraOpThreads: config.intraOpThreads,
    logger,
  });
  try {
    registry.discover();
  } catch (err) {
    fail(`MODEL_REPOSITORY: ${err instanceof Error ? err.message : String(err)}`);
  }
  const predictService = new PredictService(registry, {
    defaultModel: config.defaultModel,
    maxBatchSize: config.maxBatchSize,
  });
  const app = createApp({ config, logger, registry, providers, predictService, lifecycle, version: packageVersion });

  const server = createServer(app);
  server.listen({ port: config.port, host: config.host });
  await once(server, 'listening');
  installShutdown({ server, lifecycle, registry, logger, config });
  logger.info({ address: server.address(), version: packageVersion }, 'listening; loading models');

  try {
    await registry.loadAll();
  } catch (err) {
    if (err instanceof StartupError) {
      logger.fatal(err.message);
      fail(err.message);
    }
    throw err;
  }
  lifecycle.started = true;
  const ready = registry.allVersions().filter((v) => v.state === 'ready');
  logger.info({ ready: ready.map((v) => `${v.name}@${v.version}`) }, 'started');
}

main().catch((err: unknown) => {
  process.stderr.write(`Start-up failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
