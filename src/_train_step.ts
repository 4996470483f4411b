/**
 * One optimisation step of the trainer, shared by `trainVAE` and the
 * benchmarks so both time exactly the same work. Private to the toolkit.
 *
 * @module
 */
import { tf } from "./tf.ts";
import type { LayersModel, Tensor2D, Tensor4D } from "./tf.ts";
import {
  compressedLoss,
  type CompressedLossOptions,
  normaliseToSphere,
} from "./loss.ts";
import type { ModelConfig } from "./model/resnet.ts";
import { splitEncoderHead } from "./model/encoder_head.ts";
import type { ResolvedTrainOptions } from "./train.ts";

/**
 * The loss options of a training or validation batch: the user's extra loss
 * options under the run's preset, variant, radius-only switch and epoch, and
 * the batch labels when training semi-supervised.
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

/** Per-step context: schedule values, noise seed, labels. */
export interface StepContext {
  epoch: number;
  beta: number;
  annealing: number;
  noiseSeed: number;
  labels?: Int32Array;
}

export interface Net {
  encoder: LayersModel;
  decoder: LayersModel;
  modelConfig: ModelConfig;
}

export function encoderVars(net: Net): tf.Variable[] {
  return net.encoder.trainableWeights.map((w) => w.read() as tf.Variable);
}
export function decoderVars(net: Net): tf.Variable[] {
  return net.decoder.trainableWeights.map((w) => w.read() as tf.Variable);
}

/** mu, sigma from the encoder output `[N, 2n]` (log-variance clipped). */
export function splitHead(
  out: Tensor2D,
  n: number,
): { mu: Tensor2D; logVar: Tensor2D; sigma: Tensor2D } {
  const { mu, logVar } = splitEncoderHead(out, n);
  const sigma = tf.exp(tf.mul(logVar, 0.5)) as Tensor2D;
  return { mu, logVar, sigma };
}

export function reconstructionError(
  x: Tensor4D,
  xHat: tf.Tensor,
  kind: "sum" | "mean",
): tf.Scalar {
  const se = tf.sum(tf.square(tf.sub(x, xHat)), [1, 2, 3]);
  const perSample = kind === "sum"
    ? se
    : tf.div(se, x.shape[1] * x.shape[2] * x.shape[3]);
  return tf.mean(perSample) as tf.Scalar;
}

/** The pieces of one forward pass. */
interface StepOut {
  loss: tf.Scalar;
  rec: tf.Scalar;
  kl: tf.Scalar;
  parts: Record<string, tf.Scalar>;
}

/** Forward pass of one batch; returns the objective and its pieces. */
export function forward(
  net: Net,
  x: Tensor4D,
  opts: ResolvedTrainOptions,
  ctx: StepContext,
): StepOut {
  const n = opts.latentDim;
  const out = net.encoder.apply(x, { training: true }) as Tensor2D;
  const { mu, sigma } = splitHead(out, n);
  let z: Tensor2D;
  if (opts.variant === "ae") {
    z = mu;
  } else {
    // tfjs treats seed 0 as "unseeded" (Math.random): keep it positive
    const eps = tf.randomNormal(mu.shape, 0, 1, "float32", ctx.noiseSeed + 1);
    z = tf.add(mu, tf.mul(sigma, eps)) as Tensor2D;
    if (opts.variant !== "vae") z = normaliseToSphere(z);
  }
  const xHat = net.decoder.apply(z, { training: true }) as tf.Tensor;
  const rec = reconstructionError(x, xHat, opts.reconstruction);
  const { total, parts } = compressedLoss(
    mu,
    sigma,
    lossOptions(opts, ctx.epoch, ctx.labels),
  );
  const loss = tf.add(
    rec,
    tf.mul(total, ctx.beta * ctx.annealing),
  ) as tf.Scalar;
  return {
    loss,
    rec,
    kl: total,
    parts: parts as unknown as Record<string, tf.Scalar>,
  };
}

/**
 * Runs one optimisation step on batch `x`: `paper` updates encoder and
 * decoder with one Adam on `rec + beta KL`; `authors` updates the encoder on
 * `0.001 (rec + beta KL a(t))` and then the decoder on
 * `0.001 rec(decode(stopGradient(z)))`.
 *
 * @returns The part names and a kept `[loss, rec, kl, ...parts]` tensor the
 * caller reads and disposes.
 */
export function trainStep(
  net: Net,
  x: Tensor4D,
  opts: ResolvedTrainOptions,
  ctx: StepContext,
  encOpt: tf.Optimizer,
  decOpt?: tf.Optimizer,
): { names: string[]; stats: tf.Tensor } {
  const authors = opts.preset === "authors";
  let stats: tf.Tensor | undefined;
  let names: string[] = [];
  const scale = authors ? 0.001 : 1;
  const objective = () => {
    const g = forward(net, x, opts, ctx);
    names = Object.keys(g.parts);
    stats = tf.keep(
      tf.stack([g.loss, g.rec, g.kl, ...Object.values(g.parts)]),
    );
    return tf.mul(g.loss, scale) as tf.Scalar;
  };
  if (!(authors && decOpt)) {
    encOpt.minimize(objective, false, [
      ...encoderVars(net),
      ...decoderVars(net),
    ]);
    return { names, stats: stats! };
  }
  // authors: the encoder's Adam steps on 0.001 (rec + beta a KL), the
  // decoder's on 0.001 rec(decode(stopGradient(z))). The KL does not depend
  // on the decoder, and the encoder step leaves the decoder as it was, so
  // the decoder's gradient is the same in one backward pass as in the
  // released code's second forward and backward at the same z: one pass
  // gives both (the same values, ~20% less work per step)
  const enc = encoderVars(net);
  const dec = decoderVars(net);
  const { value, grads } = tf.variableGrads(objective, [...enc, ...dec]);
  value.dispose();
  const pick = (vars: tf.Variable[]) =>
    Object.fromEntries(vars.map((v) => [v.name, grads[v.name]]));
  encOpt.applyGradients(pick(enc));
  decOpt.applyGradients(pick(dec));
  tf.dispose(Object.values(grads));
  return { names, stats: stats! };
}
