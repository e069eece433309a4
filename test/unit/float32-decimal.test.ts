import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { float32Decimal } from '../../src/inference/prediction/float32-decimal.js';

/** The reference: the fewest significant digits (1–9) whose decimal reads back as the same float32. */
function reference(f: number): string {
  let best = f.toPrecision(9);
  for (let p = 8; p >= 1; p--) {
    const t = f.toPrecision(p);
    if (Math.fround(Number(t)) !== f) break;
    best = t;
  }
  return String(Number(best));
}

/** A deterministic stream of float32 values (xorshift32 over the bit patterns of [1e-12, 1e12]). */
function* floats(n: number): Generator<number> {
  let state = 0x9e3779b9;
  const view = new DataView(new ArrayBuffer(4));
  for (let i = 0; i < n;) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    view.setUint32(0, state >>> 0);
    const f = view.getFloat32(0);
    const a = Math.abs(f);
    if (a >= 1e-12 && a <= 1e12) {
      i++;
      yield f;
    }
  }
}

describe('float32Decimal', () => {
  it('reads back as the same float32 and prints as the shortest such decimal, for 200,000 float32 values', () => {
    for (const f of floats(200_000)) {
      const text = String(float32Decimal(f));
      assert.equal(Math.fround(Number(text)), f, `${f} printed as ${text}`);
      assert.equal(text, reference(f), `${f}`);
    }
  });
  it('prints probabilities in at most 9 significant digits', () => {
    const p = Math.fround(0.7808009386062622);
    assert.equal(String(float32Decimal(p)), '0.78080094');
    assert.equal(String(float32Decimal(Math.fround(0.5))), '0.5');
    assert.equal(String(float32Decimal(1)), '1');
    assert.equal(String(float32Decimal(Math.fround(1e-7))), '1e-7');
  });
  it('keeps 0, -0 (as 0), signs, and tiny values exactly', () => {
    assert.equal(float32Decimal(0), 0);
    assert.ok(Object.is(float32Decimal(-0), 0));
    assert.equal(float32Decimal(Math.fround(-2.5)), -2.5);
    const tiny = Math.fround(1.7814626e-16);
    assert.equal(Math.fround(float32Decimal(tiny)), tiny);
  });
});
