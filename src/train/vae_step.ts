/**
 * The VAE as a {@linkcode TrainStep} of the generic loop: the forward pass
 * of every variant (METHOD.md §2), the `paper` / `authors` optimiser split,
 * the beta schedules, validation at z = mu, and the checkpointed state.
 * `trainVAE` and the training benchmark both run this step.
 *
 * @module
 */
import { variantNormalisesZ } from "../presets.ts";
import { tf } from "../tf.ts";
import type { LayersModel, Scalar, Tensor2D, Tensor4D } from "../tf.ts";
import type { Dataset } from "../data/dataset.ts";
import {
  authorsAnnealing,
  authorsBeta,
  betaSchedule,
  compressedLoss,
  type CompressedLossOptions,
  normaliseToSphere,
} from "../loss.ts";
import { splitEncoderHead } from "../model/encoder_head.ts";
import { loadLayersModel, saveLayersModel } from "../model/io.ts";
import { type ModelConfig, resolveModelConfig } from "../model/resnet.ts";
import { VaeModel } from "../model/vae_model.ts";
import type { Checkpoint } from "./checkpoint.ts";
import type {
  EpochSummary,
  StepContext,
  StepLosses,
  TrainStep,
  VariableGroup,
} from "./train_step.ts";
import {
  describeVaeEpoch,
  type EpochLog,
  PART_PREFIX,
  vaeEpochLog,
} from "./vae_epoch_log.ts";
import type { ResolvedTrainOptions } from "./vae_options.ts";

/** The model kind of VAE checkpoints. */
export const VAE_KIND = "vae";

/** The encoder and decoder being trained, with their configuration. */
export interface Net {
  /** Images `[N, H, W, C]` to the head `[N, 2n]` (mu, log-variance). */
  encoder: LayersModel;
  /** Latents `[N, n]` to images. */
  decoder: LayersModel;
  /** The configuration both were built from. */
  modelConfig: ModelConfig;
}

/**
 * A VAE training or validation batch (a type, not an interface, so it is a
 * `tf.TensorContainer`).
 */
export type VaeBatch = {
  /** Images `[B, H, W, C]`. */
  x: Tensor4D;
  /** Their classes, when training semi-supervised. */
  labels?: Int32Array;
};

/** Schedule values, noise seed and labels of one forward pass. */
export interface VaeStepContext {
  /** 0-based epoch. */
  epoch: number;
  /** The KL weight. */
  beta: number;
  /** The annealing factor a(t). */
  annealing: number;
  /** Seed of the reparameterisation noise. */
  noiseSeed: number;
  /** Batch classes (semi-supervised). */
  labels?: Int32Array;
}

/** The pieces of one forward pass. */
export interface VaeForward {
  /** `rec + beta * a * kl`. */
  loss: Scalar;
  /** Reconstruction error. */
  rec: Scalar;
  /** The KL-like term (before beta). */
  kl: Scalar;
  /** The KL parts. */
  parts: Record<string, Scalar>;
}

/** What a VAE checkpoint keeps besides the weights. */
export interface VaeStepState {
  /** The resolved options of the run. */
  options: ResolvedTrainOptions;
  /** The model configuration. */
  modelConfig: ModelConfig;
  /** The current beta. */
  beta: number;
  /** `authors`: epoch 0's mean rec and KL (beta's auto-tuning). */
  epoch0: { rec: number; kl: number };
}

/**
 * The loss options of a training or validation batch: the user's extra loss
 * options under the run's preset, variant, radius-only switch and epoch, and
 * the batch labels when training semi-supervised.
 *
 * @param opts The resolved training options.
 * @param epoch 0-based epoch.
 * @param labels Batch classes (used only when `semiSupervised`).
 * @returns Options for `compressedLoss`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveTrainOptions } from "./vae_options.ts";
 * import { lossOptions } from "./vae_step.ts";
 *
 * const o = lossOptions(resolveTrainOptions({ preset: "paper" }), 3);
 * assert.equal(o.preset, "paper");
 * assert.equal(o.epoch, 3);
 * assert.equal(o.labels, undefined);
 * ```
 */
export function lossOptions(
  opts: ResolvedTrainOptions,
  epoch: number,
  labels?: Int32Array,
): CompressedLossOptions {
  const out: CompressedLossOptions = {
    ...(opts.loss as CompressedLossOptions),
    preset: opts.preset,
    variant: opts.variant,
    radiusOnly: opts.radiusOnly,
    epoch,
  };
  if (opts.semiSupervised && labels) out.labels = labels;
  return out;
}

/**
 * Reconstruction error: squared error summed over pixels (`"sum"`) or
 * averaged over them (`"mean"`), then the mean over the batch.
 *
 * @param x Images `[N, H, W, C]`.
 * @param xHat Reconstructions, same shape.
 * @param kind `"sum"` or `"mean"` over pixels.
 * @returns The scalar error.
 *
 * @example
 * ```ts
 * import { selectBackend } from "../backend.ts";
 * import assert from "node:assert/strict";
 * import { tf } from "../tf.ts";
 * import { reconstructionError } from "./vae_step.ts";
 * await selectBackend("wasm");
 *
 * const x = tf.zeros([2, 2, 2, 1]) as tf.Tensor4D;
 * const y = tf.onesLike(x);
 * const e = reconstructionError(x, y, "sum");
 * assert.equal((await e.data())[0], 4);
 * tf.dispose([x, y, e]);
 * ```
 */
export function reconstructionError(
  x: Tensor4D,
  xHat: tf.Tensor,
  kind: "sum" | "mean",
): Scalar {
  const se = tf.sum(tf.square(tf.sub(x, xHat)), [1, 2, 3]);
  const perSample = kind === "sum"
    ? se
    : tf.div(se, x.shape[1] * x.shape[2] * x.shape[3]);
  return tf.mean(perSample) as Scalar;
}

/** mu and sigma of the encoder head (log-variance clipped). */
function posterior(
  out: Tensor2D,
  n: number,
): { mu: Tensor2D; sigma: Tensor2D } {
  const { mu, logVar } = splitEncoderHead(out, n);
  return { mu, sigma: tf.exp(tf.mul(logVar, 0.5)) as Tensor2D };
}

/**
 * The forward pass of a training batch: z is `mu + sigma * eps`, normalised
 * to radius sqrt(n) for `compressed` / `vmf` (`ae`: z = mu), and the
 * objective is `rec + beta * a * KL`.
 *
 * @param net Encoder and decoder.
 * @param x Images `[N, H, W, C]`.
 * @param opts The resolved training options.
 * @param ctx Schedule values, noise seed and labels.
 * @returns The objective and its pieces (inside the caller's tidy or tape).
 *
 * @example
 * ```ts
 * import { selectBackend } from "../backend.ts";
 * import assert from "node:assert/strict";
 * import { tf } from "../tf.ts";
 * import { VaeModel } from "../model/vae_model.ts";
 * import { resolveTrainOptions } from "./vae_options.ts";
 * import { forward } from "./vae_step.ts";
 * await selectBackend("wasm");
 *
 * using m = VaeModel.create({ latentDim: 8, widths: [4, 8], seed: 1 });
 * const net = { encoder: m.encoder, decoder: m.decoder, modelConfig: m.config };
 * const opts = resolveTrainOptions({ preset: "paper", variant: "vae", latentDim: 8 });
 * const loss = tf.tidy(() => {
 *   const x = tf.zeros([2, 28, 28, 1]) as tf.Tensor4D;
 *   return forward(net, x, opts, { epoch: 0, beta: 1, annealing: 1, noiseSeed: 1 }).loss;
 * });
 * assert.ok(Number.isFinite((await loss.data())[0]));
 * loss.dispose();
 * ```
 */
export function forward(
  net: Net,
  x: Tensor4D,
  opts: ResolvedTrainOptions,
  ctx: VaeStepContext,
): VaeForward {
  const n = opts.latentDim;
  const out = net.encoder.apply(x, { training: true }) as Tensor2D;
  const { mu, sigma } = posterior(out, n);
  let z: Tensor2D;
  if (opts.variant === "ae") {
    z = mu;
  } else {
    // tfjs treats seed 0 as "unseeded" (Math.random): keep it positive
    const eps = tf.randomNormal(mu.shape, 0, 1, "float32", ctx.noiseSeed + 1);
    z = tf.add(mu, tf.mul(sigma, eps)) as Tensor2D;
    if (variantNormalisesZ(opts.variant)) z = normaliseToSphere(z);
  }
  const xHat = net.decoder.apply(z, { training: true }) as tf.Tensor;
  const rec = reconstructionError(x, xHat, opts.reconstruction);
  const { total, parts } = compressedLoss(
    mu,
    sigma,
    lossOptions(opts, ctx.epoch, ctx.labels),
  );
  const loss = tf.add(rec, tf.mul(total, ctx.beta * ctx.annealing)) as Scalar;
  return {
    loss,
    rec,
    kl: total,
    parts: parts as unknown as Record<string, Scalar>,
  };
}

/** Copies the images of `idx` into `buf` and returns an NHWC tensor. */
function batchTensor(ds: Dataset, idx: number[], buf: Float32Array): Tensor4D {
  const [, h, w, c] = ds.shape;
  const f = h * w * c;
  for (let j = 0; j < idx.length; j++) {
    buf.set(ds.images.subarray(idx[j] * f, (idx[j] + 1) * f), j * f);
  }
  return tf.tensor4d(buf.subarray(0, idx.length * f), [idx.length, h, w, c]);
}

function trainableVars(model: LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

/**
 * The VAE step. `paper`: one Adam on `rec + beta(t) KL` over encoder and
 * decoder. `authors`: two Adams from one backward pass of
 * `0.001 (rec + beta KL a(t))`, the encoder's (group `enc`) and the
 * decoder's (group `dec`): the KL does not depend on the decoder and the
 * encoder step leaves the decoder as it was, so the decoder's gradient
 * equals the released code's second pass on `0.001 rec(decode(
 * stopGradient(z)))` (the same values, ~20% less work per step). beta is 1
 * during epoch 0, then `2500 rec0 / (KL0 + 1e-3)` (or fixed).
 *
 * @example One optimisation step through the loop's pieces
 * ```ts
 * import { selectBackend } from "../backend.ts";
 * import assert from "node:assert/strict";
 * import { tf } from "../tf.ts";
 * import { createOptimizers, optimizeStep } from "./optimize_step.ts";
 * import { resolveTrainOptions } from "./vae_options.ts";
 * import { createVaeStep } from "./vae_step.ts";
 * await selectBackend("wasm");
 *
 * const images = new Float32Array(8 * 28 * 28).map((_, i) => (i % 7) / 7);
 * const opts = resolveTrainOptions({ latentDim: 8, batchSize: 8 });
 * const step = await createVaeStep({ images, shape: [8, 28, 28, 1] }, opts, [4, 8], null);
 * const groups = createOptimizers(step, opts.learningRate);
 * step.beginEpoch(0);
 * const ctx = { epoch: 0, step: 0, training: true };
 * const batch = step.batch([0, 1, 2, 3, 4, 5, 6, 7]);
 * const { names, stats } = optimizeStep(step, batch, ctx, groups);
 * assert.deepEqual(names.slice(0, 3), ["loss", "rec", "kl"]);
 * tf.dispose([batch.x, stats]);
 * groups.forEach((g) => g.optimizer.dispose());
 * step.net.encoder.dispose();
 * step.net.decoder.dispose();
 * ```
 */
export class VaeTrainStep implements TrainStep<VaeBatch, EpochLog> {
  /** The encoder and decoder being trained. */
  readonly net: Net;
  /** `enc` (and `dec` for `authors`). */
  readonly variableGroups: readonly VariableGroup[];
  /** The KL weight of the current epoch. */
  beta: number;
  /** The annealing factor of the current epoch. */
  annealing = 1;
  /** `authors`: epoch 0's mean rec and KL. */
  epoch0: { rec: number; kl: number };
  readonly #opts: ResolvedTrainOptions;
  readonly #dataset: Dataset;
  readonly #buf: Float32Array;

  /**
   * @param net Encoder and decoder (fresh or from a checkpoint).
   * @param dataset The training images.
   * @param opts The resolved training options.
   * @param restored The state of a checkpoint being resumed.
   */
  constructor(
    net: Net,
    dataset: Dataset,
    opts: ResolvedTrainOptions,
    restored?: VaeStepState,
  ) {
    this.net = net;
    this.#opts = opts;
    this.#dataset = dataset;
    const [, h, w, c] = dataset.shape;
    this.#buf = new Float32Array(opts.batchSize * h * w * c);
    const authors = opts.preset === "authors";
    const enc = trainableVars(net.encoder);
    const dec = trainableVars(net.decoder);
    this.variableGroups = authors
      ? [{ name: "enc", variables: enc }, { name: "dec", variables: dec }]
      : [{ name: "enc", variables: [...enc, ...dec] }];
    this.beta = restored?.beta ?? (authors ? (opts.beta ?? 1) : 0);
    this.epoch0 = restored?.epoch0 ?? { rec: NaN, kl: NaN };
  }

  /** Sets beta and the annealing factor of `epoch`. */
  beginEpoch(epoch: number): void {
    const opts = this.#opts;
    this.annealing = 1;
    if (opts.preset === "authors") {
      this.annealing = authorsAnnealing(epoch);
      if (epoch > 0 && opts.beta === null) {
        this.beta = authorsBeta(this.epoch0.rec, this.epoch0.kl);
      }
    } else {
      this.beta = betaSchedule(epoch, {
        betaMax: opts.beta ?? 1,
        epochs: opts.epochs,
        warmup: opts.warmup ?? undefined,
      });
    }
  }

  /** The images (and, semi-supervised, the classes) of `indices`. */
  batch(indices: number[]): VaeBatch {
    const x = batchTensor(this.#dataset, indices, this.#buf);
    if (!this.#opts.semiSupervised) return { x };
    const labels = this.#dataset.labels!;
    return { x, labels: Int32Array.from(indices, (i) => labels[i]) };
  }

  /** Objective and `loss`, `rec`, `kl`, `parts.<name>` of a batch. */
  losses(batch: VaeBatch, ctx: StepContext): StepLosses {
    const opts = this.#opts;
    const g = forward(this.net, batch.x, opts, {
      epoch: ctx.epoch,
      beta: this.beta,
      annealing: this.annealing,
      noiseSeed: opts.seed * 1_000_003 + ctx.epoch * 10_007 + ctx.step,
      labels: batch.labels,
    });
    const scale = opts.preset === "authors" ? 0.001 : 1;
    const parts = Object.entries(g.parts).map(([k, v]) => [PART_PREFIX + k, v]);
    return {
      objective: tf.mul(g.loss, scale) as Scalar,
      losses: {
        loss: g.loss,
        rec: g.rec,
        kl: g.kl,
        ...Object.fromEntries(parts),
      },
    };
  }

  /** Validation `rec` and `kl` at z = mu (on the sphere when spherical). */
  validationLosses(batch: VaeBatch, ctx: StepContext): Record<string, Scalar> {
    const opts = this.#opts;
    const out = this.net.encoder.apply(batch.x, {
      training: false,
    }) as Tensor2D;
    const { mu, sigma } = posterior(out, opts.latentDim);
    const z = variantNormalisesZ(opts.variant) ? normaliseToSphere(mu) : mu;
    const xHat = this.net.decoder.apply(z, { training: false }) as tf.Tensor;
    const { total } = compressedLoss(mu, sigma, {
      ...lossOptions(opts, ctx.epoch, batch.labels),
      allowMissingClasses: true,
    });
    return {
      rec: reconstructionError(batch.x, xHat, opts.reconstruction),
      kl: total,
    };
  }

  /** The epoch's record; `authors` keeps epoch 0's rec and KL for beta. */
  epochLog(summary: EpochSummary): EpochLog {
    const log = vaeEpochLog(summary, {
      beta: this.beta,
      annealing: this.annealing,
    });
    if (this.#opts.preset === "authors" && summary.epoch === 0) {
      this.epoch0 = { rec: log.rec, kl: log.kl };
    }
    return log;
  }

  /** The progress line of an epoch. */
  describe(log: EpochLog): string {
    return describeVaeEpoch(log);
  }

  /** Options, model configuration, beta and epoch-0 statistics. */
  state(): VaeStepState {
    return {
      options: this.#opts,
      modelConfig: this.net.modelConfig,
      beta: this.beta,
      epoch0: this.epoch0,
    };
  }

  /** Writes `encoder/` and `decoder/` into `dir`. */
  async save(dir: string): Promise<void> {
    await saveLayersModel(this.net.encoder, `${dir}/encoder`);
    await saveLayersModel(this.net.decoder, `${dir}/decoder`);
  }
}

/**
 * Builds the VAE step: a fresh model from the options, or the checkpoint's
 * model and state when resuming (`trainLoop` has already checked, through
 * the run's fingerprint, that the data and options are unchanged).
 *
 * @param dataset The training images `[N, H, W, C]`.
 * @param opts The resolved training options.
 * @param widths Encoder stage widths (fresh models only).
 * @param checkpoint The checkpoint being resumed, or `null`.
 * @returns The step.
 *
 * @example A fresh step
 * ```ts
 * import { selectBackend } from "../backend.ts";
 * import assert from "node:assert/strict";
 * import { resolveTrainOptions } from "./vae_options.ts";
 * import { createVaeStep } from "./vae_step.ts";
 * await selectBackend("wasm");
 *
 * const images = new Float32Array(2 * 28 * 28);
 * const step = await createVaeStep({ images, shape: [2, 28, 28, 1] }, resolveTrainOptions({ preset: "paper", latentDim: 8 }), [4, 8], null);
 * assert.equal(step.variableGroups.length, 1);
 * step.net.encoder.dispose();
 * step.net.decoder.dispose();
 * ```
 */
export async function createVaeStep(
  dataset: Dataset,
  opts: ResolvedTrainOptions,
  widths: number[] | undefined,
  checkpoint: Checkpoint | null,
): Promise<VaeTrainStep> {
  if (!checkpoint) {
    const [, h, w, c] = dataset.shape;
    const modelConfig = resolveModelConfig({
      inputShape: [h, w, c],
      latentDim: opts.latentDim,
      widths,
      seed: opts.seed,
    });
    const m = VaeModel.create(modelConfig);
    const net = { encoder: m.encoder, decoder: m.decoder, modelConfig };
    return new VaeTrainStep(net, dataset, opts);
  }
  const state = checkpoint.state.model as VaeStepState;
  const net = {
    encoder: await loadLayersModel(`${checkpoint.path}/encoder`),
    decoder: await loadLayersModel(`${checkpoint.path}/decoder`),
    modelConfig: state.modelConfig,
  };
  return new VaeTrainStep(net, dataset, opts, state);
}
