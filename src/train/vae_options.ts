/**
 * Options of {@linkcode trainVAE} (`train_vae.ts`) and their defaults,
 * applied in one place by {@linkcode resolveTrainOptions}.
 *
 * @module
 */
import type {
  CompressedLossOptions,
  LossPreset,
  LossVariant,
} from "../loss.ts";
import type { ProgressMode } from "../progress.ts";
import { nonNegativeInt, positiveInt } from "./option_checks.ts";
import {
  DEFAULT_EPOCHS,
  DEFAULT_LATENT_DIM,
  DEFAULT_PRESET,
  DEFAULT_VARIANT,
  isPreset,
  isVariant,
  PRESET_DEFAULTS,
  PRESETS,
  VARIANTS,
} from "../presets.ts";
import type { EpochLog } from "./vae_epoch_log.ts";

/** Options of {@linkcode trainVAE}. Defaults depend on `preset` where noted. */
export interface TrainOptions {
  /**
   * Loss preset: `"authors"` (the released code: two optimisers, auto-tuned
   * beta, per-class statistics) or `"paper"` (the clean reading).
   * @default {"authors"}
   */
  preset?: LossPreset;
  /**
   * `"compressed"`, `"vmf"`, `"vae"` (standard VAE) or `"ae"` (autoencoder).
   * @default {"compressed"}
   */
  variant?: LossVariant;
  /**
   * Ablation control: all angle gains 0, only the radius terms.
   * @default {false}
   */
  radiusOnly?: boolean;
  /**
   * Latent dimension n.
   * @default {128}
   */
  latentDim?: number;
  /**
   * Channel widths of the encoder stages (see `buildEncoder`).
   * @default {the model's default for the input size}
   */
  widths?: number[];
  /**
   * Epochs to train (total, including those done before a resume).
   * @default {10}
   */
  epochs?: number;
  /**
   * Mini-batch size.
   * @default {paper: 128, authors: 200}
   */
  batchSize?: number;
  /**
   * Adam learning rate (each optimiser's, for `authors`).
   * @default {paper: 1e-3, authors: 2e-4}
   */
  learningRate?: number;
  /**
   * Epochs at which the learning rate halves.
   * @default {paper: [], authors: [280, 450]}
   */
  lrMilestones?: number[];
  /**
   * `paper`: beta_max of `beta(t) = beta_max sqrt((t+1)/T)`. `authors`: a
   * fixed beta replacing the auto-tuned `2500 rec0 / KL0` (unset = auto).
   * @default {paper: 1, authors: auto}
   */
  beta?: number;
  /**
   * `paper` only: warm-up epochs W (`beta` grows for W epochs then holds).
   * @default {undefined (grow over all epochs)}
   */
  warmup?: number;
  /**
   * Use `dataset.labels` for the semi-supervised class roll.
   * @default {false}
   */
  semiSupervised?: boolean;
  /**
   * Further loss options (gains, priors, epsilons, spacing, G_sig...), merged
   * over the preset; see `CompressedLossOptions`.
   * @default {{}}
   */
  loss?: Omit<
    CompressedLossOptions,
    "preset" | "variant" | "labels" | "epoch" | "radiusOnly"
  >;
  /**
   * Reconstruction error: `"sum"` = squared error summed over pixels, mean
   * over the batch (the authors'); `"mean"` = mean over pixels too.
   * @default {"sum"}
   */
  reconstruction?: "sum" | "mean";
  /**
   * Seed of weights, batch order and noise: same seed + backend = same weights.
   * @default {0}
   */
  seed?: number;
  /**
   * Fraction of the data held out for a per-epoch validation loss.
   * @default {0}
   */
  validationSplit?: number;
  /**
   * Directory for `train.jsonl` and per-epoch checkpoints; none when unset.
   * @default {undefined}
   */
  outDir?: string;
  /**
   * Continue from the last checkpoint in `outDir`, to the result an
   * uninterrupted run would give. The checkpoint records the data (shape,
   * SHA-256 of the images and labels, `dataSource`) and every resolved
   * option and `widths`; a resume whose data or options differ is refused,
   * naming what changed. Only `epochs` may change (raised to train longer),
   * except with the `paper` preset without `warmup`, whose beta schedule
   * spans all epochs; so may `progress`, `fitBank`, the callbacks, `signal`
   * and `handleSigint`.
   * @default {false}
   */
  resume?: boolean;
  /**
   * Where the dataset came from (e.g. the CLI's `--data` path, format,
   * limit and normal class), recorded in checkpoints and named when a
   * resume finds other data.
   * @default {undefined}
   */
  dataSource?: string;
  /**
   * Encode the training set after training and store its mus as the model's
   * latent bank (for k-NN scoring).
   * @default {true}
   */
  fitBank?: boolean;
  /**
   * Progress display on stderr.
   * @default {"auto"}
   */
  progress?: ProgressMode;
  /**
   * Called after each epoch with its log record.
   * @default {undefined}
   */
  onEpoch?: (log: EpochLog) => void;
  /**
   * Called after each batch with the 0-based epoch and batch index.
   * @default {undefined}
   */
  onStep?: (epoch: number, step: number) => void;
  /**
   * Stops training after the current batch (a checkpoint is written).
   * @default {undefined}
   */
  signal?: AbortSignal;
  /**
   * Handle Ctrl-C (SIGINT): finish the batch, checkpoint, return. A second
   * Ctrl-C exits at once.
   * @default {true}
   */
  handleSigint?: boolean;
}

/** The resolved options, as stored in checkpoints and in the model config. */
export interface ResolvedTrainOptions {
  /** Loss preset. */
  preset: LossPreset;
  /** Model variant. */
  variant: LossVariant;
  /** Radius-only ablation control. */
  radiusOnly: boolean;
  /** Latent dimension n. */
  latentDim: number;
  /** Total epochs. */
  epochs: number;
  /** Mini-batch size. */
  batchSize: number;
  /** Base learning rate. */
  learningRate: number;
  /** Epochs at which the learning rate halves. */
  lrMilestones: number[];
  /** `paper`: beta_max; `authors`: a fixed beta, or null for auto. */
  beta: number | null;
  /** `paper` warm-up epochs, or null. */
  warmup: number | null;
  /** Whether labels drive the class roll. */
  semiSupervised: boolean;
  /** Extra loss options. */
  loss: Record<string, unknown>;
  /** Reconstruction reduction. */
  reconstruction: "sum" | "mean";
  /** Seed of weights, batch order and noise. */
  seed: number;
  /** Held-out fraction. */
  validationSplit: number;
}

/**
 * Applies the defaults of {@linkcode TrainOptions} in one place and validates.
 *
 * @param options Training options.
 * @returns The resolved options.
 * @throws {RangeError} For out-of-range options.
 *
 * @example Preset defaults
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveTrainOptions } from "@hsvae/hsvae";
 *
 * assert.equal(resolveTrainOptions({ preset: "authors" }).batchSize, 200);
 * assert.equal(resolveTrainOptions({ preset: "paper" }).learningRate, 1e-3);
 * ```
 */
export function resolveTrainOptions(
  options: TrainOptions = {},
): ResolvedTrainOptions {
  const preset = options.preset ?? DEFAULT_PRESET;
  if (!isPreset(preset)) {
    throw new RangeError(
      `Cannot train: unknown preset "${preset}"; use ${
        PRESETS.map((p) => `"${p}"`).join(" or ")
      }`,
    );
  }
  const variant = options.variant ?? DEFAULT_VARIANT;
  if (!isVariant(variant)) {
    throw new RangeError(
      `Cannot train: unknown variant "${variant}"; use one of ${
        VARIANTS.join(", ")
      }`,
    );
  }
  const d = PRESET_DEFAULTS[preset].train;
  const learningRate = options.learningRate ?? d.learningRate;
  if (!(learningRate > 0)) {
    throw new RangeError(
      `Cannot train: "learningRate" must be > 0, got ${learningRate}`,
    );
  }
  const validationSplit = options.validationSplit ?? 0;
  if (!(validationSplit >= 0 && validationSplit < 1)) {
    throw new RangeError(
      `Cannot train: "validationSplit" must be in [0, 1), got ${validationSplit}`,
    );
  }
  if (options.beta !== undefined && !(options.beta >= 0)) {
    throw new RangeError(
      `Cannot train: "beta" must be >= 0, got ${options.beta}`,
    );
  }
  return {
    preset,
    variant,
    radiusOnly: options.radiusOnly ?? false,
    latentDim: positiveInt(
      "latentDim",
      options.latentDim ?? DEFAULT_LATENT_DIM,
    ),
    epochs: positiveInt("epochs", options.epochs ?? DEFAULT_EPOCHS),
    batchSize: positiveInt("batchSize", options.batchSize ?? d.batchSize),
    learningRate,
    lrMilestones: options.lrMilestones ?? [...d.lrMilestones],
    beta: options.beta ?? null,
    warmup: options.warmup ?? null,
    semiSupervised: options.semiSupervised ?? false,
    loss: { ...(options.loss ?? {}) },
    reconstruction: options.reconstruction ?? d.reconstruction,
    seed: nonNegativeInt("seed", options.seed ?? 0),
    validationSplit,
  };
}

/**
 * The options a resume must match (the `options` of the run's fingerprint,
 * see {@linkcode TrainOptions.resume}): every resolved option and the
 * encoder `widths`, without `epochs` unless the `paper` beta schedule
 * without `warmup` depends on it.
 *
 * @param opts The resolved training options.
 * @param widths The encoder widths asked for (`undefined`: the default).
 * @returns Plain JSON.
 *
 * @example `epochs` may change except for the stretching `paper` schedule
 * ```ts
 * import assert from "node:assert/strict";
 * import { fingerprintOptions, resolveTrainOptions } from "./vae_options.ts";
 *
 * assert.equal("epochs" in fingerprintOptions(resolveTrainOptions({ preset: "authors" })), false);
 * assert.equal(fingerprintOptions(resolveTrainOptions({ preset: "paper", epochs: 5 })).epochs, 5);
 * assert.equal("epochs" in fingerprintOptions(resolveTrainOptions({ preset: "paper", warmup: 2 })), false);
 * assert.deepEqual(fingerprintOptions(resolveTrainOptions(), [4, 8]).widths, [4, 8]);
 * ```
 */
export function fingerprintOptions(
  opts: ResolvedTrainOptions,
  widths?: number[],
): Record<string, unknown> {
  const { epochs, ...rest } = opts;
  const stretches = opts.preset === "paper" && opts.warmup === null;
  return {
    ...rest,
    ...(stretches ? { epochs } : {}),
    widths: widths ?? null,
  };
}
