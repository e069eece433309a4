/** File output and onnxruntime verification helpers shared by the training scripts. */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (scripts/lib/ -> ../..). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const repoPath = (...parts: string[]): string => resolve(ROOT, ...parts);

/** Writes JSON with 2-space indentation and a trailing newline. Key order = insertion order. */
export function writeJson(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(value, null, 2) + '\n');
}

export function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

// onnxruntime ----------------------------------------------------------------
type Ort = typeof import('onnxruntime-node');
let ortPromise: Promise<Ort> | undefined;

/** Imports onnxruntime-node lazily so ORT_DISABLE_TELEMETRY is set before it loads. */
export function loadOrt(): Promise<Ort> {
  process.env.ORT_DISABLE_TELEMETRY = '1';
  ortPromise ??= import('onnxruntime-node');
  return ortPromise;
}

export interface OrtOutput {
  dims: number[];
  type: string;
  data: number[];
}

/** Opens a session, prints its input/output metadata, and returns a run(rows) function. */
export async function openSession(path: string, label: string) {
  const ort = await loadOrt();
  const session = await ort.InferenceSession.create(path);
  const fmt = (m: unknown) => JSON.stringify(m);
  console.log(`  [ort] ${label}`);
  console.log(`    inputNames=${fmt(session.inputNames)} outputNames=${fmt(session.outputNames)}`);
  console.log(`    inputMetadata=${fmt(session.inputMetadata)}`);
  console.log(`    outputMetadata=${fmt(session.outputMetadata)}`);
  const inputName = session.inputNames[0]!;
  async function run(rows: readonly (readonly number[])[]): Promise<Record<string, OrtOutput>> {
    const cols = rows[0]!.length;
    const data = new Float32Array(rows.length * cols);
    rows.forEach((r, i) => r.forEach((v, j) => (data[i * cols + j] = v)));
    const feeds = { [inputName]: new ort.Tensor('float32', data, [rows.length, cols]) };
    const res = await session.run(feeds);
    const out: Record<string, OrtOutput> = {};
    for (const name of session.outputNames) {
      const t = res[name]!;
      out[name] = { dims: [...t.dims], type: t.type, data: Array.from(t.data as ArrayLike<number | bigint>, Number) };
    }
    return out;
  }
  return { session, run, metadata: { inputs: session.inputMetadata, outputs: session.outputMetadata } };
}

/** Max |a-b| / max(1, |b|); throws if above tol. */
export function assertClose(name: string, got: readonly number[], want: readonly number[], tol = 1e-5): number {
  if (got.length !== want.length) throw new Error(`${name}: length ${got.length} != ${want.length}`);
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    const d = Math.abs(got[i]! - want[i]!) / Math.max(1, Math.abs(want[i]!));
    if (!(d <= tol)) throw new Error(`${name}[${i}]: ORT ${got[i]} vs TypeScript ${want[i]} (rel diff ${d} > ${tol})`);
    worst = Math.max(worst, d);
  }
  return worst;
}

export function check(cond: boolean, msg: string): void {
  if (!cond) throw new Error(`check failed: ${msg}`);
}
