/**
 * Training of the compressed VAE (METHOD.md §2) and its variants: the VAE
 * step ({@linkcode VaeTrainStep}) run by the generic loop, then the trained
 * model with its latent bank.
 *
 * @module
 */
import { ensureBackend } from "../backend.ts";
import type { Tensor2D } from "../tf.ts";
import { tf } from "../tf.ts";
import type { Dataset } from "../data/dataset.ts";
import { assertDataset, subset } from "../data/dataset.ts";
import { splitEncoderHead } from "../model/encoder_head.ts";
import { type JsonObject, VaeModel } from "../model/vae_model.ts";
import { ShapeError } from "../errors.ts";
import { dataFingerprint } from "./fingerprint.ts";
import { trainLoop } from "./loop.ts";
import type { LoopOptions } from "./loop_options.ts";
import type { EpochLog } from "./vae_epoch_log.ts";
import {
  fingerprintOptions,
  type ResolvedTrainOptions,
  resolveTrainOptions,
  type TrainOptions,
} from "./vae_options.ts";
import {
  createVaeStep,
  type Net,
  VAE_KIND,
  type VaeBatch,
  type VaeTrainStep,
} from "./vae_step.ts";

/** Result of {@linkcode trainVAE}. */
export interface TrainResult {
  /** The trained model (dispose it when done). */
  model: VaeModel;
  /** One record per epoch, including epochs restored by a resume. */
  history: EpochLog[];
  /** Training stopped early (signal or Ctrl-C); a checkpoint was written. */
  interrupted: boolean;
  /**
   * The images held out for validation (`validationSplit`; sorted indices
   * into the dataset, empty without a split): not trained on, not in the bank.
   */
  validationIndices: number[];
}

/**
 * Trains a VAE of the chosen variant and preset on an image dataset.
 *
 * `paper`: one Adam on `rec + beta(t) * KL`, `beta(t) = beta_max
 * sqrt((t+1)/T)` (or with a warm-up). `authors`: two Adams per step, (1) the
 * encoder on `0.001 (rec + beta KL a(t))`, (2) the decoder on
 * `0.001 rec(decode(stopGradient(z)))` (both gradients from one backward
 * pass: the KL does not depend on the decoder, so the values equal the
 * released code's second decoder pass); beta = 1 during epoch 0, then
 * `2500 rec0 / (KL0 + 1e-3)`; the learning rate halves at the milestones.
 * z is `mu + sigma * eps`, normalised to radius sqrt(n) for `compressed` /
 * `vmf`; `ae` uses z = mu.
 *
 * With `outDir`, each epoch appends a JSON line to `train.jsonl` and writes a
 * checkpoint atomically (weights, optimiser moments, beta, history, and a
 * fingerprint of the data and options); `resume` continues from it with
 * results identical to an uninterrupted run on the same backend, and
 * refuses when the data or an option changed (see `TrainOptions.resume`).
 *
 * A loss or weight that becomes NaN or infinite stops training with a
 * {@linkcode DivergenceError} naming the last good checkpoint; no model is
 * returned.
 *
 * @param dataset Images in [0, 1], NHWC (labels needed with `semiSupervised`).
 * @param options See {@linkcode TrainOptions}.
 * @returns The model, the per-epoch history and whether it was interrupted.
 * @throws {RangeError} For bad options (e.g. n too small for the classes),
 *   pixel values outside [0, 1] (the decoder ends in a sigmoid), or a resume
 *   whose data or options differ from the checkpoint's.
 * @throws {ShapeError} For an empty dataset or one without labels when they are needed.
 * @throws {DivergenceError} When a loss or a weight becomes NaN or infinite.
 *
 * @example Two epochs on 64 tiny random images
 * ```ts
 * import assert from "node:assert/strict";
 * import { trainVAE } from "@hsvae/hsvae";
 *
 * const images = new Float32Array(64 * 28 * 28).map((_, i) => (i * 7919 % 255) / 255);
 * const { model, history } = await trainVAE(
 *   { images, shape: [64, 28, 28, 1] },
 *   { epochs: 2, batchSize: 32, latentDim: 16, widths: [4, 8], preset: "paper", progress: "none" },
 * );
 * assert.equal(history.length, 2);
 * assert.ok(Number.isFinite(history[1].loss));
 * model.dispose();
 * ```
 */
export async function trainVAE(
  dataset: Dataset,
  options: TrainOptions = {},
): Promise<TrainResult> {
  assertDataset(dataset, "dataset");
  await ensureBackend();
  const opts = resolveTrainOptions(options);
  assertTrainable(dataset, opts);
  const observed = assertPixelRange(dataset.images);
  let step: VaeTrainStep | undefined;
  let run;
  try {
    run = await trainLoop<VaeBatch, EpochLog>(
      await loopOptions(dataset, opts, options),
      async (
        checkpoint,
      ) => (step = await createVaeStep(
        dataset,
        opts,
        options.widths,
        checkpoint,
      )),
    );
  } catch (e) {
    step?.net.encoder.dispose();
    step?.net.decoder.dispose();
    throw e;
  }
  const { net } = step!;
  const model = new VaeModel(
    net.encoder,
    net.decoder,
    net.modelConfig,
    {
      ...opts,
      beta: step!.beta,
      epochsDone: run.history.length,
      toolkit: "trainVAE",
      // inputs are expected in [0, 1] (NHWC); record what this model saw
      normalisation: {
        expected: "pixel values in [0, 1]",
        observed,
      },
    } as unknown as JsonObject,
  );
  if (options.fitBank ?? true) {
    const idx = run.trainIndices;
    const bank = await encodeMu(
      net,
      idx.length === dataset.shape[0] ? dataset : subset(dataset, idx),
      opts.latentDim,
    );
    model.bank = { data: bank, shape: [idx.length, opts.latentDim] };
  }
  return {
    model,
    history: run.history,
    interrupted: run.interrupted,
    validationIndices: run.validationIndices,
  };
}

/** Rejects datasets the VAE cannot train on. */
function assertTrainable(dataset: Dataset, opts: ResolvedTrainOptions): void {
  const count = dataset.shape[0];
  if (count < 2) {
    throw new ShapeError(
      `Cannot train: the dataset has ${count} image(s), need at least 2`,
      "N >= 2",
      String(count),
    );
  }
  if (opts.semiSupervised && !dataset.labels) {
    throw new ShapeError(
      "Cannot train semi-supervised: the dataset has no labels; drop semiSupervised or load labels",
      "labels",
      "none",
    );
  }
}

/**
 * The generic loop's options of a VAE run; with `outDir`, its fingerprint
 * (the data's and {@linkcode fingerprintOptions}).
 */
async function loopOptions(
  dataset: Dataset,
  opts: ResolvedTrainOptions,
  options: TrainOptions,
): Promise<LoopOptions<EpochLog>> {
  const fingerprint = options.outDir === undefined ? null : {
    data: await dataFingerprint(dataset, options.dataSource),
    options: fingerprintOptions(opts, options.widths),
  };
  return {
    kind: VAE_KIND,
    size: dataset.shape[0],
    epochs: opts.epochs,
    batchSize: opts.batchSize,
    learningRate: opts.learningRate,
    lrMilestones: opts.lrMilestones,
    seed: opts.seed,
    validationSplit: opts.validationSplit,
    // batch statistics need two rows
    minBatchSize: 2,
    stratify: opts.semiSupervised ? dataset.labels : undefined,
    outDir: options.outDir,
    resume: options.resume,
    progress: options.progress,
    onEpoch: options.onEpoch,
    onStep: options.onStep,
    signal: options.signal,
    handleSigint: options.handleSigint,
    fingerprint,
  };
}

/** Encodes `ds` in batches to mus `[N, n]` (inference mode). */
async function encodeMu(
  net: Net,
  ds: Dataset,
  n: number,
  batch = 256,
): Promise<Float32Array> {
  const [count, h, w, c] = ds.shape;
  const f = h * w * c;
  const out = new Float32Array(count * n);
  for (let s = 0; s < count; s += batch) {
    const e = Math.min(count, s + batch);
    const mu = tf.tidy(() => {
      const x = tf.tensor4d(ds.images.subarray(s * f, e * f), [e - s, h, w, c]);
      const o = net.encoder.apply(x, { training: false }) as Tensor2D;
      return splitEncoderHead(o, n).mu;
    });
    out.set(await mu.data(), s * n);
    mu.dispose();
  }
  return out;
}

/**
 * Smallest and largest pixel value, after checking they lie in [0, 1]: the
 * decoder ends in a sigmoid, so no variant can reconstruct other values
 * (0..255 images would train to a loss of ~1e13 without learning).
 */
function assertPixelRange(images: Float32Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  let bad = 0;
  for (let i = 0; i < images.length; i++) {
    const v = images[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
    if (v !== v) bad++; // NaN
  }
  if (bad > 0 || lo === -Infinity || hi === Infinity) {
    throw new RangeError(
      `Cannot train: ${
        bad > 0 ? `${bad} pixel value(s) are NaN` : "pixel values are infinite"
      }, expected values in [0, 1]; clean or drop those images`,
    );
  }
  if (lo < 0 || hi > 1) {
    const fix = lo >= 0 && hi <= 255 ? "divide by 255" : "rescale to [0, 1]";
    throw new RangeError(
      `Cannot train: pixel values span [${lo}, ${hi}], expected [0, 1]; ${fix}`,
    );
  }
  return [lo, hi];
}
