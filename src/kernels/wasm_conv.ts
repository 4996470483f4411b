/**
 * Convolution training kernels for the `wasm` backend.
 *
 * `@tensorflow/tfjs-backend-wasm` 4.22 registers no `Conv2DBackpropFilter`
 * kernel, so a conv net cannot be trained on it, and its
 * `Conv2DBackpropInput` is about 10x slower than its forward `Conv2D`. This
 * module replaces both with kernels built from the backend's fast (XNNPACK)
 * forward convolution, so they cost about as much as a forward pass:
 *
 * - input gradient: a stride-1 convolution of `dy` (zero-inserted between
 *   rows and columns for stride `s > 1`) with the spatially flipped,
 *   in/out-swapped filter;
 * - filter gradient: a stride-1 convolution of the batch-transposed input
 *   (`[C, H, W, B]`) with the batch-transposed `dy` (`[OH, OW, B, O]`) as
 *   filter, dilated by the stride, then transposed back to `[fh, fw, C, O]`.
 *
 * Supported: NHWC, any strides, `same` / `valid` / explicit padding, any
 * channel counts, dilation 1.
 *
 * It also wraps the backend's `BatchMatMul`: its paths for a transposed
 * operand (used by every dense layer's gradient) run 10-30x slower than the
 * plain product, so the wrapper transposes that operand explicitly first.
 *
 * Nothing is registered on import: `selectBackend` registers these kernels
 * (through `wasm_kernels.ts`) when it activates `wasm`, and
 * {@linkcode registerWasmConvKernels} does it by hand (idempotent).
 *
 * Every other kernel the toolkit's reference model needs for a training step
 * (`ResizeNearestNeighborGrad`, `PadV2`, `Slice`, fused conv / matmul, ...)
 * is already registered by the wasm backend; `conv2dTranspose` runs forward
 * through the fast `Conv2DBackpropInput` defined here.
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
  type Backend,
  call,
  free,
  replaceKernels,
  type WasmHeapBackend,
} from "./_wasm_kernel.ts";

function convInfoOf(
  xShape: number[],
  filterShape: number[],
  attrs: NamedAttrMap,
): ReturnType<typeof tf.backend_util.computeConv2DInfo> {
  const dataFormat = String(attrs.dataFormat ?? "NHWC");
  if (dataFormat !== "NHWC") {
    throw new Error(
      `Cannot run the wasm conv gradient: dataFormat "${dataFormat}" is not supported; use "NHWC"`,
    );
  }
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides as [number, number] | number,
    1,
    attrs.pad as "same" | "valid",
    attrs.dimRoundingMode as "floor" | "round" | "ceil" | undefined,
    false,
    "channelsLast",
  );
}

/**
 * Spreads `dy` [B, OH, OW, O] to [B, OH*sh, OW*sw, O] with `s - 1` zeros
 * after each row / column (the trailing zeros are harmless: callers slice or
 * pad to the exact size they need).
 */
function zeroInsert(
  backend: Backend,
  dy: TensorInfo,
  sh: number,
  sw: number,
): TensorInfo {
  const [b, oh, ow, o] = dy.shape;
  const r6 = call("Reshape", backend, { x: dy }, {
    shape: [b, oh, 1, ow, 1, o],
  });
  const padded = call("PadV2", backend, { x: r6 }, {
    paddings: [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]],
    constantValue: 0,
  });
  free(backend, r6);
  const out = call("Reshape", backend, { x: padded }, {
    shape: [b, oh * sh, ow * sw, o],
  });
  free(backend, padded);
  return out;
}

/**
 * A stride-1 conv of `x` with `filter` and dilation `dil`, with explicit
 * (non-negative) leading pads and trailing pads that may be negative (then
 * `x` is cropped at the end instead).
 */
function convExplicit(
  backend: Backend,
  x: TensorInfo,
  filter: TensorInfo,
  padTop: number,
  padBottom: number,
  padLeft: number,
  padRight: number,
  dil: [number, number],
): TensorInfo {
  let input = x;
  if (padBottom < 0 || padRight < 0) {
    const [b, h, w, c] = x.shape;
    input = call("Slice", backend, { x }, {
      begin: [0, 0, 0, 0],
      size: [
        b,
        h + Math.min(padBottom, 0),
        w + Math.min(padRight, 0),
        c,
      ],
    });
  }
  const out = call("Conv2D", backend, { x: input, filter }, {
    strides: [1, 1],
    pad: [
      [0, 0],
      [padTop, Math.max(padBottom, 0)],
      [padLeft, Math.max(padRight, 0)],
      [0, 0],
    ],
    dataFormat: "NHWC",
    dilations: dil,
  });
  if (input !== x) free(backend, input);
  return out;
}

/**
 * The tap offsets `d` with `0 <= s d + a + pad < k` for some phase
 * `a in [0, s)`: the span `[dMin, dMax]` of `dy` rows (or columns) one
 * output phase reads.
 */
function phaseSpan(k: number, s: number, pad: number): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let a = 0; a < s; a++) {
    const from = Math.ceil((-a - pad) / s);
    const to = Math.floor((k - 1 - a - pad) / s);
    if (from <= to) {
      lo = Math.min(lo, from);
      hi = Math.max(hi, to);
    }
  }
  return [lo, hi];
}

/**
 * `Conv2DBackpropInput` for equal strides `s > 1` without zero insertion
 * (sub-pixel form): the `s x s` phases of `dx` (`dx[s u + a, s v + b]`)
 * each read a small window of `dy`, so one stride-1 conv of `dy` with a
 * filter `[T, T', O, s*s*C]` that holds every phase's taps computes them
 * all side by side in channels, and one transpose interleaves them. For a
 * 3x3 stride-2 conv that is 2x2 taps on the small grid: 2.25x fewer
 * multiply-adds than the zero-inserted form, and no 4x larger `dy` copy.
 */
function backpropInputPhases(
  backend: Backend,
  dy: TensorInfo,
  filter: TensorInfo,
  inputShape: number[],
  info: ReturnType<typeof tf.backend_util.computeConv2DInfo>,
): TensorInfo {
  const heap = backend as unknown as WasmHeapBackend;
  const [fh, fw, c, o] = filter.shape;
  const s = info.strideHeight;
  const [, h, w] = inputShape;
  const [, oh, ow] = dy.shape;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  const [rowLo, rowHi] = phaseSpan(fh, s, pt);
  const [colLo, colHi] = phaseSpan(fw, s, pl);
  const th = rowHi - rowLo + 1;
  const tw = colHi - colLo + 1;
  const u = Math.ceil(h / s);
  const v = Math.ceil(w / s);
  const oc = s * s * c;
  const phases = heap.makeOutput([th, tw, o, oc], "float32");
  // views after the allocation (it may grow, and so move, the heap)
  const f = heap.typedArrayFromHeap(phases);
  const wv = heap.typedArrayFromHeap(filter);
  f.fill(0);
  for (let r = 0; r < th; r++) {
    for (let t = 0; t < tw; t++) {
      for (let a = 0; a < s; a++) {
        const p = s * (rowHi - r) + a + pt;
        if (p < 0 || p >= fh) continue;
        for (let b = 0; b < s; b++) {
          const q = s * (colHi - t) + b + pl;
          if (q < 0 || q >= fw) continue;
          const src = (p * fw + q) * c * o;
          const dst0 = (r * tw + t) * o * oc + (a * s + b) * c;
          for (let ci = 0; ci < c; ci++) {
            for (let oi = 0; oi < o; oi++) {
              f[dst0 + oi * oc + ci] = wv[src + ci * o + oi];
            }
          }
        }
      }
    }
  }
  const packed = convExplicit(
    backend,
    dy,
    phases,
    rowHi,
    u + th - 1 - oh - rowHi,
    colHi,
    v + tw - 1 - ow - colHi,
    [1, 1],
  );
  free(backend, phases);
  // interleave the phases: [B U, V, s, s C] -> [B U, s, V, s C] is
  // [B, s U, s V, C] (the backend's DepthToSpace does the same 20x slower)
  const batch = dy.shape[0];
  const r4 = call("Reshape", backend, { x: packed }, {
    shape: [batch * u, v, s, s * c],
  });
  const moved = call("Transpose", backend, { x: r4 }, { perm: [0, 2, 1, 3] });
  free(backend, packed, r4);
  const full = call("Reshape", backend, { x: moved }, {
    shape: [batch, s * u, s * v, c],
  });
  free(backend, moved);
  if (s * u === h && s * v === w) return full;
  const dx = call("Slice", backend, { x: full }, {
    begin: [0, 0, 0, 0],
    size: [inputShape[0], h, w, c],
  });
  free(backend, full);
  return dx;
}

/**
 * `Conv2DBackpropInput` from a forward conv: dx = conv(dy, flipped and
 * in/out-swapped W) for stride 1, the sub-pixel form
 * ({@linkcode backpropInputPhases}) for equal strides, and the zero-inserted
 * `dy` for unequal strides. Also serves `conv2dTranspose` forward.
 */
const backpropInput: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const a = attrs ?? {};
  const inputShape = a.inputShape as number[];
  const info = convInfoOf(inputShape, filter.shape, a);
  const [fh, fw] = filter.shape;
  const sh = info.strideHeight;
  const sw = info.strideWidth;
  const [, h, w] = inputShape;
  if (sh === sw && sh > 1 && filter.dtype === "float32") {
    return backpropInputPhases(backend, dy, filter, inputShape, info);
  }

  const reversed = call("Reverse", backend, { x: filter }, { dims: [0, 1] });
  const flipped = call("Transpose", backend, { x: reversed }, {
    perm: [0, 1, 3, 2],
  });
  free(backend, reversed);

  const spread = sh > 1 || sw > 1 ? zeroInsert(backend, dy, sh, sw) : dy;
  const padTop = fh - 1 - info.padInfo.top;
  const padLeft = fw - 1 - info.padInfo.left;
  const padBottom = h + fh - 1 - spread.shape[1] - padTop;
  const padRight = w + fw - 1 - spread.shape[2] - padLeft;
  const dx = convExplicit(
    backend,
    spread,
    flipped,
    padTop,
    padBottom,
    padLeft,
    padRight,
    [1, 1],
  );
  free(backend, flipped);
  if (spread !== dy) free(backend, spread);
  return dx;
};

/**
 * `Conv2DBackpropFilter` from a forward conv: dW[p, q, c, o] =
 * conv(x^T [C, H, W, B], dy^T [OH, OW, B, O], dilation = stride), transposed
 * back to [fh, fw, C, O].
 */
const backpropFilter: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const a = attrs ?? {};
  const filterShape = a.filterShape as number[];
  const info = convInfoOf(x.shape, filterShape, a);
  const [fh, fw] = filterShape;
  const sh = info.strideHeight;
  const sw = info.strideWidth;
  const [, h, w] = x.shape;
  const [, oh, ow] = dy.shape;

  const xT = call("Transpose", backend, { x }, { perm: [3, 1, 2, 0] });
  const dyT = call("Transpose", backend, { x: dy }, { perm: [1, 2, 0, 3] });
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;
  const padBottom = fh + (oh - 1) * sh - h - padTop;
  const padRight = fw + (ow - 1) * sw - w - padLeft;
  const out = convExplicit(
    backend,
    xT,
    dyT,
    padTop,
    padBottom,
    padLeft,
    padRight,
    [sh, sw],
  );
  free(backend, xT, dyT);
  const dw = call("Transpose", backend, { x: out }, { perm: [1, 2, 0, 3] });
  free(backend, out);
  return dw;
};

/**
 * The wasm backend's own `BatchMatMul`, whose transposed-operand paths are
 * 10-30x slower than its plain one (dense-layer gradients use them); captured
 * once so the wrapper below can call it.
 */
const nativeMatMul: KernelConfig | undefined = tf.getKernel(
  "BatchMatMul",
  "wasm",
);

/**
 * `BatchMatMul` that transposes a transposed operand explicitly (a cheap copy)
 * and runs the fast untransposed product.
 */
const batchMatMul: KernelFunc = ({ inputs, backend, attrs }) => {
  if (nativeMatMul === undefined) {
    throw new Error(
      `Cannot run kernel "BatchMatMul" on "wasm": it is not registered; import "@tensorflow/tfjs-backend-wasm" first`,
    );
  }
  const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
  const at = attrs ?? {};
  const swapLast = (t: TensorInfo): TensorInfo => {
    const perm = t.shape.map((_, i) => i);
    const r = perm.length;
    [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
    return call("Transpose", backend, { x: t }, { perm });
  };
  const a2 = at.transposeA ? swapLast(a) : a;
  const b2 = at.transposeB ? swapLast(b) : b;
  const out = nativeMatMul.kernelFunc({
    inputs: { a: a2, b: b2 },
    backend,
    attrs: { ...at, transposeA: false, transposeB: false },
  });
  if (a2 !== a) free(backend, a2);
  if (b2 !== b) free(backend, b2);
  return out;
};

const CONFIGS: readonly KernelConfig[] = [
  {
    kernelName: "BatchMatMul",
    backendName: "wasm",
    setupFunc: nativeMatMul?.setupFunc,
    kernelFunc: batchMatMul,
  },
  {
    kernelName: "Conv2DBackpropInput",
    backendName: "wasm",
    kernelFunc: backpropInput,
  },
  {
    kernelName: "Conv2DBackpropFilter",
    backendName: "wasm",
    kernelFunc: backpropFilter,
  },
];

/**
 * Registers the fast `Conv2DBackpropInput`, the missing
 * `Conv2DBackpropFilter` and the transpose-aware `BatchMatMul` kernels for
 * the `wasm` backend, replacing any kernel registered under those names. `selectBackend` already does it; a
 * second call changes nothing.
 *
 * @throws {Error} Never in practice; tfjs's registry throws only on a double
 * registration, which this function avoids.
 *
 * @example Training gradients of a conv on wasm
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "@hsvae/hsvae/tf";
 * import { registerWasmConvKernels } from "./wasm_conv.ts";
 *
 * registerWasmConvKernels();
 * registerWasmConvKernels(); // idempotent
 * await tf.setBackend("wasm");
 * const x = tf.ones([1, 3, 3, 1]) as tf.Tensor4D;
 * const w = tf.ones([3, 3, 1, 1]) as tf.Tensor4D;
 * // d/dW of sum(conv(x, W, same)): each tap sees the number of in-image
 * // positions it overlaps, 4 at the corners, 9 at the centre
 * const f = (w: tf.Tensor) => tf.conv2d(x, w as tf.Tensor4D, 1, "same").sum();
 * const dw = tf.grad(f)(w);
 * assert.deepEqual(Array.from(await dw.data()), [4, 6, 4, 6, 9, 6, 4, 6, 4]);
 * tf.dispose([x, w, dw]);
 * ```
 */
export function registerWasmConvKernels(): void {
  replaceKernels(CONFIGS);
}

/**
 * Whether this module's kernels are the ones tfjs will run on `wasm`.
 *
 * @returns True when all three kernels of this module are registered.
 *
 * @example
 * ```ts
 * import { selectBackend } from "@hsvae/hsvae";
 * import assert from "node:assert/strict";
 * import { wasmConvKernelsRegistered } from "./wasm_conv.ts";
 * await selectBackend("wasm");
 *
 * assert.equal(wasmConvKernelsRegistered(), true);
 * ```
 */
export function wasmConvKernelsRegistered(): boolean {
  return CONFIGS.every((c) =>
    tf.getKernel(c.kernelName, "wasm")?.kernelFunc === c.kernelFunc
  );
}
