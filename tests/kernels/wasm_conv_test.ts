import { tf } from "../../src/tf.ts";
import {
  registerWasmConvKernels,
  wasmConvKernelsRegistered,
} from "../../src/kernels/wasm_conv.ts";
import type { Tensor, Tensor4D } from "../../src/tf.ts";
import { assert, equal, ok } from "../_assert.ts";
import { selectBackend } from "../../src/backend.ts";

await selectBackend("wasm", { wasmThreads: 1 });

/** Relative error in the L2 (Frobenius) norm: ||a - e|| / ||e||. */
function relL2(a: ArrayLike<number>, e: ArrayLike<number>): number {
  equal(a.length, e.length);
  let d = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i] - e[i]) ** 2;
    n += e[i] ** 2;
  }
  return Math.sqrt(d / n);
}

/** Deterministic values in [-1, 1) (a small LCG), the same on every backend. */
function values(size: number, seed: number): Float32Array {
  const out = new Float32Array(size);
  let s = seed >>> 0;
  for (let i = 0; i < size; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

type Case = {
  x: [number, number, number, number];
  k: number;
  out: number;
  stride: number | [number, number];
  pad: "same" | "valid";
};

const CASES: Case[] = [
  { x: [2, 7, 7, 3], k: 3, out: 16, stride: 1, pad: "same" },
  { x: [2, 7, 7, 3], k: 3, out: 16, stride: 2, pad: "same" },
  { x: [2, 7, 7, 16], k: 3, out: 3, stride: 2, pad: "valid" },
  { x: [3, 28, 28, 1], k: 3, out: 16, stride: 1, pad: "same" },
  { x: [3, 28, 28, 16], k: 3, out: 16, stride: 2, pad: "same" },
  { x: [2, 28, 28, 16], k: 3, out: 1, stride: 1, pad: "valid" },
  { x: [2, 9, 8, 3], k: 2, out: 3, stride: 2, pad: "same" },
  { x: [1, 8, 7, 16], k: 5, out: 1, stride: 2, pad: "valid" },
  { x: [2, 4, 4, 16], k: 3, out: 16, stride: 2, pad: "same" },
  // the sub-pixel input gradient: stride 3, even kernels, odd sizes, and
  // unequal strides (which take the zero-inserted path)
  { x: [2, 10, 11, 4], k: 3, out: 5, stride: 3, pad: "same" },
  { x: [2, 11, 10, 4], k: 4, out: 6, stride: 3, pad: "valid" },
  { x: [2, 9, 9, 5], k: 4, out: 3, stride: 2, pad: "same" },
  { x: [2, 9, 8, 3], k: 1, out: 4, stride: 2, pad: "valid" },
  { x: [2, 9, 8, 3], k: 3, out: 4, stride: [1, 2], pad: "same" },
];

/** dx and dW of sum(conv(x, W) * r) for a fixed random r, on one backend. */
async function convGrads(
  backend: string,
  c: Case,
): Promise<{ dx: Float32Array; dw: Float32Array }> {
  await tf.setBackend(backend);
  const x = tf.tensor4d(values(c.x.reduce((a, b) => a * b), 1), c.x);
  const wShape: [number, number, number, number] = [c.k, c.k, c.x[3], c.out];
  const w = tf.tensor4d(values(wShape.reduce((a, b) => a * b), 2), wShape);
  const y = tf.conv2d(x, w, c.stride, c.pad);
  const r = tf.tensor(values(y.size, 3), y.shape);
  const f = (a: Tensor, b: Tensor) =>
    tf.conv2d(a as Tensor4D, b as Tensor4D, c.stride, c.pad).mul(r).sum();
  const [dx, dw] = tf.grads(f)([x, w]);
  const out = {
    dx: await dx.data() as Float32Array,
    dw: await dw.data() as Float32Array,
  };
  tf.dispose([x, w, y, r, dx, dw]);
  return out;
}

Deno.test("registerWasmConvKernels() registers the kernels idempotently", async () => {
  registerWasmConvKernels();
  registerWasmConvKernels();
  ok(wasmConvKernelsRegistered());
  for (const name of ["Conv2DBackpropFilter", "Conv2DBackpropInput"]) {
    ok(tf.getKernel(name, "wasm") !== undefined, name);
  }
  await tf.setBackend("wasm");
});

Deno.test("registerWasmConvKernels() gradients match the cpu backend", async (t) => {
  // Tolerance: float32 sums of up to 28*28*3 products in a different order;
  // 1e-4 relative in the L2 norm leaves ~100x room over the ~1e-7 observed.
  for (const c of CASES) {
    const name = `x ${
      JSON.stringify(c.x)
    } k ${c.k} out ${c.out} stride ${c.stride} ${c.pad}`;
    await t.step(name, async () => {
      const cpu = await convGrads("cpu", c);
      const wasm = await convGrads("wasm", c);
      const ex = relL2(wasm.dx, cpu.dx);
      const ew = relL2(wasm.dw, cpu.dw);
      ok(ex <= 1e-4, `dx relative L2 error ${ex}`);
      ok(ew <= 1e-4, `dW relative L2 error ${ew}`);
    });
  }
  await tf.setBackend("wasm");
});

Deno.test("registerWasmConvKernels() conv2dTranspose forward matches the cpu backend", async () => {
  const results: Float32Array[] = [];
  for (const backend of ["cpu", "wasm"]) {
    await tf.setBackend(backend);
    const y = tf.tensor4d(values(2 * 4 * 4 * 8, 4), [2, 4, 4, 8]);
    const w = tf.tensor4d(values(3 * 3 * 5 * 8, 5), [3, 3, 5, 8]);
    const x = tf.conv2dTranspose(y, w, [2, 7, 7, 5], 2, "same");
    equal(x.shape.join(), "2,7,7,5");
    results.push(await x.data() as Float32Array);
    tf.dispose([y, w, x]);
  }
  ok(relL2(results[1], results[0]) <= 1e-5);
  await tf.setBackend("wasm");
});

Deno.test("registerWasmConvKernels() transposed matMul matches the cpu backend", async () => {
  for (const [ta, tb] of [[true, false], [false, true], [true, true]]) {
    const results: Float32Array[] = [];
    for (const backend of ["cpu", "wasm"]) {
      await tf.setBackend(backend);
      const a = tf.tensor2d(values(6 * 5, 6), ta ? [5, 6] : [6, 5]);
      const b = tf.tensor2d(values(5 * 4, 7), tb ? [4, 5] : [5, 4]);
      const c = tf.matMul(a, b, ta, tb);
      equal(c.shape.join(), "6,4");
      results.push(await c.data() as Float32Array);
      tf.dispose([a, b, c]);
    }
    ok(relL2(results[1], results[0]) <= 1e-6, `transposeA ${ta} B ${tb}`);
  }
  await tf.setBackend("wasm");
});

Deno.test("registerWasmConvKernels() gradients leak no tensors or buffers", async () => {
  await tf.setBackend("wasm");
  const x = tf.tensor4d(values(2 * 9 * 9 * 3, 8), [2, 9, 9, 3]);
  const w = tf.tensor4d(values(3 * 3 * 3 * 4, 9), [3, 3, 3, 4]);
  const before = tf.memory().numTensors;
  const ids = tf.engine().backend.numDataIds();
  const grads = tf.grads((a: Tensor, b: Tensor) =>
    tf.conv2d(a as Tensor4D, b as Tensor4D, 2, "same").square().sum()
  )([x, w]);
  tf.dispose(grads);
  equal(tf.memory().numTensors, before);
  equal(tf.engine().backend.numDataIds(), ids);
  tf.dispose([x, w]);
});

Deno.test("registerWasmConvKernels() lets a small conv net train on wasm", async () => {
  await tf.setBackend("wasm");
  // a stride-2 conv net learning to reproduce a fixed 8x8 target from noise
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [8, 8, 1],
        filters: 4,
        kernelSize: 3,
        strides: 2,
        padding: "same",
        activation: "relu",
        kernelInitializer: init(1),
      }),
      tf.layers.conv2d({
        filters: 4,
        kernelSize: 3,
        padding: "valid",
        activation: "relu",
        kernelInitializer: init(2),
      }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 64, kernelInitializer: init(3) }),
    ],
  });
  const x = tf.tensor4d(values(16 * 64, 10), [16, 8, 8, 1]);
  const y = tf.tensor2d(values(16 * 64, 11).map((v) => v * 0.5), [16, 64]);
  const opt = tf.train.adam(0.01);
  const losses: number[] = [];
  for (let step = 0; step < 30; step++) {
    const loss = opt.minimize(
      () => tf.losses.meanSquaredError(y, model.apply(x) as Tensor),
      true,
    )!;
    losses.push((await loss.data())[0]);
    loss.dispose();
  }
  assert.ok(
    losses[29] < 0.7 * losses[0],
    `loss ${losses[0]} -> ${losses[29]}`,
  );
  tf.dispose([x, y]);
  opt.dispose();
  model.dispose();
});
