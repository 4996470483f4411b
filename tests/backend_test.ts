import { assertClose, deepEqual, equal, ok, rejects } from "./_assert.ts";
import {
  angleCosines,
  BackendError,
  probeWebGpu,
  selectBackend,
} from "../mod.ts";
import { tf } from "../src/tf.ts";

Deno.test("selectBackend() starts an explicitly requested backend", async (t) => {
  await t.step("wasm with SIMD", async () => {
    const r = await selectBackend("wasm");
    equal(r.backend, "wasm");
    equal(tf.getBackend(), "wasm");
    equal(r.source, "argument");
    equal(r.wasm.simd, true);
    equal(r.wasm.threads, navigator.hardwareConcurrency > 1); // our threaded-SIMD start
  });
  await t.step("cpu", async () => {
    const r = await selectBackend("cpu");
    equal(r.backend, "cpu");
    equal(tf.getBackend(), "cpu");
  });
  await selectBackend("wasm");
});

Deno.test("selectBackend() rejects unknown names with a RangeError", async () => {
  await rejects(
    // deno-lint-ignore no-explicit-any
    () => selectBackend("webgl" as any),
    (e: Error) =>
      e instanceof RangeError &&
      /use one of auto, webgpu, wasm, cpu/.test(e.message),
  );
});

Deno.test("selectBackend() reads HSVAE_BACKEND when no choice is given", async () => {
  // in a child process: the variable is process-wide, and the test runner
  // may run other test modules (and their subprocesses) at the same time
  const module = new URL("../src/backend.ts", import.meta.url).href;
  const run = async (value: string, code: string) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `const { selectBackend } = await import(${JSON.stringify(module)});
         ${code}`,
      ],
      env: { HSVAE_BACKEND: value },
    }).output();
    return {
      code: out.code,
      stdout: new TextDecoder().decode(out.stdout).trim(),
      stderr: new TextDecoder().decode(out.stderr),
    };
  };
  const cpu = await run(
    "cpu",
    `const r = await selectBackend();
     console.log(JSON.stringify([r.backend, r.source]));`,
  );
  deepEqual(JSON.parse(cpu.stdout), ["cpu", "env"], cpu.stderr);
  const bad = await run(
    "tpu",
    `try { await selectBackend(); } catch (e) { console.log(e.message); }`,
  );
  ok(/HSVAE_BACKEND="tpu"/.test(bad.stdout), bad.stdout + bad.stderr);
  // an explicit choice wins over the variable
  const explicit = await run(
    "cpu",
    `console.log((await selectBackend("wasm")).backend);`,
  );
  equal(explicit.stdout, "wasm", explicit.stderr);
});

Deno.test("selectBackend('auto') prefers a real GPU adapter, else WASM-SIMD", async () => {
  try {
    const gpu = await probeWebGpu();
    const r = await selectBackend("auto");
    if (gpu.available && !gpu.isFallback) {
      equal(r.backend, "webgpu");
    } else {
      equal(r.backend, "wasm");
      ok(/software fallback|no WebGPU adapter/.test(r.reason), r.reason);
    }
    equal(r.webgpu.available, gpu.available);
  } finally {
    await selectBackend("wasm");
  }
});

/** The same small computation: transform values and gradients, a conv, a matmul. */
async function workload(): Promise<Float32Array> {
  const x = tf.tensor2d(
    Array.from({ length: 6 * 10 }, (_, i) => Math.sin(i * 1.7) * (1 + (i % 7))),
    [6, 10],
  );
  const { value, grad } = tf.valueAndGrad((v: tf.Tensor) => {
    const { radius, cosines } = angleCosines(v as tf.Tensor2D);
    return tf.add(tf.sum(tf.square(cosines)), tf.sum(radius));
  })(x);
  const img = tf.reshape(tf.range(0, 2 * 8 * 8 * 3).div(100), [
    2,
    8,
    8,
    3,
  ]) as tf.Tensor4D;
  const w = tf.reshape(tf.range(0, 3 * 3 * 3 * 4).div(50).sin(), [
    3,
    3,
    3,
    4,
  ]) as tf.Tensor4D;
  const conv = tf.conv2d(img, w, 2, "same");
  const mm = tf.matMul(x, x, false, true);
  const all = tf.concat([
    value.reshape([-1]),
    grad.reshape([-1]),
    conv.reshape([-1]),
    mm.reshape([-1]),
  ]);
  const out = (await all.data()) as Float32Array;
  tf.dispose([x, value, grad, img, w, conv, mm, all]);
  return out;
}

Deno.test("wasm and webgpu compute the same results", async (t) => {
  const gpu = await probeWebGpu();
  if (!gpu.available) {
    console.log(`skipped: no WebGPU adapter (${gpu.error})`);
    t.step({ name: "webgpu (no adapter)", ignore: true, fn: () => {} });
    return;
  }
  await selectBackend("wasm");
  const a = await workload();
  try {
    await selectBackend("webgpu");
  } catch (e) {
    if (e instanceof BackendError) {
      console.log(`skipped: ${e.message}`);
      return;
    }
    throw e;
  }
  const b = await workload();
  await selectBackend("wasm");
  // float32 on two different kernels (reduction order differs): 1e-4 relative
  assertClose(b, a, { rtol: 1e-4, atol: 1e-4 });
});
