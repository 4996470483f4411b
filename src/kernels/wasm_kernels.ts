/**
 * The toolkit's replacement kernels for tfjs-backend-wasm, registered in one
 * call: `selectBackend` makes it each time it activates `wasm`, so no kernel
 * is registered as a side effect of importing a module.
 *
 * @module
 */
import { registerWasmConvKernels } from "./wasm_conv.ts";
import { registerWasmTrainingKernels } from "./wasm_training_kernels.ts";

/**
 * Registers every toolkit kernel on the `wasm` backend (the fast conv
 * gradients of `wasm_conv.ts` and the training kernels of
 * `wasm_training_kernels.ts`). Idempotent; kernels are registered per backend
 * name, so they survive a restart of the wasm instance.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { registerWasmKernels } from "./wasm_kernels.ts";
 * import { wasmConvKernelsRegistered } from "./wasm_conv.ts";
 *
 * registerWasmKernels();
 * assert.equal(wasmConvKernelsRegistered(), true);
 * ```
 */
export function registerWasmKernels(): void {
  registerWasmConvKernels();
  registerWasmTrainingKernels();
}
