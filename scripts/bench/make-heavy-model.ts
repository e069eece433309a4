/**
 * BENCHMARK FIXTURE, not a model: a wide MLP with fixed-seed random weights
 * whose only purpose is to make one ONNX run expensive (≥ 0.5 ms at batch 1),
 * so that the benchmark can show where dynamic batching and worker threads
 * pay. Its "predictions" mean nothing. It is written at bench time into a
 * temporary model repository (never into models/, never served by default,
 * never committed as a binary).
 *
 *   npx tsx scripts/bench/make-heavy-model.ts <model-repository-dir>
 *
 * Graph: features [batch, 32] → 4 × (Gemm 2048 + Relu) → Gemm 2 → Softmax →
 * probabilities [batch, 2]; about 12.7 M weights (51 MB of float32, more
 * than a typical L3 cache, so a batch-1 run is memory-bound).
 */
import { copyFileSync, linkSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DType, attr, writeModel, type Float32Initializer, type NodeSpec } from '../lib/onnx-writer.js';
import { Rng } from '../lib/random.js';

export const HEAVY_SEED = 20_260_223;
export const HEAVY_FEATURES = 32;
const HIDDEN = 2048;
const LAYERS = 4;
const LABELS = ['a', 'b'];

/** Feature names x00 … x31, each a number in [0, 1]. */
export const heavyFeatureNames = (): string[] =>
  Array.from({ length: HEAVY_FEATURES }, (_, i) => `x${String(i).padStart(2, '0')}`);

/** One feature row for requests: fixed-seed values in [0, 1]. */
export function heavyFeatures(seed: number): Record<string, number> {
  const rng = new Rng(seed);
  return Object.fromEntries(heavyFeatureNames().map((n) => [n, Math.round(rng.uniform() * 1000) / 1000]));
}

/** Writes the fixture's ONNX file (identical bytes on every call). */
function writeOnnx(path: string): void {
  const rng = new Rng(HEAVY_SEED);
  const nodes: NodeSpec[] = [];
  const initializers: Float32Initializer[] = [];
  let input = 'features';
  let width = HEAVY_FEATURES;
  for (let l = 0; l <= LAYERS; l++) {
    const out = l === LAYERS ? LABELS.length : HIDDEN;
    // He initialisation keeps activations in range through the Relu stack.
    const sd = Math.sqrt(2 / width);
    const w = new Float32Array(width * out);
    for (let i = 0; i < w.length; i++) w[i] = rng.normal(0, sd);
    const b = new Float32Array(out);
    for (let i = 0; i < out; i++) b[i] = rng.normal(0, 0.01);
    initializers.push({ name: `W${l}`, dims: [width, out], values: w }, { name: `b${l}`, dims: [out], values: b });
    const pre = l === LAYERS ? 'logits' : `h${l}_pre`;
    nodes.push({ opType: 'Gemm', inputs: [input, `W${l}`, `b${l}`], outputs: [pre], name: `dense${l}` });
    if (l < LAYERS) {
      nodes.push({ opType: 'Relu', inputs: [pre], outputs: [`h${l}`], name: `relu${l}` });
      input = `h${l}`;
    }
    width = out;
  }
  nodes.push({ opType: 'Softmax', inputs: ['logits'], outputs: ['probabilities'], name: 'softmax', attributes: { axis: attr.int(-1) } });
  writeModel(path, {
    graphName: 'bench_heavy_mlp',
    docString: 'Benchmark fixture: a wide MLP with fixed-seed random weights. Not a trained model.',
    nodes,
    initializers,
    inputs: [{ name: 'features', elemType: DType.FLOAT, shape: ['batch', HEAVY_FEATURES] }],
    outputs: [{ name: 'probabilities', elemType: DType.FLOAT, shape: ['batch', LABELS.length] }],
    metadata: { purpose: 'benchmark fixture', seed: String(HEAVY_SEED) },
  });
}

export interface HeavyVariant {
  /** Model name in the repository. */
  name: string;
  maxBatchSize: number;
  maxDelayMs: number;
  runner?: 'main' | 'worker';
}

/** Writes `<repo>/<name>/model.json` and `<repo>/<name>/1/model.onnx` for each variant (one ONNX build). */
export function writeHeavyModels(repo: string, variants: readonly HeavyVariant[]): void {
  let first: string | undefined;
  for (const v of variants) {
    const dir = join(repo, v.name);
    mkdirSync(join(dir, '1'), { recursive: true });
    const config = {
      description: `BENCHMARK FIXTURE (scripts/bench/make-heavy-model.ts): a wide MLP with random weights; its answers mean nothing.`,
      task: 'classification',
      input: 'features',
      outputs: { probabilities: 'probabilities' },
      features: heavyFeatureNames().map((name) => ({ name, type: 'number', minimum: 0, maximum: 1, baseline: 0.5 })),
      labels: LABELS,
      batching: { max_batch_size: v.maxBatchSize, max_delay_ms: v.maxDelayMs },
      ...(v.runner ? { runner: v.runner } : {}),
    };
    writeFileSync(join(dir, 'model.json'), JSON.stringify(config, null, 2) + '\n');
    const onnx = join(dir, '1', 'model.onnx');
    if (first === undefined) {
      writeOnnx(onnx);
      first = onnx;
    } else {
      // The same 51 MB file under another name: a hard link where the file system allows it.
      try {
        linkSync(first, onnx);
      } catch {
        copyFileSync(first, onnx);
      }
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const repo = process.argv[2];
  if (!repo) {
    process.stderr.write('usage: tsx scripts/bench/make-heavy-model.ts <model-repository-dir>\n');
    process.exit(2);
  }
  writeHeavyModels(repo, [{ name: 'bench-heavy', maxBatchSize: 64, maxDelayMs: 1 }]);
  process.stdout.write(`wrote ${join(repo, 'bench-heavy')} (benchmark fixture)\n`);
}
