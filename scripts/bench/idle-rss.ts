/**
 * Idle RSS of one replica on PostgreSQL against one on the embedded SQLite
 * store (docs/scale-out.md): both started by `npm start`, 200 predictions
 * each, then 15 s idle. Needs root and PostgreSQL 15, like the tests.
 *
 *   npx tsx scripts/bench/idle-rss.ts
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startPostgres } from '../../test/helpers/postgres.js';
import { killReplica, startReplica, type Replica } from '../../test/helpers/replicas.js';
import { api } from '../../test/helpers/api.js';
const rss = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
const dataDir = mkdtempSync(join(tmpdir(), 'rss-'));
const db = await startPostgres();
const replicas: Replica[] = [];
try {
  const pg = await startReplica('pg', db.url);
  replicas.push(pg);
  const lite = await startReplica('lite', '', { DATA_DIR: dataDir });
  replicas.push(lite);
  const iris = { model: 'iris', features: { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 } };
  for (const r of replicas) for (let i = 0; i < 200; i++) await api(r.url, 'POST', '/api/v1/predict', iris);
  await sleep(15_000);
  process.stdout.write(`idle RSS after 200 predictions + 15 s: PostgreSQL ${rss(pg.pid()).toFixed(1)} MiB, SQLite ${rss(lite.pid()).toFixed(1)} MiB\n`);
} finally {
  for (const r of replicas) await killReplica(r);
  await db.destroy();
  rmSync(dataDir, { recursive: true, force: true });
}
