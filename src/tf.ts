/**
 * The TensorFlow.js namespace the toolkit runs on (the `@tensorflow/tfjs`
 * union package, with the `cpu` and `wasm` backends registered; WebGPU is
 * loaded by `selectBackend` when chosen), for code that passes tensors to the
 * toolkit. Import it from here rather than from npm directly so both share
 * one engine and one active backend. Its types (`Tensor2D`, `LayersModel`,
 * ...) are exported by name too.
 *
 * Importing it initialises no backend: call `selectBackend()` (or any async
 * toolkit function, which starts the default once) before creating tensors.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { selectBackend } from "../mod.ts";
 * import { type Tensor1D, tf } from "@hsvae/hsvae/tf";
 *
 * await selectBackend("wasm");
 * const x: Tensor1D = tf.tensor1d([1, 2, 3]);
 * assert.deepEqual(Array.from(await x.data()), [1, 2, 3]);
 * x.dispose();
 * ```
 *
 * @module
 */
import * as tf from "./_tfjs.ts";

export { tf };
export type * from "./_tfjs.ts";
