/**
 * The single import point of TensorFlow.js for the toolkit: the union package
 * plus the WASM and WebGPU backends, so every module shares one engine.
 *
 * On import the engine is put on WASM-SIMD (or `cpu` if WASM cannot start), a
 * cheap, deterministic default that needs no permissions; `selectBackend()`
 * makes the real choice (WebGPU on a real GPU, an explicit request, or the
 * `HSVAE_BACKEND` environment variable).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import "@tensorflow/tfjs-backend-webgpu";

try {
  if (!(await tf.setBackend("wasm"))) await tf.setBackend("cpu");
} catch {
  await tf.setBackend("cpu");
}

export { tf };
