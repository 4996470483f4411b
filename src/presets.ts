/**
 * Every preset- and variant-dependent default of the toolkit, in one typed
 * table: the presets `authors` and `paper` (METHOD.md §2.1), the variants
 * `compressed`, `vmf`, `vae` and `ae` (METHOD.md §2), the default latent size
 * and what each variant does with `z`.
 *
 * Everyone reads from here: `resolveTrainOptions` (training defaults),
 * `compressedLoss` (loss defaults), `resolveModelConfig` (latent size), the
 * CLI's `--help` texts. Within a training run the preset, the variant and the
 * latent size are resolved once, by `resolveTrainOptions`; the layers below it
 * (`resolveModelConfig`, `compressedLoss`) receive explicit values and fall
 * back to the same constants of this module only when called on their own.
 *
 * This module holds data and types only; it imports nothing, so any module
 * may import it without a cycle.
 *
 * @example The two presets side by side
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_PRESET, PRESET_DEFAULTS, PRESETS } from "@hsvae/hsvae";
 *
 * assert.deepEqual(PRESETS, ["authors", "paper"]);
 * assert.equal(DEFAULT_PRESET, "authors");
 * assert.equal(PRESET_DEFAULTS.authors.train.batchSize, 200);
 * assert.equal(PRESET_DEFAULTS.paper.loss.stdPenalty, "square");
 * ```
 *
 * @module
 */

/** The two named presets of METHOD.md §2.1. */
export type LossPreset = "paper" | "authors";
/** The model variants of METHOD.md §2. */
export type LossVariant = "compressed" | "vmf" | "vae" | "ae";
/** Batch standard deviation: divide by N (`"biased"`) or N - 1 (`"unbiased"`). */
export type BatchStdKind = "biased" | "unbiased";
/**
 * Penalty on a batch std `S` with target `b`: `"square"` is `(S - b)^2`;
 * `"log"` is `f(S + 1 - b)` (and `f(S / b)` for the sigma radius) with
 * `f(s) = s^2 - ln(s^2) - 1`.
 */
export type StdPenaltyKind = "square" | "log";
/**
 * Angle weights: `"paper"` is `w_k = 1 / sqrt(k + 1)`, `"authors"` is
 * `beta_k = 50 sqrt(n) / sqrt(k)`, k = 1..n-1; or one number per angle.
 */
export type AngleWeightsKind = "paper" | "authors" | readonly number[];
/**
 * Per-angle weights of the mu mean terms: `"uniform"` (1 each) or
 * `"authors"` (100 on the first angle, 1 on angles 2..n-2, 0 on the last;
 * past epoch 100: 150 and `sqrt(epoch - 101) + 1`).
 */
export type MeanWeightingKind = "uniform" | "authors";
/**
 * Batch statistics of the mu angles under the class roll: over the whole
 * batch (`"pooled"`) or per class, summed over classes (`"perClass"`).
 */
export type ClassStatsKind = "pooled" | "perClass";
/** Target of the std of each mu angle's cosine (see {@linkcode LossDefaults}). */
export type MuAngleStdTargetKind = "zero" | "isotropic";
/** Reduction over latent dimensions of the Gaussian KL of the `vae` variant. */
export type VaeReduceKind = "sum" | "mean";

/** The eight inner gains of METHOD.md §2 (A_mu, B_mu, A_sig, ... B_sig,r). */
export interface CompressedLossGains {
  /** A_mu: mean terms of the mu angles. */
  muAngleMean: number;
  /** B_mu: std terms of the mu angles. */
  muAngleStd: number;
  /** A_sig: mean terms of the sigma angles. */
  sigmaAngleMean: number;
  /** B_sig: std terms of the sigma angles. */
  sigmaAngleStd: number;
  /** A_mu,r: mean of the mu radius. */
  muRadiusMean: number;
  /** B_mu,r: std of the mu radius. */
  muRadiusStd: number;
  /** A_sig,r: mean of the sigma radius. */
  sigmaRadiusMean: number;
  /** B_sig,r: std of the sigma radius. */
  sigmaRadiusStd: number;
}

/**
 * The four outer gains, one per group of terms (the authors'
 * `KL = 1000 Phi_mu + 300 R_mu + G_sig Phi_sig + 500 R_sig`).
 */
export interface CompressedLossTermGains {
  /** Multiplies the mu-angle terms (authors: 1000). */
  anglesMu: number;
  /** Multiplies the mu-radius terms (authors: 300). */
  radiusMu: number;
  /** Multiplies the sigma-angle terms: G_sig (authors: 5e5). */
  anglesSigma: number;
  /** Multiplies the sigma-radius terms (authors: 500). */
  radiusSigma: number;
}

/**
 * `paper`'s KL weight rule (METHOD.md §2):
 * `beta(t) = betaMax sqrt((t+1)/T)`, or with a warm-up.
 */
export interface SqrtEpochBeta {
  /** The rule's name. */
  kind: "sqrtEpoch";
  /** beta_max, the default of the `beta` option. */
  betaMax: number;
}

/**
 * The authors' KL weight rule (METHOD.md §2.1): `initialBeta` during epoch 0,
 * then fixed to `target * mean_epoch0(rec) / (mean_epoch0(KL) + klEpsilon)`.
 */
export interface AutoBeta {
  /** The rule's name. */
  kind: "auto";
  /** beta during epoch 0. */
  initialBeta: number;
  /** The target ratio of the weighted KL to the reconstruction error. */
  target: number;
  /** Added to the epoch-0 KL mean in the denominator. */
  klEpsilon: number;
}

/** The KL weight rule of a preset. */
export type BetaRule = SqrtEpochBeta | AutoBeta;

/** Training defaults of one preset (options of `trainVAE`). */
export interface TrainDefaults<B extends BetaRule = BetaRule> {
  /** Adam learning rate (each optimiser's, when `optimisers` is `"split"`). */
  learningRate: number;
  /** Epochs at which the learning rate halves. */
  lrMilestones: readonly number[];
  /** Mini-batch size. */
  batchSize: number;
  /** How beta is set; see {@linkcode BetaRule}. */
  beta: B;
  /**
   * `"joint"`: one Adam over encoder and decoder on `rec + beta KL`;
   * `"split"`: an encoder Adam on `rec + beta a(t) KL` and a decoder Adam on
   * `rec(decode(stopGradient(z)))` (the authors', METHOD.md §2.1).
   */
  optimisers: "joint" | "split";
  /** Factor on the objective before its gradient (authors: 0.001). */
  objectiveScale: number;
  /** `"sum"`: squared error summed over pixels, mean over the batch. */
  reconstruction: "sum" | "mean";
}

/**
 * Loss defaults of one preset (options of `compressedLoss`); each is
 * overridable by the option of the same name.
 */
export interface LossDefaults {
  /** Epsilon inside the cosine's square root. */
  cosineEpsilon: number;
  /** Cosine where a tail norm is exactly zero. */
  zeroTailCosine: number;
  /** Batch standard deviation kind. */
  batchStd: BatchStdKind;
  /** Added to the batch variance before its square root. */
  stdEpsilon: number;
  /** Penalty on batch stds. */
  stdPenalty: StdPenaltyKind;
  /** Weights of the angles, k = 1..n-1. */
  angleWeights: "paper" | "authors";
  /** Extra per-angle weights of the mu mean terms. */
  meanWeighting: MeanWeightingKind;
  /** The eight inner gains. */
  gains: Readonly<CompressedLossGains>;
  /** The four outer gains. */
  termGains: Readonly<CompressedLossTermGains>;
  /** `"zero"` (compact island) or `"isotropic"` (`u_k = 1/sqrt(n-k+1)`). */
  muAngleStdTarget: MuAngleStdTargetKind;
  /** a_mu,r, the target mean of the mu radius, for latent size n. */
  muRadiusTarget: (n: number) => number;
  /** sigma0, the per-dimension noise scale (used by `paper`'s a_sig,r). */
  sigma0: number;
  /** a_sig,r, the target mean of the sigma radius, for n and sigma0. */
  sigmaRadiusTarget: (n: number, sigma0: number) => number;
  /** b_sig,r, the target std of the sigma radius. */
  sigmaRadiusStdTarget: number;
  /** Latent axes between two class poles under the class roll. */
  spacing: number;
  /** Batch statistics of the mu angles under the roll. */
  classStats: ClassStatsKind;
  /** Roll sigma too before its angle terms. */
  rollSigma: boolean;
  /** Reduction over dimensions of the `vae` variant's Gaussian KL. */
  vaeReduce: VaeReduceKind;
  /** Floor on sigma inside `ln(sigma^2)` of the `vae` variant. */
  sigmaFloor: number;
}

/** Every default of one preset. */
export interface PresetDefaults<B extends BetaRule = BetaRule> {
  /** Training defaults. */
  train: Readonly<TrainDefaults<B>>;
  /** Loss defaults. */
  loss: Readonly<LossDefaults>;
}

/** The type of {@linkcode PRESET_DEFAULTS}: each preset with its beta rule. */
export interface PresetTable {
  /** The clean reading of the papers (METHOD.md §2). */
  paper: PresetDefaults<SqrtEpochBeta>;
  /** The released code (METHOD.md §2.1). */
  authors: PresetDefaults<AutoBeta>;
}

/** What a variant does with the latent code and which KL it uses. */
export interface VariantTraits {
  /** `z = mu + sigma * eps` during training (false: `z = mu`). */
  samplesNoise: boolean;
  /** `z` (and `mu` when decoding at inference) goes onto the sphere of radius sqrt(n). */
  normalisesZ: boolean;
  /** The KL term: hyperspherical (METHOD.md §2), Gaussian, or none. */
  kl: "hyperspherical" | "gaussian" | "none";
  /** K_c this variant fixes (`vmf`: 1), or `null` (the option's default n - 1). */
  compressUntil: number | null;
}

/**
 * The presets, the default first.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PRESETS } from "@hsvae/hsvae";
 *
 * assert.ok(PRESETS.includes("paper"));
 * ```
 */
export const PRESETS: readonly LossPreset[] = Object.freeze([
  "authors",
  "paper",
]);

/**
 * The variants, the default first.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { VARIANTS } from "@hsvae/hsvae";
 *
 * assert.deepEqual(VARIANTS, ["compressed", "vmf", "vae", "ae"]);
 * ```
 */
export const VARIANTS: readonly LossVariant[] = Object.freeze([
  "compressed",
  "vmf",
  "vae",
  "ae",
]);

/**
 * The default preset: `authors`, faithful to the released code that produced
 * the published numbers (METHOD.md §2.1).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_PRESET } from "@hsvae/hsvae";
 *
 * assert.equal(DEFAULT_PRESET, "authors");
 * ```
 */
export const DEFAULT_PRESET: LossPreset = "authors";

/**
 * The preset `evaluate` trains its AE and VAE baselines with: `paper`, the
 * standard losses (the authors' auto-tuned beta collapses a plain VAE).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_BASELINE_PRESET } from "@hsvae/hsvae";
 *
 * assert.equal(DEFAULT_BASELINE_PRESET, "paper");
 * ```
 */
export const DEFAULT_BASELINE_PRESET: LossPreset = "paper";

/**
 * The default variant: `compressed` (METHOD.md §2).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_VARIANT } from "@hsvae/hsvae";
 *
 * assert.equal(DEFAULT_VARIANT, "compressed");
 * ```
 */
export const DEFAULT_VARIANT: LossVariant = "compressed";

/**
 * The default latent dimension n: 128 (METHOD.md §2, "Latent n default 128";
 * also the authors' released configs), for both presets.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_LATENT_DIM } from "@hsvae/hsvae";
 *
 * assert.equal(DEFAULT_LATENT_DIM, 128);
 * ```
 */
export const DEFAULT_LATENT_DIM = 128;

/**
 * The default number of training epochs of `trainVAE`, for both presets (a
 * short run; the authors trained 300 epochs).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_EPOCHS } from "@hsvae/hsvae";
 *
 * assert.equal(DEFAULT_EPOCHS, 10);
 * ```
 */
export const DEFAULT_EPOCHS = 10;

/**
 * Every per-preset default of training and loss. `paper` is the clean
 * reading of the papers (METHOD.md §2), `authors` the released code
 * (§2.1). Read-only: copy before changing (e.g. `[...lrMilestones]`).
 *
 * | key | `paper` | `authors` |
 * | --- | --- | --- |
 * | `train.learningRate` | 1e-3 | 2e-4 |
 * | `train.lrMilestones` | none | 280, 450 |
 * | `train.batchSize` | 128 | 200 |
 * | `train.beta` | `betaMax sqrt((t+1)/T)`, betaMax 1 | 1 in epoch 0, then `2500 rec0 / (KL0 + 1e-3)` |
 * | `train.optimisers` / `objectiveScale` | joint / 1 | split / 0.001 |
 * | `loss.cosineEpsilon` / `zeroTailCosine` | 1e-12 / 1 | 1e-3 / 0 |
 * | `loss.batchStd` / `stdEpsilon` | biased / 1e-12 | unbiased / 1e-4 |
 * | `loss.stdPenalty` | square | log |
 * | `loss.angleWeights` / `meanWeighting` | paper / uniform | authors / authors |
 * | `loss.gains` | all 1 | angle means 0.05, angle stds 1, radius 50 |
 * | `loss.termGains` | all 1 | 1000, 300, 5e5, 500 |
 * | `loss.muAngleStdTarget` | zero | isotropic |
 * | `loss.muRadiusTarget(n)` | sqrt(n) | sqrt(n - 0.5) |
 * | `loss.sigmaRadiusTarget(n, sigma0)` | sqrt(n) sigma0, sigma0 0.1 | 0.001 sqrt(n - 0.5) |
 * | `loss.sigmaRadiusStdTarget` | 0 | sqrt(0.5) |
 * | `loss.spacing` / `classStats` / `rollSigma` | 11 / pooled / true | 10 / perClass / false |
 * | `loss.vaeReduce` | sum | mean |
 *
 * @example Reading a default
 * ```ts
 * import assert from "node:assert/strict";
 * import { PRESET_DEFAULTS } from "@hsvae/hsvae";
 *
 * const a = PRESET_DEFAULTS.authors;
 * assert.equal(a.train.learningRate, 2e-4);
 * assert.equal(a.loss.termGains.anglesSigma, 5e5);
 * assert.equal(a.loss.muRadiusTarget(128), Math.sqrt(127.5));
 * assert.equal(PRESET_DEFAULTS.paper.loss.sigmaRadiusTarget(100, 0.1), 1);
 * ```
 */
export const PRESET_DEFAULTS: Readonly<PresetTable> = deepFreeze<PresetTable>(
  {
    paper: {
      train: {
        learningRate: 1e-3,
        lrMilestones: [],
        batchSize: 128,
        beta: { kind: "sqrtEpoch", betaMax: 1 },
        optimisers: "joint",
        objectiveScale: 1,
        reconstruction: "sum",
      },
      loss: {
        cosineEpsilon: 1e-12,
        zeroTailCosine: 1,
        batchStd: "biased",
        stdEpsilon: 1e-12,
        stdPenalty: "square",
        angleWeights: "paper",
        meanWeighting: "uniform",
        gains: {
          muAngleMean: 1,
          muAngleStd: 1,
          sigmaAngleMean: 1,
          sigmaAngleStd: 1,
          muRadiusMean: 1,
          muRadiusStd: 1,
          sigmaRadiusMean: 1,
          sigmaRadiusStd: 1,
        },
        termGains: { anglesMu: 1, radiusMu: 1, anglesSigma: 1, radiusSigma: 1 },
        muAngleStdTarget: "zero",
        muRadiusTarget: (n: number) => Math.sqrt(n),
        sigma0: 0.1,
        sigmaRadiusTarget: (n: number, sigma0: number) => Math.sqrt(n) * sigma0,
        sigmaRadiusStdTarget: 0,
        spacing: 11,
        classStats: "pooled",
        rollSigma: true,
        vaeReduce: "sum",
        sigmaFloor: 1e-20,
      },
    },
    authors: {
      train: {
        learningRate: 2e-4,
        lrMilestones: [280, 450],
        batchSize: 200,
        beta: { kind: "auto", initialBeta: 1, target: 2500, klEpsilon: 1e-3 },
        optimisers: "split",
        objectiveScale: 0.001,
        reconstruction: "sum",
      },
      loss: {
        cosineEpsilon: 1e-3,
        zeroTailCosine: 0,
        batchStd: "unbiased",
        stdEpsilon: 1e-4,
        stdPenalty: "log",
        angleWeights: "authors",
        meanWeighting: "authors",
        gains: {
          muAngleMean: 0.05,
          muAngleStd: 1,
          sigmaAngleMean: 0.05,
          sigmaAngleStd: 1,
          muRadiusMean: 50,
          muRadiusStd: 50,
          sigmaRadiusMean: 50,
          sigmaRadiusStd: 50,
        },
        termGains: {
          anglesMu: 1000,
          radiusMu: 300,
          anglesSigma: 5e5,
          radiusSigma: 500,
        },
        muAngleStdTarget: "isotropic",
        muRadiusTarget: (n: number) => Math.sqrt(n - 0.5),
        sigma0: 0.1,
        sigmaRadiusTarget: (n: number) => 0.001 * Math.sqrt(n - 0.5),
        sigmaRadiusStdTarget: Math.sqrt(0.5),
        spacing: 10,
        classStats: "perClass",
        rollSigma: false,
        vaeReduce: "mean",
        sigmaFloor: 1e-20,
      },
    },
  },
);

/**
 * What each variant does (METHOD.md §2, "Variants"): `compressed` and `vmf`
 * sample `z = mu + sigma eps` and normalise it onto the sphere of radius
 * sqrt(n) (the authors' `normalize_samples: true`); `vae` samples but does
 * not normalise; `ae` uses `z = mu` and neither samples nor normalises.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { VARIANT_TRAITS } from "@hsvae/hsvae";
 *
 * assert.equal(VARIANT_TRAITS.vmf.compressUntil, 1);
 * assert.equal(VARIANT_TRAITS.vae.kl, "gaussian");
 * assert.equal(VARIANT_TRAITS.ae.samplesNoise, false);
 * ```
 */
export const VARIANT_TRAITS: Readonly<
  Record<LossVariant, Readonly<VariantTraits>>
> = deepFreeze<Record<LossVariant, VariantTraits>>({
  compressed: {
    samplesNoise: true,
    normalisesZ: true,
    kl: "hyperspherical",
    compressUntil: null,
  },
  vmf: {
    samplesNoise: true,
    normalisesZ: true,
    kl: "hyperspherical",
    compressUntil: 1,
  },
  vae: {
    samplesNoise: true,
    normalisesZ: false,
    kl: "gaussian",
    compressUntil: null,
  },
  ae: {
    samplesNoise: false,
    normalisesZ: false,
    kl: "none",
    compressUntil: null,
  },
});

/**
 * The authors' sigma-angle gain G_sig per dataset (METHOD.md §2.1): 5e5 for
 * CIFAR-10 (the released default, also the preset's
 * `termGains.anglesSigma`), SVHN, CelebA and Galaxy Zoo; 2.25e5 for
 * Fashion-MNIST; 5e4 for MNIST.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AUTHORS_SIGMA_ANGLE_GAINS } from "@hsvae/hsvae";
 *
 * assert.equal(AUTHORS_SIGMA_ANGLE_GAINS.fashionMnist, 2.25e5);
 * ```
 */
export const AUTHORS_SIGMA_ANGLE_GAINS: Readonly<
  Record<
    "cifar10" | "svhn" | "celeba" | "galaxyZoo" | "fashionMnist" | "mnist",
    number
  >
> = Object.freeze({
  cifar10: 5e5,
  svhn: 5e5,
  celeba: 5e5,
  galaxyZoo: 5e5,
  fashionMnist: 2.25e5,
  mnist: 5e4,
});

/**
 * The authors' G_sig for an input shape: the Fashion-MNIST value for 28x28x1
 * images (their MNIST runs used 5e4: pass it explicitly for MNIST),
 * `undefined` otherwise, meaning the `authors` preset's 5e5.
 *
 * @param inputShape `[H, W, C]`.
 * @returns The gain, or `undefined` for the preset's default.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { authorsSigmaAngleGain } from "@hsvae/hsvae";
 *
 * assert.equal(authorsSigmaAngleGain([28, 28, 1]), 2.25e5);
 * assert.equal(authorsSigmaAngleGain([32, 32, 3]), undefined);
 * ```
 */
export function authorsSigmaAngleGain(
  inputShape: readonly number[],
): number | undefined {
  const [h, w, c] = inputShape;
  return h === 28 && w === 28 && c === 1
    ? AUTHORS_SIGMA_ANGLE_GAINS.fashionMnist
    : undefined;
}

/**
 * Whether `value` names a preset.
 *
 * @param value Anything.
 * @returns `true` for `"authors"` and `"paper"`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isPreset } from "@hsvae/hsvae";
 *
 * assert.ok(isPreset("paper"));
 * assert.ok(!isPreset("nope"));
 * ```
 */
export function isPreset(value: unknown): value is LossPreset {
  return (PRESETS as readonly unknown[]).includes(value);
}

/**
 * Whether `value` names a variant.
 *
 * @param value Anything, e.g. a model's stored training metadata.
 * @returns `true` for `"compressed"`, `"vmf"`, `"vae"` and `"ae"`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isVariant } from "@hsvae/hsvae";
 *
 * assert.ok(isVariant("vmf"));
 * assert.ok(!isVariant(undefined));
 * ```
 */
export function isVariant(value: unknown): value is LossVariant {
  return (VARIANTS as readonly unknown[]).includes(value);
}

/**
 * Whether a variant normalises `z` onto the sphere of radius sqrt(n):
 * `compressed` and `vmf` do, `vae` and `ae` do not (METHOD.md §2: "no sphere
 * normalisation" for `vae`, `z = mu` for `ae`). The trainer normalises the
 * sampled `z`, validation and `reconstructTensor` normalise `mu`.
 *
 * @param variant The variant (a value that is not one, e.g. from a model
 *   saved without training metadata, gives `false`).
 * @returns `true` for `compressed` and `vmf`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { variantNormalisesZ } from "@hsvae/hsvae";
 *
 * assert.equal(variantNormalisesZ("compressed"), true);
 * assert.equal(variantNormalisesZ("vmf"), true);
 * assert.equal(variantNormalisesZ("vae"), false);
 * assert.equal(variantNormalisesZ("ae"), false);
 * ```
 */
export function variantNormalisesZ(variant: LossVariant): boolean {
  return isVariant(variant) && VARIANT_TRAITS[variant].normalisesZ;
}

/**
 * Latent axes between two class poles under the semi-supervised class roll:
 * the given `spacing`, else the preset's default (`authors` 10 as in the
 * released code, `paper` 11 as in METHOD.md). The roll needs
 * `n >= classes * spacing`.
 *
 * @param preset The loss preset.
 * @param spacing An explicit spacing, which wins.
 * @returns The spacing in latent axes.
 * @throws {RangeError} When `preset` is not a preset and `spacing` is unset.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { classSpacing } from "@hsvae/hsvae";
 *
 * assert.equal(classSpacing("authors"), 10);
 * assert.equal(classSpacing("paper"), 11);
 * assert.equal(classSpacing("paper", 4), 4);
 * ```
 */
export function classSpacing(
  preset: LossPreset = DEFAULT_PRESET,
  spacing?: number,
): number {
  if (spacing !== undefined) return spacing;
  if (!isPreset(preset)) {
    throw new RangeError(
      `Cannot compute classSpacing: unknown preset "${preset}"; use ${
        PRESETS.map((p) => `"${p}"`).join(" or ")
      }`,
    );
  }
  return PRESET_DEFAULTS[preset].loss.spacing;
}

/** Freezes an object and everything under it (the table is read-only). */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object") {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
