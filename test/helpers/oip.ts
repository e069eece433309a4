/** Requests and checks shared by the Open Inference Protocol suites (API.md §13). */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HEAVY_FEATURES, writeHeavyModels } from '../../scripts/bench/make-heavy-model.js';
import type { Reply } from './server.js';

/** An FP32 input tensor named `features` of `rows` rows. */
export function fp32Input(values: ArrayLike<number>, rows: number, name = 'features') {
  return { name, datatype: 'FP32', shape: [rows, values.length / rows], data: Array.from(values) };
}

/** Triton's binary tensor format: JSON header, then each input's raw bytes; returns the body and its header length. */
export function binaryBody(header: Record<string, unknown>, tensors: readonly Float32Array[]): { body: Buffer; headerLength: number } {
  const json = Buffer.from(JSON.stringify(header));
  const raw = tensors.map((t) => Buffer.from(t.buffer, t.byteOffset, t.byteLength));
  return { body: Buffer.concat([json, ...raw]), headerLength: json.length };
}

/** A binary infer answer, split: its JSON header and each binary output's float32 values by name. */
export async function readBinaryAnswer(res: Response): Promise<{ header: any; outputs: Map<string, Float32Array> }> {
  const buf = Buffer.from(await res.arrayBuffer());
  const length = Number(res.headers.get('inference-header-content-length'));
  assert.ok(Number.isInteger(length) && length > 0, 'Inference-Header-Content-Length is set');
  const header = JSON.parse(buf.subarray(0, length).toString('utf8'));
  const outputs = new Map<string, Float32Array>();
  let offset = length;
  for (const o of header.outputs) {
    const size = o.parameters?.binary_data_size;
    if (size === undefined) continue;
    const bytes = buf.subarray(offset, offset + size);
    outputs.set(o.name, new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)));
    offset += size;
  }
  assert.equal(offset, buf.length, 'the binary outputs fill the rest of the body');
  return { header, outputs };
}

/** Asserts the protocol's error shape: status, `{"error": "<message>"}`, X-Request-ID. */
export function expectOipError(reply: Reply, status: number, message?: RegExp): void {
  assert.equal(reply.status, status, reply.text);
  assert.deepEqual(Object.keys(reply.body ?? {}), ['error'], reply.text);
  assert.equal(typeof reply.body.error, 'string');
  if (message) assert.match(reply.body.error, message);
  assert.match(reply.headers.get('x-request-id') ?? '', /^[A-Za-z0-9._:-]{1,128}$/);
}

/**
 * A model repository holding the benchmark's heavy fixture as `heavy`
 * (scripts/bench/make-heavy-model.ts: 32 features, tens of ms per run), in a
 * worker thread: its runs are long and truly asynchronous, so requests that
 * arrive meanwhile queue behind them, and a 1 ms deadline always passes.
 */
export function heavyRepository(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'oip-heavy-models-'));
  writeHeavyModels(dir, [{ name: 'heavy', maxBatchSize: 8, maxDelayMs: 0, runner: 'worker' }]);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A JSON infer body for the heavy fixture: `rows` rows of 0.5. */
export const heavyBody = (rows = 8) => ({ inputs: [fp32Input(new Float32Array(rows * HEAVY_FEATURES).fill(0.5), rows)] });
