import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { releaseWhenIdle } from '../../src/inference/runtime/idle-release.js';
import { instrumentRunner } from '../../src/inference/runtime/instrumented-runner.js';
import { composeWrappers } from '../../src/inference/runtime/runner-chain.js';
import type { ModelVersion } from '../../src/inference/serving/model-version.js';
import type { ModelRunner, TensorValue } from '../../src/inference/runtime/model-runner.js';

/** A runner whose runs take `ms` and which records what happened to it. */
function slowRunner(ms: number) {
  const log: string[] = [];
  let running = 0;
  let maxRunning = 0;
  let released = false;
  const runner: ModelRunner = {
    executionProvider: 'cpu',
    inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 1] }],
    outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 1] }],
    async run(feeds, rows): Promise<TensorValue[]> {
      if (released) throw new Error('session released');
      const input = feeds[0]!.data as Float32Array;
      running++;
      maxRunning = Math.max(maxRunning, running);
      log.push(`start ${input[0]}`);
      await sleep(ms);
      running--;
      log.push(`end ${input[0]}`);
      return [{ datatype: 'FP32', data: input, dims: [rows, 1] }];
    },
    async dispose() {
      released = true;
      log.push('released');
    },
  };
  return { runner, log, maxRunning: () => maxRunning };
}

const row = (x: number): TensorValue[] => [{ datatype: 'FP32', dims: [1, 1], data: new Float32Array([x]) }];

describe('releaseWhenIdle', () => {
  describe('when disposed while a run is in flight', () => {
    it('lets the run finish, then releases the session', async () => {
      const inner = slowRunner(30);
      const runner = releaseWhenIdle(inner.runner);
      const run = runner.run(row(1), 1);
      const disposed = runner.dispose();
      assert.deepEqual(await run, [{ datatype: 'FP32', data: new Float32Array([1]), dims: [1, 1] }]);
      await disposed;
      assert.deepEqual(inner.log, ['start 1', 'end 1', 'released']);
    });
  });

  describe('when a caller runs chunk after chunk across the dispose', () => {
    it('keeps the session until the last chunk is done', async () => {
      const inner = slowRunner(10);
      const runner = releaseWhenIdle(inner.runner);
      const chunks = (async () => {
        for (let i = 1; i <= 3; i++) await runner.run(row(i), 1);
      })();
      await sleep(5);
      await Promise.all([runner.dispose(), chunks]);
      assert.deepEqual(inner.log.at(-1), 'released');
      assert.equal(inner.log.filter((l) => l.startsWith('end')).length, 3);
    });
  });

  describe('after the release', () => {
    it('refuses to run', async () => {
      const runner = releaseWhenIdle(slowRunner(1).runner);
      await runner.dispose();
      await assert.rejects(runner.run(row(1), 1), /released/);
    });
  });
});

describe('instrumentRunner', () => {
  it('reports every run with its rows and duration, failed ones included', async () => {
    const seen: Array<[number, number]> = [];
    const ok = instrumentRunner(slowRunner(5).runner, { ran: (rows, s) => seen.push([rows, s]) });
    await ok.run([{ datatype: 'FP32', dims: [3, 1], data: new Float32Array([1, 2, 3]) }], 3);
    const failing = instrumentRunner(
      { ...slowRunner(1).runner, run: async () => Promise.reject(new Error('boom')) },
      { ran: (rows, s) => seen.push([rows, s]) },
    );
    await assert.rejects(failing.run(row(1), 1));
    assert.equal(seen.length, 2);
    assert.equal(seen[0]![0], 3);
    assert.ok(seen[0]![1] >= 0.004);
    assert.equal(seen[1]![0], 1);
  });
});

describe('composeWrappers', () => {
  it('applies wrappers innermost first', async () => {
    const order: string[] = [];
    const tag = (name: string) => (inner: ModelRunner): ModelRunner => ({
      ...inner,
      async run(feeds, rows) {
        order.push(name);
        return inner.run(feeds, rows);
      },
    });
    const wrap = composeWrappers(tag('inner'), tag('outer'));
    await wrap(slowRunner(1).runner, {} as ModelVersion).run(row(1), 1);
    assert.deepEqual(order, ['outer', 'inner']);
  });
});
