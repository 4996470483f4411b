/**
 * Projection of latent samples onto the sphere of radius sqrt(n).
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Tensor2D } from "../tf.ts";
import { checkMatrix } from "./_labels.ts";

/** Options of {@linkcode normaliseToSphere}. */
export interface NormaliseToSphereOptions {
  /**
   * Radius of the target sphere.
   * @default {Math.sqrt(n)}
   */
  radius?: number;
  /**
   * Floor on each row's norm: `z * radius / max(||z||, minNorm)`.
   * @default {1e-12}
   */
  minNorm?: number;
}

/**
 * Puts every row of `z` on the sphere of radius `radius` (default `sqrt(n)`):
 * `z <- radius * z / ||z||` (METHOD.md §2, after the reparameterisation).
 *
 * **Special cases**: the zero row stays zero (its norm is floored at
 * `minNorm`, as the authors' code does), with finite gradients; rows with a
 * norm below `minNorm` are scaled by `radius / minNorm`, not projected.
 *
 * **Notes**: the squared norm is floored at `minNorm^2` before the square
 * root, so the gradient of the norm is never `0 / 0`.
 *
 * @param z Latent samples `[N, n]`.
 * @param options See {@linkcode NormaliseToSphereOptions}.
 * @returns `[N, n]`; the caller disposes it.
 * @throws {ShapeError} When `z` is not rank 2.
 * @throws {RangeError} When `radius` is negative or `minNorm` is not > 0.
 *
 * @example
 * ```ts
 * import { selectBackend } from "@hsvae/hsvae";
 * import assert from "node:assert/strict";
 * import { normaliseToSphere } from "@hsvae/hsvae";
 * import { tf } from "@hsvae/hsvae/tf";
 * await selectBackend("wasm");
 *
 * const z = tf.tensor2d([[3, 0, 0, 4], [0, 0, 0, 0]]);
 * const v = await normaliseToSphere(z).data(); // radius sqrt(4) = 2
 * assert.deepEqual(Array.from(v).map((x) => Math.round(x * 1e6) / 1e6), [1.2, 0, 0, 1.6, 0, 0, 0, 0]);
 * z.dispose();
 * ```
 */
export function normaliseToSphere(
  z: Tensor2D,
  options: NormaliseToSphereOptions = {},
): Tensor2D {
  checkMatrix(z, "normaliseToSphere", "z");
  const radius = options.radius ?? Math.sqrt(z.shape[1]);
  const minNorm = options.minNorm ?? 1e-12;
  if (!(radius >= 0) || !Number.isFinite(radius)) {
    throw new RangeError(
      `Cannot compute normaliseToSphere: "radius" must be a finite number >= 0, got ${radius}`,
    );
  }
  if (!(minNorm > 0)) {
    throw new RangeError(
      `Cannot compute normaliseToSphere: "minNorm" must be > 0, got ${minNorm}`,
    );
  }
  return tf.tidy(() => {
    const sq = tf.sum(tf.square(z), 1, true);
    const norm = tf.sqrt(tf.maximum(sq, minNorm * minNorm));
    return tf.mul(z, tf.div(radius, norm)) as Tensor2D;
  });
}
