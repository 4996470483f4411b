/**
 * # hsvae
 *
 * Anomaly and out-of-distribution detection with variational autoencoders
 * whose latent space is written in hyperspherical coordinates ("compressed
 * VAE"): training pulls every latent angle toward a pole so normal data forms
 * a dense island, and the mean distance to the k nearest training latents
 * scores anomalies. Runs on WebGPU or WASM-SIMD through TensorFlow.js.
 *
 * @example The hyperspherical transform on the selected backend
 * ```ts
 * import assert from "node:assert/strict";
 * import { angleCosines, selectBackend, tf } from "./mod.ts";
 *
 * await selectBackend("wasm");
 * const x = tf.tensor2d([[1, 1, 1, 1]]);
 * const { radius, cosines } = angleCosines(x);
 * assert.ok(Math.abs((await radius.data())[0] - 2) < 1e-6);
 * // the isotropic vector has cos(phi_k) = 1 / sqrt(n - k + 1)
 * const c = await cosines.data();
 * assert.ok(Math.abs(c[0] - 1 / 2) < 1e-6);
 * tf.dispose([x, radius, cosines]);
 * ```
 *
 * @module
 */
export { tf } from "./src/_tf.ts";
export type {
  Rank,
  Scalar,
  Tensor,
  Tensor1D,
  Tensor2D,
  Tensor3D,
  Tensor4D,
} from "@tensorflow/tfjs";
export * from "./src/errors.ts";
export * from "./src/backend.ts";
export * from "./src/hyperspherical.ts";
