/**
 * The inference floor: `session.run` in a loop on one thread, no HTTP, with
 * the session options the service uses (1 intra-op thread, 1 inter-op,
 * sequential). Prints one JSON line: batch-1 latency percentiles (unpadded and
 * padded to 8 rows as the service runs it) and rows/s at batch 1000.
 *
 *   node --import tsx scripts/bench/session-loop.ts <model.onnx> <width> <seconds>
 */
process.env.ORT_DISABLE_TELEMETRY = '1';
const { InferenceSession, Tensor } = await import('onnxruntime-node');

const [path, widthArg, secondsArg] = process.argv.slice(2);
if (!path || !widthArg) {
  process.stderr.write('usage: session-loop.ts <model.onnx> <width> [seconds]\n');
  process.exit(2);
}
const width = Number(widthArg);
const seconds = Number(secondsArg ?? 2);

const session = await InferenceSession.create(path, {
  executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1,
  executionMode: 'sequential', graphOptimizationLevel: 'all', logSeverityLevel: 3,
});
const inputName = session.inputNames[0]!;

function feed(rows: number): Record<string, InstanceType<typeof Tensor>> {
  const data = new Float32Array(rows * width);
  for (let i = 0; i < data.length; i++) data[i] = ((i * 7919) % 1000) / 1000;
  return { [inputName]: new Tensor('float32', data, [rows, width]) };
}

/** Runs for about `ms` and returns each run's duration in ms. */
async function loop(rows: number, ms: number): Promise<number[]> {
  const feeds = feed(rows);
  for (let i = 0; i < 20; i++) await session.run(feeds);
  const times: number[] = [];
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const t0 = performance.now();
    await session.run(feeds);
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b);
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
const share = (seconds * 1000) / 3;
const one = await loop(1, share);
const eight = await loop(8, share);
const big = await loop(1000, share);
const sum = big.reduce((a, b) => a + b, 0);
process.stdout.write(
  JSON.stringify({
    batch1_p50_ms: pct(one, 50), batch1_p99_ms: pct(one, 99), batch1_runs_per_s: one.length / (share / 1000),
    padded8_p50_ms: pct(eight, 50),
    batch1000_p50_ms: pct(big, 50), batch1000_rows_per_s: (big.length * 1000) / (sum / 1000),
  }) + '\n',
);
await session.release();
