/**
 * `npm run bench:profile`: where the service's time goes under load. Starts
 * the service as the benchmark does (production, JWT, logs on) under
 * `node --cpu-prof`, pinned to core 0, drives one cell with autocannon on
 * core 1, stops it (SIGTERM: the profile is written at exit) and prints the
 * top functions by self time, and the same grouped by package.
 *
 * Environment: PROFILE_CELL = predict (c=64, default) | predict1 (c=1) |
 * batch (1000 rows, c=4) | oip-binary (/v2 infer, 1000 binary rows, c=4) | oip (/v2 infer, one row, c=64); PROFILE_SECONDS [10]; PROFILE_TOP [30].
 * The .cpuprofile is kept (path printed) for Chrome DevTools.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import { loanBatchBodies, loanPredictBodies, oipBinaryBodies, oipPredictBodies } from './bodies.js';
import { ROOT, runJson, startNode, waitReady } from './procs.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount: number;
  children?: number[];
}

/** Self time per function and per package, from a .cpuprofile. */
export function summarise(path: string, top: number): string {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  const byNode = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    byNode.set(profile.samples[i]!, (byNode.get(profile.samples[i]!) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const total = [...byNode.values()].reduce((a, b) => a + b, 0);
  const fns = new Map<string, number>();
  const pkgs = new Map<string, number>();
  for (const node of profile.nodes) {
    const t = byNode.get(node.id) ?? 0;
    if (t === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url.replace(`file://${ROOT}`, '').replace(/^.*node_modules\//, 'node_modules/');
    const key = `${functionName || '(anonymous)'}  ${file ? `${file}:${lineNumber + 1}` : ''}`;
    fns.set(key, (fns.get(key) ?? 0) + t);
    const pkg = !url ? functionName : url.startsWith('node:') ? 'node core (JS)'
      : /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ?? (url.includes('/dist/') ? 'service (dist/)' : url);
    pkgs.set(pkg, (pkgs.get(pkg) ?? 0) + t);
  }
  // Inclusive ("total") time: a sample counts once for every distinct function on its stack.
  const parent = new Map<number, number>();
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const keyOf = (n: ProfileNode) => {
    const { functionName, url, lineNumber } = n.callFrame;
    const file = url.replace(`file://${ROOT}`, '').replace(/^.*node_modules\//, 'node_modules/');
    return `${functionName || '(anonymous)'}  ${file ? `${file}:${lineNumber + 1}` : ''}`;
  };
  const inclusive = new Map<string, number>();
  for (const [id, t] of byNode) {
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = nodes.get(cur)!;
      if (!n.callFrame.functionName || n.callFrame.functionName === '(root)') continue;
      const k = keyOf(n);
      if (!seen.has(k)) {
        seen.add(k);
        inclusive.set(k, (inclusive.get(k) ?? 0) + t);
      }
    }
  }
  const fmt = (m: Map<string, number>, n: number) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n)
    .map(([k, t]) => `${((100 * t) / total).toFixed(1).padStart(5)} %  ${k}`).join('\n');
  return `self time by function (top ${top}):\n${fmt(fns, top)}\n\nself time by package:\n${fmt(pkgs, 15)}\n\n` +
    `total time (self + callees) by function (top ${top}):\n${fmt(inclusive, top)}`;
}

async function main(): Promise<void> {
  const cell = process.env.PROFILE_CELL ?? 'predict';
  const seconds = Number(process.env.PROFILE_SECONDS ?? 10);
  const work = mkdtempSync(join(tmpdir(), 'onnx-serving-profile-'));
  const secret = randomBytes(32).toString('base64url');
  const token = jwt.sign({ scope: 'predict' }, secret, { algorithm: 'HS256', subject: 'bench', expiresIn: '1h' });
  const port = 19_000 + Math.floor(Math.random() * 1000);
  const server = startNode(0, ['--cpu-prof', `--cpu-prof-dir=${work}`, 'dist/main.js'], {
    NODE_ENV: 'production', PORT: String(port), HOST: '127.0.0.1', MODEL_REPOSITORY: join(ROOT, 'models'),
    DATA_DIR: join(work, 'data'), AUTH_JWT_SECRET: secret, CORS_ORIGINS: 'https://bench.invalid',
    RATE_LIMIT_PREDICT_PER_MIN: '1000000000', RATE_LIMIT_BATCH_PER_MIN: '1000000000', RATE_LIMIT_DEFAULT_PER_MIN: '1000000000',
    LOG_LEVEL: 'info', SHUTDOWN_DRAIN_MS: '0',
  }, join(work, 'service.log'));
  const base = `http://127.0.0.1:${port}`;
  await waitReady(`${base}/api/v1/health`, {}, 60_000, server.proc);
  const oip = cell === 'oip-binary';
  const batch = cell === 'batch' || oip;
  const url = oip || cell === 'oip' ? `${base}/v2/models/loan-approval/infer` : `${base}/api/v1/predict${batch ? '/batch' : ''}`;
  const binary = oip ? oipBinaryBodies(work, 1000) : undefined;
  const bodiesFile = binary?.file ?? (batch ? loanBatchBodies(work, 'loan-approval', 1000)
    : cell === 'oip' ? oipPredictBodies(work, 'loan-approval') : loanPredictBodies(work, 'loan-approval'));
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (binary) Object.assign(headers, { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(binary.headerLength) });
  const connections = batch ? 4 : cell === 'predict1' ? 1 : 64;
  const r = await runJson<{ rps: number; p50: number; p99: number; non2xx: number }>(1, ['scripts/bench/load.mjs', JSON.stringify({
    url, connections, seconds, warmupSeconds: 2, bodiesFile, headers, rowsPerRequest: batch ? 1000 : 1, distinct: !batch, binary: oip,
  })]);
  await server.stop();
  const file = readdirSync(work).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile written in ${work}`);
  process.stdout.write(`${cell} c=${connections}: ${Math.round(r.rps)} req/s, p50 ${r.p50.toFixed(3)} ms, p99 ${r.p99.toFixed(3)} ms, ${r.non2xx} non-2xx\n`);
  process.stdout.write(`profile: ${join(work, file)}\n\n${summarise(join(work, file), Number(process.env.PROFILE_TOP ?? 30))}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: unknown) => {
    process.stderr.write(`profile failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
