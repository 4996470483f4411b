/**
 * The TensorFlow.js namespace the toolkit runs on (the union package with the
 * WASM and WebGPU backends registered), for code that passes tensors to the
 * toolkit. Import it from here rather than from `npm:@tensorflow/tfjs`
 * directly so both share one engine and one active backend.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "./tf.ts";
 *
 * const x = tf.tensor1d([1, 2, 3]);
 * assert.deepEqual(Array.from(await x.data()), [1, 2, 3]);
 * x.dispose();
 * ```
 *
 * @module
 */
export { tf } from "./_tf.ts";
