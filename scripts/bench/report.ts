/**
 * The benchmark's one table, its ratios against the ceilings and the
 * targets of issue 4, as plain text (stdout) and Markdown (README.md).
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
  rss: { idle?: number; afterLoad?: number; benchModels?: number };
  session: { small?: SessionLoop; heavy?: SessionLoop };
  soak: { rssBefore: number; rssAfter: number; requests: number; errors: number } | undefined;
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

function targets(r: Results): Target[] {
  const out: Target[] = [];
  const s64 = find(r, 'service', '/predict c=64');
  const e64 = find(r, 'express', '/predict c=64');
  const x = s64 && e64 ? s64.rps / e64.rps : NaN;
  out.push({ name: '/predict c=64 req/s vs Express ceiling', measured: ratio(x), target: '≥ 1.00×', met: Number.isFinite(x) ? x >= 1 : undefined });
  const s1 = find(r, 'service', '/predict c=1');
  const e1 = find(r, 'express', '/predict c=1');
  const d = s1 && e1 ? s1.p50 - e1.p50 : NaN;
  out.push({ name: '/predict c=1 p50 minus Express ceiling p50', measured: Number.isFinite(d) ? `${d >= 0 ? '+' : ''}${d.toFixed(3)} ms` : '–', target: '≤ +0.050 ms', met: Number.isFinite(d) ? d <= 0.05 : undefined });
  const sb = r.cells.find((c) => c.server === 'service' && c.cell.startsWith('/predict/batch'));
  const eb = r.cells.find((c) => c.server === 'express' && c.cell.startsWith('/predict/batch'));
  const b = sb && eb ? sb.rowsPerSec / eb.rowsPerSec : NaN;
  out.push({ name: '/predict/batch rows/s vs Express ceiling', measured: ratio(b), target: '≥ 0.50×', met: Number.isFinite(b) ? b >= 0.5 : undefined });
  const ob = r.cells.find((c) => c.server === 'service' && c.cell.startsWith('/v2 infer binary'));
  const o = ob && eb ? ob.rowsPerSec / eb.rowsPerSec : NaN;
  out.push({ name: 'OIP binary infer rows/s vs Express ceiling JSON batch rows/s', measured: ratio(o), target: '≥ 2.00×', met: Number.isFinite(o) ? o >= 2 : undefined });
  const on = find(r, 'heavy, batching on', '/predict c=64');
  const off = find(r, 'heavy, batching off', '/predict c=64');
  const h = on && off ? on.rps / off.rps : NaN;
  out.push({ name: 'heavy c=64 req/s, batching on vs off', measured: ratio(h), target: '≥ 2.00×', met: Number.isFinite(h) ? h >= 2 : undefined });
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
  lines.push(`service RSS: idle ${mb(r.rss.idle)}, after the load cells ${mb(r.rss.afterLoad)}; bench-model process (3 heavy + 2 small) ${mb(r.rss.benchModels)}`);
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
  const machine = `${availableParallelism()} cores (nproc), ${cpuModel()}, Node ${process.version}`;
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
    'Targets (issue 4):',
    ...t.map((x) => `  ${x.met === undefined ? '  n/a' : x.met ? '  met' : 'MISSED'}  ${x.name}: ${x.measured} (target ${x.target})`),
    '',
    ...comparisons(r).map((l) => `  ${l}`),
  ].join('\n');

  const md = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const markdown = [
    `Last run: ${info.date}, on ${machine}.`,
    `Command: \`${command}\` (${setup}). How to read it: [docs/performance.md](docs/performance.md).`,
    '',
    md(head), md(head.map((_, i) => (i < 2 ? '---' : '--:'))), ...rows.map(md),
    '',
    md(['target (issue 4)', 'measured', 'target', '']), md(['---', '--:', '--:', '---']),
    ...t.map((x) => md([x.name, x.measured, x.target, x.met === undefined ? 'n/a' : x.met ? 'met' : '**missed**'])),
    '',
    ...comparisons(r).map((l) => `- ${l}`),
  ].join('\n');
  return { text, markdown };
}
