/**
 * Faster `wasm` kernels for three operations of every training step that
 * tfjs-backend-wasm 4.22 runs needlessly slowly (measured in one step of the
 * reference model, batch 128, 2 threads):
 *
 * - `ResizeNearestNeighborGrad` (the gradient of the decoder's nearest
 *   upsampling): for integer factors `k x k'` without `alignCorners` it is
 *   exactly the sum over each `k x k'` block of `dy`, computed here as the
 *   backend's (XNNPACK) average pooling times `k k'`: 26 -> 5 ms on
 *   `[128, 28, 28, 32]`. Other cases run the backend's own kernel.
 * - `Identity` (`tf.clone`, and the copies tfjs-layers makes): the backend
 *   copies the whole buffer; here the output shares it, as `Reshape`
 *   already does and as tfjs's cpu backend does for `Identity` (tensors are
 *   immutable, so sharing is safe): about 2 ms per `[128, 28, 28, 16]`
 *   tensor, 161 of them per step.
 * - `Sum` over the batch and both spatial axes of an NHWC tensor (every
 *   conv layer's bias gradient): the backend first transposes the whole
 *   tensor; here a global average pooling reduces H and W in one pass:
 *   about 4 -> 1 ms on `[128, 28, 28, 16]`, 24 of them per step. Other
 *   reductions run the backend's own kernel.
 *
 * Nothing is registered on import: `selectBackend` registers these kernels
 * (through `wasm_kernels.ts`) when it activates `wasm`, and
 * {@linkcode registerWasmTrainingKernels} does it by hand (idempotent).
 *
 * @module
 */
import { tf } from "../tf.ts";
import type {
  KernelConfig,
  KernelFunc,
  NamedAttrMap,
  TensorInfo,
} from "../tf.ts";
import {
  call,
  free,
  replaceKernels,
  scaled,
  type WasmHeapBackend,
} from "./_wasm_kernel.ts";

/** The kernels registered before this module replaced them. */
const native = {
  identity: tf.getKernel("Identity", "wasm"),
  resizeGrad: tf.getKernel("ResizeNearestNeighborGrad", "wasm"),
  sum: tf.getKernel("Sum", "wasm"),
};

function runNative(
  config: KernelConfig | undefined,
  args: Parameters<KernelFunc>[0],
): ReturnType<KernelFunc> {
  if (config === undefined) {
    throw new Error(
      `Cannot run a wasm kernel: the backend's own kernel is not registered; import "@tensorflow/tfjs-backend-wasm" first`,
    );
  }
  return config.kernelFunc(args);
}

/** `Identity` without a copy: the output shares the input's buffer. */
const identity: KernelFunc = (args) => {
  const x = (args.inputs as { x: TensorInfo }).x;
  if (x.dtype === "string") return runNative(native.identity, args);
  (args.backend as unknown as WasmHeapBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
};

/**
 * `ResizeNearestNeighborGrad` as block sums (average pooling times the block
 * size) when the upsampling factors are integers and `alignCorners` is off;
 * then every output pixel `(i, j)` reads input `(floor(i / k), floor(j /
 * k'))`, with or without `halfPixelCenters`.
 */
const resizeNearestGrad: KernelFunc = (args) => {
  const { images, dy } = args.inputs as { images: TensorInfo; dy: TensorInfo };
  const attrs: NamedAttrMap = args.attrs ?? {};
  const [, h, w] = images.shape;
  const [, oh, ow] = dy.shape;
  const kh = oh / h;
  const kw = ow / w;
  if (
    attrs.alignCorners || dy.dtype !== "float32" ||
    !Number.isInteger(kh) || !Number.isInteger(kw)
  ) {
    return runNative(native.resizeGrad, args);
  }
  const mean = call("AvgPool", args.backend, { x: dy }, {
    filterSize: [kh, kw],
    strides: [kh, kw],
    pad: "valid",
  });
  const sum = scaled(args.backend, mean, kh * kw);
  free(args.backend, mean);
  return sum;
};

/**
 * `Sum` over axes 0, 1, 2 of an NHWC tensor (every conv bias gradient): the
 * backend transposes the whole tensor to make those axes innermost; here a
 * global average pooling (one pass) reduces H and W, the backend's Sum the
 * small `[B, C]` rest, and one multiply restores the sum.
 */
const sum: KernelFunc = (args) => {
  const { x } = args.inputs as { x: TensorInfo };
  const attrs: NamedAttrMap = args.attrs ?? {};
  const raw = attrs.axis as number | number[] | undefined;
  const axes = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw])
    .map((a) => (a < 0 ? a + x.shape.length : a)).sort();
  if (
    x.dtype !== "float32" || x.shape.length !== 4 || axes.join() !== "0,1,2" ||
    x.shape[1] * x.shape[2] < 16
  ) {
    return runNative(native.sum, args);
  }
  const be = args.backend;
  const [b, h, w, c] = x.shape;
  const mean = call("AvgPool", be, { x }, {
    filterSize: [h, w],
    strides: [h, w],
    pad: "valid",
  });
  const flat = { ...mean, shape: [b, c] };
  const partial = runNative(native.sum, {
    inputs: { x: flat },
    backend: be,
    attrs: { axis: [0], keepDims: false },
  }) as TensorInfo;
  const out = scaled(be, partial, h * w);
  free(be, mean, partial);
  if (attrs.keepDims) out.shape = [1, 1, 1, c];
  return out;
};

const CONFIGS: readonly KernelConfig[] = [
  {
    kernelName: "Identity",
    backendName: "wasm",
    setupFunc: native.identity?.setupFunc,
    kernelFunc: identity,
  },
  {
    // the backend's own kernel, our fallback, binds its wasm function in
    // its setup: keep that setup
    kernelName: "ResizeNearestNeighborGrad",
    backendName: "wasm",
    setupFunc: native.resizeGrad?.setupFunc,
    kernelFunc: resizeNearestGrad,
  },
  {
    kernelName: "Sum",
    backendName: "wasm",
    setupFunc: native.sum?.setupFunc,
    kernelFunc: sum,
  },
];

/**
 * Registers this module's `Identity`, `ResizeNearestNeighborGrad` and `Sum` for the
 * `wasm` backend, replacing the backend's own (which they fall back to
 * outside their fast cases). `selectBackend` already does it; a
 * second call changes nothing.
 *
 * @example The gradient of a 2x nearest upsampling sums 2x2 blocks
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "@hsvae/hsvae/tf";
 * import { registerWasmTrainingKernels } from "./wasm_training_kernels.ts";
 *
 * registerWasmTrainingKernels();
 * await tf.setBackend("wasm");
 * const x = tf.zeros([1, 1, 1, 1]) as tf.Tensor4D;
 * const f = (x: tf.Tensor) =>
 *   tf.image.resizeNearestNeighbor(x as tf.Tensor4D, [2, 2])
 *     .mul(tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1])).sum();
 * const dx = tf.grad(f)(x);
 * assert.deepEqual(Array.from(await dx.data()), [10]);
 * tf.dispose([x, dx]);
 * ```
 */
export function registerWasmTrainingKernels(): void {
  replaceKernels(CONFIGS);
}
