/**
 * Record insert rate of both stores with the group commit (docs/scale-out.md):
 * `concurrency` predictions saved per event-loop turn (what a dynamic batch
 * answers at once), then awaited, for `seconds`; and one at a time for the
 * commit latency. PostgreSQL is DATABASE_URL when set, else a private server
 * started like the tests' (root and PostgreSQL 15 needed).
 *
 *   npx tsx scripts/bench/store-inserts.ts [seconds=5]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newId } from '../../src/ids.js';
import { createLogger } from '../../src/logger.js';
import { openPostgresStore } from '../../src/store/postgres/postgres-store.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { startPostgres } from '../../test/helpers/postgres.js';

const seconds = Number(process.argv[2] ?? 5);
const record = () => ({
  id: newId('pred'), owner: 'sub:bench', createdAt: Date.now(), model: 'loan-approval', modelVersion: '2',
  features: { age: 35, income: 55000, credit_score: 720, employment_years: 8, loan_amount: 25000 }, options: {},
  result: { prediction: 'approved', probability: 0.91, probabilities: { approved: 0.91, rejected: 0.09 }, confidence: 'high' },
});

async function rate(store: Store, concurrency: number): Promise<number> {
  const end = Date.now() + seconds * 1000;
  let n = 0;
  const started = performance.now();
  while (Date.now() < end) {
    await Promise.all(Array.from({ length: concurrency }, () => store.savePrediction(record())));
    n += concurrency;
  }
  return n / ((performance.now() - started) / 1000);
}

async function measure(name: string, store: Store): Promise<void> {
  await store.ready();
  await rate(store, 64); // warm-up
  const one = await rate(store, 1);
  const many = await rate(store, 64);
  process.stdout.write(`${name.padEnd(10)} one at a time: ${Math.round(one)} records/s (${(1000 / one).toFixed(2)} ms per commit); 64 per turn: ${Math.round(many)} records/s\n`);
  await store.close();
}

const dir = mkdtempSync(join(tmpdir(), 'bench-store-'));
const pg = process.env.DATABASE_URL ? undefined : await startPostgres();
try {
  await measure('SQLite', openSqliteStore(dir));
  await measure('PostgreSQL', openPostgresStore(process.env.DATABASE_URL ?? pg!.url, 10, createLogger('silent')));
} finally {
  await pg?.destroy();
  rmSync(dir, { recursive: true, force: true });
}
