import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { StartupError } from '../../src/errors.js';

/** The StartupError message loadConfig throws for `env`. */
function problem(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof StartupError, String(err));
    return err.message;
  }
  assert.fail(`expected ${JSON.stringify(env)} to be refused`);
}

describe('loadConfig', () => {
  describe('with an empty environment', () => {
    const config = loadConfig({});
    it('takes the documented defaults', () => {
      assert.equal(config.port, 8080);
      assert.equal(config.host, undefined);
      assert.equal(config.modelRepository, './models');
      assert.equal(config.dataDir, './data');
      assert.equal(config.logLevel, 'info');
      assert.deepEqual(config.executionProviders, ['cpu']);
      assert.equal(config.maxBatchSize, 10_000);
      assert.equal(config.bodyLimitBytes, 1024 * 1024);
      assert.equal(config.modelUploadLimitBytes, 256 * 1024 * 1024);
      assert.equal(config.inferenceTimeoutMs, 30_000);
      assert.equal(config.inferenceQueueSize, 1024);
      assert.equal(config.recordRetentionDays, 30);
      assert.equal(config.cacheSize, 1000);
      assert.equal(config.cacheTtlS, 300);
      assert.equal(config.shutdownDrainMs, 5_000);
      assert.equal(config.shutdownTimeoutMs, 30_000);
      assert.equal(config.modelPollIntervalMs, 2_000);
    });

    it('is frozen', () => {
      assert.ok(Object.isFrozen(config));
      assert.ok(Object.isFrozen(config.executionProviders));
      assert.throws(() => {
        (config as { port: number }).port = 1;
      }, TypeError);
    });
  });

  describe('with values an operator would write', () => {
    it('converts integers, splits lists, trims, and treats an empty value as unset', () => {
      const config = loadConfig({
        PORT: ' 9090 ', ORT_EXECUTION_PROVIDERS: 'cuda, cpu', SHUTDOWN_DRAIN_MS: '0', CACHE_SIZE: '0',
        LOG_LEVEL: 'debug', MODEL_POLL_INTERVAL_MS: '0', HOST: '', MAX_BATCH_SIZE: '1',
      });
      assert.equal(config.port, 9090);
      assert.deepEqual(config.executionProviders, ['cuda', 'cpu']);
      assert.equal(config.shutdownDrainMs, 0);
      assert.equal(config.cacheSize, 0);
      assert.equal(config.logLevel, 'debug');
      assert.equal(config.modelPollIntervalMs, 0);
      assert.equal(config.host, undefined);
      assert.equal(config.maxBatchSize, 1);
    });
  });

  describe('with a value outside its type (API.md §11 "Configuration types")', () => {
    const refused: Array<[string, string]> = [
      ['PORT', '0'], ['PORT', '65536'], ['PORT', 'http'], ['PORT', '80.5'], ['PORT', '-1'],
      ['MAX_BATCH_SIZE', '0'], ['BODY_LIMIT_BYTES', '0'], ['MODEL_UPLOAD_LIMIT_BYTES', '1MB'],
      ['RATE_LIMIT_PREDICT_PER_MIN', '0'], ['RATE_LIMIT_BATCH_PER_MIN', 'x'], ['RATE_LIMIT_DEFAULT_PER_MIN', '-5'],
      ['INFERENCE_TIMEOUT_MS', '0'], ['INFERENCE_QUEUE_SIZE', '0'], ['MODEL_WARMUP_TIMEOUT_MS', '0'], ['RECORD_RETENTION_DAYS', '0'],
      ['ORT_INTRA_OP_THREADS', '0'], ['CACHE_SIZE', '-1'], ['CACHE_TTL_S', '1.5'],
      ['SHUTDOWN_DRAIN_MS', '-1'], ['SHUTDOWN_TIMEOUT_MS', 'soon'], ['MODEL_POLL_INTERVAL_MS', '-1'],
      ['LOG_LEVEL', 'loud'], ['ORT_EXECUTION_PROVIDERS', 'gpu'], ['ORT_EXECUTION_PROVIDERS', 'cpu,tensorrt'],
      ['ORT_EXECUTION_PROVIDERS', 'cpu,cpu'], ['ORT_EXECUTION_PROVIDERS', ','], ['DEFAULT_MODEL', 'Not A Name'],
    ];
    for (const [name, value] of refused) {
      it(`refuses ${name}=${JSON.stringify(value)}, naming ${name}`, () => {
        assert.match(problem({ [name]: value }), new RegExp(`^  ${name}: `, 'm'));
      });
    }

    it('says which values are allowed for a level or a provider', () => {
      assert.match(problem({ LOG_LEVEL: 'loud' }), /LOG_LEVEL: .*fatal, error, warn, info, debug, trace, silent/);
      assert.match(problem({ ORT_EXECUTION_PROVIDERS: 'gpu' }), /ORT_EXECUTION_PROVIDERS: .*cpu, cuda/);
    });

    it('lists every problem, one line each', () => {
      const message = problem({ PORT: '70000', LOG_LEVEL: 'loud', CACHE_TTL_S: '-1' });
      const lines = message.split('\n').slice(1);
      assert.equal(lines.length, 3, message);
      assert.ok(lines.some((l) => l.startsWith('  PORT: ')));
      assert.ok(lines.some((l) => l.startsWith('  LOG_LEVEL: ')));
      assert.ok(lines.some((l) => l.startsWith('  CACHE_TTL_S: ')));
    });
  });
});
