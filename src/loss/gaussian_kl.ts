/**
 * The standard VAE's Gaussian KL divergence and the log-variance helper.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Scalar, Tensor2D } from "../tf.ts";
import { checkPair } from "./_labels.ts";

/** How {@linkcode gaussianKl} reduces over the latent dimensions. */
export type KlReduce = "sum" | "mean";

/** Options of {@linkcode gaussianKl}. */
export interface GaussianKlOptions {
  /**
   * `"sum"` over latent dimensions (the textbook KL, preset `paper`) or
   * `"mean"` over them (the authors' code); always the mean over the batch.
   * @default {"sum"}
   */
  reduce?: KlReduce;
  /**
   * The variance `exp(logVar)` when the caller already holds it, used in its
   * place: `compressedLoss` passes `sigma^2` of the encoder's `sigma` (equal
   * to `exp(logVar)` up to float32 rounding, and what its `vae` variant has
   * always computed). Same shape as `mu`.
   * @default {exp(logVar)}
   */
  variance?: Tensor2D;
}

/**
 * KL(N(mu, exp(logVar)) || N(0, I)) per sample, reduced over the latent
 * dimensions, averaged over the batch.
 *
 * **Method**: `0.5 * (mu^2 + exp(logVar) - 1 - logVar)` per entry (with
 * `variance` in place of `exp(logVar)` when given); summed (`"sum"`) or
 * averaged (`"mean"`) over the n dimensions, then the mean over the N rows.
 *
 * **Special cases**: `mu = 0, logVar = 0` gives exactly 0.
 *
 * @param mu Means `[N, n]`.
 * @param logVar Log-variances `[N, n]`.
 * @param options See {@linkcode GaussianKlOptions}.
 * @returns A scalar; the caller disposes it.
 * @throws {ShapeError} When the inputs (and `variance`) are not rank 2 of one
 *   shape.
 * @throws {RangeError} When `reduce` is not `"sum"` or `"mean"`.
 *
 * @example One row, one dimension: KL = 0.5 mu^2 at unit variance
 * ```ts
 * import { selectBackend } from "@hsvae/hsvae";
 * import assert from "node:assert/strict";
 * import { gaussianKl } from "@hsvae/hsvae";
 * import { tf } from "@hsvae/hsvae/tf";
 * await selectBackend("wasm");
 *
 * const mu = tf.tensor2d([[2, 0]]);
 * const lv = tf.zeros([1, 2]) as tf.Tensor2D;
 * const kl = gaussianKl(mu, lv, { reduce: "sum" });
 * assert.ok(Math.abs((await kl.data())[0] - 2) < 1e-6);
 * tf.dispose([mu, lv, kl]);
 * ```
 */
export function gaussianKl(
  mu: Tensor2D,
  logVar: Tensor2D,
  options: GaussianKlOptions = {},
): Scalar {
  const reduce = options.reduce ?? "sum";
  if (reduce !== "sum" && reduce !== "mean") {
    throw new RangeError(
      `Cannot compute gaussianKl: "reduce" must be "sum" or "mean", got "${reduce}"`,
    );
  }
  checkPair(mu, logVar, "gaussianKl", ["mu", "logVar"]);
  const { variance } = options;
  if (variance) checkPair(mu, variance, "gaussianKl", ["mu", "variance"]);
  return tf.tidy(() => {
    const e = tf.mul(
      tf.sub(
        tf.add(tf.square(mu), variance ?? tf.exp(logVar)),
        tf.add(logVar, 1),
      ),
      0.5,
    );
    const perRow = reduce === "sum" ? tf.sum(e, 1) : tf.mean(e, 1);
    return tf.mean(perRow) as Scalar;
  });
}

/**
 * Standard deviation from log-variance: `sigma = exp(0.5 * logVar)`, for
 * encoders that predict `log sigma^2` (the usual parameterisation).
 *
 * @param logVar Log-variances `[N, n]`.
 * @returns `sigma` `[N, n]`, positive; the caller disposes it.
 * @throws {ShapeError} When `logVar` is not rank 2.
 *
 * @example
 * ```ts
 * import { selectBackend } from "@hsvae/hsvae";
 * import assert from "node:assert/strict";
 * import { sigmaFromLogVar } from "@hsvae/hsvae";
 * import { tf } from "@hsvae/hsvae/tf";
 * await selectBackend("wasm");
 *
 * const lv = tf.tensor2d([[0, Math.log(4)]]);
 * const s = await sigmaFromLogVar(lv).data();
 * assert.ok(Math.abs(s[0] - 1) < 1e-6 && Math.abs(s[1] - 2) < 1e-6);
 * lv.dispose();
 * ```
 */
export function sigmaFromLogVar(logVar: Tensor2D): Tensor2D {
  checkPair(logVar, logVar, "sigmaFromLogVar", ["logVar", "logVar"]);
  return tf.tidy(() => tf.exp(tf.mul(logVar, 0.5)) as Tensor2D);
}
