/**
 * The benchmark's one table, its ratios against the ceilings and the
 * baseline, the targets of issues 4, 10, 11 and 12, the batch-size sweep and
 * the mixed load, as plain text (stdout) and Markdown (README.md).
 */
import { availableParallelism } from 'node:os';
import { cpuModel } from './procs.js';

export interface Cell {
  server: string;
  cell: string;
  connections: number;
  rps: number;
  rowsPerSec: number;
  p50: number;
  p99: number;
  /** CPU time of the server process per request, in µs (NaN when not measured). */
  cpuUsPerRequest: number;
}

export interface SessionLoop {
  batch1_p50_ms: number;
  batch1_p99_ms: number;
  padded8_p50_ms: number;
  batch1000_rows_per_s: number;
}

export interface Results {
  cells: Cell[];
  rss: { idle?: number; afterLoad?: number; benchModels?: number; sharedIdle?: number; byCell: Record<string, number> };
  session: { small?: SessionLoop; heavy?: SessionLoop };
  soak: { rssBefore: number; rssAfter: number; requests: number; errors: number } | undefined;
  /** Lines said about the run (a skipped group and why). */
  notes: string[];
}

export interface RunInfo {
  date: string;
  seconds: number;
  warmup: number;
  soak: number;
  pinned: boolean;
  only: string[] | undefined;
}

const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–');
const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(3) : '–');
const ratio = (n: number) => (Number.isFinite(n) ? `${n.toFixed(2)}×` : '–');
const mb = (n: number | undefined) => (n !== undefined && Number.isFinite(n) ? `${n.toFixed(0)} MB` : '–');

function find(results: Results, server: string, cell: string): Cell | undefined {
  return results.cells.find((c) => c.server === server && c.cell === cell);
}

interface Target {
  name: string;
  measured: string;
  target: string;
  met: boolean | undefined;
}

const FASTAPI = 'FastAPI + sklearn';
const BATCH_CELL = '/predict/batch 1000 rows c=4';

/** `a / b` of two cells' `key`, NaN when either is missing. */
function over(a: Cell | undefined, b: Cell | undefined, key: 'rps' | 'rowsPerSec' = 'rps'): number {
  return a && b ? a[key] / b[key] : NaN;
}

function atLeast(name: string, x: number, min: number): Target {
  return { name, measured: ratio(x), target: `≥ ${min.toFixed(2)}×`, met: Number.isFinite(x) ? x >= min : undefined };
}

function targets(r: Results): Target[] {
  const out: Target[] = [];
  const svc = (cell: string) => find(r, 'service', cell);
  out.push(atLeast('/predict c=64 req/s vs Express ceiling', over(svc('/predict c=64'), find(r, 'express', '/predict c=64')), 1));
  out.push(atLeast('/predict c=64 req/s vs FastAPI + sklearn', over(svc('/predict c=64'), find(r, FASTAPI, '/predict c=64')), 2));
  out.push(atLeast('/predict c=1 req/s vs FastAPI + sklearn', over(svc('/predict c=1'), find(r, FASTAPI, '/predict c=1')), 2));
  const s1 = svc('/predict c=1');
  const e1 = find(r, 'express', '/predict c=1');
  const d = s1 && e1 ? s1.p50 - e1.p50 : NaN;
  out.push({ name: '/predict c=1 p50 minus Express ceiling p50', measured: Number.isFinite(d) ? `${d >= 0 ? '+' : ''}${d.toFixed(3)} ms` : '–', target: '≤ +0.050 ms', met: Number.isFinite(d) ? d <= 0.05 : undefined });
  out.push(atLeast('batch 1000 rows rows/s vs Express ceiling', over(svc(BATCH_CELL), find(r, 'express', BATCH_CELL), 'rowsPerSec'), 0.5));
  out.push(atLeast('batch 1000 rows rows/s vs FastAPI + sklearn', over(svc(BATCH_CELL), find(r, FASTAPI, BATCH_CELL), 'rowsPerSec'), 15));
  out.push(atLeast('OIP binary infer 1000 rows rows/s vs Express ceiling JSON batch', over(svc(`/v2 infer binary 1000 rows c=4`), find(r, 'express', BATCH_CELL), 'rowsPerSec'), 2));
  const shared = 'service on PostgreSQL + Redis';
  out.push(atLeast('/predict c=64 req/s on PostgreSQL + Redis vs the embedded store', over(find(r, shared, '/predict c=64'), svc('/predict c=64')), 0.7));
  const rssGrowth = r.rss.sharedIdle !== undefined && r.rss.idle !== undefined ? (r.rss.sharedIdle / r.rss.idle - 1) * 100 : NaN;
  out.push({
    name: 'idle RSS on PostgreSQL + Redis vs the embedded store',
    measured: Number.isFinite(rssGrowth) ? `${rssGrowth >= 0 ? '+' : ''}${rssGrowth.toFixed(1)} % (${mb(r.rss.sharedIdle)} vs ${mb(r.rss.idle)})` : '–',
    target: 'within 10 %', met: Number.isFinite(rssGrowth) ? Math.abs(rssGrowth) <= 10 : undefined,
  });
  const on = find(r, 'heavy, batching on', '/predict c=64');
  const off = find(r, 'heavy, batching off', '/predict c=64');
  out.push(atLeast('heavy c=64 req/s, batching on vs off', over(on, off), 2));
  out.push({
    name: 'heavy c=64 p99, batching on vs off',
    measured: on && off ? `${ms(on.p99)} vs ${ms(off.p99)} ms` : '–', target: 'no worse', met: on && off ? on.p99 <= off.p99 : undefined,
  });
  if (r.soak) {
    const g = (r.soak.rssAfter / r.soak.rssBefore - 1) * 100;
    out.push({ name: 'soak c=64: RSS growth, errors', measured: `${g >= 0 ? '+' : ''}${g.toFixed(1)} % (${mb(r.soak.rssBefore)} → ${mb(r.soak.rssAfter)}), ${r.soak.errors} errors in ${int(r.soak.requests)}`, target: '≤ 10 %, 0 errors', met: g <= 10 && r.soak.errors === 0 });
  } else {
    out.push({ name: 'soak c=64: RSS growth, errors', measured: '–', target: '≤ 10 %, 0 errors', met: undefined });
  }
  return out;
}

/** The batch-size sweep: rows/s, p50 and RSS of the service at each size, beside the Express ceiling. */
function sweepRows(r: Results): string[][] {
  const sizes = [...new Set(r.cells.filter((c) => c.server === 'service' && /^\/predict\/batch [\d,]+ rows c=4$/.test(c.cell)).map((c) => c.cell))];
  const rowsOf = (cell: string) => Number(/batch ([\d,]+) rows/.exec(cell)![1]!.replaceAll(',', ''));
  return sizes.sort((a, b) => rowsOf(a) - rowsOf(b)).map((cell) => {
    const s = find(r, 'service', cell)!;
    const e = find(r, 'express', cell);
    return [int(rowsOf(cell)), int(s.rowsPerSec), ms(s.p50), mb(r.rss.byCell[`service ${cell}`]), e ? int(e.rowsPerSec) : '–', ratio(over(s, e, 'rowsPerSec'))];
  });
}
const SWEEP_HEAD = ['rows per request (c=4)', 'service rows/s', 'service p50 ms', 'service RSS', 'Express rows/s', 'vs Express'];

function comparisons(r: Results): string[] {
  const lines: string[] = [];
  const pair = (label: string, a?: Cell, b?: Cell, key: 'rps' | 'rowsPerSec' = 'rps') => {
    if (a && b) lines.push(`${label}: ${ratio(a[key] / b[key])} (p50 ${ms(a.p50)} vs ${ms(b.p50)} ms, p99 ${ms(a.p99)} vs ${ms(b.p99)} ms)`);
  };
  pair('worker vs main thread, small model, /predict c=1 req/s', find(r, 'small, worker', '/predict c=1'), find(r, 'small, main thread', '/predict c=1'));
  pair('worker vs main thread, small model, /predict c=64 req/s', find(r, 'small, worker', '/predict c=64'), find(r, 'small, main thread', '/predict c=64'));
  pair('worker vs main thread, small model, batch rows/s', r.cells.find((c) => c.server === 'small, worker' && c.cell.startsWith('/predict/batch')), r.cells.find((c) => c.server === 'small, main thread' && c.cell.startsWith('/predict/batch')), 'rowsPerSec');
  pair('worker vs main thread, heavy model (batching on), /predict c=1 req/s', find(r, 'heavy, batching on, worker', '/predict c=1'), find(r, 'heavy, batching on', '/predict c=1'));
  pair('worker vs main thread, heavy model (batching on), /predict c=64 req/s', find(r, 'heavy, batching on, worker', '/predict c=64'), find(r, 'heavy, batching on', '/predict c=64'));
  pair('cluster (2 workers, unpinned) vs one process pinned, /predict c=64 req/s', find(r, 'cluster (2 workers, unpinned)', '/predict c=64'), find(r, 'service', '/predict c=64'));
  pair('OIP /v2 infer c=64 vs /predict c=64 req/s', find(r, 'service', '/v2 infer c=64'), find(r, 'service', '/predict c=64'));
  pair('gRPC ModelInfer vs OIP REST binary, 1000-row rows/s', r.cells.find((c) => c.cell.startsWith('gRPC ModelInfer')), r.cells.find((c) => c.cell.startsWith('/v2 infer binary')), 'rowsPerSec');
  pair('service vs node:http ceiling, /predict c=64 req/s', find(r, 'service', '/predict c=64'), find(r, 'node:http', '/predict c=64'));
  const { small, heavy } = r.session;
  if (small) lines.push(`in-process session.run, small model (loan-approval v2): batch 1 p50 ${ms(small.batch1_p50_ms)} ms (padded to 8 rows ${ms(small.padded8_p50_ms)} ms), batch 1000 ${int(small.batch1000_rows_per_s)} rows/s`);
  if (heavy) lines.push(`in-process session.run, heavy fixture: batch 1 p50 ${ms(heavy.batch1_p50_ms)} ms (padded to 8 rows ${ms(heavy.padded8_p50_ms)} ms), batch 1000 ${int(heavy.batch1000_rows_per_s)} rows/s`);
  const alone = r.cells.find((c) => c.server === 'service' && /^\/predict c=\d+$/.test(c.cell) && c.connections === 32);
  const mixed = r.cells.find((c) => c.server === 'mixed' && c.cell.startsWith('/predict c='));
  const mixedBatch = r.cells.find((c) => c.server === 'mixed' && c.cell.startsWith('/predict/batch'));
  if (alone && mixed) {
    lines.push(`mixed load: single predictions c=32 p99 ${ms(mixed.p99)} ms beside two clients posting 10,000-row batches, against ${ms(alone.p99)} ms alone ` +
      `(${ratio(mixed.p99 / alone.p99)}; p50 ${ms(mixed.p50)} vs ${ms(alone.p50)} ms; req/s ${int(mixed.rps)} vs ${int(alone.rps)}` +
      `${mixedBatch ? `; the batches meanwhile ${int(mixedBatch.rowsPerSec)} rows/s, p50 ${ms(mixedBatch.p50)} ms` : ''})`);
  }
  pair('FastAPI + sklearn vs Express ceiling, /predict c=64 req/s', find(r, FASTAPI, '/predict c=64'), find(r, 'express', '/predict c=64'));
  lines.push(`service RSS: idle ${mb(r.rss.idle)}, after the load cells ${mb(r.rss.afterLoad)}; bench-model process (3 heavy + 2 small) ${mb(r.rss.benchModels)}`);
  lines.push(...r.notes);
  return lines;
}

/** The report as text for the terminal and as Markdown for README.md. */
export function renderReport(r: Results, info: RunInfo): { text: string; markdown: string } {
  const express = (c: Cell) => find(r, 'express', c.cell);
  const rows = r.cells.map((c) => {
    const e = express(c);
    const isBatch = c.cell.includes(' rows ');
    // The ceilings answer the small model's requests: a ratio means nothing for the heavy fixture.
    const comparable = c.server !== 'express' && !c.server.startsWith('heavy');
    const rel = e && comparable ? ratio(isBatch ? c.rowsPerSec / e.rowsPerSec : c.rps / e.rps) : '';
    return [c.server, c.cell, int(c.rps), isBatch ? int(c.rowsPerSec) : '', ms(c.p50), ms(c.p99), int(c.cpuUsPerRequest), rel];
  });
  const head = ['server', 'cell', 'req/s', 'rows/s', 'p50 ms', 'p99 ms', 'CPU µs/req', 'vs Express'];
  const t = targets(r);
  const sweep = sweepRows(r);
  // Every Node process of the run (service, ceilings, load generator) is process.execPath (procs.ts).
  const machine = `${availableParallelism()} cores (nproc), ${cpuModel()}, Node ${process.version} for the service, both ceilings and the load generator`;
  const env = [
    info.seconds !== 10 ? `BENCH_SECONDS=${info.seconds}` : '',
    info.warmup !== 3 ? `BENCH_WARMUP_SECONDS=${info.warmup}` : '',
    info.soak !== 60 ? `SOAK_SECONDS=${info.soak}` : '',
    info.only ? `BENCH_ONLY=${info.only.join(',')}` : '',
  ].filter(Boolean).join(' ');
  const command = `${env ? `${env} ` : ''}npm run bench`;
  const setup = `${info.seconds} s per cell after ${info.warmup} s warm-up; ${info.pinned ? 'each server pinned to core 0 (taskset), autocannon on core 1' : 'not pinned'}; loopback`;

  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const text = [
    `Benchmark ${info.date} — ${machine}`,
    `${command}: ${setup}`,
    '',
    line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line),
    '',
    'Targets (issues 4 and 12):',
    ...t.map((x) => `  ${x.met === undefined ? '  n/a' : x.met ? '  met' : 'MISSED'}  ${x.name}: ${x.measured} (target ${x.target})`),
    '',
    ...(sweep.length > 0 ? ['Batch-size sweep:', `  ${SWEEP_HEAD.join(' | ')}`, ...sweep.map((row) => `  ${row.join(' | ')}`), ''] : []),
    ...comparisons(r).map((l) => `  ${l}`),
  ].join('\n');

  const md = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const markdown = [
    `Last run: ${info.date}, on ${machine}.`,
    `Command: \`${command}\` (${setup}). How to read it: [docs/performance.md](docs/performance.md).`,
    '',
    md(head), md(head.map((_, i) => (i < 2 ? '---' : '--:'))), ...rows.map(md),
    '',
    md(['target (issues 4 and 12)', 'measured', 'target', '']), md(['---', '--:', '--:', '---']),
    ...t.map((x) => md([x.name, x.measured, x.target, x.met === undefined ? 'n/a' : x.met ? 'met' : '**missed**'])),
    '',
    ...(sweep.length > 0 ? ['How cost grows with batch size:', '', md(SWEEP_HEAD), md(SWEEP_HEAD.map(() => '--:')), ...sweep.map(md), ''] : []),
    ...comparisons(r).map((l) => `- ${l}`),
  ].join('\n');
  return { text, markdown };
}
