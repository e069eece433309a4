/** Seeded, deterministic randomness for the training scripts (no Math.random). */

/** mulberry32: a small, fast 32-bit PRNG. Returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Rng {
  private readonly next: () => number;
  private spare: number | null = null;

  constructor(seed: number) {
    this.next = mulberry32(seed);
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.next();
  }

  /** Uniform in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Uniform integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** Standard normal (Box–Muller, caching the second variate). */
  normal(mean = 0, sd = 1): number {
    if (this.spare !== null) {
      const z = this.spare;
      this.spare = null;
      return mean + sd * z;
    }
    let u = 0;
    while (u <= Number.EPSILON) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return mean + sd * r * Math.cos(2 * Math.PI * v);
  }

  /** Bernoulli(p). */
  bernoulli(p: number): boolean {
    return this.next() < p;
  }

  /** Poisson(lambda) by Knuth's method (fine for small lambda). */
  poisson(lambda: number): number {
    const l = Math.exp(-lambda);
    let k = 0;
    let p = 1;
    do {
      k++;
      p *= this.next();
    } while (p > l);
    return k - 1;
  }

  /** In-place Fisher–Yates shuffle; returns the array. */
  shuffle<T>(arr: T[]): T[] {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const tmp = arr[i]!;
      arr[i] = arr[j]!;
      arr[j] = tmp;
    }
    return arr;
  }
}

/** Shuffled indices 0..n-1 split into train/test by fraction. */
export function trainTestSplit(n: number, testFraction: number, seed: number): { train: number[]; test: number[] } {
  const idx = new Rng(seed).shuffle(Array.from({ length: n }, (_, i) => i));
  const nTest = Math.round(n * testFraction);
  return { test: idx.slice(0, nTest).sort((a, b) => a - b), train: idx.slice(nTest).sort((a, b) => a - b) };
}

/** Stratified split: the same test fraction inside every class. */
export function stratifiedSplit(labels: readonly number[], testFraction: number, seed: number): { train: number[]; test: number[] } {
  const rng = new Rng(seed);
  const classes = [...new Set(labels)].sort((a, b) => a - b);
  const train: number[] = [];
  const test: number[] = [];
  for (const c of classes) {
    const idx = rng.shuffle(labels.flatMap((l, i) => (l === c ? [i] : [])));
    const nTest = Math.round(idx.length * testFraction);
    test.push(...idx.slice(0, nTest));
    train.push(...idx.slice(nTest));
  }
  return { train: train.sort((a, b) => a - b), test: test.sort((a, b) => a - b) };
}
