/**
 * One training step of the reference model (28x28x1, n = 128, batch 128, a
 * plain VAE loss: summed-pixel MSE + Gaussian KL, Adam) on `wasm` with the
 * toolkit's conv gradient kernels, next to the same model's forward pass
 * alone (the baseline), so the backward/forward ratio is visible. Prints
 * images/s of both after the runs.
 *
 *     deno bench -A bench/train_step_bench.ts
 *
 * @module
 */
import { tf } from "../src/tf.ts";
import { wasmConvKernelsRegistered } from "../src/kernels/wasm_conv.ts";
import { buildDecoder, buildEncoder } from "../src/model/resnet.ts";
import type { Scalar, Tensor, Tensor2D, Tensor4D } from "../src/tf.ts";

const BATCH = 128;
const N = 128;

await tf.setBackend("wasm");
if (!wasmConvKernelsRegistered()) throw new Error("wasm conv kernels missing");

const encoder = buildEncoder({
  inputShape: [28, 28, 1],
  latentDim: N,
  seed: 1,
});
const decoder = buildDecoder({
  inputShape: [28, 28, 1],
  latentDim: N,
  seed: 2,
});
const x = tf.randomUniform([BATCH, 28, 28, 1], 0, 1, "float32", 3) as Tensor4D;
const optimizer = tf.train.adam(1e-3);
let epsSeed = 0;

function loss(): Scalar {
  const out = encoder.apply(x) as Tensor2D;
  const mu = out.slice([0, 0], [BATCH, N]);
  const logVar = out.slice([0, N], [BATCH, N]);
  const eps = tf.randomNormal([BATCH, N], 0, 1, "float32", epsSeed++);
  const z = mu.add(logVar.mul(0.5).exp().mul(eps));
  const xHat = decoder.apply(z) as Tensor4D;
  const mse = xHat.sub(x).square().sum().div(BATCH);
  const kl = logVar.exp().add(mu.square()).sub(1).sub(logVar).sum().mul(
    0.5 / BATCH,
  );
  return mse.add(kl) as Scalar;
}

const timings: Record<string, number[]> = { forward: [], step: [] };

async function timed(name: string, f: () => Tensor): Promise<void> {
  const t0 = performance.now();
  const v = f();
  await v.data();
  v.dispose();
  timings[name].push(performance.now() - t0);
}

// warm-up: XNNPACK operator caches and the optimizer's slots
for (let i = 0; i < 2; i++) {
  tf.tidy(() => optimizer.minimize(loss, true) as Scalar).dispose();
}

Deno.bench({
  name: "forward (encoder + sample + decoder + loss), batch 128",
  group: "train-step",
  baseline: true,
  n: 10,
  warmup: 1,
  async fn() {
    await timed("forward", () => tf.tidy(loss));
  },
});

Deno.bench({
  name: "training step (forward + backward + Adam), batch 128",
  group: "train-step",
  n: 10,
  warmup: 1,
  async fn() {
    await timed(
      "step",
      () => tf.tidy(() => optimizer.minimize(loss, true) as Scalar),
    );
  },
});

globalThis.addEventListener("unload", () => {
  const median = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1];
  const f = median(timings.forward);
  const s = median(timings.step);
  console.log(
    `forward ${(BATCH / f * 1000).toFixed(0)} images/s (${f.toFixed(0)} ms), ` +
      `step ${(BATCH / s * 1000).toFixed(0)} images/s (${s.toFixed(0)} ms), ` +
      `backward/forward ${((s - f) / f).toFixed(2)}`,
  );
});
