/**
 * The semi-supervised class roll of METHOD.md §2.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Tensor2D } from "../tf.ts";
import {
  checkMatrix,
  type LabelsLike,
  planLabels,
  rollRows,
} from "./_labels.ts";

export type { LabelsLike } from "./_labels.ts";

/**
 * Rolls row i of `z` by `-labels[i] * spacing` along the latent axis, so that
 * axis `labels[i] * spacing` becomes axis 0 and each class is compressed
 * toward its own pole (`torch.roll(z[i], -y_i * s)`).
 *
 * **Method**: `out[i, j] = z[i, (j + y_i s) mod n]`, built from
 * ceil(log2 n) masked rolls by powers of two (slices and concats only): O(N n
 * log n), differentiable on every backend, no device read.
 *
 * **Special cases**: label 0 leaves a row unchanged; a shift that is a
 * multiple of n is the identity.
 *
 * @param z Latents `[N, n]`.
 * @param labels Class of each row: `Int32Array` / `number[]` (validated: integers
 *   >= 0 with `(max + 1) * spacing <= n`), or an int tensor `[N]` (only its
 *   shape is checked, values wrap mod n).
 * @param spacing Latent axes between two class poles (METHOD.md default 11 for
 *   the `paper` preset; the authors' code uses 10).
 * @returns The rolled latents `[N, n]`; the caller disposes them.
 * @throws {ShapeError} When `z` is not rank 2 or `labels` has the wrong length.
 * @throws {RangeError} When `spacing` is not a positive integer, a label is
 *   not a non-negative integer, or `n < (max label + 1) * spacing`.
 *
 * @example Class 1 at spacing 2: axis 2 becomes the first
 * ```ts
 * import { selectBackend } from "@hsvae/hsvae";
 * import assert from "node:assert/strict";
 * import { rollLatents } from "@hsvae/hsvae";
 * import { tf } from "@hsvae/hsvae/tf";
 * await selectBackend("wasm");
 *
 * const z = tf.tensor2d([[0, 1, 2, 3], [0, 1, 2, 3]]);
 * const r = rollLatents(z, new Int32Array([0, 1]), 2);
 * assert.deepEqual(Array.from(await r.data()), [0, 1, 2, 3, 2, 3, 0, 1]);
 * tf.dispose([z, r]);
 * ```
 */
export function rollLatents(
  z: Tensor2D,
  labels: LabelsLike,
  spacing: number,
): Tensor2D {
  checkMatrix(z, "rollLatents", "z");
  const [rows, n] = z.shape;
  const plan = planLabels(labels, rows, n, "rollLatents", {
    spacing,
    minCount: 0,
    allowMissing: true,
    numClasses: labels instanceof tf.Tensor ? 1 : undefined,
  });
  return tf.tidy(() => {
    const out = rollRows(z, plan, spacing);
    // a tidy must not hand back its input unchanged-and-owned-by-caller
    return out === z ? tf.clone(z) : out;
  });
}
