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
import { resolveTrainOptions, selectBackend } from "../mod.ts";
import { tf } from "../src/tf.ts";
import { createVaeStep } from "../src/train/vae_step.ts";
import { createOptimizers, optimizeStep } from "../src/train/optimize_step.ts";

const report = await selectBackend();
console.log(`backend: ${report.backend} (${report.reason})`);

const BATCH = 128;
const N = 128;
const images = new Float32Array(BATCH * 28 * 28).map((_, i) =>
  (i * 7919 % 255) / 255
);
const indices = Array.from({ length: BATCH }, (_, i) => i);

/** The step trainVAE runs, fed one fixed batch (built inside the timed region, as in training). */
async function setup(
  variant: "vae" | "compressed",
  preset: "paper" | "authors",
) {
  const opts = resolveTrainOptions({
    variant,
    preset,
    latentDim: N,
    batchSize: BATCH,
    seed: 1,
  });
  const step = await createVaeStep(
    { images, shape: [BATCH, 28, 28, 1] },
    opts,
    undefined,
    null,
  );
  const groups = createOptimizers(step, opts.learningRate);
  // epoch 1's schedule with beta fixed at 1 (no epoch 0 to tune it from)
  step.beta = 1;
  step.annealing = 1;
  let s = 0;
  return async () => {
    const ctx = { epoch: 1, step: s++, training: true };
    const batch = step.batch(indices);
    const { stats } = optimizeStep(step, batch, ctx, groups);
    tf.dispose(batch);
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
  const fn = await setup(c.variant, c.preset);
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
