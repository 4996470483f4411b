/**
 * What the toolkit's `wasm` kernels share: the typed view of
 * tfjs-backend-wasm's public buffer methods, running another registered
 * kernel directly, freeing intermediates, scaling by a constant, and the
 * idempotent replacement of registered kernels.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type {
  KernelConfig,
  KernelFunc,
  NamedAttrMap,
  NamedTensorInfoMap,
  TensorInfo,
} from "../tf.ts";

/** A kernel's backend argument. */
export type Backend = Parameters<KernelFunc>[0]["backend"];

/** The public buffer methods of tfjs-backend-wasm's `BackendWasm`. */
export interface WasmHeapBackend {
  incRef(dataId: object): void;
  disposeData(dataId: object, force?: boolean): boolean;
  makeOutput(shape: number[], dtype: "float32"): TensorInfo;
  typedArrayFromHeap(info: TensorInfo | { dataId: object }): Float32Array;
}

/** Runs another registered wasm kernel directly (no engine, no tape). */
export function call(
  name: string,
  backend: Backend,
  inputs: NamedTensorInfoMap,
  attrs: NamedAttrMap,
): TensorInfo {
  const kernel = tf.getKernel(name, "wasm");
  if (kernel === undefined) {
    throw new Error(
      `Cannot run kernel "${name}" on "wasm": it is not registered; import "@tensorflow/tfjs-backend-wasm" first`,
    );
  }
  const out = kernel.kernelFunc({ inputs, backend, attrs });
  return Array.isArray(out) ? out[0] : out;
}

/** Frees kernel intermediates. */
export function free(backend: Backend, ...infos: TensorInfo[]): void {
  for (const info of infos) {
    (backend as unknown as WasmHeapBackend).disposeData(info.dataId);
  }
}

/** `t * factor` as a new tensor (frees nothing). */
export function scaled(
  backend: Backend,
  t: TensorInfo,
  factor: number,
): TensorInfo {
  const heap = backend as unknown as WasmHeapBackend;
  const scale = heap.makeOutput([], "float32");
  heap.typedArrayFromHeap(scale)[0] = factor;
  const out = call("Multiply", backend, { a: t, b: scale }, {});
  free(backend, scale);
  return out;
}

/**
 * Registers `configs` on `wasm`, replacing any kernel registered under
 * their names; a config already in place is left alone (idempotent).
 */
export function replaceKernels(configs: readonly KernelConfig[]): void {
  for (const config of configs) {
    const current = tf.getKernel(config.kernelName, "wasm");
    if (current?.kernelFunc === config.kernelFunc) continue;
    if (current !== undefined) {
      tf.unregisterKernel(config.kernelName, "wasm");
    }
    tf.registerKernel(config);
  }
}
