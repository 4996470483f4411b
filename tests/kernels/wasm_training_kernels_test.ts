import { tf } from "../../src/tf.ts";
import { registerWasmTrainingKernels } from "../../src/kernels/wasm_training_kernels.ts";
import type { Tensor, Tensor4D } from "../../src/tf.ts";
import { equal, ok } from "../_assert.ts";
import { mulberry32 } from "../../src/random.ts";
import { selectBackend } from "../../src/backend.ts";

await selectBackend("wasm", { wasmThreads: 1 });

function values(size: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  return Float32Array.from({ length: size }, () => 2 * rand() - 1);
}

type Case = {
  x: [number, number, number, number];
  size: [number, number];
  alignCorners: boolean;
  halfPixelCenters: boolean;
};

const CASES: Case[] = [
  // the decoder's 2x upsamplings (fast path), both pixel conventions
  {
    x: [2, 14, 14, 8],
    size: [28, 28],
    alignCorners: false,
    halfPixelCenters: false,
  },
  {
    x: [2, 4, 4, 3],
    size: [8, 8],
    alignCorners: false,
    halfPixelCenters: true,
  },
  // unequal integer factors (fast path)
  {
    x: [3, 5, 4, 2],
    size: [10, 12],
    alignCorners: false,
    halfPixelCenters: false,
  },
  // non-integer factor and alignCorners: the backend's own kernel
  {
    x: [2, 3, 5, 2],
    size: [7, 9],
    alignCorners: false,
    halfPixelCenters: false,
  },
  {
    x: [2, 4, 4, 2],
    size: [8, 8],
    alignCorners: true,
    halfPixelCenters: false,
  },
];

/** d/dx of sum(resize(x) * r) for a fixed random r, on one backend. */
async function resizeGrad(backend: string, c: Case): Promise<Float32Array> {
  await tf.setBackend(backend);
  const x = tf.tensor4d(values(c.x.reduce((a, b) => a * b), 1), c.x);
  const [b, , , ch] = c.x;
  const r = tf.tensor4d(values(b * c.size[0] * c.size[1] * ch, 2), [
    b,
    c.size[0],
    c.size[1],
    ch,
  ]);
  const f = (t: Tensor) =>
    tf.image.resizeNearestNeighbor(
      t as Tensor4D,
      c.size,
      c.alignCorners,
      c.halfPixelCenters,
    ).mul(r).sum();
  const dx = tf.grad(f)(x);
  const out = await dx.data() as Float32Array;
  tf.dispose([x, r, dx]);
  return out;
}

/**
 * The exact gradient, independent of any gradient kernel: the forward resize
 * of an image of pixel indices tells which input pixel each output pixel
 * reads, and dx sums r over those. (tfjs's cpu backend cannot serve as the
 * reference here: its ResizeNearestNeighborGrad is wrong for batch > 1,
 * e.g. [10, 19] instead of [10, 100] for a 1x1 -> 2x2 upsampling of two
 * images against r = [1, 2, 3, 4], [10, 20, 30, 40].)
 */
async function referenceGrad(c: Case): Promise<Float32Array> {
  await tf.setBackend("cpu");
  const [b, h, w, ch] = c.x;
  const [oh, ow] = c.size;
  const idx = tf.tensor4d(Float32Array.from({ length: h * w }, (_, i) => i), [
    1,
    h,
    w,
    1,
  ]);
  const src = tf.image.resizeNearestNeighbor(
    idx,
    c.size,
    c.alignCorners,
    c.halfPixelCenters,
  );
  const map = await src.data();
  tf.dispose([idx, src]);
  const r = values(b * oh * ow * ch, 2);
  const dx = new Float32Array(b * h * w * ch);
  for (let n = 0; n < b; n++) {
    for (let o = 0; o < oh * ow; o++) {
      for (let k = 0; k < ch; k++) {
        dx[(n * h * w + map[o]) * ch + k] += r[(n * oh * ow + o) * ch + k];
      }
    }
  }
  return dx;
}

Deno.test("registerWasmTrainingKernels() upsampling gradients are exact", async (t) => {
  registerWasmTrainingKernels();
  registerWasmTrainingKernels(); // idempotent
  for (const c of CASES) {
    const name = `${
      JSON.stringify(c.x)
    } -> ${c.size} align ${c.alignCorners} half ${c.halfPixelCenters}`;
    await t.step(name, async () => {
      const expected = await referenceGrad(c);
      const wasm = await resizeGrad("wasm", c);
      equal(wasm.length, expected.length);
      // block sums of at most 6 terms in another order: a few float32 ulps
      for (let i = 0; i < expected.length; i++) {
        ok(
          Math.abs(wasm[i] - expected[i]) <= 1e-5 * (1 + Math.abs(expected[i])),
          `element ${i}: ${wasm[i]} vs ${expected[i]}`,
        );
      }
    });
  }
  await tf.setBackend("wasm");
});

Deno.test("registerWasmTrainingKernels() Identity shares the buffer and frees it once", async () => {
  await tf.setBackend("wasm");
  const before = tf.memory();
  const x = tf.tensor2d([[1, 2], [3, 4]]);
  const y = tf.clone(x);
  equal(y.dataId, x.dataId); // one shared buffer, no copy
  x.dispose();
  ok(!y.isDisposed);
  equal(Array.from(await y.data()).join(), "1,2,3,4");
  y.dispose();
  equal(tf.memory().numBytes, before.numBytes);
  equal(tf.memory().numTensors, before.numTensors);
  const s = tf.clone(tf.tensor1d(["a", "b"], "string"));
  equal((await s.data()).join(), "a,b");
  s.dispose();
});

Deno.test("registerWasmTrainingKernels() Sum over N, H, W matches a float64 sum", async (t) => {
  await tf.setBackend("wasm");
  const shapes: [number, number, number, number][] = [
    [128, 28, 28, 16], // the reference model's first bias gradient
    [3, 7, 5, 4],
    [2, 2, 2, 3], // too small for the pooling path: the backend's own
  ];
  for (const shape of shapes) {
    for (const keepDims of [false, true]) {
      await t.step(`${shape} keepDims ${keepDims}`, async () => {
        const v = values(shape.reduce((a, b) => a * b), 5);
        const x = tf.tensor4d(v, shape);
        const before = tf.memory().numTensors;
        // axes in any order and sign
        const s = tf.sum(x, [2, -4, 1], keepDims);
        equal(s.shape.join(), keepDims ? `1,1,1,${shape[3]}` : `${shape[3]}`);
        const got = await s.data();
        const c = shape[3];
        for (let k = 0; k < c; k++) {
          let e = 0;
          let mag = 0;
          for (let i = k; i < v.length; i += c) {
            e += v[i];
            mag += Math.abs(v[i]);
          }
          ok(
            Math.abs(got[k] - e) <= 1e-6 * mag,
            `channel ${k}: ${got[k]} vs ${e}`,
          );
        }
        s.dispose();
        equal(tf.memory().numTensors, before);
        x.dispose();
      });
    }
  }
  // other reductions keep the backend's kernel
  const y = tf.tensor2d([[1, 2], [3, 4]]);
  equal(Array.from(await tf.sum(y, 0).data()).join(), "4,6");
  equal(Array.from(await tf.sum(y, 1).data()).join(), "3,7");
  equal((await tf.sum(y).data())[0], 10);
  y.dispose();
});

Deno.test("registerWasmTrainingKernels() kernels leak no tensors or buffers", async () => {
  await tf.setBackend("wasm");
  const x = tf.tensor4d(values(2 * 4 * 4 * 8, 6), [2, 4, 4, 8]);
  const before = tf.memory().numTensors;
  const ids = tf.engine().backend.numDataIds();
  for (let i = 0; i < 3; i++) {
    // upsampling gradient, N/H/W sum and Identity (clone) in one step
    const g = tf.grad((a: Tensor) =>
      tf.sum(tf.image.resizeNearestNeighbor(a as Tensor4D, [8, 8]), [0, 1, 2])
        .square().sum()
    )(x);
    const c = tf.clone(g);
    tf.dispose([g, c]);
  }
  equal(tf.memory().numTensors, before);
  equal(tf.engine().backend.numDataIds(), ids);
  x.dispose();
});
