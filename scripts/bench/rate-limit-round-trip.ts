/**
 * The rate limit's cost per request (issue 10, "Speed and memory"): the
 * service's own limiter middleware (src/http/middleware/rate-limit.ts) run
 * directly, without HTTP, on its in-memory store and on Redis
 * (FailOpenStore over one RedisLink), sequentially and 64 at a time.
 * Prints µs per request. Needs redis-server on PATH (a private one is
 * started on a free port and stopped).
 *
 *   npx tsx scripts/bench/rate-limit-round-trip.ts [requests=20000]
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { rateLimits } from '../../src/http/middleware/rate-limit.js';
import { createLogger } from '../../src/logger.js';
import { redisStores } from '../../src/rate-limit/fail-open-store.js';
import { RedisLink } from '../../src/rate-limit/redis-link.js';
import { startRedis } from '../../test/helpers/redis.js';

const N = Number(process.argv[2] ?? 20_000);
const logger = createLogger('warn');
const limits = { predictPerMin: 1e9, batchPerMin: 1e9, defaultPerMin: 1e9 };
const caller = { id: 'sub:bench', scopes: new Set(['predict'] as const) };

function once(mw: RequestHandler): Promise<void> {
  const req = { ip: '127.0.0.1', path: '/api/v1/predict', headers: {}, method: 'POST' } as unknown as Request;
  const res = { locals: {}, headersSent: false, setHeader() {}, getHeader() {}, append() {} } as unknown as Response;
  return new Promise((resolve, reject) => {
    const next: NextFunction = (err?: unknown) => (err ? reject(err) : resolve());
    void mw(req, res, next);
  });
}

async function measure(label: string, mw: RequestHandler): Promise<void> {
  for (let i = 0; i < 1000; i++) await once(mw);
  let start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) await once(mw);
  const sequential = Number(process.hrtime.bigint() - start) / 1000 / N;
  start = process.hrtime.bigint();
  let left = N;
  await Promise.all(Array.from({ length: 64 }, async () => {
    while (left-- > 0) await once(mw);
  }));
  const concurrent = Number(process.hrtime.bigint() - start) / 1000 / N;
  console.log(`${label.padEnd(10)} sequential ${sequential.toFixed(1)} µs/request (latency), c=64 ${concurrent.toFixed(1)} µs/request (throughput)`);
}

const redis = await startRedis();
const link = new RedisLink(redis.url, logger);
try {
  await link.start();
  await measure('in memory', rateLimits({ limits, logger, identify: () => caller }));
  await measure('Redis', rateLimits({ limits, logger, identify: () => caller, store: redisStores(link) }));
} finally {
  await link.close();
  await redis.close();
}
