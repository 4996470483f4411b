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
 * import { angleCosines, selectBackend } from "@hsvae/hsvae";
 * import { tf } from "@hsvae/hsvae/tf";
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
export type {
  LayersModel,
  Rank,
  Scalar,
  Tensor,
  Tensor1D,
  Tensor2D,
  Tensor3D,
  Tensor4D,
} from "./src/tf.ts";
export * from "./src/errors.ts";
export * from "./src/backend.ts";
export * from "./src/hyperspherical.ts";
export * from "./src/data/mod.ts";
export * from "./src/presets.ts";
export * from "./src/limits.ts";
export * from "./src/output_folder.ts";
export * from "./src/loss.ts";
export * from "./src/model/resnet.ts";
export * from "./src/model/io.ts";
export * from "./src/integrity/manifest.ts";
export * from "./src/integrity/replace_folder.ts";
export * from "./src/model/vae_model.ts";
export * from "./src/train.ts";
export * from "./src/progress.ts";
export * from "./src/metrics.ts";
export * from "./src/detectors/detector.ts";
export * from "./src/detectors/feature_matrix.ts";
export * from "./src/detectors/base_detector.ts";
export * from "./src/detectors/quantile.ts";
export * from "./src/detectors/knn_detector.ts";
export * from "./src/detectors/isolation_forest.ts";
export * from "./src/evaluate/mod.ts";
export * from "./src/report/mod.ts";
export { encodeNpy, saveNpy } from "./src/data/npy_write.ts";
export * from "./src/detectors/features.ts";
export * from "./src/detectors/reconstruction_detector.ts";
export * from "./src/generate/frechet_distance.ts";
export * from "./src/generate/concentration.ts";
