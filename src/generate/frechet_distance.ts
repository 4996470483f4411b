/**
 * The Fréchet distance between Gaussians fitted to two feature sets, as
 * FID computes it (Heusel et al. 2017; the reference `pytorch-fid` /
 * TTUR code): the metric of the generation paper's self-FID.
 *
 * @module
 */
import type { FeatureMatrix } from "../detectors/feature_matrix.ts";
import { symmetricEigen } from "../linalg/symmetric_eigen.ts";

/** The mean and unbiased covariance of a feature set, float64. */
export interface GaussianStatistics {
  /** Feature means, `dim` values. */
  mean: Float64Array;
  /** Unbiased (N - 1) covariance, `dim x dim` row-major. */
  covariance: Float64Array;
  /** Rows the statistics came from. */
  count: number;
  /** Features per row. */
  dim: number;
}

/**
 * Means and the unbiased covariance of a feature set, in float64, as
 * `numpy.mean(x, 0)` and `numpy.cov(x, rowvar=False)` compute them.
 *
 * @param x The features, `rows x cols`.
 * @returns The statistics.
 * @throws {RangeError} For fewer than 2 rows, a data length other than
 *   `rows * cols`, or a non-finite value.
 *
 * @example Two points
 * ```ts
 * import assert from "node:assert/strict";
 * import { gaussianStatistics } from "@hsvae/hsvae";
 *
 * const s = gaussianStatistics({ data: Float32Array.of(0, 0, 2, 4), rows: 2, cols: 2 });
 * assert.deepEqual([...s.mean], [1, 2]);
 * assert.deepEqual([...s.covariance], [2, 4, 4, 8]);
 * ```
 */
export function gaussianStatistics(x: FeatureMatrix): GaussianStatistics {
  const { rows, cols, data } = x;
  if (!(Number.isInteger(rows) && rows >= 2 && cols >= 1)) {
    throw new RangeError(
      `Cannot fit a Gaussian: ${rows} rows of ${cols} features; pass at least 2 rows`,
    );
  }
  if (data.length !== rows * cols) {
    throw new RangeError(
      `Cannot fit a Gaussian: ${data.length} values, not rows * cols = ${
        rows * cols
      }; pass a consistent FeatureMatrix`,
    );
  }
  const mean = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const v = data[i * cols + j];
      if (!Number.isFinite(v)) {
        throw new RangeError(
          `Cannot fit a Gaussian: row ${i}, feature ${j} is ${v}; pass finite features`,
        );
      }
      mean[j] += v;
    }
  }
  for (let j = 0; j < cols; j++) mean[j] /= rows;
  const cov = new Float64Array(cols * cols);
  const d = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) d[j] = data[i * cols + j] - mean[j];
    for (let a = 0; a < cols; a++) {
      const da = d[a];
      if (da === 0) continue;
      const row = a * cols;
      for (let b = a; b < cols; b++) cov[row + b] += da * d[b];
    }
  }
  for (let a = 0; a < cols; a++) {
    for (let b = a; b < cols; b++) {
      const v = cov[a * cols + b] / (rows - 1);
      cov[a * cols + b] = v;
      cov[b * cols + a] = v;
    }
  }
  return { mean, covariance: cov, count: rows, dim: cols };
}

/**
 * The Fréchet distance of two fitted Gaussians,
 * `||mu_a - mu_b||² + tr(C_a) + tr(C_b) - 2 tr((C_a C_b)^{1/2})`.
 *
 * Method: with `S = C_a^{1/2}` (symmetric PSD root from the eigen-
 * decomposition of `C_a`, negative round-off eigenvalues set to 0), the
 * matrix `S C_b S` is symmetric PSD and similar to `C_a C_b`
 * (`C_a C_b = S (S C_b S) S^{-1}` when `C_a` is invertible, and by
 * continuity otherwise), so `tr((C_a C_b)^{1/2}) = sum_i sqrt(max(λ_i, 0))`
 * over the eigenvalues λ of `S C_b S`. Two symmetric eigen-decompositions
 * replace `scipy.linalg.sqrtm`'s Schur form of a non-symmetric product,
 * with no complex round-off to discard.
 *
 * Special cases: identical statistics give 0; equal covariances give
 * `||mu_a - mu_b||²`.
 *
 * Notes: the result is clamped at 0 (round-off can make it about -1e-12
 * times the traces).
 *
 * @param a Statistics of the first set.
 * @param b Statistics of the second set.
 * @returns The distance (>= 0).
 * @throws {RangeError} When the dimensions differ.
 *
 * @example Equal covariances: the squared mean difference
 * ```ts
 * import assert from "node:assert/strict";
 * import { frechetDistanceFromStatistics, gaussianStatistics } from "@hsvae/hsvae";
 *
 * const a = gaussianStatistics({ data: Float32Array.of(0, 1, 2, 3), rows: 4, cols: 1 });
 * const b = gaussianStatistics({ data: Float32Array.of(3, 4, 5, 6), rows: 4, cols: 1 });
 * assert.ok(Math.abs(frechetDistanceFromStatistics(a, b) - 9) < 1e-12);
 * ```
 */
export function frechetDistanceFromStatistics(
  a: GaussianStatistics,
  b: GaussianStatistics,
): number {
  if (a.dim !== b.dim) {
    throw new RangeError(
      `Cannot compute the Fréchet distance: the feature sets have ${a.dim} and ${b.dim} features; pass features of one network`,
    );
  }
  const n = a.dim;
  let meanTerm = 0;
  for (let i = 0; i < n; i++) meanTerm += (a.mean[i] - b.mean[i]) ** 2;
  let traces = 0;
  for (let i = 0; i < n; i++) {
    traces += a.covariance[i * n + i] + b.covariance[i * n + i];
  }
  // S = V diag(sqrt(max(w, 0))) V^T
  const ea = symmetricEigen(a.covariance, n);
  const s = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const r = Math.sqrt(Math.max(ea.values[k], 0));
    if (r === 0) continue;
    for (let i = 0; i < n; i++) {
      const vik = ea.vectors[i * n + k] * r;
      if (vik === 0) continue;
      for (let j = 0; j < n; j++) s[i * n + j] += vik * ea.vectors[j * n + k];
    }
  }
  // M = S C_b S
  const t = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const sik = s[i * n + k];
      if (sik === 0) continue;
      for (let j = 0; j < n; j++) t[i * n + j] += sik * b.covariance[k * n + j];
    }
  }
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const tik = t[i * n + k];
      if (tik === 0) continue;
      for (let j = 0; j < n; j++) m[i * n + j] += tik * s[k * n + j];
    }
  }
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const v = (m[i * n + j] + m[j * n + i]) / 2;
      m[i * n + j] = v;
      m[j * n + i] = v;
    }
  }
  const em = symmetricEigen(m, n);
  let trSqrt = 0;
  for (const w of em.values) trSqrt += Math.sqrt(Math.max(w, 0));
  return Math.max(0, meanTerm + traces - 2 * trSqrt);
}

/**
 * The Fréchet distance between Gaussians fitted to two feature sets (FID
 * when the features are Inception's; the toolkit's self-FID uses a
 * classifier it trained): means and unbiased covariances in float64
 * ({@linkcode gaussianStatistics}), then
 * {@linkcode frechetDistanceFromStatistics}.
 *
 * @param a First feature set.
 * @param b Second feature set (same number of columns).
 * @returns The distance (>= 0; 0 for identical sets).
 * @throws {RangeError} For fewer than 2 rows, differing columns or
 *   non-finite values.
 *
 * @example Identical sets are at distance 0
 * ```ts
 * import assert from "node:assert/strict";
 * import { frechetDistance } from "@hsvae/hsvae";
 *
 * const x = { data: Float32Array.of(1, 2, 3, 5, 8, 13), rows: 3, cols: 2 };
 * assert.ok(frechetDistance(x, x) < 1e-9);
 * ```
 */
export function frechetDistance(a: FeatureMatrix, b: FeatureMatrix): number {
  if (a.cols !== b.cols) {
    throw new RangeError(
      `Cannot compute the Fréchet distance: the feature sets have ${a.cols} and ${b.cols} columns; pass features of one network`,
    );
  }
  return frechetDistanceFromStatistics(
    gaussianStatistics(a),
    gaussianStatistics(b),
  );
}
