import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { groupCommit } from '../../src/store/group-commit.js';

describe('groupCommit', () => {
  it('writes the items saved in one turn of the event loop in one call, and resolves each after it', async () => {
    const writes: number[][] = [];
    const g = groupCommit<number>((items) => void writes.push([...items]));
    const saved = [g.save(1), g.save(2), g.save(3)];
    assert.deepEqual(writes, [], 'nothing is written synchronously');
    await Promise.all(saved);
    assert.deepEqual(writes, [[1, 2, 3]]);
    await g.save(4);
    assert.deepEqual(writes, [[1, 2, 3], [4]]);
  });
  it('groups the saves of promise continuations that run in one microtask drain (a batch answering its requests)', async () => {
    const writes: number[][] = [];
    const g = groupCommit<number>((items) => void writes.push([...items]));
    let answer!: () => void;
    const batch = new Promise<void>((r) => (answer = r));
    // Each "request" awaits the batch, then a step of its own, then saves.
    const requests = [1, 2, 3].map(async (n) => {
      await batch;
      await Promise.resolve();
      await g.save(n);
    });
    answer();
    await Promise.all(requests);
    assert.deepEqual(writes, [[1, 2, 3]]);
  });
  it('writes a lone save before the next turn of the event loop', async () => {
    const writes: number[][] = [];
    const g = groupCommit<number>((items) => void writes.push([...items]));
    let writtenAtNextTurn = -1;
    setImmediate(() => (writtenAtNextTurn = writes.length));
    await g.save(1);
    assert.equal(writes.length, 1);
    await new Promise((r) => setImmediate(r));
    assert.equal(writtenAtNextTurn, 1, 'committed before the check phase ran');
  });
  it('fails only the item whose write fails, when a group fails', async () => {
    const committed: number[] = [];
    const g = groupCommit<number>((items) => {
      if (items.includes(13)) throw new Error('constraint');
      committed.push(...items);
    });
    const settled = await Promise.allSettled([g.save(12), g.save(13), g.save(14)]);
    assert.deepEqual(settled.map((s) => s.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.deepEqual(committed, [12, 14]);
  });
  it('flush() writes what is queued at once (before a store closes)', async () => {
    const writes: number[][] = [];
    const g = groupCommit<number>((items) => void writes.push([...items]));
    const p = g.save(7);
    g.flush();
    assert.deepEqual(writes, [[7]]);
    await p;
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(writes, [[7]], 'the scheduled flush finds nothing left');
  });
});
