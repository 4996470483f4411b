/**
 * WASM threads: the same work on tfjs-backend-wasm's single-threaded SIMD
 * build (the baseline), then on its threaded-SIMD build with a pool of 1 and
 * of 2 threads (`enableWasmThreads`), in one run: a 512x512 matmul, a conv
 * forward (batch 128, 28x28, 16 -> 16, 3x3, same) and one training step of
 * the reference model (28x28x1, n = 128, batch 128, summed-pixel MSE +
 * Gaussian KL, Adam) with the toolkit's conv gradient kernels. Prints ms and
 * images/s of every case after the runs.
 *
 *     deno bench -A bench/threads_bench.ts
 *
 * @module
 */
import { tf } from "../src/tf.ts";
import { wasmConvKernelsRegistered } from "../src/kernels/wasm_conv.ts";
import {
  disableWasmThreads,
  enableWasmThreads,
  wasmThreadsStatus,
} from "../src/kernels/wasm_threads.ts";
import { buildDecoder, buildEncoder } from "../src/model/resnet.ts";
import type {
  LayersModel,
  Optimizer,
  Scalar,
  Tensor,
  Tensor2D,
  Tensor4D,
} from "../src/tf.ts";

const BATCH = 128;
const N = 128;
const CONFIGS = ["simd", "threaded x1", "threaded x2"] as const;
type Config = typeof CONFIGS[number];

interface State {
  a: Tensor2D;
  x: Tensor4D;
  f: Tensor4D;
  images: Tensor4D;
  encoder: LayersModel;
  decoder: LayersModel;
  optimizer: Optimizer;
}

let current: Config | undefined;
let state: State | undefined;
let epsSeed = 0;

function loss(s: State): Scalar {
  const out = s.encoder.apply(s.images) as Tensor2D;
  const mu = out.slice([0, 0], [BATCH, N]);
  const logVar = out.slice([0, N], [BATCH, N]);
  const eps = tf.randomNormal([BATCH, N], 0, 1, "float32", epsSeed++);
  const z = mu.add(logVar.mul(0.5).exp().mul(eps));
  const xHat = s.decoder.apply(z) as Tensor4D;
  const mse = xHat.sub(s.images).square().sum().div(BATCH);
  const kl = logVar.exp().add(mu.square()).sub(1).sub(logVar).sum().mul(
    0.5 / BATCH,
  );
  return mse.add(kl) as Scalar;
}

/** Disposes everything, restarts the backend as `config`, rebuilds. */
async function use(config: Config): Promise<State> {
  if (current === config && state) return state;
  if (state) {
    tf.dispose([state.a, state.x, state.f, state.images]);
    state.encoder.dispose();
    state.decoder.dispose();
    state.optimizer.dispose();
    state = undefined;
  }
  if (config === "simd") await disableWasmThreads();
  else await enableWasmThreads({ threads: config === "threaded x1" ? 1 : 2 });
  if (!wasmConvKernelsRegistered()) {
    throw new Error("wasm conv kernels missing");
  }
  const s: State = {
    a: tf.randomNormal([512, 512], 0, 1, "float32", 1) as Tensor2D,
    x: tf.randomNormal([BATCH, 28, 28, 16], 0, 1, "float32", 2) as Tensor4D,
    f: tf.randomNormal([3, 3, 16, 16], 0, 0.1, "float32", 3) as Tensor4D,
    images: tf.randomUniform([BATCH, 28, 28, 1], 0, 1, "float32", 4),
    encoder: buildEncoder({ inputShape: [28, 28, 1], latentDim: N, seed: 1 }),
    decoder: buildDecoder({ inputShape: [28, 28, 1], latentDim: N, seed: 2 }),
    optimizer: tf.train.adam(1e-3),
  };
  // warm-up: XNNPACK operator caches and the optimizer's slots
  for (let i = 0; i < 2; i++) {
    tf.tidy(() => s.optimizer.minimize(() => loss(s), true) as Scalar)
      .dispose();
  }
  current = config;
  state = s;
  console.log(`${config}: ${JSON.stringify(wasmThreadsStatus())}`);
  return s;
}

const timings: Record<string, number[]> = {};

const WORKLOADS: Record<string, (s: State) => Tensor> = {
  "matmul 512x512": (s) => tf.matMul(s.a, s.a),
  "conv forward 128x28x28x16 -> 16": (s) => tf.conv2d(s.x, s.f, 1, "same"),
  "training step, batch 128": (s) =>
    tf.tidy(() => s.optimizer.minimize(() => loss(s), true) as Scalar),
};

for (const [workload, f] of Object.entries(WORKLOADS)) {
  for (const config of CONFIGS) {
    const key = `${workload} | ${config}`;
    timings[key] = [];
    Deno.bench({
      name: config,
      group: workload,
      baseline: config === "simd",
      n: workload.startsWith("training") ? 8 : 30,
      warmup: 2,
      async fn(b) {
        const s = await use(config);
        b.start();
        const t0 = performance.now();
        const v = f(s);
        await v.data();
        timings[key].push(performance.now() - t0);
        b.end();
        v.dispose();
      },
    });
  }
}

globalThis.addEventListener("unload", () => {
  const median = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1];
  for (const workload of Object.keys(WORKLOADS)) {
    const base = median(timings[`${workload} | simd`] ?? []);
    for (const config of CONFIGS) {
      const t = timings[`${workload} | ${config}`] ?? [];
      if (t.length === 0) continue;
      const m = median(t);
      const rate = workload.startsWith("matmul")
        ? ""
        : `, ${(BATCH / m * 1000).toFixed(0)} images/s`;
      console.log(
        `${workload} | ${config}: ${m.toFixed(2)} ms${rate}, speed-up ${
          (base / m).toFixed(2)
        }x`,
      );
    }
  }
});
