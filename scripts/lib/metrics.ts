/** Evaluation metrics used by the training scripts. */

export function accuracy(yTrue: readonly number[], yPred: readonly number[]): number {
  let ok = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) ok++;
  return ok / yTrue.length;
}

/** Mean binary cross-entropy of p(positive), with p clipped to [1e-15, 1-1e-15]. */
export function logLoss(yTrue: readonly number[], p: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const q = Math.min(Math.max(p[i]!, 1e-15), 1 - 1e-15);
    s -= yTrue[i] === 1 ? Math.log(q) : Math.log(1 - q);
  }
  return s / yTrue.length;
}

/** ROC AUC via the rank statistic (Mann–Whitney U), ties get average ranks. */
export function rocAuc(yTrue: readonly number[], score: readonly number[]): number {
  const order = score.map((s, i) => [s, i] as const).sort((a, b) => a[0] - b[0]);
  const ranks = new Array<number>(score.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k]![1]] = r;
    i = j + 1;
  }
  let nPos = 0;
  let sumPos = 0;
  for (let i = 0; i < yTrue.length; i++) {
    if (yTrue[i] === 1) {
      nPos++;
      sumPos += ranks[i]!;
    }
  }
  const nNeg = yTrue.length - nPos;
  return (sumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

export function confusionMatrix(yTrue: readonly number[], yPred: readonly number[], k: number): number[][] {
  const m = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < yTrue.length; i++) m[yTrue[i]!]![yPred[i]!]!++;
  return m;
}

export function mean(x: readonly number[]): number {
  let s = 0;
  for (const v of x) s += v;
  return s / x.length;
}

export function std(x: readonly number[]): number {
  const m = mean(x);
  let s = 0;
  for (const v of x) s += (v - m) ** 2;
  return Math.sqrt(s / x.length);
}

export function median(x: readonly number[]): number {
  const s = [...x].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

export function rmse(yTrue: readonly number[], yPred: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < yTrue.length; i++) s += (yTrue[i]! - yPred[i]!) ** 2;
  return Math.sqrt(s / yTrue.length);
}

export function mae(yTrue: readonly number[], yPred: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < yTrue.length; i++) s += Math.abs(yTrue[i]! - yPred[i]!);
  return s / yTrue.length;
}

export function r2(yTrue: readonly number[], yPred: readonly number[]): number {
  const m = mean(yTrue);
  let ssRes = 0;
  let ssTot = 0;
  for (let i = 0; i < yTrue.length; i++) {
    ssRes += (yTrue[i]! - yPred[i]!) ** 2;
    ssTot += (yTrue[i]! - m) ** 2;
  }
  return 1 - ssRes / ssTot;
}

/** Rounds for reporting (keeps JSON stable and readable). */
export function round(x: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
