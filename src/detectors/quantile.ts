/**
 * numpy's default sample quantile, which sets every detector's threshold
 * from its training scores.
 *
 * @module
 */

/**
 * numpy's default (`linear`) quantile of `values` at `q` in [0, 1].
 *
 * *Method*: sort the values ascending into `s`, take `pos = q * (n - 1)`,
 * and interpolate linearly between `s[floor(pos)]` and `s[floor(pos) + 1]`.
 *
 * *Special cases*: `q = 0` is the minimum, `q = 1` the maximum, `n = 1`
 * gives the single value for every `q`.
 *
 * *Notes*: computed in float64 whatever the input's type.
 *
 * @param values The sample, not modified.
 * @param q The quantile level.
 * @returns `numpy.quantile(values, q)`.
 * @throws {RangeError} When `values` is empty or `q` is outside [0, 1].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { quantile } from "@hsvae/hsvae";
 *
 * assert.equal(quantile([4, 1, 3, 2], 0.5), 2.5);
 * assert.equal(quantile([1, 2, 3, 4, 5], 0.9), 4.6);
 * ```
 */
export function quantile(values: ArrayLike<number>, q: number): number {
  if (values.length === 0) {
    throw new RangeError(`Cannot compute quantile: "values" is empty`);
  }
  if (!(q >= 0 && q <= 1)) {
    throw new RangeError(
      `Cannot compute quantile: "q" must be in [0, 1], got "${q}"`,
    );
  }
  const s = Float64Array.from(values).sort();
  const pos = q * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, s.length - 1);
  return s[lo] + (pos - lo) * (s[hi] - s[lo]);
}
