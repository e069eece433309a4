/**
 * The only reader of process.env (STYLE.md "Config once"): every variable of
 * ../shared/API.md §9 read into one typed object, checked against
 * schemas/service-config.schema.json, every problem listed with its variable
 * name, then frozen and passed down.
 */
import { securityProblems } from './auth/config-checks.js';
import { StartupError } from './errors.js';
import type { Config, ExecutionProvider } from './config-types.js';
import { schemaValidator } from './validation/ajv.js';

export type { Config, ExecutionProvider } from './config-types.js';

const LIST_VARS = new Set(['AUTH_JWT_ALGORITHMS', 'CORS_ORIGINS', 'ORT_EXECUTION_PROVIDERS', 'CALLBACK_ALLOWED_HOSTS']);
const INTEGER = /^[+-]?\d+$/;
/** Variables whose values may hold a password or key: never echoed in a start-up error. */
const SECRET_VARS = new Set(['AUTH_JWT_SECRET', 'AUTH_JWT_PUBLIC_KEY', 'WEBHOOK_SECRET', 'DATABASE_URL', 'REDIS_URL']);

type Raw = Record<string, string | number | string[] | undefined>;

/** Environment strings as the schema expects them: lists split, integers converted, '' unset. */
function normalise(env: NodeJS.ProcessEnv, names: readonly string[]): Raw {
  const raw: Raw = {};
  for (const name of names) {
    const value = env[name]?.trim();
    if (value === undefined || value === '') continue;
    if (LIST_VARS.has(name)) raw[name] = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
    else if (INTEGER.test(value)) raw[name] = Number(value);
    else raw[name] = value;
  }
  return raw;
}

/** Express `trust proxy`: true, false and integers converted, anything else passed as is. */
function trustProxy(value: string | number | undefined): boolean | number | string {
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  return value;
}

/**
 * A DATABASE_URL / REDIS_URL of the wrong scheme stops the start (API.md §12);
 * the message names the variable and the schemes, never the URL (it may hold a password).
 */
function urlProblems(config: Config): string[] {
  const problems: string[] = [];
  const check = (name: string, value: string | undefined, schemes: readonly string[]) => {
    if (value === undefined) return;
    let protocol: string | undefined;
    try {
      protocol = new URL(value).protocol;
    } catch {
      protocol = undefined;
    }
    if (protocol === undefined || !schemes.includes(protocol)) {
      problems.push(`${name}: must be a URL starting with ${schemes.map((s) => `${s}//`).join(' or ')}`);
    }
  };
  check('DATABASE_URL', config.databaseUrl, ['postgres:', 'postgresql:']);
  check('REDIS_URL', config.redisUrl, ['redis:', 'rediss:']);
  return problems;
}

/** Reads and checks the configuration; throws a StartupError listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const validate = schemaValidator('service-config.schema.json');
  const names = Object.keys((validate.schema as { properties: object }).properties);
  const raw = normalise(env, names);
  const problems: string[] = [];
  if (!validate(raw)) {
    for (const e of validate.errors ?? []) {
      const name = e.instancePath.split('/')[1] ?? '';
      // Say what is allowed where ajv only says "one of the allowed values".
      const allowed = e.keyword === 'enum' ? `: ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}` : '';
      const got = SECRET_VARS.has(name) ? '' : ` (got ${JSON.stringify(env[name])})`;
      problems.push(`${name}: ${e.message ?? 'is invalid'}${allowed}${got}`);
    }
  }
  if (problems.length > 0) throw new StartupError(`Invalid configuration:\n  ${problems.join('\n  ')}`);

  const str = (name: string) => raw[name] as string | undefined;
  const int = (name: string, fallback: number) => (raw[name] as number | undefined) ?? fallback;
  const list = (name: string) => raw[name] as string[] | undefined;
  const bodyLimitBytes = int('BODY_LIMIT_BYTES', 1024 * 1024);

  const config: Config = Object.freeze({
    production: env.NODE_ENV === 'production',
    port: int('PORT', 8080),
    host: str('HOST'),
    modelRepository: str('MODEL_REPOSITORY') ?? './models',
    dataDir: str('DATA_DIR') ?? './data',
    defaultModel: str('DEFAULT_MODEL'),
    auth: Object.freeze({
      jwtSecret: str('AUTH_JWT_SECRET'),
      jwtPublicKey: str('AUTH_JWT_PUBLIC_KEY'),
      jwtPublicKeyFile: str('AUTH_JWT_PUBLIC_KEY_FILE'),
      jwtAlgorithms: list('AUTH_JWT_ALGORITHMS'),
      jwtIssuer: str('AUTH_JWT_ISSUER'),
      jwtAudience: str('AUTH_JWT_AUDIENCE'),
      apiKeysFile: str('API_KEYS_FILE'),
    }),
    corsOrigins: Object.freeze(list('CORS_ORIGINS') ?? []),
    trustProxy: trustProxy(raw.TRUST_PROXY as string | number | undefined),
    rateLimits: Object.freeze({
      // Per caller (and per IP before authentication); see docs/security.md.
      predictPerMin: int('RATE_LIMIT_PREDICT_PER_MIN', 1200),
      batchPerMin: int('RATE_LIMIT_BATCH_PER_MIN', 120),
      defaultPerMin: int('RATE_LIMIT_DEFAULT_PER_MIN', 600),
    }),
    maxBatchSize: int('MAX_BATCH_SIZE', 10_000),
    bodyLimitBytes,
    modelUploadLimitBytes: int('MODEL_UPLOAD_LIMIT_BYTES', 256 * 1024 * 1024),
    modelPollIntervalMs: int('MODEL_POLL_INTERVAL_MS', 2_000),
    executionProviders: Object.freeze((list('ORT_EXECUTION_PROVIDERS') ?? ['cpu']) as ExecutionProvider[]),
    intraOpThreads: int('ORT_INTRA_OP_THREADS', 1),
    inferenceTimeoutMs: int('INFERENCE_TIMEOUT_MS', 30_000),
    inferenceQueueSize: int('INFERENCE_QUEUE_SIZE', 1024),
    modelWarmUpTimeoutMs: int('MODEL_WARMUP_TIMEOUT_MS', 30_000),
    recordRetentionDays: int('RECORD_RETENTION_DAYS', 30),
    cacheSize: int('CACHE_SIZE', 1000),
    cacheTtlS: int('CACHE_TTL_S', 300),
    webhookSecret: str('WEBHOOK_SECRET'),
    callbackAllowedHosts: Object.freeze(list('CALLBACK_ALLOWED_HOSTS') ?? []),
    shutdownDrainMs: int('SHUTDOWN_DRAIN_MS', 5_000),
    shutdownTimeoutMs: int('SHUTDOWN_TIMEOUT_MS', 30_000),
    logLevel: str('LOG_LEVEL') ?? 'info',
    httpKeepAliveTimeoutMs: int('HTTP_KEEP_ALIVE_TIMEOUT_MS', 65_000),
    databaseUrl: str('DATABASE_URL'),
    redisUrl: str('REDIS_URL'),
    jobLeaseMs: int('JOB_LEASE_MS', 30_000),
    jobsMaxPerCaller: int('JOBS_MAX_PER_CALLER', 10),
    jobsMaxQueued: int('JOBS_MAX_QUEUED', 1000),
    databasePoolSize: int('DATABASE_POOL_SIZE', 10),
    grpcPort: raw.GRPC_PORT as number | undefined,
    clusterWorkers: raw.CLUSTER_WORKERS as number | undefined,
  });
  // Keys must parse, named files exist, production be locked down (API.md §11);
  // shared-store URLs must be of their scheme (API.md §12).
  const security = [...securityProblems(config), ...urlProblems(config)];
  if (config.grpcPort !== undefined && config.grpcPort === config.port) security.push('GRPC_PORT: must differ from PORT (HTTP and gRPC listen side by side)');
  if (security.length > 0) throw new StartupError(`Invalid configuration:\n  ${security.join('\n  ')}`);
  return config;
}
