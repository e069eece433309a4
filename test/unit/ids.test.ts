import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newId } from '../../src/ids.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('newId', () => {
  it('is the prefix and a UUIDv7 (version 7, RFC variant), within the API id pattern', () => {
    for (let i = 0; i < 1000; i++) {
      const id = newId('pred');
      assert.match(id, /^pred_[A-Za-z0-9_-]{16,}$/);
      assert.match(id.slice('pred_'.length), UUID_V7);
    }
  });

  it('carries the creation time in its first 48 bits', () => {
    const now = Date.UTC(2026, 11, 2, 3, 4, 5, 678);
    const hex = newId('job', now).slice('job_'.length).replaceAll('-', '').slice(0, 12);
    assert.equal(parseInt(hex, 16), now);
  });

  it('sorts by creation time across milliseconds, as text (what the B-tree sees)', () => {
    const ids = [0, 1, 2, 255, 256, 65_536, Date.now()].map((ms) => newId('pred', ms));
    assert.deepEqual([...ids].sort(), ids);
  });

  it('is never the same twice (74 random bits)', () => {
    const ids = new Set(Array.from({ length: 100_000 }, () => newId('req', 1)));
    assert.equal(ids.size, 100_000);
  });
});
