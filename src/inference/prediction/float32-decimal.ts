/**
 * The shortest decimal that reads back as the same float32 (issue 12). A
 * model's outputs are float32; printed as doubles they take 17 significant
 * digits (0.7808009386062622), of which at most 9 carry information
 * (0.78080094). The value returned here is the double nearest to that
 * shortest decimal, so JSON.stringify prints the short form by itself and
 * records, cache and jobs all hold the same number. Exact: for every input,
 * Math.fround(Number(String(result))) === Math.fround(x) — which is what a
 * client that parses the JSON as a double and converts it to float32 gets.
 */

/** 10^0 … 10^22: every one is a double exactly, so n / 10^s is correctly rounded. */
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/** `x` (a float32 value) as the double of its shortest round-tripping decimal (≤ 9 significant digits). */
export function float32Decimal(x: number): number {
  if (x === 0 || !Number.isFinite(x)) return x === 0 ? 0 : x;
  const a = Math.abs(x);
  const f = Math.fround(a);
  const k = Math.floor(Math.log10(a));
  let best = f;
  // Digits that round-trip stay round-tripping with one more (the p-digit
  // decimal is a (p+1)-digit one too), so the fewest is found by bisection.
  let lo = 1;
  let hi = 9;
  while (lo <= hi) {
    const p = (lo + hi) >> 1;
    const s = p - 1 - k;
    // Outside 10^±22 the scaling is not exact: keep the float32's own double.
    if (s > 22 || s < -22) return x < 0 ? -f : f;
    // Both operands are exact, so the quotient (product) is the double nearest
    // to the decimal, as Number(text) would give.
    const candidate = s >= 0 ? Math.round(a * POW10[s]!) / POW10[s]! : Math.round(a / POW10[-s]!) * POW10[-s]!;
    if (Math.fround(candidate) === f) {
      best = candidate;
      hi = p - 1;
    } else {
      lo = p + 1;
    }
  }
  return x < 0 ? -best : best;
}
