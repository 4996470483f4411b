/**
 * The hyperspherical overhead: one training step (forward, backward, Adam) of
 * the reference model (batch 128, 28x28x1, n = 128) with the `vae` loss, the
 * compressed loss of the `paper` preset and that of the `authors` preset, on
 * the selected backend (`HSVAE_BACKEND`, else auto). The ratio
 * compressed / vae is the cost of the hyperspherical terms (the paper reports
 * +32% at n = 200; our target is under 2%).
 *
 *     deno bench -A bench/train_bench.ts
 */
import { resolveTrainOptions, selectBackend, VaeModel } from "../mod.ts";
import { tf } from "../src/tf.ts";
import { type Net, trainStep } from "../src/_train_step.ts";

const report = await selectBackend();
console.log(`backend: ${report.backend} (${report.reason})`);

const BATCH = 128;
const N = 128;
const x = tf.tidy(() =>
  tf.randomUniform([BATCH, 28, 28, 1], 0, 1, "float32", 1)
) as tf.Tensor4D;

function setup(variant: "vae" | "compressed", preset: "paper" | "authors") {
  const model = VaeModel.create({ latentDim: N, seed: 1 });
  const net: Net = {
    encoder: model.encoder,
    decoder: model.decoder,
    modelConfig: model.config,
  };
  const opts = resolveTrainOptions({
    variant,
    preset,
    latentDim: N,
    batchSize: BATCH,
  });
  const enc = tf.train.adam(opts.learningRate);
  const dec = preset === "authors"
    ? tf.train.adam(opts.learningRate)
    : undefined;
  let step = 0;
  return async () => {
    const ctx = { epoch: 1, beta: 1, annealing: 1, noiseSeed: step++ };
    const { stats } = trainStep(net, x, opts, ctx, enc, dec);
    await stats.data(); // read back inside the timed region
    stats.dispose();
  };
}

const cases = [
  { name: "vae (paper loss)", variant: "vae", preset: "paper", baseline: true },
  { name: "compressed / paper", variant: "compressed", preset: "paper" },
  {
    name: "compressed / authors (two Adams, one backward pass)",
    variant: "compressed",
    preset: "authors",
  },
] as const;

for (const c of cases) {
  const fn = setup(c.variant, c.preset);
  await fn(); // warm-up: optimiser state, kernel compilation
  Deno.bench({
    name: c.name,
    group: `training step, batch ${BATCH}, 28x28x1, n=${N}`,
    baseline: "baseline" in c,
    n: 8,
    warmup: 1,
    fn,
  });
}
