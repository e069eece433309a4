/**
 * The cost of a prediction record (API.md §11: written before the answer):
 * inserts and reads through the embedded store, on a temporary DATA_DIR.
 *
 *   npx tsx scripts/bench-store.ts [records]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../src/store/sqlite-store.js';
import type { PredictionRecord } from '../src/store/store.js';

const N = Number(process.argv[2] ?? 20_000);
const dir = mkdtempSync(join(tmpdir(), 'bench-store-'));
const store = openSqliteStore(dir);
const record = (id: string): PredictionRecord => ({
  id, owner: 'sub:bench', createdAt: Date.now(), model: 'loan-approval', modelVersion: '2',
  features: { age: 35, income: 55000, credit_score: 720, employment_years: 8, loan_amount: 25000 }, options: {},
  result: { prediction: 'approved', probability: 0.87, probabilities: { approved: 0.87, denied: 0.13 }, confidence: 'high' },
});

async function timed(label: string, fn: (i: number) => Promise<unknown>): Promise<void> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) await fn(i);
  const us = Number(process.hrtime.bigint() - start) / 1e3 / N;
  console.log(`${label.padEnd(28)} ${us.toFixed(1)} µs per record (${N} records, WAL, synchronous=NORMAL)`);
}

try {
  for (let i = 0; i < 1000; i++) await store.savePrediction(record(`pred_warm_${i}`));
  await timed('record insert (per predict)', (i) => store.savePrediction(record(`pred_bench_${i}_0123456789abcdef`)));
  await timed('record read (GET by id)', (i) => store.getPrediction(`pred_bench_${i}_0123456789abcdef`));
} finally {
  store.close();
  rmSync(dir, { recursive: true, force: true });
}
