/**
 * The training objective of the compressed VAE (METHOD.md §2, §2.1): the
 * hyperspherical KL term with its `paper` and `authors` presets and variants,
 * the class roll, the standard Gaussian KL, sphere normalisation and the KL
 * weight schedules.
 *
 * @example The authors' preset on a tiny batch
 * ```ts
 * import { selectBackend } from "@hsvae/hsvae";
 * import assert from "node:assert/strict";
 * import { compressedKl } from "@hsvae/hsvae";
 * import { tf } from "@hsvae/hsvae/tf";
 * await selectBackend("wasm");
 *
 * const mu = tf.tensor2d([[3, 0.1, 0.2], [2.8, -0.1, 0.1], [3.1, 0, -0.2]]);
 * const sigma = tf.fill([3, 3], 0.01) as tf.Tensor2D;
 * const kl = compressedKl(mu, sigma); // preset "authors" by default
 * assert.ok(Number.isFinite((await kl.data())[0]));
 * tf.dispose([mu, sigma, kl]);
 * ```
 *
 * @module
 */
export * from "./loss/compressed_loss.ts";
export * from "./loss/roll_latents.ts";
export * from "./loss/gaussian_kl.ts";
export * from "./loss/normalise_to_sphere.ts";
export * from "./loss/schedules.ts";
