/**
 * The WebGPU path end to end — training and k-NN scoring — against WASM on
 * the same data and initial weights. Runs on the software adapter here
 * (llvmpipe), so the model is tiny.
 */
import { assertClose, ok } from "./_assert.ts";
import {
  KnnDetector,
  loadBundled,
  probeWebGpu,
  selectBackend,
  subset,
  trainVAE,
} from "../mod.ts";

async function tinyRun(): Promise<{ losses: number[]; scores: Float32Array }> {
  const { train } = await loadBundled();
  const ds = subset(train, Array.from({ length: 32 }, (_, i) => i));
  const { model, history } = await trainVAE(ds, {
    preset: "paper",
    latentDim: 8,
    widths: [4, 8],
    epochs: 2,
    batchSize: 16,
    seed: 5,
    progress: "none",
  });
  const bank = model.bank!;
  const knn = await new KnnDetector({ k: 3 }).fit({
    data: bank.data,
    rows: bank.shape[0],
    cols: bank.shape[1],
  });
  const q = await model.encode(ds.images.subarray(0, 8 * 784), [8, 28, 28, 1]);
  const scores = await knn.score({ data: q.mu, rows: 8, cols: 8 });
  model.dispose();
  return { losses: history.map((h) => h.loss), scores };
}

Deno.test("training and k-NN scoring on webgpu match wasm", async () => {
  const gpu = await probeWebGpu();
  if (!gpu.available) {
    console.log(`skipped: no WebGPU adapter (${gpu.error})`);
    return;
  }
  await selectBackend("wasm");
  const a = await tinyRun();
  await selectBackend("webgpu");
  let b: { losses: number[]; scores: Float32Array };
  try {
    b = await tinyRun();
  } finally {
    await selectBackend("wasm");
  }
  // Same seeds and weights; float32 kernels with different summation orders
  // drift over 4 Adam steps: 1e-3 relative on the losses and scores.
  assertClose(b.losses, a.losses, { rtol: 1e-3 });
  assertClose(b.scores, a.scores, { rtol: 1e-3, atol: 1e-4 });
  ok(a.losses[1] < a.losses[0]);
});
