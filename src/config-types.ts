/**
 * The shape of the service's configuration, apart from its reader (config.ts), so
 * that the checks config.ts runs (auth/config-checks.ts) can name it without an import cycle.
 */
export type ExecutionProvider = 'cpu' | 'cuda';

export interface Config {
  readonly production: boolean;
  readonly port: number;
  readonly host: string | undefined;
  readonly modelRepository: string;
  readonly dataDir: string;
  readonly defaultModel: string | undefined;
  readonly auth: {
    readonly jwtSecret: string | undefined;
    readonly jwtPublicKey: string | undefined;
    readonly jwtPublicKeyFile: string | undefined;
    readonly jwtAlgorithms: readonly string[] | undefined;
    readonly jwtIssuer: string | undefined;
    readonly jwtAudience: string | undefined;
    readonly apiKeysFile: string | undefined;
  };
  readonly corsOrigins: readonly string[];
  readonly trustProxy: boolean | number | string;
  readonly rateLimits: { readonly predictPerMin: number; readonly batchPerMin: number; readonly defaultPerMin: number };
  readonly maxBatchSize: number;
  readonly bodyLimitBytes: number;
  readonly modelUploadLimitBytes: number;
  /** How often the model repository is polled for new versions (hot reload); 0 turns it off. */
  readonly modelPollIntervalMs: number;
  readonly executionProviders: readonly ExecutionProvider[];
  readonly intraOpThreads: number;
  readonly inferenceTimeoutMs: number;
  readonly inferenceQueueSize: number;
  /** Longest a model version's first load and warm-up may take before it fails (API.md §15). */
  readonly modelWarmUpTimeoutMs: number;
  readonly recordRetentionDays: number;
  readonly cacheSize: number;
  readonly cacheTtlS: number;
  readonly webhookSecret: string | undefined;
  readonly callbackAllowedHosts: readonly string[];
  readonly shutdownDrainMs: number;
  readonly shutdownTimeoutMs: number;
  readonly logLevel: string;
  /** Idle keep-alive time of the HTTP listener; longer than a balancer's 60 s (API.md §11). */
  readonly httpKeepAliveTimeoutMs: number;
  /** PostgreSQL for records and jobs shared by replicas (API.md §12); SQLite under dataDir when unset. */
  readonly databaseUrl: string | undefined;
  /** Redis for rate-limit counters shared by replicas (API.md §12); in memory when unset. */
  readonly redisUrl: string | undefined;
  /** How long a replica holds a running job before another may take it over (API.md §12). */
  readonly jobLeaseMs: number;
  /** Jobs one caller may have queued or running at once (API.md §15 "Job quota"). */
  readonly jobsMaxPerCaller: number;
  /** Jobs that may wait in the queue, all callers together (API.md §15 "Job quota"). */
  readonly jobsMaxQueued: number;
  /** Connections each replica may open to PostgreSQL (docs/scale-out.md: replicas × pool ≤ max_connections). */
  readonly databasePoolSize: number;
  /** The Open Inference Protocol over gRPC (API.md §13); off when unset. */
  readonly grpcPort: number | undefined;
  /** Processes `npm run start:cluster` runs (default: one per core). */
  readonly clusterWorkers: number | undefined;
}
