import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { spawnService, waitFor } from '../helpers/process.js';

describe('onnxruntime-node telemetry', () => {
  it('is disabled before the native library loads, and leaves no mat-debug log', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'onnx-serving-tmp-'));
    // The variable is removed from the child's environment: the service itself must set it.
    const env = { TMPDIR: tmp, LOG_LEVEL: 'warn', ORT_DISABLE_TELEMETRY: undefined };
    const child = await spawnService(process.execPath, ['--require', './test/fixtures/record-ort-env.cjs', 'dist/main.js'], env);
    try {
      await waitFor(`${child.url}/api/v1/health`);
      const predict = await fetch(`${child.url}/api/v1/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'iris', features: { sepal_length: 5, sepal_width: 3, petal_length: 1, petal_width: 0.2 } }),
      });
      await predict.arrayBuffer();
      assert.match(child.output(), /ORT_DISABLE_TELEMETRY at binding load: 1/);
      assert.deepEqual(readdirSync(tmp).filter((f) => f.startsWith('mat-debug')), []);
    } finally {
      child.proc.kill('SIGTERM');
      await child.exited;
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
