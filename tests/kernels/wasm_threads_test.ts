import { tf } from "../../src/tf.ts";
import { wasmConvKernelsRegistered } from "../../src/kernels/wasm_conv.ts";
import {
  disableWasmThreads,
  enableWasmThreads,
  wasmThreadsStatus,
} from "../../src/kernels/wasm_threads.ts";
import { BackendError } from "../../src/errors.ts";
import type { Scalar, Tensor2D, Tensor4D } from "../../src/tf.ts";
import {
  assert,
  assertClose,
  deepEqual,
  equal,
  ok,
  rejects,
} from "../_assert.ts";
import { selectBackend } from "../../src/backend.ts";

await selectBackend("wasm", { wasmThreads: 1 });

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

/** A variable with fixed initial values `scale * values(size, seed)`. */
function weight(shape: number[], seed: number, scale: number): tf.Variable {
  const size = shape.reduce((p, q) => p * q, 1);
  const init = tf.tidy(() => tf.tensor(values(size, seed), shape).mul(scale));
  const w = tf.variable(init);
  init.dispose();
  return w;
}

interface Results {
  matmul: Float32Array;
  conv: Float32Array;
  losses: number[];
  weights: Float32Array[];
}

/**
 * A 256x192 @ 192x128 product, a conv forward (batch 16, 28x28, 16 -> 16,
 * 3x3, same) and four SGD steps of a small conv net (conv s2 -> relu -> conv
 * s2 -> dense) on fixed inputs and weights: everything a thread pool splits.
 */
async function workload(): Promise<Results> {
  const before = tf.memory().numTensors;
  const a = tf.tensor2d(values(256 * 192, 1), [256, 192]);
  const b = tf.tensor2d(values(192 * 128, 2), [192, 128]);
  const x = tf.tensor4d(values(16 * 28 * 28 * 16, 3), [16, 28, 28, 16]);
  const f = tf.tensor4d(values(3 * 3 * 16 * 16, 4), [3, 3, 16, 16]);
  const mm = tf.matMul(a, b);
  const cv = tf.conv2d(x, f, 1, "same");
  const matmul = (await mm.data()) as Float32Array;
  const conv = (await cv.data()) as Float32Array;
  tf.dispose([a, b, x, f, mm, cv]);

  const img = tf.tensor4d(values(32 * 16 * 16, 5), [32, 16, 16, 1]);
  const target = tf.tensor2d(values(32 * 2, 6), [32, 2]);
  const w1 = weight([3, 3, 1, 8], 7, 0.3);
  const w2 = weight([3, 3, 8, 8], 8, 0.1);
  const w3 = weight([128, 2], 9, 0.1);
  const optimizer = tf.train.sgd(0.05);
  const loss = (): Scalar =>
    tf.tidy(() => {
      const h1 = tf.relu(tf.conv2d(img, w1 as unknown as Tensor4D, 2, "same"));
      const h2 = tf.relu(tf.conv2d(h1, w2 as unknown as Tensor4D, 2, "same"));
      const y = tf.matMul(h2.reshape([32, 128]), w3 as unknown as Tensor2D);
      return y.sub(target).square().mean() as Scalar;
    });
  const losses: number[] = [];
  for (let i = 0; i < 4; i++) {
    const l = optimizer.minimize(loss, true) as Scalar;
    losses.push((await l.data())[0]);
    l.dispose();
  }
  const weights = await Promise.all(
    [w1, w2, w3].map(async (w) => (await w.data()) as Float32Array),
  );
  optimizer.dispose();
  tf.dispose([img, target, w1, w2, w3]);
  equal(tf.memory().numTensors, before, "the workload leaks tensors");
  return { matmul, conv, losses, weights };
}

function assertSame(actual: Results, expected: Results): void {
  assertClose(actual.matmul, expected.matmul, { atol: 1e-4, rtol: 1e-5 });
  assertClose(actual.conv, expected.conv, { atol: 1e-4, rtol: 1e-5 });
  assertClose(actual.losses, expected.losses, { rtol: 1e-5 });
  for (let i = 0; i < 3; i++) {
    assertClose(actual.weights[i], expected.weights[i], {
      atol: 1e-6,
      rtol: 1e-5,
    });
  }
}

// Tests run in order; the first records the single-threaded build's results.
let reference: Results | undefined;

Deno.test("wasmThreadsStatus() reports the single-threaded build before enableWasmThreads()", async () => {
  await tf.setBackend("wasm");
  deepEqual(wasmThreadsStatus(), { active: false, threads: 1 });
  reference = await workload();
  // The training really trains: the loss goes down.
  ok(reference.losses[3] < reference.losses[0], `${reference.losses}`);
});

Deno.test("enableWasmThreads() rejects a thread count outside [1, 8]", async () => {
  for (const threads of [0, 9, 1.5, Number.NaN]) {
    await rejects(() => enableWasmThreads({ threads }), RangeError);
  }
  deepEqual(wasmThreadsStatus(), { active: false, threads: 1 });
});

Deno.test("enableWasmThreads() refuses to restart the backend while tensors are alive", async () => {
  const t = tf.ones([2, 2]);
  try {
    await rejects(
      () => enableWasmThreads({ threads: 2 }),
      (e: unknown) =>
        e instanceof BackendError &&
        e.message.startsWith('Cannot enable wasm threads: "1" tensors'),
    );
  } finally {
    t.dispose();
  }
  deepEqual(wasmThreadsStatus(), { active: false, threads: 1 });
});

Deno.test("enableWasmThreads() starts a 2-thread pool whose results equal the single-threaded build", async () => {
  assert(reference, "the first test records the reference");
  const before = tf.memory().numTensors;
  const report = await enableWasmThreads({ threads: 2 });
  deepEqual(report, {
    active: true,
    threads: 2,
    requested: 2,
    restarted: true,
  });
  equal(tf.getBackend(), "wasm");
  deepEqual(wasmThreadsStatus(), { active: true, threads: 2 });
  ok(wasmConvKernelsRegistered(), "our conv kernels stay registered");
  assertSame(await workload(), reference);
  equal(tf.memory().numTensors, before);
  // Same count again: nothing restarts.
  deepEqual(await enableWasmThreads({ threads: 2 }), {
    active: true,
    threads: 2,
    requested: 2,
    restarted: false,
  });
});

Deno.test("enableWasmThreads() switches the pool to 1 thread and back with equal results", async () => {
  assert(reference, "the first test records the reference");
  const one = await enableWasmThreads({ threads: 1 });
  deepEqual([one.active, one.threads, one.restarted], [false, 1, true]);
  deepEqual(wasmThreadsStatus(), { active: false, threads: 1 });
  assertSame(await workload(), reference);
  const two = await enableWasmThreads({ threads: 2 });
  deepEqual([two.active, two.threads], [true, 2]);
});

Deno.test("disableWasmThreads() goes back to the single-threaded build with equal results", async () => {
  assert(reference, "the first test records the reference");
  deepEqual(await disableWasmThreads(), { active: false, threads: 1 });
  equal(tf.getBackend(), "wasm");
  const backend = tf.backend() as unknown as { wasm: object };
  equal("PThread" in backend.wasm, false, "the single-threaded build runs");
  assertSame(await workload(), reference);
  // Idempotent, and enabling again works.
  deepEqual(await disableWasmThreads(), { active: false, threads: 1 });
  equal((await enableWasmThreads({ threads: 2 })).threads, 2);
});

Deno.test("enableWasmThreads() leaves no worker that keeps the process alive", async () => {
  const root = new URL("../../", import.meta.url);
  const code = `
    import { tf } from "./src/tf.ts";
    import { enableWasmThreads } from "./src/kernels/wasm_threads.ts";
    const r = await enableWasmThreads({ threads: 2 });
    const a = tf.ones([256, 256]);
    const s = (await tf.matMul(a, a).sum().data())[0];
    console.log(JSON.stringify({ threads: r.threads, s }));
  `;
  // A hanging child is killed by the signal and fails the test below.
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=ts", code],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  equal(out.signal, null, `the child was killed: ${stderr}`);
  equal(out.code, 0, stderr);
  deepEqual(JSON.parse(new TextDecoder().decode(out.stdout)), {
    threads: 2,
    s: 256 ** 3,
  });
});
