/**
 * `npm run bench`: the service against the HTTP ceilings, in one run
 * (issue 4, docs/performance.md). Servers run pinned to core 0, the load
 * generator (autocannon) to core 1. The service runs as production runs it:
 * `node dist/main.js`, NODE_ENV=production, JWT auth with a minted token,
 * rate limits set high, logging at info (to a file).
 *
 * Beside the ceilings, a baseline of what a user would otherwise pick:
 * FastAPI + uvicorn (uvloop, httptools) + scikit-learn (fastapi-server.py,
 * Debian's python3 packages), pinned like the others.
 *
 * Environment: BENCH_SECONDS [10] per measured cell, BENCH_WARMUP_SECONDS [3],
 * SOAK_SECONDS [60], BENCH_ONLY (comma list of groups: ceilings, fastapi,
 * service, oip, sweep, mixed, replicas, session, heavy, worker, cluster, soak),
 * BENCH_README=0 to leave README.md alone. Any non-2xx response or socket
 * error fails the run (exit 1).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import { heavyPredictBodies, loanBatchBodies, loanPredictBodies, loanTensors, oipBinaryBodies, oipPredictBodies } from './bodies.js';
import { HEAVY_FEATURES, writeHeavyModels } from './make-heavy-model.js';
import { CAN_PIN, ROOT, cpuMs, rssMb, runJson, startCommand, startNode, waitReady, type Running } from './procs.js';
import { renderReport, type Cell, type Results } from './report.js';
import { postgresMissing, startPostgres } from '../../test/helpers/postgres.js';
import { startRedis } from '../../test/helpers/redis.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
const SOAK = Number(process.env.SOAK_SECONDS ?? 60);
const ONLY = process.env.BENCH_ONLY?.split(',').map((s) => s.trim()).filter(Boolean);
const wants = (group: string) => !ONLY || ONLY.includes(group);
const SERVER_CORE = 0;
const LOAD_CORE = 1;
const BATCH_ROWS = 1000;
/** Batch sizes of the sweep (issue 12): how cost grows with work. BATCH_ROWS is the main batch cell. */
const SWEEP_ROWS = [1, 10, 100, 10_000];
const SWEEP_SECONDS = Math.min(SECONDS, 5);
/** Mixed load: single predictions at this concurrency beside two clients posting MIXED_BATCH_ROWS-row batches. */
const MIXED_SINGLES = 32;
const MIXED_BATCH_ROWS = 10_000;
const PYTHON = '/usr/bin/python3';
const HAS_FASTAPI = spawnSync(PYTHON, ['-c', 'import fastapi, uvicorn, sklearn, uvloop, httptools']).status === 0;

const work = mkdtempSync(join(tmpdir(), 'onnx-serving-bench-'));
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
const results: Results = { cells: [], rss: { byCell: {} }, session: {}, soak: undefined, notes: [] };
const running = new Set<Running>();
let port = 18_080 + Math.floor(Math.random() * 1000);

interface LoadResult {
  requests: number; ok: number; non2xx: number; errors: number; timeouts: number;
  statusCodes: Record<string, { count: number }>;
  rps: number; rowsPerSec: number; p50: number; p99: number; seconds: number;
}

/**
 * One load cell against `url`: a warm-up run, then the measured run, with the
 * server's CPU time read around it (`pid`; CPU µs per request does not move
 * when another process takes the core, wall-clock figures do). Throws on any
 * non-2xx or socket error.
 */
async function load(
  cell: Omit<Cell, 'rps' | 'rowsPerSec' | 'p50' | 'p99' | 'cpuUsPerRequest'>,
  url: string, bodiesFile: string, headers: Record<string, string>,
  opts: {
    pid?: number; seconds?: number; warmup?: number; distinct?: boolean; rows?: number; record?: boolean;
    /** The bodies are base64 bytes (OIP binary tensors). */
    binary?: boolean;
    /** Load over gRPC (scripts/bench/grpc-load.mjs) instead of HTTP: `url` is then host:port. */
    grpc?: { model: string; token: string };
  } = {},
): Promise<LoadResult> {
  const seconds = opts.seconds ?? SECONDS;
  const warmup = opts.warmup ?? WARMUP;
  log(`${cell.server} ${cell.cell}: ${warmup} s warm-up + ${seconds} s`);
  const run = async (s: number) => {
    const r = await runJson<LoadResult>(LOAD_CORE, opts.grpc
      ? ['scripts/bench/grpc-load.mjs', JSON.stringify({
          address: url, connections: cell.connections, seconds: s, warmupSeconds: 0, tensorsFile: bodiesFile,
          rows: opts.rows ?? 1, ...opts.grpc,
        })]
      : ['scripts/bench/load.mjs', JSON.stringify({
          url, connections: cell.connections, seconds: s, warmupSeconds: 0, bodiesFile, headers,
          rowsPerRequest: opts.rows ?? 1, distinct: opts.distinct ?? true, binary: opts.binary ?? false,
        })]);
    if (r.non2xx > 0 || r.errors > 0 || r.timeouts > 0 || r.ok === 0) {
      throw new Error(`${cell.server} ${cell.cell}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts ` +
        `of ${r.requests} (status codes ${JSON.stringify(r.statusCodes)})`);
    }
    return r;
  };
  if (warmup > 0) await run(warmup);
  const cpu0 = opts.pid === undefined ? NaN : cpuMs(opts.pid);
  const r = await run(seconds);
  const cpu = opts.pid === undefined ? NaN : cpuMs(opts.pid) - cpu0;
  if (opts.record !== false) {
    results.cells.push({ ...cell, rps: r.rps, rowsPerSec: r.rowsPerSec, p50: r.p50, p99: r.p99, cpuUsPerRequest: (cpu * 1000) / r.ok });
  }
  return r;
}

function start(args: string[], env: Record<string, string>, name: string, core: number | undefined = SERVER_CORE): Running {
  const r = startNode(core, args, env, join(work, `${name}.log`));
  running.add(r);
  return r;
}

/** The batch cells of the sweep for one server; RSS after each (when `pid` is the server's). */
async function sweep(server: string, base: string, pid: number): Promise<void> {
  for (const rows of SWEEP_ROWS) {
    const cell = `/predict/batch ${rows.toLocaleString('en-US')} rows c=4`;
    await load({ server, cell, connections: 4 }, `${base}/api/v1/predict/batch`, loanBatchBodies(work, 'loan-approval', rows), auth,
      { pid, distinct: false, rows, seconds: SWEEP_SECONDS, warmup: 1 });
    results.rss.byCell[`${server} ${cell}`] = rssMb(pid);
  }
}

/**
 * One replica as it runs in a scale-out deployment (issue 10): records and
 * jobs on a private PostgreSQL, rate limits on a private Redis (both
 * unpinned, on this machine), against the embedded default measured in the
 * same run; plus the store's insert rate and the limiter's round trip.
 */
async function sharedReplica(models: string, predictBodies: string): Promise<void> {
  const missing = postgresMissing() ?? (spawnSync('redis-server', ['--version']).status === 0 ? undefined : 'redis-server is not installed');
  if (missing) {
    const why = `PostgreSQL + Redis cell SKIPPED: ${missing}`;
    log(why);
    results.notes.push(why);
    return;
  }
  const pg = await startPostgres();
  const redis = await startRedis();
  try {
    const { server, base } = await startService('service-shared', models, 'dist/main.js', SERVER_CORE, { DATABASE_URL: pg.url, REDIS_URL: redis.url });
    results.rss.sharedIdle = rssMb(server.pid);
    const name = 'service on PostgreSQL + Redis';
    await load({ server: name, cell: '/predict c=1', connections: 1 }, `${base}/api/v1/predict`, predictBodies, auth, { pid: server.pid });
    await load({ server: name, cell: '/predict c=64', connections: 64 }, `${base}/api/v1/predict`, predictBodies, auth, { pid: server.pid });
    await stop(server);
  } finally {
    await pg.destroy();
    await redis.close();
  }
  for (const [script, arg] of [['scripts/bench/store-inserts.ts', '3'], ['scripts/bench/rate-limit-round-trip.ts', '10000']] as const) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', script, arg], { cwd: ROOT, encoding: 'utf8' });
    const lines = r.stdout.trim().split('\n').filter(Boolean);
    results.notes.push(...(r.status === 0 ? lines.map((l) => `${script.replace('scripts/bench/', '')}: ${l.trim()}`) : [`${script} failed: ${r.stderr.slice(-300)}`]));
  }
}

/** FastAPI + uvicorn + scikit-learn on the same three cells as the ceilings. */
async function fastapiBaseline(predictBodies: string, batchBodies: string): Promise<void> {
  if (!HAS_FASTAPI) {
    const why = `FastAPI baseline SKIPPED: ${PYTHON} lacks fastapi/uvicorn/sklearn/uvloop/httptools ` +
      '(apt-get install -y python3-fastapi python3-uvicorn python3-sklearn python3-uvloop python3-httptools)';
    log(why);
    results.notes.push(why);
    return;
  }
  const p = port++;
  const server = startCommand(SERVER_CORE, PYTHON, ['scripts/bench/fastapi-server.py', String(p)], {}, join(work, 'fastapi.log'));
  running.add(server);
  const base = `http://127.0.0.1:${p}`;
  const first = (JSON.parse(readFileSync(predictBodies, 'utf8')) as string[])[0]!;
  await waitReady(`${base}/api/v1/predict`, { method: 'POST', body: first, headers: { 'content-type': 'application/json' } }, 60_000, server.proc);
  const name = 'FastAPI + sklearn';
  await load({ server: name, cell: '/predict c=1', connections: 1 }, `${base}/api/v1/predict`, predictBodies, {}, { pid: server.pid });
  await load({ server: name, cell: '/predict c=64', connections: 64 }, `${base}/api/v1/predict`, predictBodies, {}, { pid: server.pid });
  await load({ server: name, cell: `/predict/batch ${BATCH_ROWS} rows c=4`, connections: 4 }, `${base}/api/v1/predict/batch`, batchBodies, {}, { pid: server.pid, distinct: false, rows: BATCH_ROWS });
  await stop(server);
}

async function stop(r: Running): Promise<void> {
  await r.stop();
  running.delete(r);
}

// --- the service, as production runs it ------------------------------------------------
const secret = randomBytes(32).toString('base64url');
const token = jwt.sign({ scope: 'predict' }, secret, { algorithm: 'HS256', subject: 'bench', expiresIn: '4h' });
const auth = { authorization: `Bearer ${token}` };

function serviceEnv(modelRepository: string, extra: Record<string, string> = {}): Record<string, string> {
  const p = String(port++);
  return {
    NODE_ENV: 'production', PORT: p, HOST: '127.0.0.1', MODEL_REPOSITORY: modelRepository,
    DATA_DIR: join(work, `data-${p}`), AUTH_JWT_SECRET: secret, CORS_ORIGINS: 'https://bench.invalid',
    RATE_LIMIT_PREDICT_PER_MIN: '1000000000', RATE_LIMIT_BATCH_PER_MIN: '1000000000', RATE_LIMIT_DEFAULT_PER_MIN: '1000000000',
    LOG_LEVEL: 'info', SHUTDOWN_DRAIN_MS: '0', ...extra,
  };
}

async function startService(name: string, modelRepository: string, entry = 'dist/main.js', core: number | undefined = SERVER_CORE, extra: Record<string, string> = {}) {
  const env = serviceEnv(modelRepository, extra);
  const server = start([entry], env, name, core);
  const base = `http://127.0.0.1:${env.PORT}`;
  await waitReady(`${base}/api/v1/health`, {}, 180_000, server.proc);
  return { server, base };
}

async function ceiling(name: 'node:http' | 'express', script: string, predictBodies: string, batchBodies: string): Promise<void> {
  const p = port++;
  const server = start([script, String(p)], {}, name.replace(':', '-'));
  const base = `http://127.0.0.1:${p}`;
  await waitReady(`${base}/api/v1/predict`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } }, 30_000, server.proc);
  await load({ server: name, cell: '/predict c=1', connections: 1 }, `${base}/api/v1/predict`, predictBodies, auth, { pid: server.pid });
  await load({ server: name, cell: '/predict c=64', connections: 64 }, `${base}/api/v1/predict`, predictBodies, auth, { pid: server.pid });
  await load({ server: name, cell: `/predict/batch ${BATCH_ROWS} rows c=4`, connections: 4 }, `${base}/api/v1/predict/batch`, batchBodies, auth, { pid: server.pid, distinct: false, rows: BATCH_ROWS });
  await stop(server);
}

async function main(): Promise<void> {
  // Figures from another Node say nothing about the one the service requires (package.json engines).
  if (Number(process.versions.node.split('.')[0]) < 24) {
    throw new Error(`Node ${process.version}: the bench runs on Node 24 LTS, as the service does (source scripts/node24-env.sh)`);
  }
  log(`Node ${process.version} (${process.execPath}) for the service, the node:http and Express ceilings and the load generator`);
  log(`work dir ${work}; ${SECONDS} s cells, ${WARMUP} s warm-up, ${SOAK} s soak; ${CAN_PIN ? 'servers pinned to core 0, load on core 1' : 'NOT pinned (taskset or a second core missing)'}`);
  const models = join(ROOT, 'models');
  const predictBodies = loanPredictBodies(work, 'loan-approval');
  const batchBodies = loanBatchBodies(work, 'loan-approval', BATCH_ROWS);

  if (wants('ceilings')) {
    await ceiling('node:http', 'scripts/bench/bare-server.mjs', predictBodies, batchBodies);
    await ceiling('express', 'scripts/bench/express-server.mjs', predictBodies, batchBodies);
  }
  if (wants('fastapi')) await fastapiBaseline(predictBodies, batchBodies);
  if (wants('sweep') && wants('ceilings')) {
    const p = port++;
    const server = start(['scripts/bench/express-server.mjs', String(p)], {}, 'express-sweep');
    const base = `http://127.0.0.1:${p}`;
    await waitReady(`${base}/api/v1/predict`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } }, 30_000, server.proc);
    await sweep('express', base, server.pid);
    await stop(server);
  }

  if (wants('service') || wants('soak') || wants('sweep') || wants('mixed')) {
    const { server, base } = await startService('service', models);
    results.rss.idle = rssMb(server.pid);
    if (wants('service')) {
      await load({ server: 'service', cell: '/predict c=1', connections: 1 }, `${base}/api/v1/predict`, predictBodies, auth, { pid: server.pid });
      await load({ server: 'service', cell: '/predict c=64', connections: 64 }, `${base}/api/v1/predict`, predictBodies, auth, { pid: server.pid });
      await load({ server: 'service', cell: `/predict/batch ${BATCH_ROWS} rows c=4`, connections: 4 }, `${base}/api/v1/predict/batch`, batchBodies, auth, { pid: server.pid, distinct: false, rows: BATCH_ROWS });
      results.rss.afterLoad = rssMb(server.pid);
      results.rss.byCell[`service /predict/batch ${BATCH_ROWS} rows c=4`] = results.rss.afterLoad;
    }
    if (wants('sweep')) await sweep('service', base, server.pid);
    if (wants('mixed')) {
      // Single predictions alone, then beside two clients posting large synchronous batches (issue 12 point 8).
      const url = `${base}/api/v1/predict`;
      await load({ server: 'service', cell: `/predict c=${MIXED_SINGLES}`, connections: MIXED_SINGLES }, url, predictBodies, auth, { pid: server.pid });
      const big = loanBatchBodies(work, 'loan-approval', MIXED_BATCH_ROWS);
      await Promise.all([
        load({ server: 'mixed', cell: `/predict c=${MIXED_SINGLES} beside 2 × ${MIXED_BATCH_ROWS.toLocaleString('en-US')}-row batches`, connections: MIXED_SINGLES }, url, predictBodies, auth),
        load({ server: 'mixed', cell: `/predict/batch ${MIXED_BATCH_ROWS.toLocaleString('en-US')} rows c=2 beside singles`, connections: 2 }, `${base}/api/v1/predict/batch`, big, auth, { distinct: false, rows: MIXED_BATCH_ROWS }),
      ]);
    }
    if (wants('soak')) {
      // Memory: RSS after a warm-up at c=64, then after SOAK_SECONDS more at c=64.
      await load({ server: 'service', cell: 'soak warm-up c=64', connections: 64 }, `${base}/api/v1/predict`, predictBodies, auth, { pid: server.pid, seconds: Math.max(SECONDS, 5), warmup: 0, record: false });
      const before = rssMb(server.pid);
      const r = await load({ server: 'service', cell: `soak ${SOAK} s c=64`, connections: 64 }, `${base}/api/v1/predict`, predictBodies, auth, { pid: server.pid, seconds: SOAK, warmup: 0 });
      results.soak = { rssBefore: before, rssAfter: rssMb(server.pid), requests: r.requests, errors: r.non2xx + r.errors + r.timeouts };
    }
    await stop(server);
  }

  if (wants('oip')) {
    // The Open Inference Protocol doors (API.md §13) on the same service, gRPC beside HTTP.
    const grpcPort = port++;
    const { server, base } = await startService('service-oip', models, 'dist/main.js', SERVER_CORE, { GRPC_PORT: String(grpcPort) });
    const infer = `${base}/v2/models/loan-approval/infer`;
    const binary = oipBinaryBodies(work, BATCH_ROWS);
    await load({ server: 'service', cell: `/v2 infer binary ${BATCH_ROWS} rows c=4`, connections: 4 }, infer, binary.file, {
      ...auth, 'content-type': 'application/octet-stream', 'inference-header-content-length': String(binary.headerLength),
    }, { pid: server.pid, distinct: false, rows: BATCH_ROWS, binary: true });
    const tensors = join(work, `grpc-tensors-${BATCH_ROWS}.json`);
    writeFileSync(tensors, JSON.stringify(loanTensors(BATCH_ROWS).map((t) => Buffer.from(t.buffer).toString('base64'))));
    await load({ server: 'service', cell: `gRPC ModelInfer ${BATCH_ROWS} rows c=4`, connections: 4 }, `127.0.0.1:${grpcPort}`, tensors, {}, {
      pid: server.pid, rows: BATCH_ROWS, grpc: { model: 'loan-approval', token },
    });
    await load({ server: 'service', cell: '/v2 infer c=64', connections: 64 }, infer, oipPredictBodies(work, 'loan-approval'), auth, { pid: server.pid });
    await stop(server);
  }

  if (wants('replicas')) await sharedReplica(models, predictBodies);

  if (wants('session')) {
    log('in-process session.run loops');
    results.session.small = await runJson(SERVER_CORE, ['--import', 'tsx', 'scripts/bench/session-loop.ts', join(models, 'loan-approval/2/model.onnx'), '5', String(Math.min(SECONDS, 6))]);
  }

  if (wants('heavy') || wants('worker') || wants('session')) {
    // A temporary model repository: the heavy fixture with batching on / off / in a worker, and the small model in a worker.
    const repo = join(work, 'models');
    mkdirSync(repo);
    writeHeavyModels(repo, [
      { name: 'bench-heavy-batched', maxBatchSize: 64, maxDelayMs: 2, runner: 'main' },
      { name: 'bench-heavy-unbatched', maxBatchSize: 1, maxDelayMs: 0, runner: 'main' },
      { name: 'bench-heavy-worker', maxBatchSize: 64, maxDelayMs: 2, runner: 'worker' },
    ]);
    if (wants('session')) {
      results.session.heavy = await runJson(SERVER_CORE, ['--import', 'tsx', 'scripts/bench/session-loop.ts', join(repo, 'bench-heavy-batched/1/model.onnx'), String(HEAVY_FEATURES), String(Math.min(SECONDS, 6))]);
    }
    if (wants('heavy') || wants('worker')) {
      cpSync(join(models, 'loan-approval'), join(repo, 'loan-approval-worker'), { recursive: true });
      const cfgPath = join(repo, 'loan-approval-worker', 'model.json');
      writeFileSync(cfgPath, JSON.stringify({ ...JSON.parse(readFileSync(cfgPath, 'utf8')), runner: 'worker' }, null, 2));
      cpSync(join(models, 'loan-approval'), join(repo, 'loan-approval-main'), { recursive: true });
      const mainCfg = join(repo, 'loan-approval-main', 'model.json');
      writeFileSync(mainCfg, JSON.stringify({ ...JSON.parse(readFileSync(mainCfg, 'utf8')), runner: 'main' }, null, 2));
      const { server, base } = await startService('service-bench-models', repo);
      const url = `${base}/api/v1/predict`;
      for (const [variant, label] of [['batched', 'heavy, batching on'], ['unbatched', 'heavy, batching off'], ['worker', 'heavy, batching on, worker']] as const) {
        if (variant === 'worker' ? !wants('worker') : !wants('heavy')) continue;
        const bodies = heavyPredictBodies(work, `bench-heavy-${variant}`);
        await load({ server: label, cell: '/predict c=1', connections: 1 }, url, bodies, auth, { pid: server.pid });
        await load({ server: label, cell: '/predict c=64', connections: 64 }, url, bodies, auth, { pid: server.pid });
      }
      if (wants('worker')) {
        for (const [name, label] of [['loan-approval-main', 'small, main thread'], ['loan-approval-worker', 'small, worker']] as const) {
          const bodies = loanPredictBodies(work, name);
          await load({ server: label, cell: '/predict c=1', connections: 1 }, url, bodies, auth, { pid: server.pid });
          await load({ server: label, cell: '/predict c=64', connections: 64 }, url, bodies, auth, { pid: server.pid });
          await load({ server: label, cell: `/predict/batch ${BATCH_ROWS} rows c=4`, connections: 4 }, `${base}/api/v1/predict/batch`, loanBatchBodies(work, name, BATCH_ROWS), auth, { pid: server.pid, distinct: false, rows: BATCH_ROWS });
        }
      }
      results.rss.benchModels = rssMb(server.pid);
      await stop(server);
    }
  }

  if (wants('cluster')) {
    // Not pinned: one worker per core, sharing the cores with the load generator.
    const { server, base } = await startService('cluster', models, 'dist/cluster.js', undefined, { CLUSTER_WORKERS: '2' });
    // Each worker listens before its models are warm: wait until both said `started`.
    const started = () => readFileSync(join(work, 'cluster.log'), 'utf8').split('"msg":"started"').length - 1;
    for (const deadline = Date.now() + 120_000; started() < 2;) {
      if (Date.now() > deadline) throw new Error('cluster: the workers did not both start within 120 s');
      await new Promise((r) => setTimeout(r, 200));
    }
    await load({ server: 'cluster (2 workers, unpinned)', cell: '/predict c=64', connections: 64 }, `${base}/api/v1/predict`, predictBodies, auth);
    await stop(server);
  }

  const report = renderReport(results, {
    date: new Date().toISOString(), seconds: SECONDS, warmup: WARMUP, soak: SOAK, pinned: CAN_PIN, only: ONLY,
  });
  process.stdout.write(report.text + '\n');
  if (process.env.BENCH_README !== '0' && !ONLY) {
    const readme = join(ROOT, 'README.md');
    const text = readFileSync(readme, 'utf8');
    const startMark = '<!-- bench:start -->';
    const endMark = '<!-- bench:end -->';
    const a = text.indexOf(startMark);
    const b = text.indexOf(endMark);
    if (a < 0 || b < a) throw new Error('README.md has no <!-- bench:start --> … <!-- bench:end --> section');
    writeFileSync(readme, `${text.slice(0, a + startMark.length)}\n${report.markdown}\n${text.slice(b)}`);
    log('README.md benchmark section rewritten');
  }
}

async function cleanup(): Promise<void> {
  await Promise.all([...running].map((r) => r.stop().catch(() => undefined)));
  rmSync(work, { recursive: true, force: true });
}

main().then(cleanup, async (err: unknown) => {
  process.stderr.write(`[bench] FAILED: ${err instanceof Error ? err.message : String(err)}\n`);
  process.stderr.write(`[bench] server logs kept in ${work}\n`);
  await Promise.all([...running].map((r) => r.stop().catch(() => undefined)));
  process.exitCode = 1;
});
