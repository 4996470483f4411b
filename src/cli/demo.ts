/**
 * `hsvae demo`: the main job on the bundled Fashion-MNIST subset, sized to
 * finish in a few minutes on 2 CPU cores with WASM-SIMD.
 *
 * @module
 */
import type { Command } from "./parse.ts";
import { runEvaluation } from "./eval.ts";

/** The demo's methods: pixel baselines, AE / VAE / vMF / Comp.VAE latents, the random-encoder control. */
export const DEMO_METHODS: readonly string[] = [
  "knn-pixels",
  "iforest-pixels",
  "ae-knn",
  "ae-mse",
  "vae-knn",
  "vae-mse",
  "vmf-knn",
  "compvae-knn",
  "random-knn",
];

/** Runs `demo`; returns the exit status. */
export async function runDemo(
  cmd: Extract<Command, { kind: "demo" }>,
): Promise<number> {
  return await runEvaluation(cmd.common, { path: "bundled" }, {
    kind: "one-class",
    normalClass: cmd.normalClass,
  }, {
    command: "demo",
    methods: DEMO_METHODS,
    seeds: [0],
    epochs: cmd.epochs,
    latentDim: 32,
    widths: [8, 16, 32],
    batchSize: 100,
    trainLimit: cmd.trainLimit,
    testLimit: cmd.testLimit,
    jobs: cmd.jobs,
    out: cmd.out,
    overwrite: cmd.overwrite,
  });
}
