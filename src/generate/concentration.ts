/**
 * Concentration-of-measure diagnostics of latent vectors (both seed
 * papers' §1): the norm of a standard normal n-vector follows the chi(n)
 * law, sharply concentrated near sqrt(n - 1/2), and two independent
 * isotropic directions are almost orthogonal, their cosine spread about
 * 1/sqrt(n). A VAE's latents sit on that "equator"; the compressed VAE's
 * move to an island (cosines near 1).
 *
 * @module
 */
import type { FeatureMatrix } from "../detectors/feature_matrix.ts";
import { mulberry32 } from "../random.ts";

/** ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms; ~1e-15 relative). */
function lnGamma(x: number): number {
  const c = [
    0.99999999999980993,
    676.5203681218851,
    -1259.1392167224028,
    771.32342877765313,
    -176.61502916214059,
    12.507343278686905,
    -0.13857109526572012,
    9.9843695780195716e-6,
    1.5056327351493116e-7,
  ];
  if (x < 0.5) {
    return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) -
      lnGamma(1 - x);
  }
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t +
    Math.log(a);
}

/** Regularised lower incomplete gamma P(a, x) (Numerical Recipes §6.2). */
function gammaP(a: number, x: number): number {
  if (x <= 0) return 0;
  const lnPre = -x + a * Math.log(x) - lnGamma(a);
  if (x < a + 1) {
    // series: P = e^{-x} x^a / Γ(a+1) * sum x^k / ((a+1)...(a+k))
    let sum = 1 / a, term = 1 / a;
    for (let k = 1; k < 10000; k++) {
      term *= x / (a + k);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-16) break;
    }
    return Math.min(1, sum * Math.exp(lnPre));
  }
  // continued fraction for Q = 1 - P (modified Lentz)
  const tiny = 1e-300;
  let b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
  for (let i = 1; i < 10000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-16) break;
  }
  return Math.max(0, 1 - Math.exp(lnPre) * h);
}

/**
 * The chi(n) cumulative distribution: `P(||z|| <= r)` for z ~ N(0, I_n).
 *
 * Method: `P(n/2, r²/2)`, the regularised lower incomplete gamma, by its
 * series for `x < a + 1` and its continued fraction otherwise.
 *
 * Special cases: `r <= 0` gives 0; n = 1 is `erf(r / sqrt 2)`; n = 2 is
 * `1 - exp(-r²/2)`.
 *
 * @param r The radius.
 * @param n Degrees of freedom (the latent dimension), >= 1.
 * @returns The probability.
 *
 * @example n = 2 (the Rayleigh law)
 * ```ts
 * import assert from "node:assert/strict";
 * import { chiCdf } from "@hsvae/hsvae";
 *
 * assert.ok(Math.abs(chiCdf(1.5, 2) - (1 - Math.exp(-1.125))) < 1e-14);
 * ```
 */
export function chiCdf(r: number, n: number): number {
  return r <= 0 ? 0 : gammaP(n / 2, (r * r) / 2);
}

/**
 * The chi(n) density `r^{n-1} e^{-r²/2} / (2^{n/2-1} Γ(n/2))`, in log
 * space so large n neither overflows nor underflows early.
 *
 * @param r The radius.
 * @param n Degrees of freedom, >= 1.
 * @returns The density at `r` (0 for `r < 0`).
 *
 * @example n = 2 at r = 1
 * ```ts
 * import assert from "node:assert/strict";
 * import { chiPdf } from "@hsvae/hsvae";
 *
 * assert.ok(Math.abs(chiPdf(1, 2) - Math.exp(-0.5)) < 1e-14);
 * ```
 */
export function chiPdf(r: number, n: number): number {
  if (r < 0) return 0;
  if (r === 0) return n === 1 ? Math.sqrt(2 / Math.PI) : 0;
  return Math.exp(
    (n - 1) * Math.log(r) - (r * r) / 2 - (n / 2 - 1) * Math.LN2 -
      lnGamma(n / 2),
  );
}

/**
 * The chi(n) mean `sqrt(2) Γ((n+1)/2) / Γ(n/2)` (-> sqrt(n - 1/2)).
 *
 * @param n Degrees of freedom, >= 1.
 * @returns The mean norm of a standard normal n-vector.
 *
 * @example n = 1 and n = 2
 * ```ts
 * import assert from "node:assert/strict";
 * import { chiMean } from "@hsvae/hsvae";
 *
 * assert.ok(Math.abs(chiMean(1) - Math.sqrt(2 / Math.PI)) < 1e-14);
 * assert.ok(Math.abs(chiMean(2) - Math.sqrt(Math.PI / 2)) < 1e-14);
 * ```
 */
export function chiMean(n: number): number {
  return Math.SQRT2 * Math.exp(lnGamma((n + 1) / 2) - lnGamma(n / 2));
}

/** What {@linkcode radiusProfile} returns. */
export interface RadiusProfile {
  /** Each row's Euclidean norm. */
  radii: Float64Array;
  /** Mean radius. */
  mean: number;
  /** Sample std of the radii. */
  std: number;
  /** The chi(n) mean. */
  chiMean: number;
  /** The chi(n) std `sqrt(n - chiMean²)`. */
  chiStd: number;
  /** Kolmogorov–Smirnov sup distance of the radii's empirical CDF to chi(n). */
  ksDistance: number;
  /** The dimension n. */
  n: number;
}

/**
 * The radius distribution of latents against the chi(n) law of a standard
 * normal (the prior): mean and spread of `||z||`, and the KS distance
 * `sup_r |F_N(r) - chiCdf(r, n)|`.
 *
 * Notes: for N(0, I) latents the KS distance is below
 * `sqrt(ln(2/α) / (2N))` with probability `1 - α` (DKW inequality).
 *
 * @param latents `rows x n` latent vectors.
 * @returns Radii and their summary.
 * @throws {RangeError} For an empty matrix or a non-finite value.
 *
 * @example Points on the sphere of radius 3 in 4 dimensions
 * ```ts
 * import assert from "node:assert/strict";
 * import { radiusProfile } from "@hsvae/hsvae";
 *
 * const p = radiusProfile({ data: Float32Array.of(3, 0, 0, 0, 0, 0, 0, -3), rows: 2, cols: 4 });
 * assert.equal(p.mean, 3);
 * assert.equal(p.std, 0);
 * ```
 */
export function radiusProfile(latents: FeatureMatrix): RadiusProfile {
  const { rows, cols: n, data } = latents;
  if (!(rows >= 1 && n >= 1) || data.length !== rows * n) {
    throw new RangeError(
      `Cannot profile the radii: ${rows} rows of ${n} values with ${data.length} values; pass a non-empty consistent FeatureMatrix`,
    );
  }
  const radii = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += data[i * n + j] ** 2;
    if (!Number.isFinite(s)) {
      throw new RangeError(
        `Cannot profile the radii: row ${i} holds a non-finite value; pass finite latents`,
      );
    }
    radii[i] = Math.sqrt(s);
  }
  const mean = radii.reduce((a, b) => a + b, 0) / rows;
  const std = rows < 2 ? 0 : Math.sqrt(
    radii.reduce((a, b) => a + (b - mean) ** 2, 0) / (rows - 1),
  );
  const sorted = Float64Array.from(radii).sort();
  let ks = 0;
  for (let i = 0; i < rows; i++) {
    const f = chiCdf(sorted[i], n);
    ks = Math.max(ks, (i + 1) / rows - f, f - i / rows);
  }
  const cm = chiMean(n);
  return {
    radii,
    mean,
    std,
    chiMean: cm,
    chiStd: Math.sqrt(Math.max(0, n - cm * cm)),
    ksDistance: ks,
    n,
  };
}

/** Options of {@linkcode pairwiseCosines}. */
export interface PairwiseCosinesOptions {
  /**
   * Random pairs; all `rows (rows - 1) / 2` pairs when fewer exist.
   * @default {10000}
   */
  pairs?: number;
  /**
   * Seed of the pairs (mulberry32).
   * @default {0}
   */
  seed?: number;
}

/** What {@linkcode pairwiseCosines} returns. */
export interface PairwiseCosines {
  /** The cosines of the pairs. */
  cosines: Float64Array;
  /** Their mean. */
  mean: number;
  /** Their std (divided by the count). */
  std: number;
  /** `1 / sqrt(n)`: the spread of isotropic directions. */
  expectedStd: number;
  /** The dimension n. */
  n: number;
}

/**
 * Cosines between pairs of distinct latent rows ("almost orthogonality":
 * for isotropic directions in n dimensions the cosine has mean 0 and
 * variance exactly 1/n).
 *
 * @param latents `rows x n` latents, no zero row.
 * @param options Number of pairs and seed.
 * @returns The cosines and their summary.
 * @throws {RangeError} For fewer than 2 rows or a zero or non-finite row.
 *
 * @example Identical directions have cosine 1
 * ```ts
 * import assert from "node:assert/strict";
 * import { pairwiseCosines } from "@hsvae/hsvae";
 *
 * const c = pairwiseCosines({ data: Float32Array.of(1, 2, 2, 4, 3, 6), rows: 3, cols: 2 });
 * assert.equal(c.cosines.length, 3);
 * assert.ok(c.cosines.every((x) => Math.abs(x - 1) < 1e-12));
 * ```
 */
export function pairwiseCosines(
  latents: FeatureMatrix,
  options: PairwiseCosinesOptions = {},
): PairwiseCosines {
  const { rows, cols: n, data } = latents;
  if (!(rows >= 2) || data.length !== rows * n) {
    throw new RangeError(
      `Cannot compute pairwise cosines: ${rows} rows; pass at least 2 latents`,
    );
  }
  const norms = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += data[i * n + j] ** 2;
    if (!(s > 0) || !Number.isFinite(s)) {
      throw new RangeError(
        `Cannot compute pairwise cosines: row ${i} has norm ${
          Math.sqrt(s)
        }; pass non-zero finite latents`,
      );
    }
    norms[i] = Math.sqrt(s);
  }
  const cos = (a: number, b: number) => {
    let d = 0;
    for (let j = 0; j < n; j++) d += data[a * n + j] * data[b * n + j];
    return d / (norms[a] * norms[b]);
  };
  const all = (rows * (rows - 1)) / 2;
  const want = options.pairs ?? 10000;
  const out: number[] = [];
  if (all <= want) {
    for (let a = 0; a < rows; a++) {
      for (let b = a + 1; b < rows; b++) out.push(cos(a, b));
    }
  } else {
    const rng = mulberry32(options.seed ?? 0);
    for (let k = 0; k < want; k++) {
      const a = Math.floor(rng() * rows);
      let b = Math.floor(rng() * (rows - 1));
      if (b >= a) b++;
      out.push(cos(a, b));
    }
  }
  const cosines = Float64Array.from(out);
  const mean = cosines.reduce((s, x) => s + x, 0) / cosines.length;
  const std = Math.sqrt(
    cosines.reduce((s, x) => s + (x - mean) ** 2, 0) / cosines.length,
  );
  return { cosines, mean, std, expectedStd: 1 / Math.sqrt(n), n };
}
