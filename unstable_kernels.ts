/**
 * Kernel plumbing of the toolkit's WASM backend: the replacement conv and
 * training kernels and the threaded-SIMD build's controls. `selectBackend`
 * already registers the kernels and sizes the thread pool, so ordinary use
 * needs none of this; it is public for benchmarks, extensions and debugging.
 *
 * @experimental The names and behaviour here may change in any release.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { selectBackend } from "./mod.ts";
 * import { wasmConvKernelsRegistered, wasmThreadsStatus } from "./unstable_kernels.ts";
 *
 * await selectBackend("wasm");
 * assert.equal(wasmConvKernelsRegistered(), true);
 * assert.ok(wasmThreadsStatus().threads >= 1);
 * ```
 *
 * @module
 */
export {
  registerWasmConvKernels,
  wasmConvKernelsRegistered,
} from "./src/kernels/wasm_conv.ts";
export { registerWasmTrainingKernels } from "./src/kernels/wasm_training_kernels.ts";
export { registerWasmKernels } from "./src/kernels/wasm_kernels.ts";
export * from "./src/kernels/wasm_threads.ts";
