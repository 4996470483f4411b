/**
 * The 3-D view of a latent space of METHOD.md §6.
 *
 * @module
 */
import { ShapeError } from "../errors.ts";

/**
 * Projects latent means onto the unit sphere in R^3 for plotting: a standard
 * VAE looks uniform there, a Comp.VAE shows a compact island (paper Fig. 1).
 *
 * Method (METHOD.md §6): split the `n` latent dimensions into three
 * consecutive groups of sizes `floor(n/3)`, `floor(n/3)` and the rest
 * (`n - 2 floor(n/3)`), average each group, and divide the 3-vector of group
 * means by its Euclidean norm. Accumulates in float64.
 *
 * Special cases: a row whose three group means are all zero has no
 * direction; it is returned as `(0, 0, 0)` (at the centre, visibly off the
 * sphere) rather than NaN.
 *
 * Notes: the output is float32, so each coordinate carries about 6e-8
 * relative rounding; the norm of a returned row is 1 to about 1e-7.
 *
 * @param mu Latent means, row-major `N x n` (`mu[i * n + j]`), finite.
 * @param n The latent dimension, an integer `>= 3`.
 * @returns `N x 3` unit vectors, row-major.
 * @throws {RangeError} When `n` is not an integer `>= 3` or a value is not finite.
 * @throws {ShapeError} When `mu.length` is not a multiple of `n`.
 *
 * @example Group means of n = 4: groups {0}, {1}, {2, 3}
 * ```ts
 * import assert from "node:assert/strict";
 * import { sphereView } from "@hsvae/hsvae";
 *
 * const p = sphereView(new Float32Array([3, 0, 4, 4]), 4);
 * // group means (3, 0, 4), norm 5
 * assert.deepEqual([...p], [0.6000000238418579, 0, 0.800000011920929]);
 * ```
 */
export function sphereView(mu: Float32Array, n: number): Float32Array {
  if (!Number.isInteger(n) || n < 3) {
    throw new RangeError(
      `Cannot project latents onto the sphere: "n" must be an integer >= 3 (three groups), got "${n}"`,
    );
  }
  if (!(mu instanceof Float32Array)) {
    throw new ShapeError(
      `Cannot project latents onto the sphere: "mu" must be a Float32Array, got "${
        Object.prototype.toString.call(mu)
      }"`,
      "Float32Array",
      String(mu),
    );
  }
  if (mu.length % n !== 0) {
    throw new ShapeError(
      `Cannot project latents onto the sphere: "mu" has length "${mu.length}", not a multiple of n = "${n}"; pass the row-major N x n means`,
      `N * ${n}`,
      `${mu.length}`,
    );
  }
  const rows = mu.length / n;
  const g = Math.floor(n / 3);
  const sizes = [g, g, n - 2 * g];
  const starts = [0, g, 2 * g];
  const out = new Float32Array(rows * 3);
  const m = [0, 0, 0];
  for (let i = 0; i < rows; i++) {
    const base = i * n;
    for (let c = 0; c < 3; c++) {
      let s = 0;
      for (let j = starts[c]; j < starts[c] + sizes[c]; j++) {
        const v = mu[base + j];
        if (!Number.isFinite(v)) {
          throw new RangeError(
            `Cannot project latents onto the sphere: "mu[${
              base + j
            }]" is "${v}"; latents must be finite`,
          );
        }
        s += v;
      }
      m[c] = s / sizes[c];
    }
    const norm = Math.hypot(m[0], m[1], m[2]);
    if (norm > 0) {
      out[i * 3] = m[0] / norm;
      out[i * 3 + 1] = m[1] / norm;
      out[i * 3 + 2] = m[2] / norm;
    }
  }
  return out;
}
